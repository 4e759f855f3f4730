//! `/authenticate`: where Stytch's magic links land (the path of Stytch's guide, so a
//! dashboard set up by the guide works unchanged). The token is exchanged on the server while
//! the page renders; success redirects before any HTML is sent.

use leptos::prelude::*;

use super::api::finish_sign_in;
use crate::error::AppError;
use crate::paths::{HOME, SIGN_IN, query_param};

#[component]
pub fn MagicLinkPage() -> impl IntoView {
    let token = query_param("token");
    let kind = query_param("stytch_token_type");
    // Exchanged once, while the server renders (the browser runs none of this page).
    let outcome = async move {
        match (token, kind.as_deref()) {
            (Some(token), None | Some("magic_links")) if !token.is_empty() => {
                finish_sign_in(token).await
            }
            _ => Err(AppError::LinkUnknown),
        }
    };
    view! {
        <main class="page narrow">
            <Suspense fallback=|| view! { <p role="status">"Signing you in…"</p> }>
                {Suspend::new(async move {
                    match outcome.await {
                        Ok(()) => {
                            view! {
                                <h1>"You're signed in"</h1>
                                <p>
                                    <a class="button" href=HOME>
                                        "Continue to your todos"
                                    </a>
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <h1>"We couldn't sign you in"</h1>
                                <p class="error" role="alert" data-testid="auth-error">
                                    {e.to_string()}
                                </p>
                                <p>
                                    <a class="button" href=SIGN_IN>
                                        "Back to sign-in"
                                    </a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

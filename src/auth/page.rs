//! `/login`: the ways to sign in this deployment offers: an email form (a magic link), and a
//! link to each other provider's hosted sign-in page.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::api::{StartSignIn, sign_in_options};
use super::model::SignInOption;
use crate::error::AppError;
use crate::paths::{SIGN_IN, local_path, provider_sign_in_url, query_param, use_flash};
use crate::theme::ThemeToggle;

/// About the address typed (shown next to the field), rather than about signing in as a whole
/// (shown above every way to sign in).
fn is_field_error(e: &AppError) -> bool {
    matches!(e, AppError::EmailRequired | AppError::EmailInvalid)
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let next = query_param("next").filter(|n| local_path(n).is_some());
    let error = query_param("error").and_then(|c| AppError::from_code(&c));
    // The address a link went to (from the flash; the URL says only that one was sent).
    let flash = use_flash().email;
    let sent = query_param("sent").map(|_| flash.clone().unwrap_or_default());
    let signed_out = query_param("signed_out").is_some() && sent.is_none();
    let banner = error.clone().filter(|e| !is_field_error(e));
    let field = EmailField {
        typed: flash.unwrap_or_default(),
        error: error.filter(is_field_error),
    };

    view! {
        <main class="page narrow">
            <header class="bar">
                <h1>"Sign in"</h1>
                <ThemeToggle />
            </header>
            {signed_out
                .then(|| view! { <p class="notice" role="status">"You have signed out."</p> })}
            <p class="error" role="alert" data-testid="sign-in-error">
                {banner.map(|e| e.to_string())}
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {Suspend::new(async move {
                    let options = match sign_in_options().await {
                        Ok(options) => options,
                        Err(e) => {
                            return view! { <p class="error" role="alert">{e.to_string()}</p> }
                                .into_any();
                        }
                    };
                    let (email, links): (Vec<SignInOption>, Vec<SignInOption>) = options
                        .into_iter()
                        .partition(|o| o.email_form);
                    let email = !email.is_empty();
                    let several = email && !links.is_empty() && sent.is_none();
                    view! {
                        <ProviderLinks links next=next.clone() />
                        {several.then(|| view! { <p class="divider">"or"</p> })}
                        {email.then(|| view! { <EmailSignIn sent field next /> })}
                    }
                        .into_any()
                })}
            </Suspense>
        </main>
    }
}

/// The email field as the last post left it: what was typed, and why it was refused.
struct EmailField {
    typed: String,
    error: Option<AppError>,
}

/// A "Continue with …" link to each provider's hosted sign-in page.
#[component]
fn ProviderLinks(links: Vec<SignInOption>, next: Option<String>) -> impl IntoView {
    (!links.is_empty()).then(|| {
        view! {
            <ul class="providers" data-testid="providers">
                {links
                    .into_iter()
                    .map(|o| {
                        view! {
                            <li>
                                // `rel="external"`: a full navigation, never fetched in place.
                                <a
                                    class="button provider"
                                    href=provider_sign_in_url(&o.name, next.as_deref())
                                    data-testid=format!("sign-in-{}", o.name)
                                    rel="external"
                                >
                                    "Continue with "
                                    {o.label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// The email form, and once a link is sent (`sent`: to that address), where to look for it.
/// The server checks the address; its error comes back in the URL, what was typed in the flash.
#[component]
fn EmailSignIn(sent: Option<String>, field: EmailField, next: Option<String>) -> impl IntoView {
    let Some(to) = sent else {
        let EmailField { typed, error } = field;
        return view! {
            <p>"We'll email you a link that signs you in. No password needed."</p>
            <form method="post" action=StartSignIn::url() novalidate class="stack">
                <label for="email">"Email address"</label>
                <input
                    id="email"
                    type="email"
                    name="email"
                    autocomplete="email"
                    inputmode="email"
                    placeholder="you@example.com"
                    value=typed
                    aria-invalid=error.is_some().to_string()
                    aria-describedby="email-error"
                />
                <input type="hidden" name="next" value=next.unwrap_or_default() />
                <p id="email-error" class="error" role="alert" data-testid="login-error">
                    {error.map(|e| e.to_string())}
                </p>
                <button type="submit" data-pending="Sending link…">
                    "Email me a sign-in link"
                </button>
            </form>
        }
        .into_any();
    };
    let to = (!to.is_empty()).then_some(to);
    view! {
        <section class="notice" role="status" data-testid="check-email">
            <h2>"Check your email"</h2>
            <p>
                {match to {
                    Some(to) => view! { "We sent a sign-in link to " <strong>{to}</strong> ". " }.into_any(),
                    None => view! { "We sent you a sign-in link. " }.into_any(),
                }}
                "Open it in this browser; it works once."
            </p>
            <p>
                <a href=SIGN_IN>"Use a different email"</a>
            </p>
        </section>
    }
    .into_any()
}

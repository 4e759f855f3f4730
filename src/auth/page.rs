//! `/login`: the ways to sign in this deployment offers: an email form (a magic link), and a
//! link to each other provider's hosted sign-in page.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::api::{StartSignIn, sign_in_options};
use super::model::{SignInOption, check_email};
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
    let action = ServerAction::<StartSignIn>::new();
    let next_param = query_param("next");
    let sent_param = query_param("sent");
    let error_param = query_param("error");
    let signed_out = query_param("signed_out");
    let options = Resource::new_blocking(|| (), |_| sign_in_options());

    // The address a link went to: this page's answer, or (without JavaScript) the flash's.
    let flashed = use_flash().email;
    let sent = Signal::derive(move || match action.value().get() {
        Some(Ok(email)) => Some(email),
        Some(Err(_)) => None,
        None => sent_param
            .get()
            .map(|_| flashed.clone().unwrap_or_default()),
    });
    let query_error =
        Signal::derive(move || error_param.get().and_then(|c| AppError::from_code(&c)));
    let banner = move || match action.value().get() {
        None => query_error.get().filter(|e| !is_field_error(e)),
        Some(_) => None,
    };
    let next = Signal::derive(move || next_param.get().filter(|n| local_path(n).is_some()));

    view! {
        <main class="page narrow">
            <header class="bar">
                <h1>"Sign in"</h1>
                <ThemeToggle />
            </header>
            <Show when=move || signed_out.get().is_some() && sent.get().is_none()>
                <p class="notice" role="status">
                    "You have signed out."
                </p>
            </Show>
            <p class="error" role="alert" data-testid="sign-in-error">
                {move || banner().map(|e| e.to_string())}
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let options = match options.await {
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
                    let several = email && !links.is_empty();
                    view! {
                        <ProviderLinks links next />
                        <Show when=move || several && sent.get().is_none()>
                            <p class="divider">"or"</p>
                        </Show>
                        {email.then(|| view! { <EmailSignIn action sent query_error next /> })}
                    }
                        .into_any()
                })}
            </Suspense>
        </main>
    }
}

/// A "Continue with …" link to each provider's hosted sign-in page.
#[component]
fn ProviderLinks(links: Vec<SignInOption>, next: Signal<Option<String>>) -> impl IntoView {
    (!links.is_empty()).then(|| {
        view! {
            <ul class="providers" data-testid="providers">
                {links
                    .into_iter()
                    .map(|o| {
                        let href = {
                            let name = o.name.clone();
                            move || provider_sign_in_url(&name, next.get().as_deref())
                        };
                        view! {
                            <li>
                                <a
                                    class="button provider"
                                    href=href
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

/// The email form, and once a link is sent, where to look for it.
#[component]
fn EmailSignIn(
    action: ServerAction<StartSignIn>,
    sent: Signal<Option<String>>,
    query_error: Signal<Option<AppError>>,
    next: Signal<Option<String>>,
) -> impl IntoView {
    let typed = use_flash().email.unwrap_or_default();
    // Checked in the browser before anything is sent; the server checks again.
    let local_error = RwSignal::new(None::<AppError>);
    let error = move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => Some(e),
            Some(Ok(_)) => None,
            None => query_error.get().filter(is_field_error),
        })
    };
    let check = move |ev: leptos::ev::SubmitEvent| match StartSignIn::from_event(&ev)
        .map(|input| check_email(&input.email))
    {
        Ok(Err(e)) => {
            ev.prevent_default();
            local_error.set(Some(e));
        }
        _ => local_error.set(None),
    };
    // The link itself goes to the sign-in page (in-page once hydrated); the old answer must go
    // too.
    let start_over = move |_: leptos::ev::MouseEvent| action.value().set(None);

    view! {
        <Show
            when=move || sent.get().is_some()
            fallback=move || {
                let typed = typed.clone();
                view! {
                    <p>"We'll email you a link that signs you in. No password needed."</p>
                    <ActionForm action on:submit:capture=check attr:novalidate=true attr:class="stack">
                        <label for="email">"Email address"</label>
                        <input
                            id="email"
                            type="email"
                            name="email"
                            autocomplete="email"
                            inputmode="email"
                            placeholder="you@example.com"
                            value=typed.clone()
                            aria-invalid=move || error().is_some().to_string()
                            aria-describedby="email-error"
                        />
                        <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                        <p id="email-error" class="error" role="alert" data-testid="login-error">
                            {move || error().map(|e| e.to_string())}
                        </p>
                        <button type="submit" disabled=move || action.pending().get()>
                            {move || {
                                if action.pending().get() { "Sending link…" } else { "Email me a sign-in link" }
                            }}
                        </button>
                    </ActionForm>
                }
            }
        >
            <section class="notice" role="status" data-testid="check-email">
                <h2>"Check your email"</h2>
                <p>
                    {move || match sent.get().filter(|to| !to.is_empty()) {
                        Some(to) => view! { "We sent a sign-in link to " <strong>{to}</strong> ". " }.into_any(),
                        None => view! { "We sent you a sign-in link. " }.into_any(),
                    }}
                    "Open it in this browser; it works once."
                </p>
                <p>
                    <a href=SIGN_IN on:click=start_over>
                        "Use a different email"
                    </a>
                </p>
            </section>
        </Show>
    }
}

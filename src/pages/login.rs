//! `/login`: asks for an email address and has Stytch send a magic link to it.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::query_param;
use super::theme::ThemeToggle;
use crate::api::StartSignIn;
use crate::app::{check_email, local_path};
use crate::error::AppError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<StartSignIn>::new();
    let next = query_param("next");
    let sent_param = query_param("sent");
    let error_param = query_param("error");
    let email_param = query_param("email");
    let signed_out = query_param("signed_out");
    // Checked in the browser before anything is sent; the server checks again.
    let local_error = RwSignal::new(None::<AppError>);

    let sent = move || match action.value().get() {
        Some(Ok(email)) => Some(email),
        Some(Err(_)) => None,
        None => sent_param.get(),
    };
    let error = move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => Some(e),
            Some(Ok(_)) => None,
            None => error_param.get().and_then(|c| AppError::from_code(&c)),
        })
    };
    let next_value = move || {
        next.get()
            .filter(|n| local_path(n).is_some())
            .unwrap_or_default()
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
    // The link itself goes to /login (in-page once hydrated); the old answer must go too.
    let start_over = move |_: leptos::ev::MouseEvent| action.value().set(None);

    let form = move || {
        view! {
            <ActionForm action on:submit:capture=check attr:novalidate=true attr:class="stack">
                <label for="email">"Email address"</label>
                <input
                    id="email"
                    type="email"
                    name="email"
                    autocomplete="email"
                    inputmode="email"
                    placeholder="you@example.com"
                    value=move || email_param.get().unwrap_or_default()
                    aria-invalid=move || error().is_some().to_string()
                    aria-describedby="email-error"
                />
                <input type="hidden" name="next" value=next_value />
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
    };

    view! {
        <main class="page narrow">
            <header class="bar">
                <h1>"Sign in"</h1>
                <ThemeToggle />
            </header>
            <Show when=move || signed_out.get().is_some() && sent().is_none()>
                <p class="notice" role="status">
                    "You have signed out."
                </p>
            </Show>
            <Show
                when=move || sent().is_some()
                fallback=move || {
                    view! {
                        <p>"We'll email you a link that signs you in. No password needed."</p>
                        {form}
                    }
                }
            >
                <section class="notice" role="status" data-testid="check-email">
                    <h2>"Check your email"</h2>
                    <p>
                        "We sent a sign-in link to " <strong>{sent}</strong>
                        ". Open it on this device; it works once."
                    </p>
                    <p>
                        <a href="/login" on:click=start_over>
                            "Use a different email"
                        </a>
                    </p>
                </section>
            </Show>
        </main>
    }
}

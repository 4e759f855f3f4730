//! `/login`: the ways to sign in this deployment offers: Stytch's email form (a magic link),
//! and a link to each other provider's hosted sign-in page.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::query_param;
use super::theme::ThemeToggle;
use crate::api::{SignInOption, StartSignIn, sign_in_options};
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
    let options = Resource::new_blocking(|| (), |_| sign_in_options());
    let query_error = move || error_param.get().and_then(|c| AppError::from_code(&c));
    // About the address typed (next to the field), or about signing in as a whole (above
    // every way to sign in).
    let is_field_error =
        |e: &AppError| matches!(e, AppError::EmailRequired | AppError::EmailInvalid);
    let error = move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => Some(e),
            Some(Ok(_)) => None,
            None => query_error().filter(is_field_error),
        })
    };
    let banner = move || match action.value().get() {
        None => query_error().filter(|e| !is_field_error(e)),
        Some(_) => None,
    };
    let next_value = move || {
        next.get()
            .filter(|n| local_path(n).is_some())
            .unwrap_or_default()
    };
    let provider_link = move |option: &SignInOption| {
        let next = next_value();
        let query = if next.is_empty() {
            String::new()
        } else {
            format!("?next={}", crate::app::encode(&next))
        };
        format!("/auth/login/{}{query}", option.name)
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

    let stytch_section = move || {
        view! {
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
                    let email = options.iter().any(|o| o.email_form);
                    let links: Vec<SignInOption> = options
                        .into_iter()
                        .filter(|o| !o.email_form)
                        .collect();
                    let several = email && !links.is_empty();
                    view! {
                        {(!links.is_empty()).then(|| view! {
                            <ul class="providers" data-testid="providers">
                                {links
                                    .iter()
                                    .map(|o| {
                                        view! {
                                            <li>
                                                <a
                                                    class="button provider"
                                                    href=provider_link(o)
                                                    data-testid=format!("sign-in-{}", o.name)
                                                    rel="external"
                                                >
                                                    "Continue with "
                                                    {o.label.clone()}
                                                </a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        })}
                        <Show when=move || several && sent().is_none()>
                            <p class="divider">"or"</p>
                        </Show>
                        {email.then(stytch_section)}
                    }
                        .into_any()
                })}
            </Suspense>
        </main>
    }
}

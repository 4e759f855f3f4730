//! Signing in at a provider's hosted page and back: `/auth/login/<provider>` sends the browser
//! there with a fresh state, PKCE and (for OpenID Connect) nonce, kept in a sealed cookie; the
//! provider's callback (the path of its guide) checks them, exchanges the code and starts the
//! session. Every failure ends on the sign-in page with a message and a way to start again, and
//! a log line saying why.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_cookies::Cookies;

use super::provider::Step;
use super::session::PendingSignIn;
use super::state::AppState;
use crate::error::AppError;
use crate::paths::{HOME, local_path, sign_in_error_url};

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

fn to_sign_in(error: &AppError) -> Response {
    Redirect::to(&sign_in_error_url(error, None)).into_response()
}

/// `GET /auth/login/<provider>`: off to the provider's sign-in page.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<StartQuery>,
    cookies: Cookies,
) -> Response {
    let services = &state.services;
    let Some(provider) = services
        .providers
        .get(&name)
        .filter(|p| p.callback_url().is_some())
    else {
        tracing::info!("sign-in with a provider that is not enabled: {name:?}");
        return to_sign_in(&AppError::SignInFailed);
    };
    match provider.begin().await {
        Ok((url, secrets)) => {
            let next = query.next.filter(|n| local_path(n).is_some() && n != HOME);
            services.sessions.begin_sign_in(
                &cookies,
                &PendingSignIn {
                    provider: name,
                    secrets,
                    next,
                    started: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
                        as i64,
                },
            );
            Redirect::to(url.as_str()).into_response()
        }
        Err(e) => to_sign_in(&e.to_user(&name, Step::Start)),
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider's callback: `?code&state`, or `?error&error_description&state`.
pub async fn callback(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<CallbackQuery>,
    cookies: Cookies,
) -> Response {
    let services = &state.services;
    let Some(provider) = services.providers.by_callback(uri.path()) else {
        return to_sign_in(&AppError::SignInFailed);
    };
    let name = provider.name().to_string();
    let pending = query
        .state
        .as_deref()
        .and_then(|s| services.sessions.take_sign_in(&cookies, s));
    if let Some(error) = &query.error {
        tracing::info!(
            provider = %name,
            "the provider sent the user back with error={error:?} ({:?})",
            query.error_description.as_deref().unwrap_or("no description")
        );
        return to_sign_in(if error == "access_denied" {
            &AppError::SignInCancelled
        } else {
            &AppError::SignInFailed
        });
    }
    let Some(pending) = pending else {
        if query.state.is_some() {
            tracing::warn!(
                provider = %name,
                "callback refused: no sign-in is waiting for this state (expired, used already, or started in another browser)"
            );
        } else {
            tracing::warn!(provider = %name, "callback refused: it carries no state");
        }
        return to_sign_in(&AppError::SignInExpired);
    };
    if pending.provider != name {
        tracing::warn!(provider = %name, "callback refused: the sign-in was started with {}", pending.provider);
        return to_sign_in(&AppError::SignInFailed);
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        tracing::warn!(provider = %name, "callback refused: no code");
        return to_sign_in(&AppError::SignInFailed);
    };
    // A session this browser holds ends at its provider before the new one begins: revoking
    // an OpenID Connect refresh token may end the whole grant (Auth0's "Refresh Token
    // Revocation Deletes Grant"), which would take the new tokens of the same user and app
    // with it if they came first. (Whether it also takes a code not yet exchanged is not
    // confirmed against a real tenant.) Should the exchange then fail, the browser is signed
    // out, which is what signing in anew asked for.
    services.sessions.end(&cookies, &services.providers).await;
    match provider.finish(&code, &pending.secrets).await {
        Ok(session) => {
            services.sessions.write_signed_in(&cookies, &name, &session);
            tracing::info!(provider = %name, user = %session.user_id, "signed in");
            Redirect::to(pending.next.as_deref().unwrap_or(HOME)).into_response()
        }
        Err(e) => to_sign_in(&e.to_user(&name, Step::Finish)),
    }
}

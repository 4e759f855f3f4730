//! Signing in at a provider's hosted page and back: `/auth/login/<provider>` sends the browser
//! there with a fresh state, PKCE and (for OpenID Connect) nonce, kept in a sealed cookie; the provider's callback
//! (the path of its guide) checks them, exchanges the code and starts the session. Every
//! failure ends on `/login` with a message and a way to start again, and a log line saying why.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_cookies::Cookies;

use super::redirect::ProviderError;
use super::session::{Auth, PendingSignIn, ProviderState, SessionUser};
use super::state::{AppState, Services};
use crate::app::local_path;
use crate::error::AppError;

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

fn to_login(error: &AppError) -> Response {
    Redirect::to(&format!("/login?error={}", error.code())).into_response()
}

/// `GET /auth/login/<provider>`: off to the provider's sign-in page.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<StartQuery>,
    cookies: Cookies,
) -> Response {
    let services = &state.services;
    let Some(provider) = services.providers.redirect(&name) else {
        tracing::info!("sign-in with a provider that is not enabled: {name:?}");
        return to_login(&AppError::SignInFailed);
    };
    match provider.begin().await {
        Ok((url, login)) => {
            let next = query.next.filter(|n| local_path(n).is_some() && n != "/");
            services.sessions.begin_sign_in(
                &cookies,
                &PendingSignIn {
                    provider: name,
                    login,
                    next,
                },
            );
            Redirect::to(url.as_str()).into_response()
        }
        Err(e) => to_login(&from_provider(&name, "starting a sign-in", e)),
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
        return to_login(&AppError::SignInFailed);
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
        return to_login(if error == "access_denied" {
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
        return to_login(&AppError::SignInExpired);
    };
    if pending.provider != name {
        tracing::warn!(provider = %name, "callback refused: the sign-in was started with {}", pending.provider);
        return to_login(&AppError::SignInFailed);
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        tracing::warn!(provider = %name, "callback refused: no code");
        return to_login(&AppError::SignInFailed);
    };
    match provider.finish(&code, &pending.login).await {
        Ok(session) => {
            services.sessions.write_signed_in(&cookies, &name, &session);
            tracing::info!(provider = %name, user = %session.user_id, "signed in");
            Redirect::to(pending.next.as_deref().unwrap_or("/")).into_response()
        }
        Err(e) => to_login(&from_provider(&name, "finishing a sign-in", e)),
    }
}

/// What the user is told about a provider's failure, logged with the detail they are not.
pub fn from_provider(provider: &str, action: &str, e: ProviderError) -> AppError {
    match e {
        ProviderError::Unavailable(_) => {
            tracing::warn!(provider, "{action}: {e}");
            AppError::ProviderUnavailable
        }
        ProviderError::Refused(_) => {
            tracing::warn!(provider, "{action}: {e} (a replayed or expired code)");
            AppError::SignInExpired
        }
        ProviderError::InvalidToken(_) => {
            tracing::warn!(provider, "{action}: {e}");
            AppError::SignInFailed
        }
        ProviderError::Misconfigured(_) => {
            tracing::error!(
                provider,
                "{action}: {e} (check the client id and secret, the issuer, and the callback URL in the provider's dashboard)"
            );
            AppError::ProviderMisconfigured
        }
        ProviderError::Unexpected(_) => {
            tracing::error!(provider, "{action}: {e}");
            AppError::SignInFailed
        }
    }
}

/// Ends the session at the provider where it has a way to, and says where the browser goes
/// next: the provider's sign-out page (which returns to the site), or the sign-in page.
pub async fn sign_out(services: &Services, auth: &Auth) -> String {
    let local = "/login?signed_out=1".to_string();
    let Auth::SignedIn(SessionUser {
        provider, state, ..
    }) = auth
    else {
        return local;
    };
    match state {
        ProviderState::Stytch { token, .. } => {
            if let Some(stytch) = services.providers.stytch()
                && let Err(e) = stytch.revoke_session(token).await
            {
                // The cookie goes regardless: this browser is signed out either way.
                tracing::warn!("signing out: Stytch did not revoke the session: {e}");
            }
            local
        }
        ProviderState::Oidc { .. } | ProviderState::WorkOs { .. } => {
            match services.providers.redirect(provider) {
                Some(p) => p
                    .logout_url(state, &services.logout_return)
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or(local),
                None => local,
            }
        }
    }
}

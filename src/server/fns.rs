//! What every server function does first (find the user and the services) and how server-side
//! errors become the UI's `AppError`, logged here with the detail the user does not see.

use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use leptos::prelude::*;
use tower_cookies::Cookies;

use super::insforge::InsForgeError;
use super::session::{Auth, SessionUser};
use super::state::{AppState, Services};
use super::stytch::StytchError;
use crate::error::AppError;

pub fn services() -> Result<Arc<Services>, AppError> {
    use_context::<AppState>()
        .map(|s| s.services)
        .ok_or_else(|| {
            tracing::error!("server function called without the app state in context");
            AppError::Internal
        })
}

pub async fn cookies() -> Result<Cookies, AppError> {
    leptos_axum::extract::<Cookies>().await.map_err(|e| {
        tracing::error!("cookies unavailable: {e}");
        AppError::Internal
    })
}

pub async fn auth() -> Result<Auth, AppError> {
    leptos_axum::extract::<Extension<Auth>>()
        .await
        .map(|Extension(auth)| auth)
        .map_err(|e| {
            tracing::error!("no session resolved for a server function: {e}");
            AppError::Internal
        })
}

pub async fn require_user() -> Result<SessionUser, AppError> {
    match auth().await? {
        Auth::SignedIn(user) => Ok(user),
        Auth::SignedOut => Err(AppError::SignedOut),
        Auth::Unavailable => Err(AppError::ProviderUnavailable),
    }
}

/// What a data server function needs: the services and an InsForge token minted for this
/// request's user (signed-out and unverifiable sessions stop here).
pub async fn insforge_access() -> Result<(Arc<Services>, String), AppError> {
    let user = require_user().await?;
    let services = services()?;
    let token = services
        .minter
        .mint(&user.user_id, user.email.as_deref())
        .map_err(|e| {
            tracing::error!("cannot mint an InsForge token: {e}");
            AppError::Internal
        })?;
    Ok((services, token))
}

pub fn from_insforge(action: &str, e: InsForgeError) -> AppError {
    match e {
        InsForgeError::Unavailable(_) => {
            tracing::warn!("{action}: {e}");
            AppError::BackendUnavailable
        }
        InsForgeError::NotFound(_) => AppError::TodoNotFound,
        // The title rules are checked before the call; the database's check is the backstop.
        InsForgeError::InvalidInput(_) => {
            tracing::warn!("{action}: {e}");
            AppError::TitleRequired
        }
        InsForgeError::Unauthorized(_) | InsForgeError::Forbidden(_) => {
            tracing::error!(
                "{action}: {e} (does INSFORGE_JWT_SECRET match the project, and are the migrations applied?)"
            );
            AppError::Internal
        }
        InsForgeError::Conflict(_) | InsForgeError::Unexpected(_) => {
            tracing::error!("{action}: {e}");
            AppError::Internal
        }
    }
}

pub fn from_stytch(action: &str, e: StytchError) -> AppError {
    match e {
        StytchError::InvalidEmail => AppError::EmailInvalid,
        StytchError::LinkNotFound => AppError::LinkUnknown,
        StytchError::LinkUsedOrExpired => AppError::LinkUsed,
        StytchError::SessionNotFound => AppError::SignedOut,
        StytchError::Unavailable(_) => {
            tracing::warn!("{action}: {e}");
            AppError::ProviderUnavailable
        }
        StytchError::Rejected { .. } => {
            tracing::error!(
                "{action}: {e} (check STYTCH_PROJECT_ID, STYTCH_SECRET and the redirect URLs in Stytch's dashboard)"
            );
            AppError::ProviderMisconfigured
        }
        StytchError::Unexpected(_) => {
            tracing::error!("{action}: {e}");
            AppError::Internal
        }
    }
}

/// A plain form post (no JavaScript) navigates: after it, send the browser to `to`. Calls
/// from the hydrated app are left alone; they update the page in place.
pub fn form_redirect(to: &str) {
    let plain_form = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form {
        leptos_axum::redirect(to);
    }
}

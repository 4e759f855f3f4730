//! What every server function starts from (the services, the cookies, the user), and how it
//! ends when it was a plain form post. Server functions live with their features
//! (`auth::api`, `todos::api`, `theme`); this is the server side they share.

use std::future::Future;
use std::sync::Arc;

use axum::http::request::Parts;
use leptos::prelude::*;
use tower_cookies::Cookies;

use super::session::{Auth, SessionUser};
use super::state::{AppState, Services};
use super::status::{accepts_html, status_of};
use crate::error::AppError;
use crate::paths::{Flash, HOME, sign_in_url};

pub fn services() -> Result<Arc<Services>, AppError> {
    use_context::<AppState>()
        .map(|s| s.services.clone())
        .ok_or_else(|| {
            // At start, leptos_axum renders the app once at the empty URL to list its routes,
            // and its resources ask too: not a fault. During a request it is one.
            let listing_routes = use_context::<leptos_router::location::RequestUrl>()
                .is_some_and(|url| AsRef::<str>::as_ref(&url).is_empty());
            if !listing_routes {
                tracing::error!("server function called without the app state in context");
            } else {
                tracing::debug!("server function called outside a request (listing routes)");
            }
            AppError::Internal
        })
}

/// What the request's middleware put on it, read where it lies: `leptos_axum::extract` and
/// `use_context::<Parts>()` would clone the whole request head for each call (its headers, the
/// session cookie among them, and every extension), and a page view asks several times.
fn request_extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    with_context::<Parts, _>(|parts| parts.extensions.get::<T>().cloned()).flatten()
}

pub fn cookies() -> Result<Cookies, AppError> {
    request_extension::<Cookies>().ok_or_else(|| {
        tracing::error!("cookies unavailable: no request in context, or no CookieManagerLayer");
        AppError::Internal
    })
}

pub fn auth() -> Result<Auth, AppError> {
    request_extension::<Auth>().ok_or_else(|| {
        tracing::error!("no session resolved: no request in context, or no session layer");
        AppError::Internal
    })
}

pub fn require_user() -> Result<Arc<SessionUser>, AppError> {
    match auth()? {
        Auth::SignedIn(user) => Ok(user),
        Auth::SignedOut => Err(AppError::SignedOut),
        Auth::Unavailable => Err(AppError::ProviderUnavailable),
    }
}

/// What a data server function needs: the services and an InsForge token minted for this
/// request's user (signed-out and unverifiable sessions stop here).
pub fn insforge_access() -> Result<(Arc<Services>, String), AppError> {
    let user = require_user()?;
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

/// The client's address, as the request's middleware found it (`Limits::client_ip`).
pub fn client_ip() -> Option<std::net::IpAddr> {
    request_extension::<super::limits::ClientIp>().and_then(|super::limits::ClientIp(ip)| ip)
}

/// Tells the client when to try again (`Retry-After`, with a 429).
pub fn retry_after(seconds: u64) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
    {
        response.insert_header(axum::http::header::RETRY_AFTER, value);
    }
}

/// Answers this request with `error`'s status: a page rendered on the server (the magic
/// link's landing) says with its status what its text says.
pub fn set_status(error: &AppError) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status_of(error));
    }
}

fn plain_form() -> bool {
    with_context::<Parts, _>(|parts| accepts_html(&parts.headers)).unwrap_or(false)
}

/// A form post (a browser's, or `enhance.js`' asking for a page) navigates: after it, send the
/// browser to `to`. Calls that do not ask for a page (the server-function protocol) get the
/// answer itself.
pub fn form_redirect(to: &str) {
    if plain_form() {
        leptos_axum::redirect(to);
    }
}

/// Where a plain form post ends: a page (its outcome in the URL's codes) and what the user
/// typed, which travels in the flash cookie rather than the URL.
pub struct Landing {
    pub to: String,
    pub flash: Flash,
}

impl From<String> for Landing {
    fn from(to: String) -> Self {
        Landing {
            to,
            flash: Flash::default(),
        }
    }
}

/// Runs a server function's work; a plain form post then ends on the page that shows its
/// outcome: `ok_to` (given the result), the page `err_to` names for an error, or the sign-in
/// page for a signed-out user.
pub async fn respond<T, L: Into<Landing>>(
    work: impl Future<Output = Result<T, AppError>>,
    ok_to: impl FnOnce(&T) -> L,
    err_to: impl FnOnce(&AppError) -> L,
) -> Result<T, AppError> {
    let result = work.await;
    if !plain_form() {
        return result;
    }
    let landing = match &result {
        Ok(value) => ok_to(value).into(),
        Err(AppError::SignedOut) => sign_in_url(Some(HOME)).into(),
        Err(e) => err_to(e).into(),
    };
    if !landing.flash.is_empty()
        && let (Ok(services), Ok(cookies)) = (services(), cookies())
    {
        services.sessions.set_flash(&cookies, &landing.flash);
    }
    leptos_axum::redirect(&landing.to);
    result
}

/// The flash a plain form post left for the page being rendered (read once).
pub fn take_flash() -> Flash {
    match (services(), request_extension::<Cookies>()) {
        (Ok(services), Some(cookies)) => services.sessions.take_flash(&cookies).unwrap_or_default(),
        _ => Flash::default(),
    }
}

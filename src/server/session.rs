//! The app's own session: an encrypted, authenticated cookie (tower-cookies' private jar) that
//! holds the provider session. Nothing is stored server-side, so any replica serves any request.
//!
//! Every request resolves the cookie once, in `resolve_session`, into an [`Auth`] that server
//! functions and pages read: a valid session JWT is verified locally (no call to Stytch); an
//! expired one is refreshed with the session token, and the new JWT written back.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_cookies::cookie::SameSite;
use tower_cookies::{Cookie, Cookies, Key};

use super::config::{ConfigError, Secret};
use super::state::AppState;
use super::stytch::{JwtProblem, StytchClient, StytchError, StytchSession};

pub const SESSION_COOKIE: &str = "ia_session";
/// Where to go after signing in, kept between the sign-in form and the magic link.
pub const NEXT_COOKIE: &str = "ia_next";

/// Who is asking, as the session middleware found out.
#[derive(Debug, Clone)]
pub enum Auth {
    SignedIn(SessionUser),
    SignedOut,
    /// There is a session, but the provider could not be asked about it right now.
    Unavailable,
}

#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The provider's user id: the `sub` of the InsForge token.
    pub user_id: String,
    pub email: Option<String>,
    pub session_token: String,
}

/// The cookie's payload. `v` lets a later version read (or drop) old cookies.
#[derive(Serialize, Deserialize)]
struct Stored {
    v: u8,
    provider: String,
    user_id: String,
    email: Option<String>,
    token: String,
    jwt: String,
    /// When the provider session ends (Unix seconds).
    exp: i64,
}

pub struct SessionCookies {
    key: Key,
    secure: bool,
}

const SECRET_EXPECTED: &str =
    "at least 32 random characters, such as the output of `openssl rand -base64 48`";

impl SessionCookies {
    /// `secure`: the site is served over https, so the cookies must never travel over http.
    pub fn new(secret: &Secret, secure: bool) -> Result<Self, ConfigError> {
        if secret.expose().len() < 32 {
            return Err(ConfigError::Invalid {
                name: "SESSION_SECRET",
                problem: "it is shorter than 32 characters".into(),
                expected: SECRET_EXPECTED,
            });
        }
        Ok(SessionCookies {
            key: Key::derive_from(secret.expose().as_bytes()),
            secure,
        })
    }

    fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::new(name, value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(self.secure);
        cookie.set_path("/");
        cookie
    }

    pub fn write(&self, cookies: &Cookies, session: &StytchSession) {
        let stored = Stored {
            v: 1,
            provider: "stytch".into(),
            user_id: session.user_id.clone(),
            email: session.email.clone(),
            token: session.session_token.clone(),
            jwt: session.session_jwt.clone(),
            exp: session.expires_at.unix_timestamp(),
        };
        let Ok(value) = serde_json::to_string(&stored) else {
            tracing::error!("could not encode the session cookie");
            return;
        };
        let mut cookie = self.cookie(SESSION_COOKIE, value);
        cookie.set_expires(session.expires_at);
        cookies.private(&self.key).add(cookie);
    }

    pub fn clear(&self, cookies: &Cookies) {
        cookies
            .private(&self.key)
            .remove(self.cookie(SESSION_COOKIE, String::new()));
    }

    /// Remembers a local path to return to after sign-in, for an hour.
    pub fn set_next(&self, cookies: &Cookies, path: &str) {
        let mut cookie = self.cookie(NEXT_COOKIE, path.to_string());
        cookie.set_max_age(time::Duration::hours(1));
        cookies.private(&self.key).add(cookie);
    }

    /// The remembered path (checked again: it must be local), forgetting it.
    pub fn take_next(&self, cookies: &Cookies) -> Option<String> {
        let jar = cookies.private(&self.key);
        let next = jar.get(NEXT_COOKIE)?.value().to_string();
        jar.remove(self.cookie(NEXT_COOKIE, String::new()));
        crate::app::local_path(&next).map(str::to_string)
    }

    fn read(&self, cookies: &Cookies) -> Option<Stored> {
        // A cookie that fails to decrypt (tampered, or sealed with an older secret) reads as
        // absent; the next sign-in replaces it.
        let cookie = cookies.private(&self.key).get(SESSION_COOKIE)?;
        serde_json::from_str::<Stored>(cookie.value())
            .ok()
            .filter(|s| s.v == 1 && s.provider == "stytch")
    }

    /// Finds out who the request comes from, refreshing the provider session when its JWT has
    /// expired and dropping the cookie when the session is over.
    pub async fn resolve(&self, cookies: &Cookies, stytch: &StytchClient) -> Auth {
        let Some(stored) = self.read(cookies) else {
            if cookies.get(SESSION_COOKIE).is_some() {
                self.clear(cookies);
            }
            return Auth::SignedOut;
        };
        if stored.exp <= OffsetDateTime::now_utc().unix_timestamp() {
            self.clear(cookies);
            return Auth::SignedOut;
        }
        let user = |s: &Stored| {
            Auth::SignedIn(SessionUser {
                user_id: s.user_id.clone(),
                email: s.email.clone(),
                session_token: s.token.clone(),
            })
        };
        match stytch.verify_session_jwt(&stored.jwt).await {
            Ok(verified) if verified.user_id == stored.user_id => return user(&stored),
            Ok(_) => {
                tracing::warn!("session JWT names another user than its cookie; signing out");
                self.clear(cookies);
                return Auth::SignedOut;
            }
            Err(JwtProblem::Keys(e)) => {
                tracing::warn!("cannot verify a session locally ({e}); asking Stytch");
            }
            Err(JwtProblem::Expired) => {}
            Err(JwtProblem::Invalid(why)) => {
                tracing::info!("session JWT rejected ({why}); asking Stytch about the session");
            }
        }
        match stytch.authenticate_session(&stored.token).await {
            Ok(fresh) if fresh.user_id == stored.user_id => {
                if let Err(JwtProblem::Invalid(why)) =
                    stytch.verify_session_jwt(&fresh.session_jwt).await
                {
                    // Not a user's problem but the app's: every request will call Stytch.
                    tracing::error!(
                        "a session JWT fresh from Stytch does not verify ({why}); \
                         check STYTCH_PROJECT_ID and STYTCH_API_URL (a custom domain's issuer)"
                    );
                }
                self.write(cookies, &fresh);
                user(&Stored {
                    email: fresh.email.or(stored.email.clone()),
                    ..stored
                })
            }
            Ok(_) => {
                tracing::warn!("Stytch returned another user for a session; signing out");
                self.clear(cookies);
                Auth::SignedOut
            }
            Err(StytchError::SessionNotFound) => {
                tracing::info!("Stytch session ended (revoked or expired); signing out");
                self.clear(cookies);
                Auth::SignedOut
            }
            Err(e) => {
                tracing::warn!("cannot refresh a Stytch session: {e}");
                Auth::Unavailable
            }
        }
    }
}

/// Server functions change state, so only this site's own pages may call them. SameSite=Lax
/// already keeps the session cookie off other sites' posts; this also stops them from
/// sending sign-in emails, signing a browser out or in, and covers sibling subdomains (which
/// count as the same site). Requests without either header (not from a browser) pass.
fn refuse_cross_site(request: &Request, site_origin: &str) -> Option<Response> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return None;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match fetch_site {
        Some(site) => matches!(site, "same-origin" | "none"),
        None => headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|origin| origin == site_origin),
    };
    if allowed {
        return None;
    }
    tracing::warn!(
        path = %request.uri().path(),
        "refused a cross-site request (Sec-Fetch-Site {fetch_site:?}, Origin {:?})",
        headers.get(header::ORIGIN)
    );
    Some(
        (
            axum::http::StatusCode::FORBIDDEN,
            "This request came from another site and was refused.",
        )
            .into_response(),
    )
}

/// Resolves the session for every page and server-function request, and keeps signed-out
/// visitors off the todo page (and signed-in ones off the sign-in page) before any rendering.
pub async fn resolve_session(
    State(state): State<AppState>,
    cookies: Cookies,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/pkg/") || path.starts_with("/favicon") {
        return next.run(request).await;
    }
    if let Some(refused) = refuse_cross_site(&request, &state.services.site_origin) {
        return refused;
    }
    // Link checkers and mail scanners probe links with HEAD; rendering the page would spend
    // the magic link before its owner clicks it.
    if request.method() == Method::HEAD && path == "/authenticate" {
        return axum::http::StatusCode::OK.into_response();
    }
    let services: &Arc<_> = &state.services;
    let auth = services.sessions.resolve(&cookies, &services.stytch).await;
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        let wants_page = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        match (&auth, path) {
            (Auth::SignedOut, "/") if wants_page => {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                return Redirect::to(&crate::app::login_url(Some(target))).into_response();
            }
            (Auth::SignedIn(_), "/login") if wants_page => {
                return Redirect::to("/").into_response();
            }
            _ => {}
        }
    }
    request.extensions_mut().insert(auth);
    next.run(request).await
}

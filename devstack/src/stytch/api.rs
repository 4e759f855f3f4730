//! Stytch's Consumer API endpoints for magic links (send, authenticate), with Stytch's request
//! checks and error bodies, which the sessions' endpoints (`sessions.rs`) share.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::state::{Emulator, MagicLink, Mail, Session, User, new_id};
use super::tokens::{session_json, session_jwt, user_json};
use crate::hosted::verifier_matches;
use crate::keys::random_token;

/// Stytch's error body. Every response, success or not, carries `status_code` and `request_id`.
pub(crate) struct StytchError {
    status: StatusCode,
    error_type: &'static str,
    message: String,
}

impl StytchError {
    pub(crate) fn new(
        status: StatusCode,
        error_type: &'static str,
        message: impl Into<String>,
    ) -> Self {
        StytchError {
            status,
            error_type,
            message: message.into(),
        }
    }
}

impl IntoResponse for StytchError {
    fn into_response(self) -> Response {
        let status = self.status.as_u16();
        let body = json!({
            "status_code": status,
            "request_id": new_id("request-id"),
            "error_type": self.error_type,
            "error_message": self.message,
            "error_url": format!("https://stytch.com/docs/api/errors/{status}#{}", self.error_type),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

pub(super) type Reply = Result<axum::Json<Value>, StytchError>;

/// A session JWT, or Stytch's answer when it could not be signed.
pub(super) fn signed(jwt: Result<String, String>) -> Result<String, StytchError> {
    jwt.map_err(|e| {
        tracing::error!("Stytch emulator: signing a session JWT: {e}");
        StytchError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "Oops, something went wrong.",
        )
    })
}

pub(super) fn ok(mut body: Value) -> Reply {
    if let Value::Object(map) = &mut body {
        map.insert("status_code".into(), json!(200));
        map.insert("request_id".into(), json!(new_id("request-id")));
    }
    Ok(axum::Json(body))
}

/// Checks Basic auth (project id and secret), then parses the JSON body.
pub(super) fn request<T: DeserializeOwned>(
    emu: &Emulator,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, StytchError> {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let Some(credentials) = credentials else {
        return Err(StytchError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized_credentials",
            "Unauthorized credentials.",
        ));
    };
    let (project_id, secret) = credentials.split_once(':').unwrap_or((&credentials, ""));
    if project_id != emu.config.project_id || secret != emu.config.secret {
        return Err(StytchError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized_credentials",
            "Unauthorized credentials.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        tracing::info!("Stytch emulator: rejected request body: {e}");
        StytchError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The submitted request is invalid.",
        )
    })
}

/// Stytch's own check is stricter; this one catches what a user mistypes.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn valid_redirect(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len()
}

fn minutes_in(
    value: Option<i64>,
    default: i64,
    min: i64,
    max: i64,
    field: &str,
) -> Result<i64, StytchError> {
    let minutes = value.unwrap_or(default);
    if (min..=max).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(StytchError::new(
            StatusCode::BAD_REQUEST,
            "invalid_expiration",
            format!("{field} must be between {min} and {max} minutes."),
        ))
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginOrCreate {
    email: String,
    login_magic_link_url: Option<String>,
    signup_magic_link_url: Option<String>,
    login_expiration_minutes: Option<i64>,
    signup_expiration_minutes: Option<i64>,
    code_challenge: Option<String>,
}

pub(crate) async fn login_or_create(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let req: LoginOrCreate = request(&emu, &headers, &body)?;
    let email = req.email.trim().to_lowercase();
    if !valid_email(&email) {
        return Err(StytchError::new(
            StatusCode::BAD_REQUEST,
            "invalid_email",
            "Email format is invalid.",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let mut data = emu.data();
    let existing = data.users.get(&email).filter(|u| u.active).cloned();
    let user_created = !data.users.contains_key(&email);
    let (kind, url, minutes) = match existing {
        Some(_) => (
            "login",
            req.login_magic_link_url,
            minutes_in(
                req.login_expiration_minutes,
                60,
                5,
                10080,
                "login_expiration_minutes",
            )?,
        ),
        None => (
            "signup",
            req.signup_magic_link_url,
            minutes_in(
                req.signup_expiration_minutes,
                10080,
                5,
                10080,
                "signup_expiration_minutes",
            )?,
        ),
    };
    let Some(url) = url.filter(|u| valid_redirect(u)) else {
        let field = format!("{kind}_magic_link_url");
        return Err(StytchError::new(
            StatusCode::BAD_REQUEST,
            if kind == "login" {
                "invalid_login_magic_link_url"
            } else {
                "invalid_signup_magic_link_url"
            },
            format!(
                "{field} format is invalid. Common issues include using http instead of https, omitting https://, or having a trailing /."
            ),
        ));
    };
    let user = data
        .users
        .entry(email.clone())
        .or_insert_with(|| User {
            user_id: new_id("user"),
            email_id: new_id("email"),
            email: email.clone(),
            created_at: now,
            active: false,
        })
        .clone();
    let token = random_token(33);
    data.magic_links.insert(
        token.clone(),
        MagicLink {
            user_id: user.user_id.clone(),
            expires_at: now + time::Duration::minutes(minutes),
            used: false,
            code_challenge: req.code_challenge.filter(|c| !c.is_empty()),
        },
    );
    let separator = if url.contains('?') { '&' } else { '?' };
    let link = format!("{url}{separator}stytch_token_type=magic_links&token={token}");
    tracing::info!("Stytch emulator: {kind} magic link for {email}: {link}");
    data.outbox.push(Mail {
        to: email,
        kind,
        link,
        token,
        sent_at: now,
    });
    ok(json!({
        "user_id": user.user_id,
        "email_id": user.email_id,
        "user_created": user_created,
    }))
}

pub(super) fn session_duration(minutes: Option<i64>) -> Result<Option<i64>, StytchError> {
    match minutes {
        None => Ok(None),
        Some(m) if (5..=527_040).contains(&m) => Ok(Some(m)),
        Some(_) => Err(StytchError::new(
            StatusCode::BAD_REQUEST,
            "invalid_session_duration_minutes",
            "session_duration_minutes is invalid, should be between 5 to 527040 minutes.",
        )),
    }
}

#[derive(Deserialize)]
pub(crate) struct AuthenticateMagicLink {
    token: String,
    session_duration_minutes: Option<i64>,
    code_verifier: Option<String>,
}

/// Stytch's PKCE for magic links: a link sent with a `code_challenge` authenticates only with
/// its verifier, and one sent without takes none. A refusal leaves the link unspent, so the
/// browser that asked for it can still use it.
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), StytchError> {
    let refused = |error_type, message| {
        Err(StytchError::new(
            StatusCode::BAD_REQUEST,
            error_type,
            message,
        ))
    };
    match (challenge, verifier.filter(|v| !v.is_empty())) {
        (None, None) => Ok(()),
        (Some(_), None) => refused(
            "pkce_expected_code_verifier",
            "This flow was started using a code_challenge but the authentication call is missing the corresponding code_verifier.",
        ),
        (None, Some(_)) => refused(
            "pkce_did_not_expect_code_verifier",
            "This flow was started without a code_challenge, but the authentication call included a code_verifier.",
        ),
        (Some(challenge), Some(verifier)) if verifier_matches(challenge, verifier) => Ok(()),
        (Some(_), Some(_)) => refused(
            "pkce_mismatch",
            "The submitted code_verifier does not match the code_challenge sent at the start of the flow.",
        ),
    }
}

pub(crate) async fn authenticate_magic_link(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let req: AuthenticateMagicLink = request(&emu, &headers, &body)?;
    let duration = session_duration(req.session_duration_minutes)?;
    let now = OffsetDateTime::now_utc();
    let mut data = emu.data();
    let Some(link) = data.magic_links.get_mut(&req.token) else {
        return Err(StytchError::new(
            StatusCode::NOT_FOUND,
            "magic_link_not_found",
            "The magic link could not be authenticated, try sending another magic link to the user.",
        ));
    };
    if link.used || link.expires_at <= now {
        return Err(StytchError::new(
            StatusCode::UNAUTHORIZED,
            "unable_to_auth_magic_link",
            "The magic link could not be authenticated because it was either already used or expired. Send another magic link to this user.",
        ));
    }
    check_pkce(link.code_challenge.as_deref(), req.code_verifier.as_deref())?;
    link.used = true;
    let user_id = link.user_id.clone();
    let Some(user) = data.users.values_mut().find(|u| u.user_id == user_id) else {
        return Err(not_found_session());
    };
    user.active = true;
    let user = user.clone();
    let session = duration.map(|minutes| Session {
        session_id: new_id("session"),
        session_token: random_token(33),
        user_id: user.user_id.clone(),
        started_at: now,
        last_accessed_at: now,
        expires_at: now + time::Duration::minutes(minutes),
        authenticated_at: now,
        revoked: false,
    });
    let (session_json, token, jwt) = match &session {
        Some(s) => {
            data.sessions.insert(s.session_id.clone(), s.clone());
            (
                session_json(s, &user),
                s.session_token.clone(),
                signed(session_jwt(&emu, s, &user))?,
            )
        }
        None => (Value::Null, String::new(), String::new()),
    };
    ok(json!({
        "user_id": user.user_id,
        "method_id": user.email_id,
        "reset_sessions": false,
        "session_token": token,
        "session_jwt": jwt,
        "session": session_json,
        "user": user_json(&user),
    }))
}

pub(super) fn not_found_session() -> StytchError {
    StytchError::new(
        StatusCode::NOT_FOUND,
        "session_not_found",
        "Session could not be found.",
    )
}

pub(crate) async fn not_found() -> StytchError {
    StytchError::new(StatusCode::NOT_FOUND, "route_not_found", "Route not found.")
}

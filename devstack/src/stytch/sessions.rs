//! Stytch's session endpoints: authenticate (by id, opaque token or JWT), revoke, and the
//! project's JWKS.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::api::{Reply, StytchError, not_found_session, ok, request, session_duration, signed};
use super::state::{Data, Emulator, Session};
use super::tokens::{session_json, session_jwt, user_json};

#[derive(Deserialize)]
pub(crate) struct SessionRef {
    session_id: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
    session_duration_minutes: Option<i64>,
}

/// The live session the request names, by id, opaque token or (signature-checked) JWT.
fn find_session<'a>(
    emu: &Emulator,
    data: &'a mut Data,
    req: &SessionRef,
) -> Result<&'a mut Session, StytchError> {
    let id = if let Some(token) = &req.session_token {
        data.session_by_token(token).map(|s| s.session_id.clone())
    } else if let Some(jwt) = &req.session_jwt {
        jwt_session_id(emu, jwt)
    } else if let Some(id) = &req.session_id {
        Some(id.clone())
    } else {
        return Err(StytchError::new(
            StatusCode::BAD_REQUEST,
            "no_session_arguments",
            "One of session_token or session_jwt must be provided.",
        ));
    };
    let now = OffsetDateTime::now_utc();
    id.and_then(|id| data.sessions.get_mut(&id))
        .filter(|s| !s.revoked && s.expires_at > now)
        .ok_or_else(not_found_session)
}

/// A session JWT signed by one of our keys names its session even after it expired:
/// Stytch accepts an expired JWT here as long as the session itself is alive.
fn jwt_session_id(emu: &Emulator, jwt: &str) -> Option<String> {
    let kid = jsonwebtoken::decode_header(jwt).ok()?.kid?;
    let jwk = emu.keys.jwks().into_iter().find(|k| k["kid"] == kid)?;
    let key =
        jsonwebtoken::DecodingKey::from_rsa_components(jwk["n"].as_str()?, jwk["e"].as_str()?)
            .ok()?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_audience(&[&emu.config.project_id]);
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &validation).ok()?;
    data.claims["https://stytch.com/session"]["id"]
        .as_str()
        .map(str::to_string)
}

pub(crate) async fn authenticate_session(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    emu.data().session_checks += 1;
    let req: SessionRef = request(&emu, &headers, &body)?;
    let duration = session_duration(req.session_duration_minutes)?;
    let now = OffsetDateTime::now_utc();
    let mut data = emu.data();
    let session = find_session(&emu, &mut data, &req)?;
    session.last_accessed_at = now;
    if let Some(minutes) = duration {
        session.expires_at = now + time::Duration::minutes(minutes);
    }
    let session = session.clone();
    let user = data
        .user_by_id(&session.user_id)
        .cloned()
        .ok_or_else(not_found_session)?;
    ok(json!({
        "session": session_json(&session, &user),
        "session_token": session.session_token,
        "session_jwt": signed(session_jwt(&emu, &session, &user))?,
        "user": user_json(&user),
    }))
}

pub(crate) async fn revoke_session(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let req: SessionRef = request(&emu, &headers, &body)?;
    let mut data = emu.data();
    find_session(&emu, &mut data, &req)?.revoked = true;
    ok(json!({}))
}

/// Stytch's SDKs send credentials here, but the keys are public: none are required.
pub(crate) async fn jwks(
    State(emu): State<Arc<Emulator>>,
    Path(project_id): Path<String>,
) -> Reply {
    if emu.data().jwks_down {
        return Err(StytchError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "internal_server_error",
            "Stytch is unavailable.",
        ));
    }
    if project_id != emu.config.project_id {
        return Err(StytchError::new(
            StatusCode::NOT_FOUND,
            "project_not_found",
            "Project could not be found.",
        ));
    }
    ok(json!({ "keys": emu.keys.jwks() }))
}

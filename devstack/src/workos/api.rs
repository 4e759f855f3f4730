//! WorkOS' API as the app calls it: authenticate (code and refresh-token grants) and the
//! client's JWKS, with WorkOS' checks and error bodies.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::state::{Emulator, Refresh, Session, User, new_id};
use super::tokens::access_token;
use crate::hosted::{token_request, verifier_matches};
use crate::keys::random_token;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A JSON error as WorkOS answers it: OAuth-style on the authenticate endpoint
/// (`{"error", "error_description"}`), `{"code", "message"}` or `{"message"}` elsewhere.
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    fn oauth(error: &str, description: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": error, "error_description": description.into() }),
        }
    }

    fn coded(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({ "code": code, "message": message.into() }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        (self.status, [("x-request-id", request_id)], Json(self.body)).into_response()
    }
}

#[derive(Debug, Deserialize)]
struct AuthenticateRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

/// Every server call carries the API key as a Bearer token (the emulator has no public
/// clients, which would send neither it nor a client secret); during an outage
/// (`/dev/outage {"api": true}`) every call is answered 503.
fn check_api_key(emu: &Emulator, headers: &HeaderMap) -> Result<(), ApiError> {
    if emu.core.data().api_down {
        return Err(ApiError::coded(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service Unavailable",
        ));
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(emu.api_key()) {
        return Err(ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "message": "Unauthorized" }),
        });
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeRequest {
    session_id: Option<String>,
}

/// `POST /user_management/sessions/revoke {"session_id"}`: the session ends, and with it its
/// refresh tokens. Answered `{}`, as WorkOS' SDKs expect (they return nothing).
pub(crate) async fn revoke_session(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    check_api_key(&emu, &headers)?;
    let req: RevokeRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::coded(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()))?;
    let Some(session_id) = req.session_id.filter(|s| !s.is_empty()) else {
        return Err(ApiError::coded(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request_parameters",
            "session_id is required.",
        ));
    };
    let mut data = emu.core.data();
    let Some(session) = data.sessions.get_mut(&session_id) else {
        return Err(ApiError::coded(
            StatusCode::NOT_FOUND,
            "entity_not_found",
            format!("Could not find a session with id '{session_id}'."),
        ));
    };
    session.ended = true;
    let email = session.user.email.clone();
    data.revocations
        .push(json!({ "what": "session", "email": email }));
    Ok(Json(json!({})))
}

pub(crate) async fn authenticate(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    check_api_key(&emu, &headers)?;
    // JSON, as WorkOS' SDKs send it, or a form, as generic OAuth clients do.
    let req: AuthenticateRequest = token_request(&headers, &body, true)
        .map_err(|e| ApiError::coded(StatusCode::BAD_REQUEST, "invalid_request", e))?;
    if req.client_id.as_deref() != Some(emu.client_id()) {
        return Err(ApiError::oauth("invalid_client", "Invalid client ID."));
    }
    // Public clients (PKCE without a secret) are not emulated: the app is a confidential one.
    if req.client_secret.as_deref() != Some(emu.api_key()) {
        return Err(ApiError::oauth("invalid_client", "Invalid client secret."));
    }
    let mut guard = emu.core.data();
    let data = &mut *guard;
    let (user, session_id, method) = match req.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = req.code.as_deref().unwrap_or_default();
            let invalid = || {
                ApiError::oauth(
                    "invalid_grant",
                    format!("The code '{code}' has expired or is invalid."),
                )
            };
            let Some(grant) = data.codes.get_mut(code) else {
                return Err(invalid());
            };
            if grant.used || grant.expires_at <= now() {
                grant.used = true;
                return Err(invalid());
            }
            grant.used = true;
            match (&grant.code_challenge, &req.code_verifier) {
                (Some(challenge), Some(verifier)) => {
                    if !verifier_matches(challenge, verifier) {
                        return Err(ApiError::oauth(
                            "invalid_grant",
                            "The code_verifier does not match the code_challenge.",
                        ));
                    }
                }
                (Some(_), None) => {
                    return Err(ApiError::oauth(
                        "invalid_grant",
                        "code_verifier is required.",
                    ));
                }
                (None, _) => {}
            }
            let user = grant.user.clone();
            let session_id = new_id("session");
            data.sessions.insert(
                session_id.clone(),
                Session {
                    user: user.clone(),
                    ended: false,
                },
            );
            (user, session_id, Some("MagicAuth"))
        }
        Some("refresh_token") => {
            let token = req.refresh_token.as_deref().unwrap_or_default();
            let invalid = || ApiError::oauth("invalid_grant", "Invalid refresh token.");
            let Some(refresh) = data.refresh.get_mut(token) else {
                return Err(invalid());
            };
            if refresh.spent {
                data.refreshes.spent_again += 1;
                return Err(invalid());
            }
            // Single use: the answer carries the next one.
            refresh.spent = true;
            data.refreshes.answered += 1;
            let session_id = refresh.session_id.clone();
            let Some(session) = data.sessions.get(&session_id).filter(|s| !s.ended) else {
                return Err(ApiError::oauth("invalid_grant", "Session has ended."));
            };
            (session.user.clone(), session_id, None)
        }
        Some(other) => {
            return Err(ApiError::oauth(
                "unsupported_grant_type",
                format!("Unsupported grant type: {other}"),
            ));
        }
        None => {
            return Err(ApiError::coded(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_parameters",
                "grant_type is required.",
            ));
        }
    };
    // The user object answers before the access token takes the tamper.
    let verified = data
        .tamper
        .as_ref()
        .and_then(|t| t.email_verified)
        .unwrap_or(true);
    let access_token = access_token(&emu, data, &user, &session_id)
        .map_err(|e| ApiError::coded(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e))?;
    let refresh_token = random_token(18);
    data.refresh.insert(
        refresh_token.clone(),
        Refresh {
            session_id,
            spent: false,
        },
    );
    let mut answer = json!({
        "user": user_object(&user, verified),
        "organization_id": null,
        "access_token": access_token,
        "refresh_token": refresh_token,
    });
    if let (Some(method), Value::Object(map)) = (method, &mut answer) {
        map.insert("authentication_method".into(), json!(method));
    }
    Ok(Json(answer))
}

/// WorkOS' user object.
fn user_object(user: &User, email_verified: bool) -> Value {
    let stamp = now().format(&Rfc3339).unwrap_or_default();
    json!({
        "object": "user",
        "id": user.id,
        "email": user.email,
        "email_verified": email_verified,
        "first_name": null,
        "last_name": null,
        "profile_picture_url": null,
        "last_sign_in_at": stamp,
        "locale": null,
        "created_at": stamp,
        "updated_at": stamp,
        "external_id": null,
        "metadata": {},
    })
}

pub(crate) async fn jwks(
    State(emu): State<Arc<Emulator>>,
    Path(client_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if emu.core.data().jwks_down {
        return Err(ApiError::coded(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service Unavailable",
        ));
    }
    if client_id != emu.client_id() {
        return Err(ApiError::coded(
            StatusCode::NOT_FOUND,
            "entity_not_found",
            format!("Could not find a client with id '{client_id}'."),
        ));
    }
    let keys = emu.core.keys.jwks_without(&["key_ops", "x5tS256"]);
    Ok(Json(json!({ "keys": keys })))
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::coded(StatusCode::NOT_FOUND, "not_found", "Not Found")
}

//! WorkOS' endpoints: authorize, authenticate (code and refresh-token grants), the client's
//! JWKS and the session logout redirect, with WorkOS' checks and error bodies.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::state::{Code, Data, Refresh, Session, User};
use super::{Emulator, new_id};
use crate::jwk::SigningKey;
use crate::web::{error_page, found, with_query};

const NAME: &str = "WorkOS";

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

/// The authorization request's parameters (also carried through the sign-in page).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub provider: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub login_hint: Option<String>,
}

/// The callback to send the browser back to, once the client and callback are known good;
/// otherwise the page or redirect that refuses the request.
pub(crate) fn check_authorize(
    emu: &Emulator,
    p: &AuthorizeParams,
) -> Result<String, Box<Response>> {
    let redirect_uri = crate::web::check_client(
        NAME,
        p.client_id.as_deref(),
        &emu.config.client_id,
        p.redirect_uri.as_deref(),
        &emu.config.redirect_uris,
    )?;
    let back = |error: &str, description: &str| {
        crate::web::back_with_error(&redirect_uri, p.state.as_deref(), error, description)
    };
    if p.response_type.as_deref() != Some("code") {
        return Err(back("invalid_request", "response_type must be code."));
    }
    // The emulator has AuthKit only: no SSO connections or organizations.
    if p.provider.as_deref() != Some("authkit") {
        return Err(back(
            "invalid_request",
            "One of provider=authkit, connection_id or organization_id is required.",
        ));
    }
    if !crate::web::pkce_ok(
        p.code_challenge.as_deref(),
        p.code_challenge_method.as_deref(),
    ) {
        return Err(back(
            "invalid_request",
            "code_challenge_method must be S256 with a code_challenge.",
        ));
    }
    Ok(redirect_uri)
}

pub(crate) async fn authorize(
    State(emu): State<Arc<Emulator>>,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    let redirect_uri = match check_authorize(&emu, &p) {
        Ok(uri) => uri,
        Err(refused) => return *refused,
    };
    match crate::web::email_of(p.login_hint.as_deref()) {
        // Tests (and people who typed an address before) skip the page.
        Some(email) => issue_code(&emu, &p, &redirect_uri, email),
        None => super::dev::sign_in_page(&p),
    }
}

/// Signs `email` in: a fresh single-use code for this request, sent back to the callback.
pub(crate) fn issue_code(
    emu: &Emulator,
    p: &AuthorizeParams,
    redirect_uri: &str,
    email: &str,
) -> Response {
    let code = new_id("code").replacen("code_", "", 1);
    let user = User {
        id: emu.user_id_for(email),
        email: email.to_lowercase(),
    };
    emu.data
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .codes
        .insert(
            code.clone(),
            Code {
                user,
                code_challenge: p.code_challenge.clone(),
                expires_at: now() + time::Duration::minutes(10),
                used: false,
            },
        );
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = p.state.as_deref() {
        params.push(("state", state));
    }
    found(&with_query(redirect_uri, &params))
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

pub(crate) async fn authenticate(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    // Every server call carries the API key as a Bearer token (the emulator has no public
    // clients, which would send neither it nor a client secret).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(emu.config.api_key.as_str()) {
        return Err(ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "message": "Unauthorized" }),
        });
    }
    // JSON, as WorkOS' SDKs send it, or a form, as generic OAuth clients do.
    let req: AuthenticateRequest = crate::web::token_request(&headers, &body, true)
        .map_err(|e| ApiError::coded(StatusCode::BAD_REQUEST, "invalid_request", e))?;
    if req.client_id.as_deref() != Some(emu.config.client_id.as_str()) {
        return Err(ApiError::oauth("invalid_client", "Invalid client ID."));
    }
    // Public clients (PKCE without a secret) are not emulated: the app is a confidential one.
    if req.client_secret.as_deref() != Some(emu.config.api_key.as_str()) {
        return Err(ApiError::oauth("invalid_client", "Invalid client secret."));
    }
    let mut data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
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
                    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                    if &computed != challenge {
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
                return Err(invalid());
            }
            // Single use: the answer carries the next one.
            refresh.spent = true;
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
    let access_token = access_token(&emu, &mut data, &user, &session_id)
        .map_err(|e| ApiError::coded(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e))?;
    let refresh_token = crate::stytch::random_token(18);
    data.refresh.insert(
        refresh_token.clone(),
        Refresh {
            session_id,
            spent: false,
        },
    );
    let mut answer = json!({
        "user": user_object(&user),
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
fn user_object(user: &User) -> Value {
    let stamp = now().format(&Rfc3339).unwrap_or_default();
    json!({
        "object": "user",
        "id": user.id,
        "email": user.email,
        "email_verified": true,
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

/// An RS256 access token with WorkOS' claims (no `aud`, no email: those need a JWT template).
fn access_token(
    emu: &Emulator,
    data: &mut Data,
    user: &User,
    session_id: &str,
) -> Result<String, String> {
    let iat = now().unix_timestamp();
    let lifetime = i64::try_from(emu.config.token_lifetime.as_secs()).unwrap_or(300);
    let mut claims = json!({
        "iss": emu.issuer(),
        "sub": user.id,
        "sid": session_id,
        "jti": new_id("jti").replacen("jti_", "", 1),
        "exp": iat + lifetime,
        "iat": iat,
    });
    let tamper = data.tamper.take().unwrap_or_default();
    if let Value::Object(map) = &mut claims {
        if let Some(exp_in) = tamper.exp_in {
            map.insert("exp".into(), json!(iat + exp_in));
            map.insert("iat".into(), json!(iat + exp_in.min(0) - 60));
        }
        if let Some(sub) = tamper.sub {
            map.insert("sub".into(), json!(sub));
        }
    }
    if tamper.unknown_key {
        let stranger =
            SigningKey::generate(new_id("sso_oidc_key_pair")).map_err(|e| e.to_string())?;
        return stranger.sign(&claims).map_err(|e| e.to_string());
    }
    emu.keys.sign(&claims).map_err(|e| e.to_string())
}

pub(crate) async fn jwks(
    State(emu): State<Arc<Emulator>>,
    Path(client_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if emu.data.lock().unwrap_or_else(|e| e.into_inner()).jwks_down {
        return Err(ApiError::coded(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service Unavailable",
        ));
    }
    if client_id != emu.config.client_id {
        return Err(ApiError::coded(
            StatusCode::NOT_FOUND,
            "entity_not_found",
            format!("Could not find a client with id '{client_id}'."),
        ));
    }
    let keys: Vec<Value> = emu
        .keys
        .jwks()
        .into_iter()
        .map(|mut key| {
            if let Value::Object(map) = &mut key {
                map.remove("key_ops");
                map.remove("x5tS256");
            }
            key
        })
        .collect();
    Ok(Json(json!({ "keys": keys })))
}

#[derive(Deserialize)]
pub(crate) struct LogoutParams {
    session_id: Option<String>,
    return_to: Option<String>,
}

/// Ends the session (its refresh tokens stop working) and sends the browser to `return_to`
/// (one of the dashboard's sign-out redirects) or the default one.
pub(crate) async fn logout(
    State(emu): State<Arc<Emulator>>,
    OriginalUri(uri): OriginalUri,
    Query(p): Query<LogoutParams>,
) -> Response {
    emu.data
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .logouts
        .push(uri.to_string());
    let Some(session_id) = p.session_id.filter(|s| !s.is_empty()) else {
        return error_page(
            NAME,
            StatusCode::BAD_REQUEST,
            "Missing session",
            "session_id is required.",
        );
    };
    let target = match p.return_to {
        Some(target) if emu.config.logout_uris.contains(&target) => target,
        Some(target) => {
            return error_page(
                NAME,
                StatusCode::BAD_REQUEST,
                "Invalid return_to",
                &format!("{target:?} is not a sign-out redirect configured in the dashboard."),
            );
        }
        None => match emu.config.logout_uris.first() {
            Some(default) => default.clone(),
            None => {
                return Html("<!DOCTYPE html><title>Signed out</title><p>You have signed out.</p>")
                    .into_response();
            }
        },
    };
    // A session the emulator no longer knows (it restarted) has ended either way.
    if let Some(session) = emu
        .data
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .sessions
        .get_mut(&session_id)
    {
        session.ended = true;
    }
    found(&target)
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::coded(StatusCode::NOT_FOUND, "not_found", "Not Found")
}

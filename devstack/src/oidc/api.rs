//! The provider's API as the app calls it: discovery, the token endpoint (authorization code
//! and refresh grants, with client authentication by `client_secret_post` or
//! `client_secret_basic`), userinfo and JWKS, with the checks and error bodies of OAuth 2.0 /
//! OIDC.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::flavor::Flavor;
use super::page::error_page;
use super::state::Emulator;
use super::tokens::tokens;
use crate::hosted::{token_request, verifier_matches};

/// An OAuth error answered as JSON: `{"error": …, "error_description": …}`.
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }
}

/// What the token endpoint's answers carry, success or error (RFC 6749 sections 5.1 and 5.2).
const NO_STORE: [(header::HeaderName, &str); 2] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::PRAGMA, "no-cache"),
];

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (self.status, NO_STORE, Json(body)).into_response()
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) async fn discovery(State(emu): State<Arc<Emulator>>) -> Json<Value> {
    let flavor = emu.config.flavor;
    let paths = flavor.paths();
    let base = &emu.core.base;
    let mut doc = json!({
        "issuer": emu.issuer(),
        "authorization_endpoint": format!("{base}{}", paths.authorize),
        "token_endpoint": format!("{base}{}", paths.token),
        "userinfo_endpoint": format!("{base}{}", paths.userinfo),
        "jwks_uri": format!("{base}{}", paths.jwks),
        "revocation_endpoint": format!("{base}{}", paths.revoke),
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": flavor.signing_algs(),
        "scopes_supported": flavor.scopes(),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
    });
    if flavor.advertises_end_session()
        && let (Some(path), Value::Object(map)) = (paths.logout.first(), &mut doc)
    {
        map.insert(
            "end_session_endpoint".into(),
            json!(format!("{base}{path}")),
        );
    }
    Json(doc)
}

pub(crate) async fn jwks(State(emu): State<Arc<Emulator>>) -> Response {
    // Without Stytch's extra fields: OIDC providers publish plain RSA JWKs.
    let keys = emu.core.keys.jwks_without(&["x5c", "x5tS256", "key_ops"]);
    Json(json!({ "keys": keys })).into_response()
}

pub(crate) async fn userinfo(State(emu): State<Arc<Emulator>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let data = emu.core.data();
    let Some(access) = data.access.get(token).filter(|a| a.expires_at > now()) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Bearer error=\"invalid_token\", error_description=\"The access token is invalid or has expired\"",
            )],
        )
            .into_response();
    };
    let user = &access.user;
    let name = user.email.split('@').next().unwrap_or_default();
    let body = match emu.config.flavor {
        Flavor::Kinde => json!({
            "id": user.sub, "sub": user.sub, "provided_id": null, "name": name,
            "given_name": name, "family_name": null, "updated_at": now().unix_timestamp(),
            "email": user.email, "picture": null,
        }),
        _ => json!({
            "sub": user.sub, "email": user.email, "email_verified": true, "name": name,
        }),
    };
    Json(body).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    /// What the revocation endpoint takes (RFC 7009 section 2.1).
    token: Option<String>,
    token_type_hint: Option<String>,
}

/// Client authentication: `client_secret_basic` or `client_secret_post`.
fn authenticate_client(
    emu: &Emulator,
    headers: &HeaderMap,
    req: &TokenRequest,
) -> Result<(), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| {
            let (id, secret) = v.split_once(':')?;
            let decode = |s: &str| {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    let (id, secret) = match (basic, &req.client_id, &req.client_secret) {
        (Some(pair), _, _) => pair,
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => {
            return Err(unauthorized_client(emu.config.flavor));
        }
    };
    if id != emu.client_id() || secret != emu.client_secret() {
        return Err(unauthorized_client(emu.config.flavor));
    }
    Ok(())
}

fn unauthorized_client(flavor: Flavor) -> OAuthError {
    match flavor {
        // Auth0's answer to a wrong client secret.
        Flavor::Auth0 => OAuthError::new(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized"),
        _ => OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        ),
    }
}

/// A request to the token or revocation endpoint, read and its client authenticated. Auth0
/// also takes JSON; the others, OAuth's form.
fn client_request(
    emu: &Emulator,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<TokenRequest, OAuthError> {
    let req: TokenRequest = token_request(headers, body, emu.config.flavor == Flavor::Auth0)
        .map_err(|e| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", e))?;
    authenticate_client(emu, headers, &req)?;
    Ok(req)
}

pub(crate) async fn token(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let flavor = emu.config.flavor;
    let req = client_request(&emu, &headers, &body)?;
    let refused = |description: &str| {
        OAuthError::new(flavor.grant_error_status(), "invalid_grant", description)
    };
    let mut guard = emu.core.data();
    let data = &mut *guard;
    let (user, scope, nonce, login) = match req.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = req.code.as_deref().unwrap_or_default();
            let Some(grant) = data.codes.get_mut(code) else {
                return Err(refused("Invalid authorization code"));
            };
            if grant.used || grant.expires_at <= now() || grant.client_id != emu.client_id() {
                grant.used = true;
                return Err(refused("Invalid authorization code"));
            }
            grant.used = true;
            if req.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
                return Err(refused(
                    "The redirect_uri does not match the one of the authorization request.",
                ));
            }
            match (&grant.code_challenge, &req.code_verifier) {
                (Some(challenge), Some(verifier)) => {
                    if !verifier_matches(challenge, verifier) {
                        return Err(refused("Failed to verify code verifier"));
                    }
                }
                (Some(_), None) => return Err(refused("Parameter 'code_verifier' is required")),
                (None, Some(_)) => {
                    return Err(refused("code_verifier sent without a code_challenge"));
                }
                (None, None) => {}
            }
            (
                grant.user.clone(),
                grant.scope.clone(),
                grant.nonce.clone(),
                grant.login.clone(),
            )
        }
        Some("refresh_token") => {
            let token = req.refresh_token.as_deref().unwrap_or_default();
            let Some(grant) = data.refresh.get_mut(token) else {
                return Err(refused("Unknown or invalid refresh token."));
            };
            if grant.client_id != emu.client_id() {
                return Err(refused("Unknown or invalid refresh token."));
            }
            if grant.spent {
                data.refreshes.spent_again += 1;
                return Err(refused("Unknown or invalid refresh token."));
            }
            // Rotation: each refresh token works once and the answer carries the next.
            grant.spent = true;
            data.refreshes.answered += 1;
            (
                grant.user.clone(),
                grant.scope.clone(),
                None,
                grant.login.clone(),
            )
        }
        Some(_) => {
            return Err(OAuthError::new(
                flavor.grant_error_status(),
                "unsupported_grant_type",
                "Unsupported grant type",
            ));
        }
        None => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing required parameter: grant_type",
            ));
        }
    };
    let answer = tokens(&emu, data, &user, &scope, nonce.as_deref(), &login)
        .map_err(|e| OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e))?;
    // Tokens are never cached (RFC 6749 section 5.1).
    Ok((NO_STORE, Json(answer)).into_response())
}

/// RFC 7009: a refresh token (or an access token, where the provider revokes those) stops
/// working. Unknown, expired and already revoked tokens are answered alike, with an empty 200.
pub(crate) async fn revoke(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let flavor = emu.config.flavor;
    let req = client_request(&emu, &headers, &body)?;
    let Some(token) = req.token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        ));
    };
    if let Some(hint) = req.token_type_hint.as_deref()
        && !matches!(hint, "refresh_token" | "access_token")
    {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "token_type_hint must be refresh_token or access_token",
        ));
    }
    let mut data = emu.core.data();
    let revoked = if let Some(grant) = data.refresh.get_mut(token) {
        grant.spent = true;
        Some(("refresh_token", grant.user.email.clone()))
    } else if flavor == Flavor::Auth0 {
        // Auth0's /oauth/revoke revokes refresh tokens only.
        None
    } else {
        data.access
            .remove(token)
            .map(|access| ("access_token", access.user.email))
    };
    if let Some((what, email)) = revoked {
        data.revocations
            .push(json!({ "what": what, "email": email }));
    }
    Ok((StatusCode::OK, NO_STORE).into_response())
}

pub(crate) async fn not_found(State(emu): State<Arc<Emulator>>) -> Response {
    error_page(
        emu.config.flavor,
        StatusCode::NOT_FOUND,
        "Not found",
        "This endpoint does not exist.",
    )
}

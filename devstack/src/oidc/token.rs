//! The token endpoint: the authorization code grant (single-use codes bound to their client,
//! callback, PKCE challenge and nonce) and the refresh grant (rotating refresh tokens), with
//! client authentication by `client_secret_post` or `client_secret_basic`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::api::OAuthError;
use super::state::{Access, Data, Grant, User};
use super::{Emulator, Flavor};
use crate::stytch::random_token;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
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
    if id != emu.config.client_id || secret != emu.config.client_secret {
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

pub(crate) async fn token(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, OAuthError> {
    let flavor = emu.config.flavor;
    // Auth0 also takes JSON; the others, OAuth's form.
    let req: TokenRequest = crate::web::token_request(&headers, &body, flavor == Flavor::Auth0)
        .map_err(|e| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", e))?;
    authenticate_client(&emu, &headers, &req)?;
    let refused = |description: &str| {
        OAuthError::new(flavor.grant_error_status(), "invalid_grant", description)
    };
    let mut data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
    let (user, scope, nonce, sid) = match req.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = req.code.as_deref().unwrap_or_default();
            let Some(grant) = data.codes.get_mut(code) else {
                return Err(refused("Invalid authorization code"));
            };
            if grant.used || grant.expires_at <= now() || grant.client_id != emu.config.client_id {
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
                    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                    if &computed != challenge {
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
                grant.sid.clone(),
            )
        }
        Some("refresh_token") => {
            let token = req.refresh_token.as_deref().unwrap_or_default();
            let Some(grant) = data.refresh.get_mut(token) else {
                return Err(refused("Unknown or invalid refresh token."));
            };
            if grant.spent || grant.client_id != emu.config.client_id {
                return Err(refused("Unknown or invalid refresh token."));
            }
            // Rotation: each refresh token works once and the answer carries the next.
            grant.spent = true;
            (
                grant.user.clone(),
                grant.scope.clone(),
                None,
                grant.sid.clone(),
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
    let answer = tokens(&emu, &mut data, &user, &scope, nonce.as_deref(), &sid)
        .map_err(|e| OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e))?;
    Ok(Json(answer))
}

/// The token response: access token, ID token, and a refresh token when the scope asked.
fn tokens(
    emu: &Emulator,
    data: &mut Data,
    user: &User,
    scope: &str,
    nonce: Option<&str>,
    sid: &str,
) -> Result<Value, String> {
    let flavor = emu.config.flavor;
    let lifetime = emu.config.token_lifetime.as_secs() as i64;
    let iat = now().unix_timestamp();
    let access_token = match flavor {
        // Kinde's access tokens are JWTs; the others' (without an API audience) are opaque.
        Flavor::Kinde => emu
            .keys
            .sign(&json!({
                "aud": [], "azp": emu.config.client_id, "exp": iat + lifetime, "iat": iat,
                "iss": emu.issuer(), "jti": uuid::Uuid::new_v4().to_string(),
                "scp": scope.split(' ').collect::<Vec<_>>(), "sub": user.sub,
                "org_code": "org_0123456789a", "permissions": [], "feature_flags": {},
            }))
            .map_err(|e| e.to_string())?,
        _ => random_token(32),
    };
    data.access.insert(
        access_token.clone(),
        Access {
            user: user.clone(),
            expires_at: now() + time::Duration::seconds(lifetime),
        },
    );
    let id_token = super::claims::id_token(emu, data, user, nonce, sid, &access_token, lifetime)?;
    let mut answer = json!({
        "access_token": access_token,
        "id_token": id_token,
        "scope": scope,
        "expires_in": lifetime,
        "token_type": "Bearer",
    });
    if scope.split(' ').any(|s| s == flavor.refresh_scope())
        && let Value::Object(map) = &mut answer
    {
        let refresh = random_token(32);
        data.refresh.insert(
            refresh.clone(),
            Grant {
                user: user.clone(),
                client_id: emu.config.client_id.clone(),
                scope: scope.to_string(),
                sid: sid.to_string(),
                spent: false,
            },
        );
        map.insert("refresh_token".into(), json!(refresh));
    }
    Ok(answer)
}

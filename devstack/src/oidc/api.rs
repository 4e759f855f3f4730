//! The provider's endpoints: discovery, authorize, token (authorization code and refresh
//! grants), userinfo, JWKS and logout, with the checks and error bodies of OAuth 2.0 / OIDC.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::state::{Code, User};
use super::{Emulator, Flavor};
use crate::stytch::random_token;
pub(crate) use crate::web::found;
use crate::web::with_query;

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

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response()
    }
}

pub(crate) fn error_page(
    flavor: Flavor,
    status: StatusCode,
    title: &str,
    detail: &str,
) -> Response {
    crate::web::error_page(flavor.display(), status, title, detail)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub(crate) async fn discovery(State(emu): State<Arc<Emulator>>) -> Json<Value> {
    let flavor = emu.config.flavor;
    let paths = flavor.paths();
    let base = &emu.base;
    let mut doc = json!({
        "issuer": emu.issuer(),
        "authorization_endpoint": format!("{base}{}", paths.authorize),
        "token_endpoint": format!("{base}{}", paths.token),
        "userinfo_endpoint": format!("{base}{}", paths.userinfo),
        "jwks_uri": format!("{base}{}", paths.jwks),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
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
    let keys: Vec<Value> = emu
        .keys
        .jwks()
        .into_iter()
        .map(|mut key| {
            // Stytch's extra fields; OIDC providers publish plain RSA JWKs.
            if let Value::Object(map) = &mut key {
                map.remove("x5c");
                map.remove("x5tS256");
                map.remove("key_ops");
            }
            key
        })
        .collect();
    Json(json!({ "keys": keys })).into_response()
}

/// The authorization request's parameters (also carried through the sign-in page).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
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
        emu.config.flavor.display(),
        p.client_id.as_deref(),
        &emu.config.client_id,
        p.redirect_uri.as_deref(),
        &emu.config.redirect_uris,
    )?;
    let back = |error: &str, description: &str| {
        crate::web::back_with_error(&redirect_uri, p.state.as_deref(), error, description)
    };
    if p.response_type.as_deref() != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "Only the authorization code flow is supported.",
        ));
    }
    if !p
        .scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|s| s == "openid"))
    {
        return Err(back("invalid_scope", "The openid scope is required."));
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
        None => super::page::sign_in_page(&emu, &p),
    }
}

/// Signs `email` in: a fresh single-use code for this request, sent back to the callback.
pub(crate) fn issue_code(
    emu: &Emulator,
    p: &AuthorizeParams,
    redirect_uri: &str,
    email: &str,
) -> Response {
    let code = random_token(24);
    let user = User {
        sub: emu.user_id_for(email),
        email: email.to_lowercase(),
    };
    let mut data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
    data.codes.insert(
        code.clone(),
        Code {
            user,
            client_id: emu.config.client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            code_challenge: p.code_challenge.clone(),
            nonce: p.nonce.clone(),
            scope: p.scope.clone().unwrap_or_default(),
            expires_at: now() + time::Duration::minutes(5),
            used: false,
            sid: random_token(16),
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = p.state.as_deref() {
        params.push(("state", state));
    }
    found(&with_query(redirect_uri, &params))
}

pub(crate) async fn userinfo(State(emu): State<Arc<Emulator>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
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

#[derive(Deserialize)]
pub(crate) struct LogoutParams {
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
    post_logout_redirect_uri: Option<String>,
    redirect: Option<String>,
    state: Option<String>,
}

pub(crate) async fn logout(
    State(emu): State<Arc<Emulator>>,
    OriginalUri(uri): OriginalUri,
    Query(p): Query<LogoutParams>,
) -> Response {
    let flavor = emu.config.flavor;
    emu.data
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .logouts
        .push(uri.to_string());
    // Each flavour names the return address its own way.
    let target = match (flavor, uri.path()) {
        (Flavor::Auth0, "/v2/logout") => p.return_to,
        (Flavor::Kinde, _) => p.redirect,
        _ => p.post_logout_redirect_uri,
    };
    let Some(target) = target else {
        return Html("<!DOCTYPE html><title>Signed out</title><p>You have signed out.</p>")
            .into_response();
    };
    if !emu.config.logout_uris.contains(&target) {
        return error_page(
            flavor,
            StatusCode::BAD_REQUEST,
            "Logout URL not allowed",
            &format!("{target:?} is not in the list of allowed logout URLs."),
        );
    }
    let target = match p.state.as_deref() {
        Some(state) if uri.path() != "/v2/logout" => with_query(&target, &[("state", state)]),
        _ => target,
    };
    found(&target)
}

pub(crate) async fn not_found(State(emu): State<Arc<Emulator>>) -> Response {
    error_page(
        emu.config.flavor,
        StatusCode::NOT_FOUND,
        "Not found",
        "This endpoint does not exist.",
    )
}

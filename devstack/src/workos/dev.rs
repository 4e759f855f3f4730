//! The emulator's hosted sign-in page (one field: an email address) and its development
//! endpoints (health, tampering with the next access token, key rotation, ending a user's
//! sessions, the logouts seen). None of the development endpoints exist at WorkOS.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{AuthorizeParams, check_authorize, issue_code};
use super::{Emulator, Tamper};

pub(crate) fn sign_in_page(p: &AuthorizeParams) -> Response {
    crate::web::sign_in_page(
        "WorkOS",
        "/dev/sign-in",
        &[
            ("client_id", &p.client_id),
            ("redirect_uri", &p.redirect_uri),
            ("response_type", &p.response_type),
            ("provider", &p.provider),
            ("state", &p.state),
            ("code_challenge", &p.code_challenge),
            ("code_challenge_method", &p.code_challenge_method),
        ],
    )
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    email: Option<String>,
    action: Option<String>,
}

/// The page's form: signs in as the address (or cancels), then back to the application.
pub(crate) async fn sign_in(
    State(emu): State<Arc<Emulator>>,
    Form(form): Form<SignInForm>,
) -> Response {
    // The hidden fields came back from the browser: check them as the first request was.
    let redirect_uri = match check_authorize(&emu, &form.params) {
        Ok(uri) => uri,
        Err(refused) => return *refused,
    };
    crate::web::answer_sign_in_form(
        &redirect_uri,
        form.params.state.as_deref(),
        form.action.as_deref(),
        form.email.as_deref(),
        |email| issue_code(&emu, &form.params, &redirect_uri, email),
        || sign_in_page(&form.params),
    )
}

pub(crate) async fn health() -> &'static str {
    "ok"
}

/// The next access token carries these changes (an expiry, an unpublished key, another
/// user); the one after is normal again.
pub(crate) async fn tamper(
    State(emu): State<Arc<Emulator>>,
    Json(tamper): Json<Tamper>,
) -> StatusCode {
    emu.data.lock().unwrap_or_else(|e| e.into_inner()).tamper = Some(tamper);
    StatusCode::NO_CONTENT
}

pub(crate) async fn rotate_keys(State(emu): State<Arc<Emulator>>) -> Response {
    match emu.keys.rotate() {
        Ok(kid) => Json(json!({ "kid": kid })).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

pub(crate) async fn retire_keys(State(emu): State<Arc<Emulator>>) -> StatusCode {
    emu.keys.retire_old();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct RevokeUser {
    sub: String,
}

/// Ends every session of a user, as an administrator would in the dashboard.
pub(crate) async fn revoke_user(
    State(emu): State<Arc<Emulator>>,
    Json(who): Json<RevokeUser>,
) -> StatusCode {
    let mut data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
    for session in data.sessions.values_mut() {
        if session.user.id == who.sub {
            session.ended = true;
        }
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct Outage {
    jwks: bool,
}

/// Takes the JWKS endpoint down (503) or brings it back.
pub(crate) async fn outage(
    State(emu): State<Arc<Emulator>>,
    Json(outage): Json<Outage>,
) -> StatusCode {
    emu.data.lock().unwrap_or_else(|e| e.into_inner()).jwks_down = outage.jwks;
    StatusCode::NO_CONTENT
}

/// The logout requests seen, oldest first.
pub(crate) async fn logouts(State(emu): State<Arc<Emulator>>) -> Json<Value> {
    let data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
    Json(json!(data.logouts))
}

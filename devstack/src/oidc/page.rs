//! The emulator's hosted sign-in page (one field: an email address) and its development
//! endpoints (health, tampering with the next ID token, key rotation, revoking a user's
//! refresh tokens). None of the development endpoints exist at the providers.

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::api::{AuthorizeParams, check_authorize, found, issue_code};
use super::{Emulator, Tamper};

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn sign_in_page(emu: &Emulator, p: &AuthorizeParams) -> Response {
    let hidden: String = [
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("response_type", &p.response_type),
        ("scope", &p.scope),
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.as_deref().map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            )
        })
    })
    .collect();
    let provider = emu.config.flavor.display();
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign in with {provider} (emulator)</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}}\
         input,button{{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}}</style>\
         </head><body><h1>Sign in with {provider}</h1>\
         <p>This is the local {provider} emulator: any address signs in, and the same address is \
         always the same user.</p>\
         <form method=\"post\" action=\"/dev/sign-in\">{hidden}\
         <label for=\"email\">Email address</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required autofocus>\
         <button type=\"submit\" name=\"action\" value=\"sign_in\">Continue</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button>\
         </form></body></html>"
    ))
    .into_response()
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
    if form.action.as_deref() == Some("cancel") {
        let mut target = format!(
            "{redirect_uri}{}error=access_denied&error_description=User%20cancelled%20the%20sign-in",
            if redirect_uri.contains('?') { '&' } else { '?' }
        );
        if let Some(state) = &form.params.state {
            target.push_str("&state=");
            target.extend(form_urlencoded::byte_serialize(state.as_bytes()));
        }
        return found(&target);
    }
    match form.email.as_deref().map(str::trim) {
        Some(email) if email.contains('@') && !email.contains(char::is_whitespace) => {
            issue_code(&emu, &form.params, &redirect_uri, email)
        }
        _ => sign_in_page(&emu, &form.params),
    }
}

pub(crate) async fn health() -> &'static str {
    "ok"
}

/// The next ID token carries these changes (a wrong nonce, issuer or audience, an expiry, or
/// an unpublished key); the one after is normal again.
pub(crate) async fn tamper(
    State(emu): State<Arc<Emulator>>,
    axum::Json(tamper): axum::Json<Tamper>,
) -> StatusCode {
    emu.data.lock().unwrap_or_else(|e| e.into_inner()).tamper = Some(tamper);
    StatusCode::NO_CONTENT
}

pub(crate) async fn rotate_keys(State(emu): State<Arc<Emulator>>) -> Response {
    match emu.keys.rotate() {
        Ok(kid) => axum::Json(json!({ "kid": kid })).into_response(),
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

/// Ends every session of a user, as an administrator would in the dashboard: their refresh
/// tokens stop working.
pub(crate) async fn revoke_user(
    State(emu): State<Arc<Emulator>>,
    axum::Json(who): axum::Json<RevokeUser>,
) -> StatusCode {
    let mut data = emu.data.lock().unwrap_or_else(|e| e.into_inner());
    for grant in data.refresh.values_mut() {
        if grant.user.sub == who.sub {
            grant.spent = true;
        }
    }
    StatusCode::NO_CONTENT
}

//! What the browser visits at the WorkOS emulator: the authorize redirect (through the shared
//! sign-in page of `crate::hosted`) and the session logout redirect.

use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::state::{Code, Emulator, Tamper, User, new_id};
use crate::hosted::{Hosted, back_with_error, check_client, error_page, found, pkce_ok};
use crate::jwk::KeyRing;

const NAME: &str = "WorkOS";

/// The authorization request's parameters (also carried through the sign-in page).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
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
    emu.data().logouts.push(uri.to_string());
    let Some(session_id) = p.session_id.filter(|s| !s.is_empty()) else {
        return error_page(
            NAME,
            StatusCode::BAD_REQUEST,
            "Missing session",
            "session_id is required.",
        );
    };
    let target = match p.return_to {
        Some(target) if emu.config.client.logout_uris.contains(&target) => target,
        Some(target) => {
            return error_page(
                NAME,
                StatusCode::BAD_REQUEST,
                "Invalid return_to",
                &format!("{target:?} is not a sign-out redirect configured in the dashboard."),
            );
        }
        None => match emu.config.client.logout_uris.first() {
            Some(default) => default.clone(),
            None => {
                return Html("<!DOCTYPE html><title>Signed out</title><p>You have signed out.</p>")
                    .into_response();
            }
        },
    };
    // A session the emulator no longer knows (it restarted) has ended either way.
    if let Some(session) = emu.data().sessions.get_mut(&session_id) {
        session.ended = true;
    }
    found(&target)
}

impl Hosted for Emulator {
    type Params = AuthorizeParams;
    type Tamper = Tamper;

    fn label(&self) -> &str {
        NAME
    }

    fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The callback to send the browser back to, once the client and callback are known good;
    /// otherwise the page or redirect that refuses the request.
    fn check_authorize(&self, p: &AuthorizeParams) -> Result<String, Box<Response>> {
        let redirect_uri = check_client(
            NAME,
            p.client_id.as_deref(),
            self.client_id(),
            p.redirect_uri.as_deref(),
            &self.config.client.redirect_uris,
        )?;
        let back = |error: &str, description: &str| {
            back_with_error(&redirect_uri, p.state.as_deref(), error, description)
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
        if !pkce_ok(
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

    fn state(p: &AuthorizeParams) -> Option<&str> {
        p.state.as_deref()
    }

    fn login_hint(p: &AuthorizeParams) -> Option<&str> {
        p.login_hint.as_deref()
    }

    /// Signs `email` in: a fresh single-use code for this request, sent back to the callback.
    /// WorkOS binds a code to its PKCE challenge, not to the callback.
    fn issue_code(&self, p: &AuthorizeParams, _redirect_uri: &str, email: &str) -> String {
        let code = new_id("code").replacen("code_", "", 1);
        let user = User {
            id: self.user_id_for(email),
            email: email.to_lowercase(),
        };
        self.data().codes.insert(
            code.clone(),
            Code {
                user,
                code_challenge: p.code_challenge.clone(),
                expires_at: OffsetDateTime::now_utc() + time::Duration::minutes(10),
                used: false,
            },
        );
        code
    }

    fn tamper_next(&self, tamper: Tamper) {
        self.data().tamper = Some(tamper);
    }

    fn revoke_user(&self, user_id: &str) {
        for session in self.data().sessions.values_mut() {
            if session.user.id == user_id {
                session.ended = true;
            }
        }
    }

    fn logouts(&self) -> Vec<String> {
        self.data().logouts.clone()
    }
}

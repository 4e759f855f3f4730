//! What the browser visits at the WorkOS emulator: the authorize redirect (through the shared
//! sign-in page of `crate::hosted`) and the session logout redirect.

use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::state::{Code, Emulator, Tamper, User, new_id};
use crate::hosted::{Authorize, Hosted, Refusal, Registration, error_page, found};
use crate::jwk::KeyRing;

const NAME: &str = "WorkOS";

/// The parameters of an authorization request beyond those every provider takes.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(crate) struct WorkOsParams {
    pub provider: Option<String>,
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
    emu.core.data().logouts.push(uri.to_string());
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
    if let Some(session) = emu.core.data().sessions.get_mut(&session_id) {
        session.ended = true;
    }
    found(&target)
}

impl Hosted for Emulator {
    type Extra = WorkOsParams;
    type Tamper = Tamper;

    fn label(&self) -> &str {
        NAME
    }

    fn keys(&self) -> &KeyRing {
        &self.core.keys
    }

    fn registration(&self) -> &Registration {
        &self.config.client
    }

    fn wrong_response_type(&self) -> Refusal {
        ("invalid_request", "response_type must be code.")
    }

    fn check_extra(&self, p: &Authorize<WorkOsParams>) -> Result<(), Refusal> {
        // The emulator has AuthKit only: no SSO connections or organizations.
        if p.extra.provider.as_deref() != Some("authkit") {
            return Err((
                "invalid_request",
                "One of provider=authkit, connection_id or organization_id is required.",
            ));
        }
        Ok(())
    }

    /// WorkOS binds a code to its PKCE challenge, not to the callback.
    fn issue_code(&self, p: &Authorize<WorkOsParams>, _redirect_uri: &str, email: &str) -> String {
        let code = new_id("code").replacen("code_", "", 1);
        let user = User {
            id: self.user_id_for(email),
            email: email.to_lowercase(),
        };
        self.core.data().codes.insert(
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
        self.core.data().tamper = Some(tamper);
    }

    fn revoke_user(&self, user_id: &str) {
        for session in self.core.data().sessions.values_mut() {
            if session.user.id == user_id {
                session.ended = true;
            }
        }
    }

    fn logouts(&self) -> Vec<String> {
        self.core.data().logouts.clone()
    }

    fn revocations(&self) -> Vec<serde_json::Value> {
        self.core.data().revocations.clone()
    }

    fn refreshes(&self) -> crate::hosted::Refreshes {
        self.core.data().refreshes
    }
}

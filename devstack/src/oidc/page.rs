//! What the browser visits at the emulated provider: the authorize redirect (through the
//! shared sign-in page of `crate::hosted`) and the logout redirect, each flavour's way.

use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::flavor::Flavor;
use super::state::{Code, Emulator, Tamper, User};
use crate::hosted::{Hosted, back_with_error, check_client, found, pkce_ok, with_query};
use crate::jwk::KeyRing;
use crate::keys::random_token;

/// An HTML error page in the flavour's name, for what must not be redirected back.
pub(crate) fn error_page(
    flavor: Flavor,
    status: StatusCode,
    title: &str,
    detail: &str,
) -> Response {
    crate::hosted::error_page(flavor.display(), status, title, detail)
}

/// The authorization request's parameters (also carried through the sign-in page).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
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
    emu.data().logouts.push(uri.to_string());
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
    if !emu.config.client.logout_uris.contains(&target) {
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

impl Hosted for Emulator {
    type Params = AuthorizeParams;
    type Tamper = Tamper;

    fn label(&self) -> &str {
        self.config.flavor.display()
    }

    fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The callback to send the browser back to, once the client and callback are known good;
    /// otherwise the page or redirect that refuses the request.
    fn check_authorize(&self, p: &AuthorizeParams) -> Result<String, Box<Response>> {
        let redirect_uri = check_client(
            self.config.flavor.display(),
            p.client_id.as_deref(),
            self.client_id(),
            p.redirect_uri.as_deref(),
            &self.config.client.redirect_uris,
        )?;
        let back = |error: &str, description: &str| {
            back_with_error(&redirect_uri, p.state.as_deref(), error, description)
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
    fn issue_code(&self, p: &AuthorizeParams, redirect_uri: &str, email: &str) -> String {
        let code = random_token(24);
        let user = User {
            sub: self.user_id_for(email),
            email: email.to_lowercase(),
        };
        self.data().codes.insert(
            code.clone(),
            Code {
                user,
                client_id: self.client_id().to_string(),
                redirect_uri: redirect_uri.to_string(),
                code_challenge: p.code_challenge.clone(),
                nonce: p.nonce.clone(),
                scope: p.scope.clone().unwrap_or_default(),
                expires_at: OffsetDateTime::now_utc() + time::Duration::minutes(5),
                used: false,
                sid: random_token(16),
            },
        );
        code
    }

    fn tamper_next(&self, tamper: Tamper) {
        self.data().tamper = Some(tamper);
    }

    /// Their refresh tokens stop working.
    fn revoke_user(&self, user_id: &str) {
        for grant in self.data().refresh.values_mut() {
            if grant.user.sub == user_id {
                grant.spent = true;
            }
        }
    }

    fn logouts(&self) -> Vec<String> {
        self.data().logouts.clone()
    }
}

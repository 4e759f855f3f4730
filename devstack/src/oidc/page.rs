//! What the browser visits at the emulated provider: the authorize redirect (through the
//! shared sign-in page of `crate::hosted`) and the logout redirect, each flavour's way.

use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::flavor::Flavor;
use super::state::{Code, Emulator, Login, Tamper, User};
use crate::hosted::{Authorize, Hosted, Refusal, Registration, found, with_query};
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

/// The parameters of an authorization request beyond those every provider takes.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(crate) struct OidcParams {
    pub scope: Option<String>,
    pub nonce: Option<String>,
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
    emu.core.data().logouts.push(uri.to_string());
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
    type Extra = OidcParams;
    type Tamper = Tamper;

    fn label(&self) -> &str {
        self.config.flavor.display()
    }

    fn keys(&self) -> &KeyRing {
        &self.core.keys
    }

    fn registration(&self) -> &Registration {
        &self.config.client
    }

    fn wrong_response_type(&self) -> Refusal {
        (
            "unsupported_response_type",
            "Only the authorization code flow is supported.",
        )
    }

    fn check_extra(&self, p: &Authorize<OidcParams>) -> Result<(), Refusal> {
        let scopes = p.extra.scope.as_deref().unwrap_or_default();
        if !scopes.split(' ').any(|s| s == "openid") {
            return Err(("invalid_scope", "The openid scope is required."));
        }
        Ok(())
    }

    fn issue_code(&self, p: &Authorize<OidcParams>, redirect_uri: &str, email: &str) -> String {
        let code = random_token(24);
        let user = User {
            sub: self.user_id_for(email),
            email: email.to_lowercase(),
        };
        self.core.data().codes.insert(
            code.clone(),
            Code {
                user,
                client_id: self.client_id().to_string(),
                redirect_uri: redirect_uri.to_string(),
                code_challenge: p.code_challenge.clone(),
                nonce: p.extra.nonce.clone(),
                scope: p.extra.scope.clone().unwrap_or_default(),
                expires_at: OffsetDateTime::now_utc() + time::Duration::minutes(5),
                used: false,
                login: Login {
                    sid: random_token(16),
                    auth_time: OffsetDateTime::now_utc().unix_timestamp(),
                },
            },
        );
        code
    }

    fn tamper_next(&self, tamper: Tamper) {
        self.core.data().tamper = Some(tamper);
    }

    /// Their refresh tokens stop working, and their access tokens at userinfo.
    fn revoke_user(&self, user_id: &str) {
        let mut data = self.core.data();
        for grant in data.refresh.values_mut() {
            if grant.user.sub == user_id {
                grant.spent = true;
            }
        }
        data.access.retain(|_, access| access.user.sub != user_id);
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

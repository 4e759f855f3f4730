//! Asking an OpenID Connect provider about a session it started, and ending it there.
//!
//! Asking: with a refresh token, a refresh (once for all concurrent requests with it); without
//! one, the userinfo endpoint with the access token, which stops answering once the session
//! ends or the token expires. Ending: the refresh token (or, without one, the access token)
//! revoked at the discovered `revocation_endpoint` (RFC 7009).

use openidconnect::core::CoreGenderClaim;
use openidconnect::{AccessToken, EmptyAdditionalClaims, UserInfoError};
use reqwest::StatusCode;

use super::{OidcProvider, OidcState};
use crate::server::config::is_loopback;
use crate::server::provider::{Check, Provider};

impl OidcProvider {
    /// The provider's word on the session of `user_id`, asked of the provider itself.
    pub(super) async fn ask(self: std::sync::Arc<Self>, user_id: &str, state: OidcState) -> Check {
        let Some(refresh) = state.refresh else {
            return self.ask_userinfo(user_id, state.access).await;
        };
        let this = self.clone();
        let (token, user) = (refresh.clone(), user_id.to_string());
        let answer = self
            .refreshes
            .refresh(&refresh, async move {
                this.refresh(&token, &user).await?.signed_in()
            })
            .await;
        Check::from_refresh(self.name(), answer)
    }

    /// Asks the userinfo endpoint with the session's access token: the provider answers for
    /// as long as the session and the token last.
    async fn ask_userinfo(&self, user_id: &str, access: Option<String>) -> Check {
        let name = self.name();
        let Some(access) = access else {
            tracing::info!(
                provider = name,
                "a session with no token to ask the provider with; signing out"
            );
            return Check::Over;
        };
        let found = match self.discover().await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(provider = name, "cannot ask about a session: {e}");
                return Check::Unknown;
            }
        };
        let client = self.client(&found);
        let Ok(request) = client.user_info(AccessToken::new(access), None) else {
            tracing::info!(
                provider = name,
                "no refresh token and no userinfo endpoint to ask about the session; signing \
                 out (ask for offline_access in the scopes to stay signed in)"
            );
            return Check::Over;
        };
        let answer = request
            .request_async::<EmptyAdditionalClaims, _, CoreGenderClaim>(&self.http)
            .await;
        match answer {
            Ok(claims) if self.user_id(claims.subject()) == user_id => Check::Confirmed,
            Ok(_) => {
                tracing::warn!(provider = name, "userinfo names another user; signing out");
                Check::Over
            }
            Err(UserInfoError::Response(status, _, why))
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN =>
            {
                tracing::info!(
                    provider = name,
                    "the access token is refused (the session ended or the token expired: \
                     {why}); signing out"
                );
                Check::Over
            }
            Err(UserInfoError::Response(status, _, why))
                if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                tracing::warn!(
                    provider = name,
                    "the userinfo endpoint is unavailable: {why}"
                );
                Check::Unknown
            }
            Err(UserInfoError::Request(e)) => {
                tracing::warn!(provider = name, "cannot reach the userinfo endpoint: {e}");
                Check::Unknown
            }
            // An answer that asking again will not change (as for refreshes): better a new
            // sign-in than a session stuck on "unavailable" until it expires.
            Err(e) => {
                tracing::warn!(
                    provider = name,
                    "unexpected userinfo answer ({e}); signing out"
                );
                Check::Over
            }
        }
    }

    /// Revokes the session's refresh token (or its access token, when it has no refresh
    /// token) at the provider's discovered `revocation_endpoint` (RFC 7009 section 2.1: a form
    /// with the token, its type and the client's credentials, as at the token endpoint).
    ///
    /// Written over reqwest, not `openidconnect`'s `revoke_token`, because that refuses any
    /// endpoint that is not https, loopback included, where the local emulators answer; the
    /// request is one form post, and the same rule as the issuer's keeps the secret off plain
    /// http to another machine.
    pub(super) async fn revoke(&self, state: OidcState) {
        let name = self.name();
        let (token, hint) = match (state.refresh, state.access) {
            (Some(refresh), _) => (refresh, "refresh_token"),
            (None, Some(access)) => (access, "access_token"),
            (None, None) => return,
        };
        let found = match self.discover().await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(provider = name, "cannot revoke a session: {e}");
                return;
            }
        };
        let endpoint = found
            .metadata
            .additional_metadata()
            .additional_metadata
            .revocation_endpoint
            .as_ref()
            .map(|e| e.url().clone());
        let Some(endpoint) = endpoint else {
            tracing::info!(
                provider = name,
                "the provider publishes no revocation_endpoint: the session's tokens stay valid \
                 there until they expire"
            );
            return;
        };
        if endpoint.scheme() != "https" && !is_loopback(&endpoint) {
            tracing::error!(
                provider = name,
                "the revocation_endpoint {endpoint} is not https: the session is not revoked"
            );
            return;
        }
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", &token)
            .append_pair("token_type_hint", hint)
            .append_pair("client_id", &self.config.client_id)
            .append_pair("client_secret", self.config.client_secret.expose())
            .finish();
        let answer = self
            .http
            .client()
            .post(endpoint)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await;
        match answer {
            Ok(res) if res.status().is_success() => {}
            Ok(res) => {
                let status = res.status();
                let body = res.text().await.unwrap_or_default();
                tracing::warn!(
                    provider = name,
                    "the provider did not revoke the session: {status} {}",
                    body.chars().take(300).collect::<String>()
                );
            }
            Err(e) => tracing::warn!(
                provider = name,
                "cannot reach the revocation endpoint to revoke a session: {e}"
            ),
        }
    }
}

//! WorkOS AuthKit (User Management API): its settings, the hosted sign-in with state and PKCE,
//! the code and refresh-token grants of `/user_management/authenticate`, local verification of
//! the access token against `/sso/jwks/{client_id}` on each request, and sign-out: the session
//! revoked through `/user_management/sessions/revoke`, then AuthKit's logout URL.
//!
//! Written over reqwest rather than with the official `workos` crate (3.5), because that crate
//! brings reqwest 0.12 beside our 0.13 and pins `jsonwebtoken` 10.3 with another crypto
//! backend, while the app needs just these three calls and a JWT check the key cache already
//! does (with refetch on an unknown key id, which the crate's does not).

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};
use openidconnect::{CsrfToken, PkceCodeChallenge};
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::server::config::Secret;
use crate::server::http::{CallError, call_json};
use crate::server::jwks::{JwksCache, JwtProblem};
use crate::server::provider::{
    Check, Provider, ProviderError, SignInSecrets, SignedIn, read_state, write_state,
};
use crate::server::refresh::RefreshGate;
use crate::server::shared::Shared;

mod model;

pub use model::{AccessClaims, CALLBACK_PATH, NAME, WorkOsConfig, WorkOsState};
use model::{AuthResponse, ErrorBody};

pub struct WorkOsClient {
    http: reqwest::Client,
    base: Url,
    client_id: String,
    api_key: Secret,
    redirect: Url,
    jwks: Arc<JwksCache>,
    validation: Validation,
    refreshes: RefreshGate,
}

impl WorkOsClient {
    pub fn new(
        config: &WorkOsConfig,
        site_url: &Url,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let redirect = site_url
            .join(CALLBACK_PATH)
            .map_err(|e| format!("{CALLBACK_PATH}: {e}"))?;
        let jwks_url = config
            .api_url
            .join(&format!("sso/jwks/{}", config.client_id))
            .map_err(|e| format!("WORKOS_CLIENT_ID: {e}"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        // WorkOS publishes keys per client, so a signature that verifies already says the token
        // is this client's. Its tokens carry no `aud` unless a JWT template adds one, and their
        // `iss` depends on the environment and custom domain; WorkOS' own SDKs check neither.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        Ok(WorkOsClient {
            jwks: Arc::new(JwksCache::new(http.clone(), jwks_url)),
            http,
            base: config.api_url.clone(),
            client_id: config.client_id.clone(),
            api_key: config.api_key.clone(),
            redirect,
            validation,
            refreshes: RefreshGate::new(NAME),
        })
    }

    /// Shares refreshes with the other replicas (refresh tokens are single-use).
    pub fn sharing(mut self, shared: Option<&Arc<Shared>>) -> Self {
        self.refreshes = self.refreshes.shared_with(shared);
        self
    }

    /// How soon after fetching WorkOS' keys an unknown key id may fetch them again (10 s).
    pub fn with_jwks_cooldown(self, cooldown: Duration) -> Self {
        WorkOsClient {
            jwks: Arc::new(
                JwksCache::new(self.http.clone(), self.jwks.url().clone()).with_cooldown(cooldown),
            ),
            ..self
        }
    }

    /// Clock skew tolerated on `exp` (30 s by default).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs();
        self
    }

    pub fn redirect_url(&self) -> &Url {
        &self.redirect
    }

    /// AuthKit's sign-in page for a fresh state and PKCE challenge.
    pub fn begin(&self) -> (Url, SignInSecrets) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random().secret().clone();
        let mut url = self.base.clone();
        url.set_path(&format!("{}user_management/authorize", self.base.path()));
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", self.redirect.as_str())
            .append_pair("response_type", "code")
            .append_pair("provider", "authkit")
            .append_pair("state", &state)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        let pending = SignInSecrets {
            state,
            nonce: None,
            pkce_verifier: verifier.secret().clone(),
        };
        (url, pending)
    }

    /// Exchanges the callback's code (once, with the PKCE verifier) for the user and tokens.
    pub async fn authenticate_code(
        &self,
        code: &str,
        pending: &SignInSecrets,
    ) -> Result<SignedIn, ProviderError> {
        let body = json!({
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self.api_key.expose(),
            "code": code,
            "code_verifier": pending.pkce_verifier,
        });
        let answer = self.authenticate(&body).await?;
        self.signed_in(answer, None).await
    }

    /// New tokens for a session whose access token expired. WorkOS' refresh tokens are
    /// single-use: the answer carries the next one.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        user_id: &str,
    ) -> Result<SignedIn, ProviderError> {
        let body = json!({
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self.api_key.expose(),
            "refresh_token": refresh_token,
        });
        let answer = self.authenticate(&body).await?;
        self.signed_in(answer, Some(user_id)).await
    }

    /// Checks the access token WorkOS just handed out, and makes it the session's state.
    async fn signed_in(
        &self,
        answer: AuthResponse,
        expected_user: Option<&str>,
    ) -> Result<SignedIn, ProviderError> {
        let claims = match self.verify(&answer.access_token).await {
            Ok(claims) => claims,
            // A refresh has spent the old refresh token: its answer must be kept, or the
            // session is lost. The token came straight from WorkOS, over TLS, in answer to a
            // request with our API key, so its claims are WorkOS' word; the next request
            // verifies its signature, once the keys can be fetched.
            Err(JwtProblem::Keys(e)) if expected_user.is_some() => {
                tracing::warn!("keeping refreshed WorkOS tokens unverified for now: {e}");
                jsonwebtoken::dangerous::insecure_decode_claims::<AccessClaims>(
                    &answer.access_token,
                )
                .map_err(|e| ProviderError::InvalidToken(e.to_string()))?
            }
            Err(JwtProblem::Keys(e)) => return Err(ProviderError::Unavailable(e.to_string())),
            Err(other) => return Err(ProviderError::InvalidToken(other.to_string())),
        };
        if claims.sub != answer.user.id || expected_user.is_some_and(|u| u != claims.sub) {
            return Err(ProviderError::InvalidToken(
                "the access token names another user".into(),
            ));
        }
        Ok(SignedIn {
            user_id: answer.user.id,
            // Only an address WorkOS verified: an unverified one is anybody's to claim.
            email: answer.user.email.filter(|_| answer.user.email_verified),
            state: write_state(&WorkOsState {
                access_token: answer.access_token,
                refresh_token: answer.refresh_token,
                session_id: claims.sid,
            })?,
            expires_at: None,
        })
    }

    /// Verifies an access token locally: signature against the client's published keys
    /// (fetched again for a new key id), expiry. No call to WorkOS unless the key is new.
    pub async fn verify(&self, access_token: &str) -> Result<AccessClaims, JwtProblem> {
        self.jwks.verify(access_token, &self.validation).await
    }

    /// The hosted logout that ends the WorkOS session and comes back to `return_to`.
    pub fn session_logout_url(&self, session_id: &str, return_to: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}user_management/sessions/logout",
            self.base.path()
        ));
        url.query_pairs_mut()
            .append_pair("session_id", session_id)
            .append_pair("return_to", return_to);
        url
    }

    /// Ends a WorkOS session (`sid`) from the server: its refresh token stops working. One
    /// that WorkOS no longer knows counts as ended.
    pub async fn revoke_session(&self, session_id: &str) -> Result<(), ProviderError> {
        let body = json!({ "session_id": session_id });
        match self
            .post::<Value>("user_management/sessions/revoke", &body)
            .await
        {
            Ok(_) | Err(ProviderError::Refused(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn authenticate(&self, body: &Value) -> Result<AuthResponse, ProviderError> {
        self.post("user_management/authenticate", body).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ProviderError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ProviderError::Unexpected(format!("{path}: {e}")))?;
        let request = self
            .http
            .post(url)
            .bearer_auth(self.api_key.expose())
            .json(body);
        let refusal = match call_json(request, path).await {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(refusal)) => refusal,
            Err(CallError::Unavailable(e)) => return Err(ProviderError::Unavailable(e)),
            Err(CallError::Unexpected(e)) => return Err(ProviderError::Unexpected(e)),
        };
        let status = refusal.status;
        let request_id = refusal
            .request_id
            .as_ref()
            .map(|id| format!(" (request {id})"))
            .unwrap_or_default();
        let error: ErrorBody = serde_json::from_slice(&refusal.body).unwrap_or_default();
        let kind = error.error.or(error.code).unwrap_or_default();
        let detail = format!(
            "{status} {kind}: {}{request_id}",
            error
                .error_description
                .or(error.message)
                .unwrap_or_else(|| refusal.text())
        );
        Err(match kind.as_str() {
            "invalid_grant" => ProviderError::Refused(detail),
            "invalid_client" | "unauthorized_client" => ProviderError::Misconfigured(detail),
            // Steps AuthKit's hosted page takes the user through; the code exchange meets them
            // only if the environment's settings ask for a flow the app does not run.
            "email_verification_required"
            | "organization_selection_required"
            | "mfa_enrollment"
            | "mfa_challenge"
            | "mfa_verification"
            | "radar_email_challenge"
            | "radar_sms_challenge"
            | "sso_required" => ProviderError::Unexpected(format!(
                "WorkOS asks for a step of its own sign-in flow ({detail}); check AuthKit's settings"
            )),
            // A session WorkOS does not know (revoking one that is gone).
            "entity_not_found" => ProviderError::Refused(detail),
            _ if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN => {
                ProviderError::Misconfigured(detail)
            }
            _ => ProviderError::Unexpected(detail),
        })
    }
}

#[async_trait::async_trait]
impl Provider for WorkOsClient {
    async fn ready(&self) -> Result<(), ProviderError> {
        Ok(self.jwks.ready().await?)
    }

    fn name(&self) -> &str {
        NAME
    }

    fn label(&self) -> &str {
        "WorkOS"
    }

    fn callback_url(&self) -> Option<&Url> {
        Some(&self.redirect)
    }

    async fn begin(&self) -> Result<(Url, SignInSecrets), ProviderError> {
        Ok(WorkOsClient::begin(self))
    }

    async fn finish(&self, code: &str, secrets: &SignInSecrets) -> Result<SignedIn, ProviderError> {
        self.authenticate_code(code, secrets).await
    }

    /// The access token is verified locally on each request (no call to WorkOS); once it
    /// expires, stops verifying (a retired key), or the session is due to be asked about
    /// (`ask`), the refresh token asks WorkOS, once for all concurrent requests with it.
    async fn check(self: Arc<Self>, user_id: &str, state: &Value, ask: bool) -> Check {
        let Some(state) = read_state::<WorkOsState>(NAME, state) else {
            return Check::Over;
        };
        let locally_valid = match self.verify(&state.access_token).await {
            Ok(claims) if claims.sub == user_id && claims.sid == state.session_id => {
                if !ask {
                    return Check::Valid;
                }
                true
            }
            Ok(_) => {
                tracing::warn!(
                    "WorkOS access token names another user or session than its cookie; signing out"
                );
                return Check::Over;
            }
            Err(JwtProblem::Expired) => false,
            // Nothing is known about the token: refreshing would spend the refresh token on a
            // session that may well be valid, and could not verify the new one either.
            Err(JwtProblem::Keys(e)) => {
                tracing::warn!("cannot verify a WorkOS access token: {e}");
                return Check::Unknown;
            }
            Err(e) => {
                tracing::info!("WorkOS access token not accepted ({e}); refreshing");
                false
            }
        };
        let this = self.clone();
        let (token, user) = (state.refresh_token.clone(), user_id.to_string());
        let answer = self
            .refreshes
            .refresh(&state.refresh_token, async move {
                this.refresh(&token, &user).await
            })
            .await;
        Check::from_refresh(NAME, answer).or_deferred(NAME, locally_valid)
    }

    async fn revoke(&self, state: &Value) {
        let Some(state) = read_state::<WorkOsState>(NAME, state) else {
            return;
        };
        if let Err(e) = self.revoke_session(&state.session_id).await {
            tracing::warn!("ending a session: WorkOS did not revoke it: {e}");
        }
    }

    /// AuthKit's logout page as well: it ends AuthKit's own cookie on WorkOS' domain, so the
    /// next sign-in in this browser asks who is signing in.
    async fn logout_url(&self, state: &Value, return_to: &str) -> Option<Url> {
        let state = read_state::<WorkOsState>(NAME, state)?;
        Some(self.session_logout_url(&state.session_id, return_to))
    }
}

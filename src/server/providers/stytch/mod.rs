//! Stytch: sign-in by emailed magic link. Its settings, the four calls of its Consumer API the
//! app makes (send a magic link, authenticate it, authenticate a session, revoke it), local
//! verification of its session JWTs on each request, and sign-out by revocation.
//!
//! Written over reqwest rather than with the official `stytch` crate (11.x), because that crate
//! brings a second `jsonwebtoken` major version with another crypto backend, builds its HTTP
//! client without timeouts, has no local verification of consumer session JWTs, and its JWKS
//! cache neither refetches on an unknown key id nor accepts Stytch's base-URL issuer.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use crate::server::config::Secret;
use crate::server::http::{CallError, call_json};
use crate::server::jwks::JwksCache;
pub use crate::server::jwks::JwtProblem;
use crate::server::provider::{Check, Provider, ProviderError, SignedIn, read_state};
use crate::server::refresh::RefreshGate;

mod model;

use model::{Claims, ErrorBody, SessionBody};
pub use model::{NAME, StytchConfig, StytchError, StytchSession, StytchState, VerifiedSession};

#[derive(Clone)]
pub struct StytchClient {
    http: reqwest::Client,
    base: Url,
    project_id: String,
    secret: Secret,
    jwks: Arc<JwksCache>,
    validation: Validation,
    /// Session checks at Stytch, one for all concurrent requests with the same session.
    checks: RefreshGate,
}

impl StytchClient {
    pub fn new(config: &StytchConfig) -> Result<Self, StytchError> {
        let http = crate::server::http::client()
            .map_err(|e| StytchError::Unexpected(format!("HTTP client: {e}")))?;
        let join = |path: &str| {
            config
                .api_url
                .join(path)
                .map_err(|e| StytchError::Unexpected(format!("{path}: {e}")))
        };
        let jwks_url = join(&format!("v1/sessions/jwks/{}", config.project_id))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&config.project_id]);
        // Stytch signs with `stytch.com/<project>`, or with its base URL when the project uses
        // a custom domain; its own SDKs accept both.
        let base_issuer = config.api_url.as_str().trim_end_matches('/').to_string();
        validation.set_issuer(&[format!("stytch.com/{}", config.project_id), base_issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Ok(StytchClient {
            jwks: Arc::new(JwksCache::new(http.clone(), jwks_url)),
            http,
            base: config.api_url.clone(),
            project_id: config.project_id.clone(),
            secret: config.secret.clone(),
            validation,
            checks: RefreshGate::remembering(NAME, Duration::from_secs(2)),
        })
    }

    /// Sends a sign-in (or sign-up) link to `email`, leading to `redirect_url`. With PKCE
    /// (`code_challenge`, S256), the link then works only with the verifier.
    pub async fn send_magic_link(
        &self,
        email: &str,
        redirect_url: &Url,
        expiration_minutes: u32,
        code_challenge: &str,
    ) -> Result<(), StytchError> {
        let body = json!({
            "email": email,
            "code_challenge": code_challenge,
            "login_magic_link_url": redirect_url.as_str(),
            "signup_magic_link_url": redirect_url.as_str(),
            "login_expiration_minutes": expiration_minutes,
            "signup_expiration_minutes": expiration_minutes,
        });
        let _: Value = self
            .post("v1/magic_links/email/login_or_create", &body)
            .await?;
        Ok(())
    }

    /// Exchanges a magic-link token (single use) and the PKCE verifier of its challenge for a
    /// session of `session_minutes`.
    pub async fn authenticate_magic_link(
        &self,
        token: &str,
        session_minutes: u32,
        code_verifier: &str,
    ) -> Result<StytchSession, StytchError> {
        let body = json!({
            "token": token,
            "session_duration_minutes": session_minutes,
            "code_verifier": code_verifier,
        });
        let answer: SessionBody = self.post("v1/magic_links/authenticate", &body).await?;
        answer.into_session()
    }

    /// Checks the session with Stytch and gets a fresh session JWT for it.
    pub async fn authenticate_session(
        &self,
        session_token: &str,
    ) -> Result<StytchSession, StytchError> {
        let body = json!({ "session_token": session_token });
        let answer: SessionBody = self.post("v1/sessions/authenticate", &body).await?;
        answer.into_session()
    }

    /// Ends the session at Stytch. One that is already gone counts as revoked.
    pub async fn revoke_session(&self, session_token: &str) -> Result<(), StytchError> {
        let body = json!({ "session_token": session_token });
        match self.post::<Value>("v1/sessions/revoke", &body).await {
            Ok(_) | Err(StytchError::SessionNotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Verifies a session JWT locally: signature (against Stytch's published keys), issuer,
    /// audience and lifetime. No call to Stytch unless the key is new to us.
    pub async fn verify_session_jwt(&self, jwt: &str) -> Result<VerifiedSession, JwtProblem> {
        let claims: Claims = self.jwks.verify(jwt, &self.validation).await?;
        Ok(VerifiedSession {
            user_id: claims.sub,
        })
    }

    /// Clock skew tolerated on `exp`/`nbf` (30 s by default).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs();
        self
    }

    /// How soon after fetching Stytch's keys an unknown key id may fetch them again (10 s).
    pub fn with_jwks_cooldown(self, cooldown: Duration) -> Self {
        StytchClient {
            jwks: Arc::new(
                JwksCache::new(self.http.clone(), self.jwks.url().clone()).with_cooldown(cooldown),
            ),
            ..self
        }
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, StytchError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| StytchError::Unexpected(format!("{path}: {e}")))?;
        let request = self
            .http
            .post(url)
            .basic_auth(&self.project_id, Some(self.secret.expose()))
            .json(body);
        let refusal = match call_json(request, path).await {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(refusal)) => refusal,
            Err(CallError::Unavailable(e)) => return Err(StytchError::Unavailable(e)),
            Err(CallError::Unexpected(e)) => return Err(StytchError::Unexpected(e)),
        };
        let error: ErrorBody = serde_json::from_slice(&refusal.body).unwrap_or(ErrorBody {
            error_type: String::new(),
            error_message: refusal.text(),
        });
        if refusal.status.as_u16() == 429 {
            return Err(StytchError::RateLimited);
        }
        Err(match error.error_type.as_str() {
            "invalid_email" => StytchError::InvalidEmail,
            "magic_link_not_found" => StytchError::LinkNotFound,
            "unable_to_auth_magic_link" => StytchError::LinkUsedOrExpired,
            "session_not_found" => StytchError::SessionNotFound,
            // Also a link sent before PKCE (`pkce_did_not_expect_code_verifier`): not this
            // browser's to redeem as it stands; the user asks for a new one.
            kind if kind.starts_with("pkce_") => StytchError::OtherBrowser,
            _ => StytchError::Rejected {
                status: refusal.status.as_u16(),
                error_type: error.error_type,
                message: error.error_message,
            },
        })
    }
}

impl StytchClient {
    /// Stytch's word on a session: a fresh session JWT, or why not. Concurrent requests with
    /// the same session share one call (`checks`).
    async fn ask(self: &Arc<Self>, token: &str, user_id: &str) -> Check {
        let this = self.clone();
        let (token_owned, user) = (token.to_string(), user_id.to_string());
        let answer = self
            .checks
            .refresh(token, async move {
                this.session_answer(&token_owned, &user).await
            })
            .await;
        Check::from_refresh(NAME, answer)
    }

    async fn session_answer(&self, token: &str, user_id: &str) -> Result<SignedIn, ProviderError> {
        let fresh = self.authenticate_session(token).await?;
        if fresh.user_id != user_id {
            return Err(ProviderError::InvalidToken(
                "Stytch returned another user for a session".into(),
            ));
        }
        if let Err(JwtProblem::Invalid(why)) = self.verify_session_jwt(&fresh.session_jwt).await {
            // Not a user's problem but the app's: every request will call Stytch.
            tracing::error!(
                "a session JWT fresh from Stytch does not verify ({why}); \
                 check STYTCH_PROJECT_ID and STYTCH_API_URL (a custom domain's issuer)"
            );
        }
        fresh.signed_in()
    }
}

impl From<StytchError> for ProviderError {
    fn from(e: StytchError) -> Self {
        match e {
            StytchError::InvalidEmail => ProviderError::InvalidEmail,
            StytchError::LinkNotFound => ProviderError::LinkUnknown,
            StytchError::LinkUsedOrExpired => ProviderError::LinkUsed,
            StytchError::OtherBrowser => ProviderError::LinkOtherBrowser,
            StytchError::RateLimited => ProviderError::Limited,
            StytchError::SessionNotFound => ProviderError::Refused(e.to_string()),
            StytchError::Unavailable(_) => ProviderError::Unavailable(e.to_string()),
            StytchError::Rejected { .. } => ProviderError::Misconfigured(format!(
                "{e} (check STYTCH_PROJECT_ID, STYTCH_SECRET and the redirect URLs in Stytch's dashboard)"
            )),
            StytchError::Unexpected(_) => ProviderError::Unexpected(e.to_string()),
        }
    }
}

#[async_trait::async_trait]
impl Provider for StytchClient {
    async fn ready(&self) -> Result<(), ProviderError> {
        Ok(self.jwks.ready().await?)
    }

    fn name(&self) -> &str {
        NAME
    }

    fn label(&self) -> &str {
        "Email"
    }

    fn callback_url(&self) -> Option<&Url> {
        None
    }

    async fn send_link(
        &self,
        email: &str,
        landing: &Url,
        minutes: u32,
        code_challenge: &str,
    ) -> Result<(), ProviderError> {
        Ok(self
            .send_magic_link(email, landing, minutes, code_challenge)
            .await?)
    }

    async fn redeem_link(
        &self,
        token: &str,
        session_minutes: u32,
        code_verifier: &str,
    ) -> Result<SignedIn, ProviderError> {
        self.authenticate_magic_link(token, session_minutes, code_verifier)
            .await?
            .signed_in()
    }

    /// A valid session JWT is verified locally (no call to Stytch); an expired one, one that
    /// cannot be verified locally, or a session due to be asked about (`ask`) asks Stytch,
    /// which answers with a fresh one.
    async fn check(self: Arc<Self>, user_id: &str, state: &Value, ask: bool) -> Check {
        let Some(StytchState { token, jwt }) = read_state(NAME, state) else {
            return Check::Over;
        };
        let locally_valid = match self.verify_session_jwt(&jwt).await {
            Ok(verified) if verified.user_id != user_id => {
                tracing::warn!("session JWT names another user than its cookie; signing out");
                return Check::Over;
            }
            Ok(_) if !ask => return Check::Valid,
            Ok(_) => true,
            Err(JwtProblem::Keys(e)) => {
                tracing::warn!("cannot verify a session locally ({e}); asking Stytch");
                false
            }
            Err(JwtProblem::Expired) => false,
            Err(JwtProblem::Invalid(why)) => {
                tracing::info!("session JWT rejected ({why}); asking Stytch about the session");
                false
            }
        };
        self.ask(&token, user_id)
            .await
            .or_deferred(NAME, locally_valid)
    }

    async fn revoke(&self, state: &Value) {
        let Some(StytchState { token, .. }) = read_state::<StytchState>(NAME, state) else {
            return;
        };
        // A copy of the cookie must not be handed the last check's answer.
        self.checks.forget(&token).await;
        if let Err(e) = self.revoke_session(&token).await {
            tracing::warn!("ending a session: Stytch did not revoke it: {e}");
        }
    }
}

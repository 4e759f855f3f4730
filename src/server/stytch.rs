//! Stytch's Consumer API, the four calls the app makes (send a magic link, authenticate it,
//! authenticate a session, revoke it), and local verification of Stytch's session JWTs.
//!
//! Written over reqwest rather than with the official `stytch` crate (11.x), because that crate
//! brings a second `jsonwebtoken` major version with another crypto backend, builds its HTTP
//! client without timeouts, has no local verification of consumer session JWTs, and its JWKS
//! cache neither refetches on an unknown key id nor accepts Stytch's base-URL issuer.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use url::Url;

use super::config::{ConfigError, Secret, Source, is_loopback, parse_url, required};
use super::jwks::JwksCache;
pub use super::jwks::JwtProblem;

const PROJECT_EXPECTED: &str =
    "your Stytch project id from the dashboard's API keys page, such as project-test-…";
const SECRET_EXPECTED: &str = "your Stytch project secret from the dashboard's API keys page";
const API_URL_EXPECTED: &str = "Stytch's API base URL: leave it unset for Stytch itself, or \
     http://127.0.0.1:7140 for the local emulator";

#[derive(Debug, Clone)]
pub struct StytchConfig {
    pub api_url: Url,
    pub project_id: String,
    pub secret: Secret,
}

impl StytchConfig {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let project_id = required(src, "STYTCH_PROJECT_ID", PROJECT_EXPECTED)?;
        if !project_id.starts_with("project-") {
            return Err(ConfigError::Invalid {
                name: "STYTCH_PROJECT_ID",
                problem: "it does not start with project-".into(),
                expected: PROJECT_EXPECTED,
            });
        }
        let secret = Secret::new(required(src, "STYTCH_SECRET", SECRET_EXPECTED)?);
        // Stytch's SDKs pick the environment from the project id.
        let default = if project_id.starts_with("project-live-") {
            "https://api.stytch.com/"
        } else {
            "https://test.stytch.com/"
        };
        let raw = src
            .get("STYTCH_API_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_string());
        let api_url = parse_url("STYTCH_API_URL", raw.trim(), API_URL_EXPECTED)?;
        if api_url.scheme() == "http" && !is_loopback(&api_url) {
            return Err(ConfigError::Invalid {
                name: "STYTCH_API_URL",
                problem: "plain http to another machine would expose the project secret".into(),
                expected: API_URL_EXPECTED,
            });
        }
        Ok(StytchConfig {
            api_url,
            project_id,
            secret,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StytchError {
    #[error("Stytch rejected the email address")]
    InvalidEmail,
    #[error("the magic link is unknown")]
    LinkNotFound,
    #[error("the magic link was already used or has expired")]
    LinkUsedOrExpired,
    #[error("the session is unknown, revoked or expired")]
    SessionNotFound,
    /// Anything else Stytch refused: a configuration problem (credentials, redirect URLs).
    #[error("Stytch answered {status} {error_type}: {message}")]
    Rejected {
        status: u16,
        error_type: String,
        message: String,
    },
    #[error("Stytch could not be reached: {0}")]
    Unavailable(String),
    #[error("unexpected answer from Stytch: {0}")]
    Unexpected(String),
}

/// A signed-in Stytch session, as the app keeps it.
#[derive(Debug, Clone)]
pub struct StytchSession {
    pub user_id: String,
    pub email: Option<String>,
    pub session_token: String,
    pub session_jwt: String,
    pub expires_at: OffsetDateTime,
}

/// What a valid session JWT says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSession {
    pub user_id: String,
    pub session_id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error_type: String,
    #[serde(default)]
    error_message: String,
}

#[derive(Deserialize)]
struct SessionBody {
    session_token: String,
    session_jwt: String,
    session: Option<SessionInfo>,
    user: UserInfo,
}

#[derive(Deserialize)]
struct SessionInfo {
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

#[derive(Deserialize)]
struct UserInfo {
    user_id: String,
    #[serde(default)]
    emails: Vec<EmailInfo>,
}

#[derive(Deserialize)]
struct EmailInfo {
    email: String,
}

impl SessionBody {
    fn into_session(self) -> Result<StytchSession, StytchError> {
        let Some(session) = self.session else {
            return Err(StytchError::Unexpected("no session in the answer".into()));
        };
        Ok(StytchSession {
            user_id: self.user.user_id,
            email: self.user.emails.into_iter().next().map(|e| e.email),
            session_token: self.session_token,
            session_jwt: self.session_jwt,
            expires_at: session.expires_at,
        })
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(rename = "https://stytch.com/session")]
    session: SessionClaim,
}

#[derive(Deserialize)]
struct SessionClaim {
    id: String,
}

#[derive(Clone)]
pub struct StytchClient {
    http: reqwest::Client,
    base: Url,
    project_id: String,
    secret: Secret,
    jwks: Arc<JwksCache>,
    validation: Validation,
}

impl StytchClient {
    pub fn new(config: &StytchConfig) -> Result<Self, StytchError> {
        let http = super::providers::http_client()
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
        })
    }

    /// Sends a sign-in (or sign-up) link to `email`, leading to `redirect_url`.
    pub async fn send_magic_link(
        &self,
        email: &str,
        redirect_url: &Url,
        expiration_minutes: u32,
    ) -> Result<(), StytchError> {
        let body = json!({
            "email": email,
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

    /// Exchanges a magic-link token (single use) for a session of `session_minutes`.
    pub async fn authenticate_magic_link(
        &self,
        token: &str,
        session_minutes: u32,
    ) -> Result<StytchSession, StytchError> {
        let body = json!({ "token": token, "session_duration_minutes": session_minutes });
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
            session_id: claims.session.id,
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

    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, StytchError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| StytchError::Unexpected(format!("{path}: {e}")))?;
        let response = self
            .http
            .post(url)
            .basic_auth(&self.project_id, Some(self.secret.expose()))
            .json(body)
            .send()
            .await
            .map_err(|e| StytchError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| StytchError::Unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| StytchError::Unexpected(format!("{path}: {e}")));
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(StytchError::Unavailable(format!("{path}: status {status}")));
        }
        let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or(ErrorBody {
            error_type: String::new(),
            error_message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        });
        Err(match error.error_type.as_str() {
            "invalid_email" => StytchError::InvalidEmail,
            "magic_link_not_found" => StytchError::LinkNotFound,
            "unable_to_auth_magic_link" => StytchError::LinkUsedOrExpired,
            "session_not_found" => StytchError::SessionNotFound,
            _ => StytchError::Rejected {
                status: status.as_u16(),
                error_type: error.error_type,
                message: error.error_message,
            },
        })
    }
}

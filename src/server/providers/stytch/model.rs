//! Stytch's settings, errors and sessions, and the bodies of its answers the client reads.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::server::config::{
    ConfigError, Secret, Source, required, required_with_prefix, service_url,
};
use crate::server::provider::{ProviderError, SignedIn, write_state};

/// Its name in `AUTH_PROVIDERS`.
pub const NAME: &str = "stytch";

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
        let project_id =
            required_with_prefix(src, "STYTCH_PROJECT_ID", "project-", "", PROJECT_EXPECTED)?;
        let secret = Secret::new(required(src, "STYTCH_SECRET", SECRET_EXPECTED)?);
        // Stytch's SDKs pick the environment from the project id.
        let default = if project_id.starts_with("project-live-") {
            "https://api.stytch.com/"
        } else {
            "https://test.stytch.com/"
        };
        let api_url = service_url(
            src,
            "STYTCH_API_URL",
            default,
            API_URL_EXPECTED,
            "the project secret",
        )?;
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
    #[error("Stytch is rate-limiting the app")]
    RateLimited,
    /// PKCE: the link was asked for with another verifier's challenge (another browser's).
    #[error("the magic link was sent to another browser (PKCE verifier missing or mismatched)")]
    OtherBrowser,
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

impl StytchSession {
    pub fn signed_in(self) -> Result<SignedIn, ProviderError> {
        Ok(SignedIn {
            state: write_state(&StytchState {
                token: self.session_token,
                jwt: self.session_jwt,
            })?,
            user_id: self.user_id,
            email: self.email,
            expires_at: Some(self.expires_at.unix_timestamp()),
        })
    }
}

/// What the session cookie keeps: Stytch's opaque session token (for refresh and
/// revocation) and its session JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Tagged as the app's earlier versions wrote it, so a rollback still reads the session.
#[serde(tag = "kind", rename = "stytch")]
pub struct StytchState {
    pub token: String,
    pub jwt: String,
}

/// What a valid session JWT says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSession {
    pub user_id: String,
}

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) error_type: String,
    #[serde(default)]
    pub(super) error_message: String,
}

#[derive(Deserialize)]
pub(super) struct SessionBody {
    pub(super) session_token: String,
    pub(super) session_jwt: String,
    pub(super) session: Option<SessionInfo>,
    pub(super) user: UserInfo,
}

#[derive(Deserialize)]
pub(super) struct SessionInfo {
    #[serde(with = "time::serde::rfc3339")]
    pub(super) expires_at: OffsetDateTime,
}

#[derive(Deserialize)]
pub(super) struct UserInfo {
    pub(super) user_id: String,
    #[serde(default)]
    pub(super) emails: Vec<EmailInfo>,
}

#[derive(Deserialize)]
pub(super) struct EmailInfo {
    pub(super) email: String,
}

impl SessionBody {
    pub(super) fn into_session(self) -> Result<StytchSession, StytchError> {
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
pub(super) struct Claims {
    pub(super) sub: String,
}

//! The emulated Stytch project and what it remembers: users by email, magic-link tokens,
//! sessions and sent mail.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::jwk::{KeyError, KeyRing};
use crate::keys::random_token;

/// A Stytch test project.
#[derive(Clone)]
pub struct Config {
    /// `project-test-<uuid>`.
    pub project_id: String,
    /// `secret-test-…`.
    pub secret: String,
    /// Stytch's session JWTs live five minutes; tests shorten it to exercise refresh.
    pub session_jwt_lifetime: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A new project with fresh credentials in Stytch's shapes.
    pub fn generate() -> Self {
        Config {
            project_id: format!("project-test-{}", uuid::Uuid::new_v4()),
            secret: format!("secret-test-{}", random_token(27)),
            session_jwt_lifetime: Duration::from_secs(300),
        }
    }
}

pub struct Emulator {
    pub(crate) config: Config,
    pub(crate) keys: KeyRing,
    data: Mutex<Data>,
}

impl Emulator {
    pub fn new(config: Config) -> Result<Arc<Self>, KeyError> {
        let keys = KeyRing::new(|| format!("jwk-test-{}", uuid::Uuid::new_v4()))?;
        Ok(Arc::new(Emulator {
            config,
            keys,
            data: Default::default(),
        }))
    }

    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Mail sent so far, oldest first.
    pub fn outbox(&self) -> Vec<Mail> {
        self.data().outbox.clone()
    }

    /// How many times `/v1/sessions/authenticate` was called.
    pub fn session_checks(&self) -> usize {
        self.data().session_checks
    }
}

pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}-test-{}", uuid::Uuid::new_v4())
}

#[derive(Clone)]
pub(crate) struct User {
    pub user_id: String,
    pub email_id: String,
    pub email: String,
    pub created_at: OffsetDateTime,
    /// Pending until the first magic link is used, as Stytch marks new users.
    pub active: bool,
}

pub(crate) struct MagicLink {
    pub user_id: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
    /// PKCE: the S256 challenge the link was sent with; authenticating it then takes the
    /// matching verifier.
    pub code_challenge: Option<String>,
}

#[derive(Clone)]
pub(crate) struct Session {
    pub session_id: String,
    pub session_token: String,
    pub user_id: String,
    pub started_at: OffsetDateTime,
    pub last_accessed_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// When the magic link that started it was used.
    pub authenticated_at: OffsetDateTime,
    pub revoked: bool,
}

/// One email the emulator would have sent.
#[derive(Clone, Debug, Serialize)]
pub struct Mail {
    pub to: String,
    /// `login` for an existing user, `signup` for a new one.
    pub kind: &'static str,
    /// The link as it appears in the email: the redirect URL plus Stytch's token parameters.
    pub link: String,
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

#[derive(Default)]
pub(crate) struct Data {
    pub users: HashMap<String, User>,
    pub magic_links: HashMap<String, MagicLink>,
    pub sessions: HashMap<String, Session>,
    pub outbox: Vec<Mail>,
    /// Calls to `/v1/sessions/authenticate`, for tests that count them.
    pub session_checks: usize,
    /// The JWKS answers 503 (an outage of Stytch's key endpoint; `/dev/outage`).
    pub jwks_down: bool,
}

impl Data {
    pub fn user_by_id(&self, user_id: &str) -> Option<&User> {
        self.users.values().find(|u| u.user_id == user_id)
    }

    pub fn session_by_token(&mut self, token: &str) -> Option<&mut Session> {
        self.sessions
            .values_mut()
            .find(|s| s.session_token == token)
    }
}

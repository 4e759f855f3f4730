//! What the emulator remembers: authorization codes (single use, bound to their PKCE
//! challenge; WorkOS' code exchange takes no redirect URI), sessions, refresh tokens (single use: each refresh hands out the next),
//! and the changes a test asked for in the next access token.

use std::collections::HashMap;

use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub email: String,
}

pub(crate) struct Code {
    pub user: User,
    pub code_challenge: Option<String>,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

/// A WorkOS session (`sid`): ended by its logout URL or by an administrator.
pub(crate) struct Session {
    pub user: User,
    pub ended: bool,
}

pub(crate) struct Refresh {
    pub session_id: String,
    pub spent: bool,
}

/// Changes to the next access token the emulator signs.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Tamper {
    /// Seconds from now; negative for a token that has already expired.
    pub exp_in: Option<i64>,
    /// Sign with a key the JWKS does not publish.
    #[serde(default)]
    pub unknown_key: bool,
    /// Another user's id in `sub`.
    pub sub: Option<String>,
}

#[derive(Default)]
pub(crate) struct Data {
    pub codes: HashMap<String, Code>,
    pub sessions: HashMap<String, Session>,
    pub refresh: HashMap<String, Refresh>,
    pub tamper: Option<Tamper>,
    /// The logout requests, newest last (what tests check sign-out with).
    pub logouts: Vec<String>,
    /// The JWKS answers 503 (an outage of WorkOS' key endpoint).
    pub jwks_down: bool,
}

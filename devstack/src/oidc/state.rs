//! What the emulator remembers: authorization codes (single use, bound to the request that
//! made them), refresh tokens (single use: each refresh hands out the next), access tokens
//! (for userinfo), and the changes a test asked for in the next ID token.

use std::collections::HashMap;

use serde::Deserialize;
use time::OffsetDateTime;

/// A signed-in user, as an ID token describes them.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub sub: String,
    pub email: String,
}

pub(crate) struct Code {
    pub user: User,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub scope: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
    /// The session at the provider the code belongs to (`sid`).
    pub sid: String,
}

pub(crate) struct Grant {
    pub user: User,
    pub client_id: String,
    pub scope: String,
    pub sid: String,
    /// A refresh token that was used already, or revoked.
    pub spent: bool,
}

pub(crate) struct Access {
    pub user: User,
    pub expires_at: OffsetDateTime,
}

/// Changes to the next ID token the emulator signs, so tests can see the app refuse it.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Tamper {
    pub nonce: Option<String>,
    pub iss: Option<String>,
    pub aud: Option<String>,
    /// Seconds from now; negative for a token that has already expired.
    pub exp_in: Option<i64>,
    /// Sign with a key the JWKS does not publish.
    #[serde(default)]
    pub unknown_key: bool,
}

#[derive(Default)]
pub(crate) struct Data {
    pub codes: HashMap<String, Code>,
    pub refresh: HashMap<String, Grant>,
    pub access: HashMap<String, Access>,
    pub tamper: Option<Tamper>,
    /// The last logout requests, newest last (what a test checks sign-out with).
    pub logouts: Vec<String>,
}

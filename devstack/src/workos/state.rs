//! The emulated WorkOS environment and what it remembers: the application registered at it,
//! authorization codes (single use, bound to their PKCE challenge; WorkOS' code exchange takes
//! no redirect URI), sessions, refresh tokens (single use: each refresh hands out the next),
//! and the changes a test asked for in the next access token.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::hosted::{Core, Registration};
use crate::jwk::KeyError;
use crate::keys::random_token;

/// Crockford's base32, the alphabet of WorkOS' ULID-based ids.
const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn crockford(bytes: &[u8], len: usize) -> String {
    bytes
        .iter()
        .cycle()
        .take(len)
        .map(|b| CROCKFORD[usize::from(*b) % CROCKFORD.len()] as char)
        .collect()
}

/// A new id in WorkOS' shape: `<prefix>_01` and 24 more ULID characters.
pub(crate) fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_01{}", crockford(&bytes, 24))
}

/// The application registered at the emulated WorkOS environment; its secret is the
/// environment's API key (`sk_test_…`), also the client secret of the code exchange.
#[derive(Clone, Debug)]
pub struct Config {
    pub client: Registration,
}

impl Config {
    /// A new application with credentials in WorkOS' shapes.
    pub fn generate() -> Self {
        Config {
            client: Registration {
                client_id: new_id("client"),
                secret: format!("sk_test_{}", random_token(36)),
                redirect_uris: Vec::new(),
                logout_uris: Vec::new(),
                // WorkOS' access tokens live five minutes.
                token_lifetime: Duration::from_secs(300),
            },
        }
    }
}

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
    /// Whether WorkOS verified the user's address (`email_verified` of the user object).
    pub email_verified: Option<bool>,
}

#[derive(Default)]
pub(crate) struct Data {
    pub codes: HashMap<String, Code>,
    pub sessions: HashMap<String, Session>,
    pub refresh: HashMap<String, Refresh>,
    pub tamper: Option<Tamper>,
    /// The logout requests, newest last (what tests check sign-out with).
    pub logouts: Vec<String>,
    /// Refresh grants answered and refused as spent (`Hosted::refreshes`).
    pub refreshes: crate::hosted::Refreshes,
    /// The JWKS answers 503 (an outage of WorkOS' key endpoint).
    pub jwks_down: bool,
    /// `authenticate` and `sessions/revoke` answer 503 (an outage of WorkOS' API).
    pub api_down: bool,
    /// The sessions the app revoked through the API, oldest first (`Hosted::revocations`).
    pub revocations: Vec<serde_json::Value>,
}

pub struct Emulator {
    pub(crate) config: Config,
    pub(crate) core: Core<Data>,
}

impl Emulator {
    pub fn new(config: Config, listener: &TcpListener) -> Result<Arc<Self>, KeyError> {
        let core = Core::new(listener, || new_id("sso_oidc_key_pair"))?;
        Ok(Arc::new(Emulator { config, core }))
    }

    pub fn url(&self) -> &str {
        &self.core.base
    }

    pub fn client_id(&self) -> &str {
        &self.config.client.client_id
    }

    pub fn api_key(&self) -> &str {
        &self.config.client.secret
    }

    /// The access tokens' `iss`: the client-specific issuer of WorkOS' user management.
    pub fn issuer(&self) -> String {
        format!("{}/user_management/{}", self.core.base, self.client_id())
    }

    /// The user id this emulator gives `email` (stable across restarts).
    pub fn user_id_for(&self, email: &str) -> String {
        let digest = Sha256::digest(format!("workos:{}", email.to_lowercase()));
        format!("user_01{}", crockford(&digest, 24))
    }
}

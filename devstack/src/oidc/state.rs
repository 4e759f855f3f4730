//! The emulated provider and what it remembers: the application registered at it,
//! authorization codes (single use, bound to the request that made them), refresh tokens
//! (single use: each refresh hands out the next), access tokens (for userinfo), and the
//! changes a test asked for in the next ID token.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use time::OffsetDateTime;
use tokio::net::TcpListener;

use super::flavor::Flavor;
use crate::hosted::{Core, Registration};
use crate::jwk::KeyError;

/// One registered application (client) at the emulated provider.
#[derive(Clone, Debug)]
pub struct Config {
    pub flavor: Flavor,
    pub client: Registration,
}

impl Config {
    /// A new application with credentials in the provider's shapes.
    pub fn generate(flavor: Flavor) -> Self {
        let (client_id, secret) = flavor.new_credentials();
        Config {
            flavor,
            client: Registration {
                client_id,
                secret,
                redirect_uris: Vec::new(),
                logout_uris: Vec::new(),
                token_lifetime: flavor.token_lifetime(),
            },
        }
    }
}

/// A signed-in user, as an ID token describes them.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub sub: String,
    pub email: String,
}

/// The sign-in at the provider that codes and refresh tokens belong to: its session (`sid`)
/// and when the user signed in (`auth_time`, kept by every refresh, OIDC Core 12.2).
#[derive(Clone, Debug)]
pub(crate) struct Login {
    pub sid: String,
    pub auth_time: i64,
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
    pub login: Login,
}

pub(crate) struct Grant {
    pub user: User,
    pub client_id: String,
    pub scope: String,
    pub login: Login,
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
    /// Whether the provider verified the address (`email_verified`).
    pub email_verified: Option<bool>,
}

#[derive(Default)]
pub(crate) struct Data {
    pub codes: HashMap<String, Code>,
    pub refresh: HashMap<String, Grant>,
    pub access: HashMap<String, Access>,
    pub tamper: Option<Tamper>,
    /// The last logout requests, newest last (what a test checks sign-out with).
    pub logouts: Vec<String>,
    /// Refresh grants answered and refused as spent (`Hosted::refreshes`).
    pub refreshes: crate::hosted::Refreshes,
    /// The tokens revoked at the revocation endpoint, newest last (`Hosted::revocations`).
    pub revocations: Vec<serde_json::Value>,
}

pub struct Emulator {
    pub(crate) config: Config,
    pub(crate) core: Core<Data>,
}

impl Emulator {
    /// Binds the emulator to `listener`'s address (the issuer is derived from it).
    pub fn new(config: Config, listener: &TcpListener) -> Result<Arc<Self>, KeyError> {
        let flavor = config.flavor;
        let core = Core::new(listener, move || flavor.new_kid())?;
        Ok(Arc::new(Emulator { config, core }))
    }

    /// The issuer (`iss`) exactly as this flavour's provider writes it.
    pub fn issuer(&self) -> String {
        self.config.flavor.issuer(&self.core.base)
    }

    pub fn flavor(&self) -> Flavor {
        self.config.flavor
    }

    pub fn client_id(&self) -> &str {
        &self.config.client.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.config.client.secret
    }

    pub fn url(&self) -> &str {
        &self.core.base
    }

    /// The user id this emulator gives `email` (stable across restarts).
    pub fn user_id_for(&self, email: &str) -> String {
        self.config.flavor.user_id(email)
    }
}

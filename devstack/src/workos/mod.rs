//! An emulator of WorkOS AuthKit's slice of the User Management API: the authorize redirect
//! (`provider=authkit`, state, PKCE), `/user_management/authenticate` with the code and
//! refresh-token grants (single-use refresh tokens), the client's JWKS at
//! `/sso/jwks/{client_id}`, RS256 access tokens with WorkOS' claims, the session logout
//! redirect, and WorkOS' error bodies.
//!
//! A person signs in on a one-field page (an email address; the same address is always the
//! same user). Tests skip the page with `login_hint=<email>`, bend the next access token with
//! `POST /dev/tamper`, rotate keys, end sessions and take the JWKS down through `/dev/…`.

mod api;
mod dev;
mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

pub use state::Tamper;

use crate::jwk::{KeyError, KeyRing};

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

/// The application registered at the emulated WorkOS environment.
#[derive(Clone)]
pub struct Config {
    pub client_id: String,
    /// The environment's API key (`sk_test_…`), also the client secret of the code exchange.
    pub api_key: String,
    /// The dashboard's redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The dashboard's sign-out redirects; the first is the default.
    pub logout_uris: Vec<String>,
    /// Access token lifetime (WorkOS: 5 minutes); shortened by tests to exercise refresh.
    pub token_lifetime: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A new application with credentials in WorkOS' shapes.
    pub fn generate() -> Self {
        Config {
            client_id: new_id("client"),
            api_key: format!("sk_test_{}", crate::stytch::random_token(36)),
            redirect_uris: Vec::new(),
            logout_uris: Vec::new(),
            token_lifetime: Duration::from_secs(300),
        }
    }
}

pub struct Emulator {
    pub(crate) config: Config,
    /// `http://127.0.0.1:<port>`, known once the emulator listens.
    pub(crate) base: String,
    pub(crate) keys: KeyRing,
    pub(crate) data: std::sync::Mutex<state::Data>,
}

impl Emulator {
    pub fn new(config: Config, listener: &TcpListener) -> Result<Arc<Self>, KeyError> {
        let base = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(_) => "http://127.0.0.1".into(),
        };
        let keys = KeyRing::new(|| new_id("sso_oidc_key_pair"))?;
        Ok(Arc::new(Emulator {
            config,
            base,
            keys,
            data: Default::default(),
        }))
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    pub fn api_key(&self) -> &str {
        &self.config.api_key
    }

    /// The access tokens' `iss`: the client-specific issuer of WorkOS' user management.
    pub fn issuer(&self) -> String {
        format!("{}/user_management/{}", self.base, self.config.client_id)
    }

    /// The user id this emulator gives `email` (stable across restarts).
    pub fn user_id_for(&self, email: &str) -> String {
        let digest = Sha256::digest(format!("workos:{}", email.to_lowercase()));
        format!("user_01{}", crockford(&digest, 24))
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/user_management/authorize", get(api::authorize))
            .route("/user_management/authenticate", post(api::authenticate))
            .route("/user_management/sessions/logout", get(api::logout))
            .route("/sso/jwks/{client_id}", get(api::jwks))
            .route("/dev/sign-in", post(dev::sign_in))
            .route("/dev/health", get(dev::health))
            .route("/dev/tamper", post(dev::tamper))
            .route("/dev/keys/rotate", post(dev::rotate_keys))
            .route("/dev/keys/retire", post(dev::retire_keys))
            .route("/dev/users/revoke", post(dev::revoke_user))
            .route("/dev/logouts", get(dev::logouts))
            .route("/dev/outage", post(dev::outage))
            .fallback(api::not_found)
            .with_state(self.clone())
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> std::io::Result<crate::serve::Server> {
        crate::serve::Server::spawn("WorkOS emulator", self.router(), listener)
    }
}

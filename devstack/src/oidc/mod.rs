//! One OpenID Connect provider emulator in the flavours of the providers the app supports:
//! Auth0, Kinde and Clerk (as an OAuth/OIDC identity provider), and a plain issuer for "any
//! OpenID Connect provider". Each flavour keeps its provider's paths, issuer form, user ids,
//! logout and error bodies; the protocol (discovery, authorization code with PKCE and nonce,
//! refresh, JWKS, userinfo) is the same, as it is at the providers.
//!
//! A person signs in on a one-field page (an email address; the same address is always the
//! same user). Tests skip the page with `login_hint=<email>`, and bend the next ID token with
//! `POST /dev/tamper` to see the app refuse it.

mod api;
mod claims;
mod flavor;
mod page;
mod state;
mod token;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use flavor::Flavor;
pub use state::Tamper;

use crate::jwk::{KeyError, KeyRing};

/// One registered application (client) at the emulated provider.
#[derive(Clone)]
pub struct Config {
    pub flavor: Flavor,
    pub client_id: String,
    pub client_secret: String,
    /// Callback URLs the application may use (the dashboard's "allowed callback URLs").
    pub redirect_uris: Vec<String>,
    /// Where sign-out may return to (the dashboard's "allowed logout URLs").
    pub logout_uris: Vec<String>,
    /// Access (and ID) token lifetime; shortened by tests to exercise refresh.
    pub token_lifetime: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("flavor", &self.flavor)
            .field("client_id", &self.client_id)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A new application with credentials in the provider's shapes.
    pub fn generate(flavor: Flavor) -> Self {
        let (client_id, client_secret) = flavor.new_credentials();
        Config {
            flavor,
            client_id,
            client_secret,
            redirect_uris: Vec::new(),
            logout_uris: Vec::new(),
            token_lifetime: flavor.token_lifetime(),
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
    /// Binds the emulator to `listener`'s address (the issuer is derived from it).
    pub fn new(config: Config, listener: &TcpListener) -> Result<Arc<Self>, KeyError> {
        let base = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(_) => "http://127.0.0.1".into(),
        };
        let flavor = config.flavor;
        let keys = KeyRing::new(move || flavor.new_kid())?;
        Ok(Arc::new(Emulator {
            config,
            base,
            keys,
            data: Default::default(),
        }))
    }

    /// The issuer (`iss`) exactly as this flavour's provider writes it.
    pub fn issuer(&self) -> String {
        self.config.flavor.issuer(&self.base)
    }

    pub fn flavor(&self) -> Flavor {
        self.config.flavor
    }

    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.config.client_secret
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// The user id this emulator gives `email` (stable across restarts).
    pub fn user_id_for(&self, email: &str) -> String {
        self.config.flavor.user_id(email)
    }

    pub fn router(self: &Arc<Self>) -> Router {
        let paths = self.config.flavor.paths();
        let mut router = Router::new()
            .route("/.well-known/openid-configuration", get(api::discovery))
            .route(paths.authorize, get(api::authorize))
            .route(paths.token, post(token::token))
            .route(paths.userinfo, get(api::userinfo))
            .route(paths.jwks, get(api::jwks))
            .route("/dev/sign-in", post(page::sign_in))
            .route("/dev/health", get(page::health))
            .route("/dev/tamper", post(page::tamper))
            .route("/dev/keys/rotate", post(page::rotate_keys))
            .route("/dev/keys/retire", post(page::retire_keys))
            .route("/dev/users/revoke", post(page::revoke_user));
        for logout in paths.logout {
            router = router.route(logout, get(api::logout));
        }
        router.fallback(api::not_found).with_state(self.clone())
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> std::io::Result<crate::serve::Server> {
        crate::serve::Server::spawn(self.config.flavor.emulator_name(), self.router(), listener)
    }
}

//! An emulator of Stytch's Consumer API for email magic links and sessions, on Stytch's wire
//! format (Basic auth, JSON bodies, `{status_code, request_id, error_type, …}` errors, RS256
//! session JWTs with Stytch's claims). Instead of sending mail it keeps an outbox that a person
//! reads at `/dev/outbox` and tests read at `/dev/outbox.json`.

mod api;
mod outbox;
mod shapes;
mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::jwk::{KeyError, KeyRing};
pub use state::Mail;
pub(crate) use state::random_token;

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
            secret: format!("secret-test-{}", state::random_token(27)),
            session_jwt_lifetime: Duration::from_secs(300),
        }
    }
}

pub struct Emulator {
    pub(crate) config: Config,
    pub(crate) keys: KeyRing,
    pub(crate) data: std::sync::Mutex<state::Data>,
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

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(
                "/v1/magic_links/email/login_or_create",
                post(api::login_or_create),
            )
            .route(
                "/v1/magic_links/authenticate",
                post(api::authenticate_magic_link),
            )
            .route("/v1/sessions/authenticate", post(api::authenticate_session))
            .route("/v1/sessions/revoke", post(api::revoke_session))
            .route("/v1/sessions/jwks/{project_id}", get(api::jwks))
            .route("/", get(outbox::page))
            .route("/dev/outbox", get(outbox::page))
            .route("/dev/outbox.json", get(outbox::json))
            .route("/dev/health", get(outbox::health))
            .route("/dev/keys/rotate", post(outbox::rotate_keys))
            .route("/dev/keys/retire", post(outbox::retire_keys))
            .route(
                "/dev/magic_links/{token}/expire",
                post(outbox::expire_magic_link),
            )
            .fallback(api::not_found)
            .with_state(self.clone())
    }

    /// Mail sent so far, oldest first.
    pub fn outbox(&self) -> Vec<Mail> {
        self.data
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .outbox
            .clone()
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> std::io::Result<crate::serve::Server> {
        crate::serve::Server::spawn("Stytch emulator", self.router(), listener)
    }
}

//! An emulator of Stytch's Consumer API for email magic links and sessions, on Stytch's wire
//! format (Basic auth, JSON bodies, `{status_code, request_id, error_type, …}` errors, RS256
//! session JWTs with Stytch's claims). Instead of sending mail it keeps an outbox that a person
//! reads at `/dev/outbox` and tests read at `/dev/outbox.json`.
//!
//! The files, as in every emulator: `state.rs` (the emulator and what it remembers), `api.rs`
//! (the API the app calls: magic links, with the request checks and error bodies all its
//! endpoints share), `sessions.rs` (sessions: authenticate, revoke, JWKS), `tokens.rs` (what it
//! writes and signs), `dev.rs` (development endpoints: the outbox, keys, expiring a link).
//! Stytch has no hosted page.

mod api;
mod dev;
mod sessions;
mod state;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use state::{Config, Emulator, Mail};

impl Emulator {
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
            .route(
                "/v1/sessions/authenticate",
                post(sessions::authenticate_session),
            )
            .route("/v1/sessions/revoke", post(sessions::revoke_session))
            .route("/v1/sessions/jwks/{project_id}", get(sessions::jwks))
            .route("/", get(dev::page))
            .route("/dev/outbox", get(dev::page))
            .route("/dev/outbox.json", get(dev::json))
            .route("/dev/health", get(dev::health))
            .route("/dev/keys/rotate", post(dev::rotate_keys))
            .route("/dev/keys/retire", post(dev::retire_keys))
            .route("/dev/outage", post(dev::outage))
            .route(
                "/dev/magic_links/{token}/expire",
                post(dev::expire_magic_link),
            )
            .fallback(api::not_found)
            .with_state(self.clone())
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> std::io::Result<crate::serve::Server> {
        crate::serve::Server::spawn("Stytch emulator", self.router(), listener)
    }
}

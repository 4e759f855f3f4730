//! An emulator of WorkOS AuthKit's slice of the User Management API: the authorize redirect
//! (`provider=authkit`, state, PKCE), `/user_management/authenticate` with the code and
//! refresh-token grants (single-use refresh tokens), the client's JWKS at
//! `/sso/jwks/{client_id}`, RS256 access tokens with WorkOS' claims, the session logout
//! redirect, session revocation (`/user_management/sessions/revoke`), and WorkOS' error bodies.
//!
//! A person signs in on a one-field page (an email address; the same address is always the
//! same user). Tests skip the page with `login_hint=<email>`, bend the next access token with
//! `POST /dev/tamper`, rotate keys, end sessions and take the JWKS down through `/dev/…`.
//!
//! The files, as in every emulator: `state.rs` (the emulator and what it remembers), `api.rs`
//! (the API the app calls), `page.rs` (what the browser visits), `tokens.rs` (what it signs),
//! `dev.rs` (development endpoints of its own; the shared ones are in `crate::hosted`).

mod api;
mod dev;
mod page;
mod state;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use state::{Config, Emulator, Tamper};

impl Emulator {
    pub fn router(self: &Arc<Self>) -> Router {
        crate::hosted::routes::<Emulator>("/user_management/authorize")
            .route("/user_management/authenticate", post(api::authenticate))
            .route("/user_management/sessions/logout", get(page::logout))
            .route(
                "/user_management/sessions/revoke",
                post(api::revoke_session),
            )
            .route("/sso/jwks/{client_id}", get(api::jwks))
            .route("/dev/outage", post(dev::outage))
            .fallback(api::not_found)
            .with_state(self.clone())
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> std::io::Result<crate::serve::Server> {
        crate::serve::Server::spawn("WorkOS emulator", self.router(), listener)
    }
}

//! One OpenID Connect provider emulator in the flavours of the providers the app supports:
//! Auth0, Kinde and Clerk (as an OAuth/OIDC identity provider), and a plain issuer for "any
//! OpenID Connect provider". Each flavour keeps its provider's paths, issuer form, user ids,
//! logout and error bodies; the protocol (discovery, authorization code with PKCE and nonce,
//! refresh, JWKS, userinfo, revocation) is the same, as it is at the providers.
//!
//! A person signs in on a one-field page (an email address; the same address is always the
//! same user). Tests skip the page with `login_hint=<email>`, and bend the next ID token with
//! `POST /dev/tamper` to see the app refuse it.
//!
//! The files, as in every emulator: `state.rs` (the emulator and what it remembers), `api.rs`
//! (the API the app calls), `page.rs` (what the browser visits), `tokens.rs` (what it signs);
//! and `flavor.rs`, what differs between the providers. Its development endpoints are the
//! shared ones of `crate::hosted`.

mod api;
mod flavor;
mod page;
mod state;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use flavor::Flavor;
pub use state::{Config, Emulator, Tamper};

impl Emulator {
    pub fn router(self: &Arc<Self>) -> Router {
        let paths = self.config.flavor.paths();
        let mut router = crate::hosted::routes::<Emulator>(paths.authorize)
            .route("/.well-known/openid-configuration", get(api::discovery))
            .route(paths.token, post(api::token))
            .route(paths.userinfo, get(api::userinfo))
            .route(paths.revoke, post(api::revoke))
            .route(paths.jwks, get(api::jwks));
        for logout in paths.logout {
            router = router.route(logout, get(page::logout));
        }
        router.fallback(api::not_found).with_state(self.clone())
    }

    pub fn serve(self: &Arc<Self>, listener: TcpListener) -> std::io::Result<crate::serve::Server> {
        crate::serve::Server::spawn(self.config.flavor.emulator_name(), self.router(), listener)
    }
}

//! Server-only code: configuration, sessions, the provider and InsForge clients, token minting
//! and the web server. Never compiled to wasm.

pub mod config;
pub mod fns;
pub mod insforge;
pub mod jwks;
pub mod middleware;
pub mod migrate;
pub mod oidc;
pub mod oidc_http;
pub mod providers;
pub mod redirect;
pub mod session;
pub mod signin;
pub mod state;
pub mod stytch;
pub mod token;
pub mod web;
pub mod workos;

//! Server-only code: configuration, sessions, the providers and the InsForge client, token
//! minting and the web server. Never compiled to wasm, and never importing a component, a
//! server function or `app`: the web server gets the app's shell and routes from `main`.

pub mod assets;
pub mod config;
pub mod context;
pub mod doctor;
pub mod gzip;
pub mod headers;
pub mod http;
pub mod insforge;
pub mod jwks;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod migrate;
pub mod observe;
pub mod provider;
pub mod providers;
pub mod ready;
pub mod refresh;
pub mod serve;
pub mod session;
pub mod shared;
pub mod sign_in;
pub mod state;
pub mod status;
pub mod token;
pub mod web;

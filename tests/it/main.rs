//! The integration tests, one binary: each module tests one part of the app over real HTTP
//! against the local stack (PostgreSQL with RLS, the InsForge stand-in, the provider
//! emulators), which the tests start themselves.

mod common;
mod hosted;
mod whole;

mod client;
mod doctor;
mod emulators;
mod gzip;
mod id_tokens;
mod input;
mod limits;
mod migrations;
mod observe;
mod oidc;
mod provider_config;
mod ready;
mod replicas;
mod revocation;
mod rls;
mod serve;
mod session_end;
mod shared;
mod stytch;
mod tokens;
mod workos;

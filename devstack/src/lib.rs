//! The project's local stack: a private PostgreSQL set up the way InsForge sets its database up,
//! a stand-in for the slice of InsForge's HTTP API the app uses, and emulators of the
//! auth providers' HTTP APIs. Everything here is for development and tests; none of it ships with the app.

pub mod control;
pub mod emulators;
pub mod hosted;
pub mod insforge;
pub mod jwk;
pub mod keys;
pub mod oidc;
pub mod pg;
pub mod process;
pub mod proxy;
pub mod redis;
pub mod serve;
pub mod stytch;
pub mod testing;
pub mod workos;

//! The project's local stack: a private PostgreSQL set up the way InsForge sets its database up,
//! a stand-in for the slice of InsForge's HTTP API the app uses, and (later) emulators of the
//! auth providers. Everything here is for development and tests; none of it ships with the app.

pub mod insforge;
pub mod keys;
pub mod pg;
pub mod testing;

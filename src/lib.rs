//! Sign in with a hosted auth provider, keep your data in InsForge.
//!
//! Shared types live at the top level and compile for both the server and the browser; the
//! `server` module (feature `ssr`) holds everything that touches secrets or the network.

pub mod todo;

#[cfg(feature = "ssr")]
pub mod server;

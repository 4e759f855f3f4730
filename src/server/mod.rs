//! Server-only code: configuration, InsForge access, token minting. Never compiled to wasm.

pub mod config;
pub mod insforge;
pub mod migrate;
pub mod token;
pub mod jwks;
pub mod stytch;

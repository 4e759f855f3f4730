//! The WorkOS emulator's development endpoint of its own (the shared ones are in
//! `crate::hosted`): an outage of WorkOS' key endpoint, or of its API. It does not exist at
//! WorkOS.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::state::Emulator;

#[derive(Deserialize)]
pub(crate) struct Outage {
    #[serde(default)]
    jwks: bool,
    /// `authenticate` and `sessions/revoke`.
    #[serde(default)]
    api: bool,
}

/// Takes the JWKS endpoint or the API down (503), or brings them back.
pub(crate) async fn outage(
    State(emu): State<Arc<Emulator>>,
    Json(outage): Json<Outage>,
) -> StatusCode {
    let mut data = emu.core.data();
    data.jwks_down = outage.jwks;
    data.api_down = outage.api;
    StatusCode::NO_CONTENT
}

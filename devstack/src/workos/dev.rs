//! The WorkOS emulator's development endpoint of its own (the shared ones are in
//! `crate::hosted`): an outage of WorkOS' key endpoint. It does not exist at WorkOS.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::state::Emulator;

#[derive(Deserialize)]
pub(crate) struct Outage {
    jwks: bool,
}

/// Takes the JWKS endpoint down (503) or brings it back.
pub(crate) async fn outage(
    State(emu): State<Arc<Emulator>>,
    Json(outage): Json<Outage>,
) -> StatusCode {
    emu.core.data().jwks_down = outage.jwks;
    StatusCode::NO_CONTENT
}

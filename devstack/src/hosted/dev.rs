//! The development routes every hosted emulator has: tamper with the next token, rotate and
//! retire keys, end a user's sessions, and what the tests read back (logouts, revocations,
//! refreshes).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::emulator::{Hosted, Refreshes};
use crate::jwk::KeyAlg;

/// The development routes, for emulator `E`.
pub(super) fn routes<E: Hosted>() -> Router<Arc<E>> {
    Router::new()
        .route("/dev/health", get(|| async { "ok" }))
        .route("/dev/tamper", post(tamper::<E>))
        .route("/dev/keys/rotate", post(rotate_keys::<E>))
        .route("/dev/keys/retire", post(retire_keys::<E>))
        .route("/dev/users/revoke", post(revoke_user::<E>))
        .route("/dev/logouts", get(logouts::<E>))
        .route("/dev/revocations", get(revocations::<E>))
        .route("/dev/refreshes", get(refreshes::<E>))
}

/// The next token carries these changes; the one after is normal again.
async fn tamper<E: Hosted>(State(emu): State<Arc<E>>, Json(tamper): Json<E::Tamper>) -> StatusCode {
    emu.tamper_next(tamper);
    StatusCode::NO_CONTENT
}

/// `POST /dev/keys/rotate`, optionally `{"alg": "ES256" | "PS256" | "RS256", "kid": false}`
/// for a key of another algorithm, or one published and used without a key id.
#[derive(Deserialize, Default)]
struct Rotation {
    #[serde(default)]
    alg: KeyAlg,
    kid: Option<bool>,
}

async fn rotate_keys<E: Hosted>(State(emu): State<Arc<E>>, body: axum::body::Bytes) -> Response {
    let rotation: Rotation = if body.is_empty() {
        Rotation::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(rotation) => rotation,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    };
    match emu
        .keys()
        .rotate_to(rotation.alg, rotation.kid.unwrap_or(true))
    {
        Ok(kid) => Json(json!({ "kid": kid })).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn retire_keys<E: Hosted>(State(emu): State<Arc<E>>) -> StatusCode {
    emu.keys().retire_old();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct RevokeUser {
    sub: String,
}

async fn revoke_user<E: Hosted>(
    State(emu): State<Arc<E>>,
    Json(who): Json<RevokeUser>,
) -> StatusCode {
    emu.revoke_user(&who.sub);
    StatusCode::NO_CONTENT
}

async fn logouts<E: Hosted>(State(emu): State<Arc<E>>) -> Json<Value> {
    Json(json!(emu.logouts()))
}

async fn revocations<E: Hosted>(State(emu): State<Arc<E>>) -> Json<Value> {
    Json(json!(emu.revocations()))
}

async fn refreshes<E: Hosted>(State(emu): State<Arc<E>>) -> Json<Refreshes> {
    Json(emu.refreshes())
}

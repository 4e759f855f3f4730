//! The emulator's development endpoints: the outbox (an HTML page for people, JSON for tests),
//! key rotation and expiring a link on purpose. None of these exist at Stytch.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::state::Emulator;
use crate::hosted::escape;

pub(crate) async fn page(State(emu): State<Arc<Emulator>>) -> Html<String> {
    let mails = emu.outbox();
    let rows: String = if mails.is_empty() {
        "<p>No mail yet. Ask for a sign-in link in the app and it appears here.</p>".into()
    } else {
        let items: String = mails
            .iter()
            .rev()
            .map(|m| {
                format!(
                    "<li><strong>{to}</strong> <small>({kind}, {sent})</small><br><a href=\"{link}\">Sign in to the app</a></li>",
                    to = escape(&m.to),
                    kind = m.kind,
                    sent = m.sent_at.time(),
                    link = escape(&m.link),
                )
            })
            .collect();
        format!("<ol>{items}</ol>")
    };
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stytch emulator: outbox</title>\
         <meta http-equiv=\"refresh\" content=\"5\">\
         <style>body{{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}li{{margin:1rem 0}}</style>\
         </head><body><h1>Outbox</h1><p>The magic links the Stytch emulator would have emailed, newest first. \
         This page refreshes itself.</p>{rows}</body></html>"
    ))
}

#[derive(Deserialize)]
pub(crate) struct OutboxFilter {
    to: Option<String>,
}

/// Mail sent so far, oldest first; `?to=` keeps one recipient's.
pub(crate) async fn json(
    State(emu): State<Arc<Emulator>>,
    Query(filter): Query<OutboxFilter>,
) -> Response {
    let to = filter.to.map(|t| t.trim().to_lowercase());
    let mails: Vec<_> = emu
        .outbox()
        .into_iter()
        .filter(|m| to.as_ref().is_none_or(|t| &m.to == t))
        .collect();
    Json(json!({ "messages": mails })).into_response()
}

pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

fn key_error(e: crate::jwk::KeyError) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

/// Signs from now on with a new key; the old one stays published.
pub(crate) async fn rotate_keys(State(emu): State<Arc<Emulator>>) -> Response {
    match emu.keys.rotate() {
        Ok(kid) => Json(json!({ "kid": kid })).into_response(),
        Err(e) => key_error(e),
    }
}

/// Unpublishes every key but the newest.
pub(crate) async fn retire_keys(State(emu): State<Arc<Emulator>>) -> Response {
    emu.keys.retire_old();
    Json(json!({ "keys": emu.keys.jwks().len() })).into_response()
}

pub(crate) async fn expire_magic_link(
    State(emu): State<Arc<Emulator>>,
    Path(token): Path<String>,
) -> Response {
    let mut data = emu.data();
    match data.magic_links.get_mut(&token) {
        Some(link) => {
            link.expires_at = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct Outage {
    jwks: bool,
}

/// Takes the key endpoint down (503) or brings it back. It does not exist at Stytch.
pub(crate) async fn outage(
    State(emu): State<Arc<Emulator>>,
    Json(outage): Json<Outage>,
) -> StatusCode {
    emu.data().jwks_down = outage.jwks;
    StatusCode::NO_CONTENT
}

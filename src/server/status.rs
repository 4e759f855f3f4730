//! Honest HTTP statuses for the server functions. server_fn 0.8 answers every error with 500
//! and has no hook to choose a status per error, so this layer sets the one the error names
//! (`AppError::status`): 4xx for the request's faults, 503 when InsForge or a provider is
//! unreachable, 500 only for our own. It also refuses bodies over the size limit up front.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;
use crate::paths::{HOME, SERVER_FNS};

/// The largest server-function request: a form with a title and an id is well under 4 KiB.
pub const BODY_LIMIT: usize = 64 * 1024;
/// An error body is an `AppError` in JSON: a few hundred bytes.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// A failure told to whoever asked: the `AppError` JSON a server function answers with, or a
/// short page for a browser's plain form post.
pub fn refusal(error: &AppError, wants_page: bool) -> Response {
    let status = status_of(error);
    if wants_page {
        // The message is one of ours (no user input in it), so it needs no escaping.
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{error}</title>\
             </head><body><main><p role=\"alert\">{error}</p><p><a href=\"{HOME}\">Back to the app</a>\
             </p></main></body></html>"
        );
        return (status, Html(page)).into_response();
    }
    (status, axum::Json(error)).into_response()
}

/// 429 for a client over one of its limits, saying when to come back (`Retry-After`).
pub fn too_many(error: &AppError, retry_after_secs: u64, wants_page: bool) -> Response {
    let mut response = refusal(error, wants_page);
    if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The HTTP status of `error` (`AppError::status`, kept free of `http` for the browser build).
pub fn status_of(error: &AppError) -> StatusCode {
    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Whether a request asks for a page (a browser's page load or form post, or `enhance.js`
/// posting one) rather than for the server function's answer itself.
pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

pub fn wants_page(request: &Request) -> bool {
    accepts_html(request.headers())
}

pub async fn honest_status(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(SERVER_FNS) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT) {
        tracing::info!(
            path = %request.uri().path(),
            "refused a {} byte body (the limit is {BODY_LIMIT})",
            declared.unwrap_or_default()
        );
        return refusal(&AppError::TooLarge, wants_page(&request));
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, ERROR_BODY_LIMIT).await else {
        tracing::error!("a server function's error body could not be read");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&error);
    }
    Response::from_parts(parts, Body::from(bytes))
}

//! What operators see of each request: an id of ours (`X-Request-Id`, also on the response) on
//! every log line the request writes, one line when it is answered (status and time), and its
//! count and latency for `/metrics`. A proxy's own request id, if it sends a sane one, is kept
//! beside ours as `upstream`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use super::metrics;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A route label for requests no route matched: static files, or anything else. Raw paths
/// would make one time series per scanner's guess.
fn unmatched(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "/pkg/*"
    } else {
        "unmatched"
    }
}

/// A proxy's request id worth keeping: short, and of the characters ids are made of.
fn sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:=".contains(&b))
}

pub async fn observe(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| unmatched(&path).to_string(), |p| p.as_str().to_string());
    let span = tracing::info_span!("request", id = %id, %method, %path, upstream = Empty);
    if let Some(upstream) = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
    {
        span.record("upstream", upstream);
    }
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, ms = elapsed.as_secs_f64() * 1000.0, "answered"));
    metrics::http_request(&route, &method, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_upstream_ids_are_kept_and_paths_are_not_labels() {
        assert!(sane("b7c1f0e2-4a1d-4f7e-9a5e-3c2d1e0f9a8b"));
        assert!(sane("Root=1-67891233-abcdef012345678912345678"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane(&"x".repeat(129)));
        assert_eq!(unmatched("/pkg/insforge-auth.wasm"), "/pkg/*");
        assert_eq!(unmatched("/wp-login.php"), "unmatched");
    }
}

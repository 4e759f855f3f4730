//! What operators see of each request: an id of ours (`X-Request-Id`, also on the response) on
//! every log line the request writes, one line when it is answered (status and time), and its
//! count and latency for `/metrics`. A proxy's own request id, if it sends a sane one, is kept
//! beside ours as `upstream`.
//!
//! `observe` is the outermost layer (`serve::bounded`), so requests cut off by the timeout or
//! shed by the concurrency limit are seen too; the route they matched is only known inside the
//! router, which `note_route` hands out on the response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use super::metrics;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route a request matched, handed from inside the router to `observe`.
#[derive(Clone)]
struct Route(String);

/// Inside the router: the matched route's pattern, on the response.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| Route(p.as_str().to_string()));
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// A route label for requests no route matched: static files, or anything else. Raw paths
/// would make one time series per scanner's guess.
fn unmatched(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "/pkg/*"
    } else {
        "unmatched"
    }
}

/// A method label: any token is a method to HTTP, so invented ones are one series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
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
    let method = method_label(request.method());
    let path = request.uri().path().to_string();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), %path, upstream = Empty);
    if let Some(upstream) = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
    {
        span.record("upstream", upstream);
    }
    // Counted even if the client goes away first (the future is then dropped).
    let call = metrics::Call::request(method, unmatched(&path));
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        )
    });
    let route = response.extensions_mut().remove::<Route>().map(|r| r.0);
    call.answered(route, status);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_upstream_ids_are_kept_and_neither_paths_nor_methods_make_labels() {
        assert!(sane("b7c1f0e2-4a1d-4f7e-9a5e-3c2d1e0f9a8b"));
        assert!(sane("Root=1-67891233-abcdef012345678912345678"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane(&"x".repeat(129)));
        assert_eq!(unmatched("/pkg/insforge-auth.wasm"), "/pkg/*");
        assert_eq!(unmatched("/wp-login.php"), "unmatched");
        let invented = Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&invented), "other");
        assert_eq!(method_label(&Method::POST), "POST");
    }
}

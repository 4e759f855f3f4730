//! `/metrics` in Prometheus' text format, through the `metrics` facade and its Prometheus
//! exporter: requests by route and status with latency histograms, InsForge's and the
//! providers' calls by outcome with their latency, refreshes by outcome, and requests refused
//! by a limit. One recorder per process, installed with the first `Services`. Served on a port
//! of its own (`METRICS_ADDR`), never next to the pages: what it counts is nobody else's
//! business.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::{counter, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Where the scrape answers (on `METRICS_ADDR`).
pub const PATH: &str = "/metrics";
/// Latency buckets, seconds: from a cached page to a request that timed out.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// How often the histograms' samples are folded in when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first call (with a task that keeps its memory
/// bounded). `None` if another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .map(PrometheusBuilder::install_recorder);
            match recorder {
                Ok(Ok(handle)) => {
                    let upkeep = handle.clone();
                    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                        runtime.spawn(async move {
                            loop {
                                tokio::time::sleep(UPKEEP).await;
                                upkeep.run_upkeep();
                            }
                        });
                    }
                    Some(handle)
                }
                Ok(Err(e)) => {
                    tracing::warn!("no metrics: {e}");
                    None
                }
                Err(e) => {
                    tracing::warn!("no metrics: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// The scrape.
pub async fn render() -> impl IntoResponse {
    let text = install().map(PrometheusHandle::render).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// The router of the metrics port.
pub fn router() -> Router {
    Router::new().route(PATH, get(render))
}

/// A request answered: `route` is its pattern (never the raw path: that is unbounded).
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    counter!(
        "http_requests_total",
        "route" => route.to_string(),
        "method" => method.to_string(),
        "status" => status.to_string()
    )
    .increment(1);
    histogram!("http_request_duration_seconds", "route" => route.to_string())
        .record(elapsed.as_secs_f64());
}

/// A call to InsForge (with its retries): `ok`, or the error's kind.
pub fn insforge_call(outcome: &'static str, elapsed: Duration) {
    counter!("insforge_calls_total", "outcome" => outcome).increment(1);
    histogram!("insforge_call_duration_seconds", "outcome" => outcome)
        .record(elapsed.as_secs_f64());
}

/// A call to a provider at `host`: `ok`, `refused` (4xx) or `unavailable`.
pub fn provider_call(host: &str, outcome: &'static str, elapsed: Duration) {
    counter!("provider_calls_total", "host" => host.to_string(), "outcome" => outcome).increment(1);
    histogram!("provider_call_duration_seconds", "host" => host.to_string())
        .record(elapsed.as_secs_f64());
}

/// A refresh (or Stytch session check) asked of `provider`.
pub fn refresh(provider: &str, outcome: &'static str) {
    counter!("refreshes_total", "provider" => provider.to_string(), "outcome" => outcome)
        .increment(1);
}

/// A request refused by the limit `limit` (429).
pub fn limited(limit: &'static str) {
    counter!("limited_requests_total", "limit" => limit).increment(1);
}

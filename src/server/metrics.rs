//! `/metrics` in Prometheus' text format, through the `metrics` facade and its Prometheus
//! exporter: requests by route and status with latency histograms, InsForge's and the
//! providers' calls by outcome with their latency, refreshes by outcome, and requests refused
//! by a limit. One recorder per process, installed with the first `Services`. Served on a port
//! of its own (`METRICS_ADDR`), never next to the pages: what it counts is nobody else's
//! business.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::{counter, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Where the scrape answers (on `METRICS_ADDR`).
pub const PATH: &str = "/metrics";
/// The variable naming the metrics port's address.
pub const ADDR_VAR: &str = "METRICS_ADDR";
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
                    // A thread, not a task: the recorder outlives whichever runtime installed it.
                    let started = std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(UPKEEP);
                                upkeep.run_upkeep();
                            }
                        });
                    if let Err(e) = started {
                        tracing::warn!("no metrics upkeep: {e}");
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

/// The scrape (empty when another recorder holds the process).
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

/// The metrics port's only route.
pub fn router() -> Router {
    Router::new().route(PATH, get(render))
}

/// What a timed call is.
enum Kind {
    /// A request to this app; `fallback` labels it if no route matched.
    Request {
        method: &'static str,
        fallback: &'static str,
    },
    InsForge,
    Provider {
        host: String,
    },
}

/// A call being timed. Recorded when it ends, or as `cancelled` if it is dropped first (a
/// timeout, a client gone away): an outage must not thin out the samples that show it.
pub struct Call {
    kind: Kind,
    started: Instant,
    done: bool,
}

impl Call {
    fn start(kind: Kind) -> Self {
        Call {
            kind,
            started: Instant::now(),
            done: false,
        }
    }

    /// A request with this method label; `fallback` is its route label if none matched.
    pub fn request(method: &'static str, fallback: &'static str) -> Self {
        Call::start(Kind::Request { method, fallback })
    }

    /// A call to InsForge (with its retries).
    pub fn insforge() -> Self {
        Call::start(Kind::InsForge)
    }

    /// A call to a provider at `host`.
    pub fn provider(host: String) -> Self {
        Call::start(Kind::Provider { host })
    }

    /// The request was answered with `status`, having matched `route` (its pattern: never the
    /// raw path, which is unbounded).
    pub fn answered(mut self, route: Option<String>, status: u16) {
        self.done = true;
        self.record(route, &status.to_string());
    }

    /// The call ended: `ok`, or what went wrong.
    pub fn finished(mut self, outcome: &'static str) {
        self.done = true;
        self.record(None, outcome);
    }

    fn record(&self, route: Option<String>, outcome: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        let outcome = outcome.to_string();
        match &self.kind {
            Kind::Request { method, fallback } => {
                let route = route.unwrap_or_else(|| fallback.to_string());
                counter!("http_requests_total", "route" => route.clone(), "method" => *method, "status" => outcome)
                    .increment(1);
                histogram!("http_request_duration_seconds", "route" => route).record(seconds);
            }
            Kind::InsForge => {
                counter!("insforge_calls_total", "outcome" => outcome.clone()).increment(1);
                histogram!("insforge_call_duration_seconds", "outcome" => outcome).record(seconds);
            }
            Kind::Provider { host } => {
                counter!("provider_calls_total", "host" => host.clone(), "outcome" => outcome)
                    .increment(1);
                histogram!("provider_call_duration_seconds", "host" => host.clone())
                    .record(seconds);
            }
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.done {
            self.record(None, "cancelled");
        }
    }
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

//! Serving the router, with the bounds a server facing the internet needs and `axum::serve`
//! does not set: a client must send its request headers within `HEADER_READ_TIMEOUT_SECONDS`
//! (a slow client cannot hold a connection open forever), a request must be answered within
//! `REQUEST_TIMEOUT_SECONDS` (else 503: a 408 would have browsers send the request again), and
//! at most `MAX_CONCURRENT_REQUESTS` are served at once
//! (more are answered 503 at once rather than queued). On the shutdown signal the server stops
//! accepting, lets the requests in flight finish (for up to `SHUTDOWN_GRACE_SECONDS`), and
//! returns, so the process exits 0 as container platforms expect.
//!
//! The accept loop is hyper-util's connection builder and graceful-shutdown watcher, the
//! pieces `axum::serve` is made of, with a timer so hyper's header-read timeout takes effect.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{BoxError, ServiceExt};
use tower_http::timeout::TimeoutLayer;

/// The bounds on what clients may ask of the server.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// How long a client has to send its request headers.
    pub header_read: Duration,
    /// How long a request may take to be answered.
    pub request: Duration,
    /// Requests served at once; more are answered 503.
    pub max_in_flight: usize,
    /// How long the requests in flight may take to finish once the server is asked to stop.
    pub grace: Duration,
}

impl Default for Inbound {
    fn default() -> Self {
        Inbound {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            max_in_flight: 256,
            // Kubernetes waits 30 s after SIGTERM before it kills.
            grace: Duration::from_secs(25),
        }
    }
}

/// `router` with the request timeout and the concurrency limit, as one stack (see
/// `web::router` for why). Shed requests are logged at debug level only: an overload would
/// otherwise also flood the log.
fn bounded(router: Router, inbound: &Inbound) -> Router {
    router.layer(
        ServiceBuilder::new()
            // Outermost: requests cut off or shed below are logged and counted too.
            .layer(axum::middleware::from_fn(super::observe::observe))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                inbound.request,
            ))
            .layer(HandleErrorLayer::new(overloaded))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(inbound.max_in_flight)),
    )
}

async fn overloaded(e: BoxError) -> Response {
    tracing::debug!("request refused: {e}");
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        "The server is busy. Please try again in a moment.",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains. Each request carries
/// the peer's address (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    inbound: &Inbound,
    shutdown: impl Future<Output = ()>,
) {
    let app = bounded(router, inbound);
    // HTTP/1 only: browsers speak HTTP/2 only over TLS, which a proxy in front terminates, and
    // hyper's header-read timeout then bounds a connection from its first byte (the automatic
    // HTTP/2 detection would wait for that byte without a limit).
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(inbound.header_read);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: wait rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers go out as hyper writes them: with Nagle's algorithm a last small write (the
        // end of a streamed page) could wait for the client's delayed acknowledgement.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "TCP_NODELAY not set: {e}");
        }
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let (builder, watcher, header_read) =
            (builder.clone(), graceful.watcher(), inbound.header_read);
        tokio::spawn(async move {
            // hyper's header-read timeout starts at a request's first byte: a connection that
            // sends nothing at all is closed here.
            let mut first = [0u8; 1];
            if tokio::time::timeout(header_read, stream.peek(&mut first))
                .await
                .is_err()
            {
                tracing::debug!(%peer, "connection closed: nothing sent");
                return;
            }
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    tracing::info!("no longer accepting; finishing the requests in flight");
    if tokio::time::timeout(inbound.grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after {} s were cut off",
            inbound.grace.as_secs()
        );
    }
}

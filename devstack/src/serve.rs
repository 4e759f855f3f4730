//! A running HTTP server on a task of the current runtime, stopped by `stop` or by dropping
//! the handle. Every stand-in and emulator is served this way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub fn spawn(name: &'static str, app: Router, listener: TcpListener) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let app = counted(app);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("{name} stopped: {e}");
            }
        });
        Ok(Server {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the requests in flight.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Where a server says how many requests it has answered (`{"calls": n}`), its own `/dev/`
/// routes aside: the bench counts the InsForge and provider calls a page view makes.
pub const CALLS: &str = "/dev/calls";

fn counted(app: Router) -> Router {
    let calls = Arc::new(AtomicU64::new(0));
    let read = calls.clone();
    app.route(
        CALLS,
        get(move || async move { Json(serde_json::json!({ "calls": read.load(Ordering::Relaxed) })) }),
    )
    .layer(from_fn_with_state(calls, count))
}

async fn count(State(calls): State<Arc<AtomicU64>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/dev/") {
        calls.fetch_add(1, Ordering::Relaxed);
    }
    next.run(req).await
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

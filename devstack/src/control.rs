//! `devstack up`'s control port: lets end-to-end tests and the soak take the InsForge stand-in
//! down and bring it back on the same address, and restart PostgreSQL (when the stack runs its
//! own), to see what the app does while its backend is away.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::insforge;
use crate::pg::{Cluster, ClusterOptions};
use crate::serve::Server;

/// The stack's own PostgreSQL, restartable on the same port and data.
pub struct PgSwitch {
    options: ClusterOptions,
    cluster: Mutex<Option<Cluster>>,
}

impl PgSwitch {
    pub fn new(options: ClusterOptions, cluster: Cluster) -> Arc<Self> {
        Arc::new(PgSwitch {
            options,
            cluster: Mutex::new(Some(cluster)),
        })
    }

    /// Stops PostgreSQL (a fast shutdown: open connections are cut) and starts it again;
    /// returns once it accepts connections.
    pub async fn restart(&self) -> Result<(), String> {
        let mut slot = self.cluster.lock().await;
        if let Some(mut cluster) = slot.take() {
            tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .map_err(|e| e.to_string())?;
        }
        let cluster = Cluster::start(self.options.clone())
            .await
            .map_err(|e| e.to_string())?;
        *slot = Some(cluster);
        Ok(())
    }

    /// Stops PostgreSQL for good (the stack is stopping).
    pub async fn stop(&self) {
        if let Some(mut cluster) = self.cluster.lock().await.take() {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

#[derive(Clone)]
struct Switches {
    insforge: Arc<InsForgeSwitch>,
    pg: Option<Arc<PgSwitch>>,
}

pub struct InsForgeSwitch {
    config: insforge::Config,
    addr: SocketAddr,
    server: Mutex<Option<Server>>,
}

impl InsForgeSwitch {
    pub async fn start(config: insforge::Config, addr: SocketAddr) -> Result<Arc<Self>, String> {
        let switch = Arc::new(InsForgeSwitch {
            config,
            addr,
            server: Mutex::new(None),
        });
        switch.up().await?;
        Ok(switch)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts the stand-in unless it is running.
    pub async fn up(&self) -> Result<(), String> {
        let mut server = self.server.lock().await;
        if server.is_none() {
            let listener = TcpListener::bind(self.addr)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", self.addr))?;
            let started = insforge::Server::start(&self.config, listener)
                .await
                .map_err(|e| e.to_string())?;
            *server = Some(started);
        }
        Ok(())
    }

    /// Stops the stand-in: its port refuses connections until `up`.
    pub async fn down(&self) {
        if let Some(server) = self.server.lock().await.take() {
            server.stop().await;
        }
    }
}

/// `pg`: the stack's own PostgreSQL, if it runs one (not with `DATABASE_URL`).
pub fn router(insforge: Arc<InsForgeSwitch>, pg: Option<Arc<PgSwitch>>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/insforge/stop", post(stop))
        .route("/insforge/start", post(start))
        .route("/postgres/restart", post(restart_pg))
        .with_state(Switches { insforge, pg })
}

async fn restart_pg(State(switches): State<Switches>) -> (StatusCode, String) {
    let Some(pg) = switches.pg else {
        return (
            StatusCode::CONFLICT,
            "the stack uses DATABASE_URL: it does not run PostgreSQL".into(),
        );
    };
    match pg.restart().await {
        Ok(()) => {
            tracing::info!("PostgreSQL restarted (control port)");
            (StatusCode::NO_CONTENT, String::new())
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

async fn stop(State(switches): State<Switches>) -> StatusCode {
    let switch = switches.insforge;
    switch.down().await;
    tracing::info!("InsForge stand-in stopped (control port)");
    StatusCode::NO_CONTENT
}

async fn start(State(switches): State<Switches>) -> (StatusCode, String) {
    match switches.insforge.up().await {
        Ok(()) => {
            tracing::info!("InsForge stand-in started again (control port)");
            (StatusCode::NO_CONTENT, String::new())
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

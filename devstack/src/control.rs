//! `devstack up`'s control port: lets end-to-end tests take the InsForge stand-in down and
//! bring it back on the same address, to see what the app shows while its backend is away.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::insforge;
use crate::serve::Server;

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

pub fn router(switch: Arc<InsForgeSwitch>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/insforge/stop", post(stop))
        .route("/insforge/start", post(start))
        .with_state(switch)
}

async fn stop(State(switch): State<Arc<InsForgeSwitch>>) -> StatusCode {
    switch.down().await;
    tracing::info!("InsForge stand-in stopped (control port)");
    StatusCode::NO_CONTENT
}

async fn start(State(switch): State<Arc<InsForgeSwitch>>) -> (StatusCode, String) {
    match switch.up().await {
        Ok(()) => {
            tracing::info!("InsForge stand-in started again (control port)");
            (StatusCode::NO_CONTENT, String::new())
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

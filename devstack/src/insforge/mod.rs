//! A stand-in for the slice of InsForge's HTTP API this app uses: the records API (InsForge's
//! gateway in front of PostgREST), the migrations API and health. It is a development and test
//! tool, not a product: see the README for where it differs from InsForge.

pub mod auth;
pub mod error;
mod gateway;
mod migrations;
pub mod query;
mod records;
mod request;
mod respond;
mod split;
pub mod sql;
mod state;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::net::TcpListener;

use auth::Credentials;
use error::json_response;
use state::AppState;

/// What the stand-in needs to know; the same three secrets a real InsForge project has.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub jwt_secret: String,
    /// The admin key, `ik_…`.
    pub api_key: String,
    /// The anon key, `anon_…`.
    pub anon_key: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::pg::redact_url(&self.database_url))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("bad database URL: {0}")]
    DatabaseUrl(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("listen: {0}")]
    Listen(#[from] std::io::Error),
}

pub fn router(config: &Config) -> Result<Router, ServeError> {
    let mut pg_config: tokio_postgres::Config = config.database_url.parse()?;
    // InsForge's database runs in UTC, and JSON timestamps carry the session's offset.
    pg_config.options("-c TimeZone=UTC");
    let manager = Manager::from_config(
        pg_config,
        tokio_postgres::NoTls,
        ManagerConfig {
            // Migrations run arbitrary SQL; `Clean` resets whatever session state it left
            // (PostgREST and InsForge's migrations do not share connections either).
            recycling_method: RecyclingMethod::Clean,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(16)
        .build()
        .map_err(|e| ServeError::Pool(e.to_string()))?;
    let state = Arc::new(AppState {
        pool,
        credentials: Credentials::new(&config.jwt_secret, &config.api_key, &config.anon_key),
    });
    Ok(Router::new()
        .route("/api/health", get(health))
        .route("/api/database/records/{table}", any(records::handle))
        .route(
            "/api/database/migrations",
            get(migrations::list).post(migrations::apply),
        )
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(
            gateway::MAX_BODY_BYTES,
        ))
        .with_state(state))
}

async fn health() -> Response {
    let body = serde_json::json!({
        "status": "ok",
        "version": "devstack",
        "service": "Insforge OSS Backend",
        "timestamp": migrations::iso_now(),
    });
    json_response(
        StatusCode::OK,
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

/// The published InsForge image serves its dashboard, so unknown routes reach Express's
/// default handler: an HTML page, not JSON.
async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let path = uri
        .path()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot {method} {path}</pre>\n</body>\n</html>\n"
    );
    let mut response = (StatusCode::NOT_FOUND, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        "content-security-policy",
        axum::http::HeaderValue::from_static("default-src 'none'"),
    );
    headers.insert(
        "x-content-type-options",
        axum::http::HeaderValue::from_static("nosniff"),
    );
    response
}

/// A running stand-in. Dropping the handle (or `stop`) shuts it down.
pub struct Server;

impl Server {
    /// Serves on `listener` in a task of the current runtime.
    pub async fn start(
        config: &Config,
        listener: TcpListener,
    ) -> Result<crate::serve::Server, ServeError> {
        let app = router(config)?;
        Ok(crate::serve::Server::spawn(
            "InsForge stand-in",
            app,
            listener,
        )?)
    }
}

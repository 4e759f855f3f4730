//! `/readyz`: whether this replica can serve signed-in users now. InsForge must answer a
//! harmless read with a token minted here (so its URL and the JWT secret are right), and each
//! provider's keys (and an OpenID Connect issuer's discovery) must load. `/healthz` says only
//! that the process serves; a load balancer sends users to replicas that are ready.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::future::join_all;
use serde::Serialize;

use super::insforge::InsForgeError;
use super::state::{AppState, Services};

/// How long each check may take: a probe must answer before the balancer gives up on it.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// The subject of the probe's token: a user with no rows.
const PROBE_SUBJECT: &str = "readiness-probe";

/// One dependency's state: `problem` is `None` when it is ready.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub name: String,
    pub problem: Option<String>,
}

async fn bounded<E: std::fmt::Display>(
    name: &str,
    check: impl Future<Output = Result<(), E>>,
) -> Readiness {
    let problem = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {CHECK_TIMEOUT:?}")),
    };
    Readiness {
        name: name.to_string(),
        problem,
    }
}

/// InsForge's and each provider's state, checked at once.
pub async fn check(services: &Services) -> Vec<Readiness> {
    let insforge = bounded("insforge", async {
        let token = services
            .minter
            .mint(PROBE_SUBJECT, None)
            .map_err(|e| e.to_string())?;
        services.insforge.probe(&token).await.map_err(|e| match e {
            InsForgeError::Unauthorized(_) => format!(
                "{e} (is INSFORGE_JWT_SECRET the project's JWT secret, from its dashboard?)"
            ),
            other => other.to_string(),
        })
    });
    let providers = services
        .providers
        .all()
        .map(|p| bounded(p.name(), p.ready()));
    let (insforge, mut providers) = tokio::join!(insforge, join_all(providers));
    providers.insert(0, insforge);
    providers
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let checks = check(&state.services).await;
    let failing: Vec<&Readiness> = checks.iter().filter(|c| c.problem.is_some()).collect();
    if failing.is_empty() {
        return "ready".into_response();
    }
    for c in &failing {
        tracing::warn!(
            dependency = %c.name,
            "not ready: {}",
            c.problem.as_deref().unwrap_or_default()
        );
    }
    (StatusCode::SERVICE_UNAVAILABLE, Json(checks)).into_response()
}

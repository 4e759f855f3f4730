//! `/readyz`: whether this replica can serve signed-in users now. InsForge must answer a
//! harmless read with a token minted here (so its URL and the JWT secret are right), and each
//! provider's keys (and an OpenID Connect issuer's discovery) must load. `/healthz` says only
//! that the process serves; a load balancer sends users to replicas that are ready.

use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::future::join_all;
use tokio::sync::Mutex;

use super::insforge::InsForgeError;
use super::state::{AppState, Services};

/// How long each check may take: a probe must answer before the balancer gives up on it
/// (give the probe a timeout of 3 s or more).
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long an answer is kept.
const KEEP: Duration = Duration::from_secs(2);
/// The subject of the probe's token: a user with no rows.
const PROBE_SUBJECT: &str = "readiness-probe";

/// One dependency's state: `problem` is `None` when it is ready.
#[derive(Debug)]
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

/// Whether InsForge answers a harmless read with a token minted here: its URL and the JWT
/// secret are right (for `/readyz` and `doctor`).
pub async fn insforge(services: &Services) -> Result<(), InsForgeError> {
    let token = services
        .minter
        .mint(PROBE_SUBJECT, None)
        .map_err(|e| InsForgeError::Unexpected(format!("minting a token: {e}")))?;
    services.insforge.probe(&token).await
}

/// InsForge's and each provider's state, checked at once. A provider whose keys are cached is
/// ready even while it is unreachable: sessions still verify against those keys.
pub async fn check(services: &Services) -> Vec<Readiness> {
    let insforge = bounded("insforge", async {
        insforge(services).await.map_err(|e| match e {
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

/// The last answer, kept a moment: many balancers probing cost InsForge one read a moment,
/// and one check runs at a time.
#[derive(Default)]
pub struct Cache(Mutex<Option<(Instant, Vec<String>)>>);

/// The names of what is not ready (the details go to the log, not to whoever asks).
async fn not_ready(services: &Services, cache: &Cache) -> Vec<String> {
    let mut last = cache.0.lock().await;
    if let Some((at, failing)) = last.as_ref()
        && at.elapsed() < KEEP
    {
        return failing.clone();
    }
    let mut failing = Vec::new();
    for c in check(services).await {
        if let Some(problem) = c.problem {
            tracing::warn!(dependency = %c.name, "not ready: {problem}");
            failing.push(c.name);
        }
    }
    *last = Some((Instant::now(), failing.clone()));
    failing
}

pub async fn readyz(state: AppState, cache: &Cache) -> Response {
    let failing = not_ready(&state.services, cache).await;
    if failing.is_empty() {
        return "ready".into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "not_ready": failing })),
    )
        .into_response()
}

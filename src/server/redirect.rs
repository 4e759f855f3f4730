//! The providers that sign in on their own hosted page (every OpenID Connect provider, and
//! WorkOS AuthKit) behind one interface: start a sign-in, finish its callback, refresh the
//! session, and the provider's sign-out URL. One error type for all of them, so the callback
//! handler and the session layer treat every provider's failures alike.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use url::Url;

use super::oidc::OidcProvider;
use super::session::ProviderState;
use super::workos::WorkOsClient;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),
    /// The provider refused the code or refresh token (used, expired, revoked).
    #[error("the provider refused the grant: {0}")]
    Refused(String),
    /// The provider refused the app itself: client id or secret, callback URL, issuer.
    #[error("the provider refused the app's settings: {0}")]
    Misconfigured(String),
    #[error("the provider's token was rejected: {0}")]
    InvalidToken(String),
    #[error("unexpected answer from the provider: {0}")]
    Unexpected(String),
}

/// What a sign-in must remember between leaving for the provider and coming back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    /// OpenID Connect's; WorkOS has no ID token to carry one.
    #[serde(default)]
    pub nonce: Option<String>,
    pub pkce_verifier: String,
}

/// A verified sign-in or refresh: who, and what the session keeps to go on validating it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: String,
    pub email: Option<String>,
    pub state: ProviderState,
}

pub enum RedirectProvider {
    Oidc(OidcProvider),
    WorkOs(WorkOsClient),
}

impl RedirectProvider {
    /// Its name in `AUTH_PROVIDERS`, the session and the sign-in URL.
    pub fn name(&self) -> &str {
        match self {
            RedirectProvider::Oidc(p) => &p.config().name,
            RedirectProvider::WorkOs(_) => "workos",
        }
    }

    /// What the sign-in page calls it.
    pub fn label(&self) -> &str {
        match self {
            RedirectProvider::Oidc(p) => &p.config().label,
            RedirectProvider::WorkOs(_) => "WorkOS",
        }
    }

    /// The callback on this site.
    pub fn redirect_url(&self) -> &Url {
        match self {
            RedirectProvider::Oidc(p) => p.redirect_url(),
            RedirectProvider::WorkOs(w) => w.redirect_url(),
        }
    }

    /// Where to send the browser to sign in, and what to remember until it comes back.
    pub async fn begin(&self) -> Result<(Url, PendingLogin), ProviderError> {
        match self {
            RedirectProvider::Oidc(p) => p.begin().await,
            RedirectProvider::WorkOs(w) => Ok(w.begin()),
        }
    }

    /// Exchanges the callback's code (once) and verifies what it brings.
    pub async fn finish(
        &self,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<SignedIn, ProviderError> {
        match self {
            RedirectProvider::Oidc(p) => p.finish(code, pending).await.map(|s| s.into()),
            RedirectProvider::WorkOs(w) => w.authenticate_code(code, pending).await,
        }
    }

    async fn refresh(&self, refresh_token: &str, user_id: &str) -> Result<SignedIn, ProviderError> {
        match self {
            RedirectProvider::Oidc(p) => p.refresh(refresh_token, user_id).await.map(|s| s.into()),
            RedirectProvider::WorkOs(w) => w.refresh(refresh_token, user_id).await,
        }
    }

    /// Where to send the browser to end the session at the provider too, coming back to
    /// `return_to`; `None` when the provider has no sign-out page.
    pub async fn logout_url(&self, state: &ProviderState, return_to: &str) -> Option<Url> {
        match (self, state) {
            (RedirectProvider::Oidc(p), _) => p.logout_url(return_to).await,
            (RedirectProvider::WorkOs(w), ProviderState::WorkOs { session_id, .. }) => {
                Some(w.logout_url(session_id, return_to))
            }
            (RedirectProvider::WorkOs(_), _) => None,
        }
    }
}

type Answer = Result<SignedIn, ProviderError>;

/// Each refresh by the token it spent: when it started, and its answer once there is one.
type Recent = HashMap<String, (Instant, watch::Receiver<Option<Answer>>)>;

/// Refreshes sessions, remembering each refresh for a minute by the token it spent. Concurrent
/// requests that carry the same (single-use) refresh token share one refresh and its answer,
/// so none of them is signed out by the provider refusing a token another request just spent.
/// Only a holder of the sealed cookie can present that token, and such a holder is that
/// session anyway, so handing them the answer again within the minute gives nothing away.
///
/// This replica's requests only: with several replicas, a user's concurrent requests should
/// reach the same one. And a refresh whose answer never arrives (a timeout after the provider
/// spent the token) cannot be told from one that never reached it: the next request tries
/// again, and if the token was spent, that session ends.
#[derive(Default)]
pub struct RefreshGate {
    recent: Arc<Mutex<Recent>>,
}

const REMEMBER: Duration = Duration::from_secs(60);

impl RefreshGate {
    pub async fn refresh(
        &self,
        provider: Arc<RedirectProvider>,
        refresh_token: &str,
        user_id: &str,
    ) -> Answer {
        // Keyed by provider too: two providers could hand out the same opaque string.
        let key = format!("{}\n{refresh_token}", provider.name());
        let mut answer = {
            let mut recent = self.recent.lock().await;
            recent.retain(|_, (at, _)| at.elapsed() < REMEMBER);
            match recent.get(&key) {
                Some((_, answer)) => answer.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    recent.insert(key.clone(), (Instant::now(), rx.clone()));
                    let recent = self.recent.clone();
                    let (token, user) = (refresh_token.to_string(), user_id.to_string());
                    // In a task of its own, so the refresh runs to its end and its answer is
                    // kept even when the request that started it goes away: the provider may
                    // have spent the token already.
                    tokio::spawn(async move {
                        let answer = provider.refresh(&token, &user).await;
                        if matches!(answer, Err(ProviderError::Unavailable(_))) {
                            // Not an answer about the token: the next request may try again.
                            let mut recent = recent.lock().await;
                            if recent
                                .get(&key)
                                .is_some_and(|(_, r)| r.same_channel(&tx.subscribe()))
                            {
                                recent.remove(&key);
                            }
                        }
                        // Nobody may be waiting any more; the answer is kept for who comes.
                        let _ = tx.send(Some(answer));
                    });
                    rx
                }
            }
        };
        let answer = match answer.wait_for(Option::is_some).await {
            Ok(answer) => answer.clone(),
            Err(_) => None,
        };
        answer.unwrap_or_else(|| {
            Err(ProviderError::Unexpected(
                "the refresh ended without an answer".into(),
            ))
        })
    }
}

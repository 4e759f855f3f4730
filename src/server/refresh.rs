//! One refresh for all the requests that carry the same single-use refresh token.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, watch};

use super::provider::{ProviderError, SignedIn};
use super::shared::Shared;

type Answer = Result<SignedIn, ProviderError>;

/// Each refresh by the token it spent: when it started, and its answer once there is one.
type Recent = HashMap<String, (Instant, watch::Receiver<Option<Answer>>)>;

/// Refreshes sessions, remembering each refresh for a minute by the token it spent. Concurrent
/// requests that carry the same (single-use) refresh token share one refresh and its answer,
/// so none of them is signed out by the provider refusing a token another request just spent.
/// Only a holder of the sealed cookie can present that token, and such a holder is that
/// session anyway, so handing them the answer again within the minute gives nothing away.
///
/// One per provider. With `REDIS_URL`, the replicas share each refresh too (`shared_with`):
/// this gate lets one request per replica ask Redis, and the first replica's refresh answers
/// them all. A refresh whose answer never arrives (a timeout after the provider spent the
/// token) cannot be told from one that never reached it: the next request tries again, and if
/// the token was spent, that session ends.
#[derive(Clone)]
pub struct RefreshGate {
    recent: Arc<Mutex<Recent>>,
    remember: Duration,
    /// The provider's name: in Redis' keys and `/metrics`' labels.
    provider: Arc<str>,
    /// What the replicas share.
    shared: Option<Arc<Shared>>,
}

/// A refresh's outcome, as `/metrics` labels it.
fn outcome(answer: &Answer) -> &'static str {
    match answer {
        Ok(_) => "renewed",
        Err(ProviderError::Unavailable(_) | ProviderError::Limited) => "unavailable",
        Err(ProviderError::Refused(_)) => "refused",
        Err(_) => "failed",
    }
}

/// How long a refresh's answer is kept for the requests that set out with the token it spent.
pub const REMEMBER: Duration = Duration::from_secs(60);

impl RefreshGate {
    /// The gate of `provider`'s single-use refresh tokens: each answer kept for `REMEMBER`.
    pub fn new(provider: &str) -> Self {
        RefreshGate::remembering(provider, REMEMBER)
    }

    /// A gate that keeps each answer for `remember` (a single-use token's refresh: a minute,
    /// for requests that set out before it; a check that spends nothing: a moment, for the
    /// requests a page sends at once).
    pub fn remembering(provider: &str, remember: Duration) -> Self {
        RefreshGate {
            recent: Arc::default(),
            remember,
            provider: provider.into(),
            shared: None,
        }
    }

    /// Shares refreshes with the other replicas through `shared`, if there is one.
    pub fn shared_with(mut self, shared: Option<&Arc<Shared>>) -> Self {
        self.shared = shared.cloned();
        self
    }

    /// Forgets the answer kept for `token` (its session just ended here).
    pub async fn forget(&self, token: &str) {
        self.recent.lock().await.remove(token);
    }

    /// `refresh`'s answer, or the answer of the refresh already made with `token`; `refresh`
    /// runs only when there is none.
    pub async fn refresh(
        &self,
        token: &str,
        refresh: impl Future<Output = Answer> + Send + 'static,
    ) -> Answer {
        let mut answer = {
            let mut recent = self.recent.lock().await;
            let remember = self.remember;
            // A call still under way is always shared; a finished one, for `remember`; one whose
            // task ended without an answer (it panicked) not at all.
            recent.retain(|_, (at, answer)| {
                let under_way = answer.borrow().is_none() && answer.has_changed().is_ok();
                at.elapsed() < remember || under_way
            });
            match recent.get(token) {
                Some((_, answer)) => answer.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    recent.insert(token.to_string(), (Instant::now(), rx.clone()));
                    let recent = self.recent.clone();
                    let key = token.to_string();
                    let shared = self.shared.clone();
                    let provider = self.provider.clone();
                    // In a task of its own, so the refresh runs to its end and its answer is
                    // kept even when the request that started it goes away: the provider may
                    // have spent the token already.
                    tokio::spawn(async move {
                        let answer = match shared {
                            Some(shared) => shared.refresh_once(&provider, &key, refresh).await,
                            None => refresh.await,
                        };
                        super::metrics::refresh(&provider, outcome(&answer));
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

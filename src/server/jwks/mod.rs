//! A provider's published signing keys (JWKS), fetched once and kept, and fetched again when a
//! token names a key we have not seen (the provider rotated). Refetches are rate-limited, so a
//! flood of tokens with made-up key ids cannot turn into a flood of requests to the provider.
//! Tokens that verified are remembered until they expire or the keys change: a session's token
//! is checked at every request, and checking an RSA signature was a tenth of the app's CPU per
//! page view (`BENCH_PROFILE=1 scripts/bench.sh`).

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};
use url::Url;

/// By default, at most one refetch per this interval.
const COOLDOWN: Duration = Duration::from_secs(10);
/// At most this many verified tokens are remembered; past it, all are forgotten at once (each
/// session's token then verifies once more).
const REMEMBERED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the signing keys at {url} could not be fetched: {reason}")]
    Unavailable { url: String, reason: String },
    #[error("no signing key with id {0:?}")]
    UnknownKey(String),
}

/// Why a provider's JWT did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtProblem {
    /// Genuine, but past its lifetime: refresh it.
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    /// The provider's keys could not be fetched: nothing is known about the token.
    #[error(transparent)]
    Keys(JwksError),
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    /// The published keys as they came, for verifiers that parse JWKs themselves
    /// (`openidconnect`'s ID-token verifier).
    published: Vec<serde_json::Value>,
    fetched_at: Option<Instant>,
    /// Why the last fetch failed, if it did: until the next one, a key we lack is unknown
    /// because the keys could not be fetched, not because the provider does not publish it.
    last_error: Option<JwksError>,
}

/// A token whose signature and claims verified: its claims and `exp`. Under the same keys and
/// the same audience and issuer, only time changes the verdict, through `exp` (`nbf` only ever
/// goes from not yet to valid), so a hit checks `exp` again under the caller's validation.
struct Verified {
    claims: serde_json::Value,
    exp: Option<u64>,
}

#[derive(Default)]
struct Remembered {
    /// Bumped whenever the keys are fetched again: a verification that began under older keys
    /// is not remembered, even if it ends after the fetch.
    generation: u64,
    by_digest: HashMap<[u8; 32], Verified>,
}

/// One provider's keys, for tokens of one audience and issuer (a token remembered as valid
/// is not checked again against another).
pub struct JwksCache {
    http: reqwest::Client,
    url: Url,
    keys: RwLock<Keys>,
    /// By SHA-256 of the whole token; emptied whenever the keys are fetched again, so a key the
    /// provider stops publishing stops verifying exactly as before.
    verified: std::sync::Mutex<Remembered>,
    cooldown: Duration,
    /// Held while fetching, so concurrent misses wait for one fetch instead of each making one.
    fetching: Mutex<()>,
}

/// The usable keys by id, and the same keys as published.
type Fetched = (HashMap<String, DecodingKey>, Vec<serde_json::Value>);

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

impl JwksCache {
    pub fn new(http: reqwest::Client, url: Url) -> Self {
        JwksCache {
            http,
            url,
            keys: RwLock::new(Keys::default()),
            verified: std::sync::Mutex::new(Remembered::default()),
            cooldown: COOLDOWN,
            fetching: Mutex::new(()),
        }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// How soon after a fetch an unknown key id may cause another.
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The key with this id, fetching the set first if it is not known yet.
    pub async fn key(&self, kid: &str) -> Result<DecodingKey, JwksError> {
        self.with_key(kid, |keys| keys.by_kid.get(kid).cloned())
            .await
    }

    /// Verifies `jwt` against the published key its header names, then its claims as
    /// `validation` says. The signature is checked before the claims, so an expired verdict
    /// is about a genuine token.
    pub async fn verify<C: DeserializeOwned>(
        &self,
        jwt: &str,
        validation: &Validation,
    ) -> Result<C, JwtProblem> {
        let digest: [u8; 32] = Sha256::digest(jwt.as_bytes()).into();
        if let Some(verdict) = self.remembered(&digest, validation) {
            return verdict;
        }
        // Read before the key: a fetch from here on makes this verdict one of the old keys.
        let generation = self.verified.lock().map_or(0, |v| v.generation);
        let header =
            jsonwebtoken::decode_header(jwt).map_err(|e| JwtProblem::Invalid(e.to_string()))?;
        let kid = header
            .kid
            .ok_or_else(|| JwtProblem::Invalid("no key id".into()))?;
        let key = self.key(&kid).await.map_err(|e| match e {
            JwksError::UnknownKey(_) => JwtProblem::Invalid(e.to_string()),
            JwksError::Unavailable { .. } => JwtProblem::Keys(e),
        })?;
        let claims = match jsonwebtoken::decode::<serde_json::Value>(jwt, &key, validation) {
            Ok(data) => data.claims,
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                return Err(JwtProblem::Expired);
            }
            Err(e) => return Err(JwtProblem::Invalid(e.to_string())),
        };
        let verdict = C::deserialize(&claims).map_err(|e| JwtProblem::Invalid(e.to_string()));
        if verdict.is_ok() {
            self.remember(digest, generation, claims);
        }
        verdict
    }

    /// The claims of a token that verified, if `validation` would still pass its `exp`; else the
    /// token verifies again (and is found expired, signature first). Read in place, not copied
    /// first: a session's page views all land here.
    fn remembered<C: DeserializeOwned>(
        &self,
        digest: &[u8; 32],
        validation: &Validation,
    ) -> Option<Result<C, JwtProblem>> {
        let verified = self.verified.lock().ok()?;
        let found = verified.by_digest.get(digest)?;
        unexpired(found.exp, validation, unix_now())
            .then(|| C::deserialize(&found.claims).map_err(|e| JwtProblem::Invalid(e.to_string())))
    }

    fn remember(&self, digest: [u8; 32], generation: u64, claims: serde_json::Value) {
        let Ok(mut verified) = self.verified.lock() else {
            return;
        };
        if verified.generation != generation {
            return;
        }
        if verified.by_digest.len() >= REMEMBERED {
            let now = unix_now();
            verified
                .by_digest
                .retain(|_, v| v.exp.is_none_or(|exp| exp >= now));
            if verified.by_digest.len() >= REMEMBERED {
                verified.by_digest.clear();
            }
        }
        let exp = claims.get("exp").and_then(serde_json::Value::as_u64);
        verified.by_digest.insert(digest, Verified { claims, exp });
    }

    /// The whole published set, fetched again first if it lacks `kid`.
    pub async fn set_with(&self, kid: &str) -> Result<Vec<serde_json::Value>, JwksError> {
        self.with_key(kid, |keys| {
            keys.by_kid
                .contains_key(kid)
                .then(|| keys.published.clone())
        })
        .await
    }

    /// Whether the keys load (cached, or fetched now): for `Provider::ready`.
    pub async fn ready(&self) -> Result<(), JwksError> {
        self.set().await.map(drop)
    }

    /// The whole published set (fetched once if nothing is cached yet): for a token without a
    /// `kid`, which OpenID Connect allows when the set has a single key.
    pub async fn set(&self) -> Result<Vec<serde_json::Value>, JwksError> {
        self.with_key("(none)", |keys| {
            (!keys.published.is_empty()).then(|| keys.published.clone())
        })
        .await
    }

    /// The published set fetched again (unless it was within the cooldown): for a token
    /// without a `kid` that the cached set did not verify, as after the issuer replaced its key.
    pub async fn refetched_set(&self) -> Result<Vec<serde_json::Value>, JwksError> {
        let _fetching = self.fetching.lock().await;
        {
            let keys = self.keys.read().await;
            if keys
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.cooldown)
            {
                return Ok(keys.published.clone());
            }
        }
        self.fetch_and_keep().await?;
        Ok(self.keys.read().await.published.clone())
    }

    /// `pick` from the keys once they include `kid`: from the cache, or after one fetch.
    async fn with_key<T>(
        &self,
        kid: &str,
        pick: impl Fn(&Keys) -> Option<T>,
    ) -> Result<T, JwksError> {
        if let Some(found) = pick(&*self.keys.read().await) {
            return Ok(found);
        }
        let _fetching = self.fetching.lock().await;
        {
            let keys = self.keys.read().await;
            if let Some(found) = pick(&keys) {
                return Ok(found);
            }
            if keys
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.cooldown)
            {
                return Err(keys
                    .last_error
                    .clone()
                    .unwrap_or_else(|| JwksError::UnknownKey(kid.to_string())));
            }
        }
        self.fetch_and_keep().await?;
        pick(&*self.keys.read().await).ok_or_else(|| JwksError::UnknownKey(kid.to_string()))
    }

    /// Fetches the set and keeps it (the caller holds `fetching`).
    async fn fetch_and_keep(&self) -> Result<(), JwksError> {
        let fetched = self.fetch().await;
        let mut keys = self.keys.write().await;
        // A failed fetch counts too: while the provider is down, requests wait for one attempt
        // per cooldown instead of each making its own.
        keys.fetched_at = Some(Instant::now());
        keys.last_error = fetched.as_ref().err().cloned();
        // A key the provider stopped publishing must stop verifying: replace, don't merge.
        (keys.by_kid, keys.published) = fetched?;
        if let Ok(mut verified) = self.verified.lock() {
            verified.generation += 1;
            verified.by_digest.clear();
        }
        Ok(())
    }

    async fn fetch(&self) -> Result<Fetched, JwksError> {
        let unavailable = |reason: String| JwksError::Unavailable {
            url: self.url.to_string(),
            reason,
        };
        let call = super::metrics::Call::provider(super::http::host_of(&self.url));
        let response = self.http.get(self.url.clone()).send().await;
        call.finished(super::http::outcome(
            response.as_ref().map(reqwest::Response::status).ok(),
        ));
        let response = response.map_err(|e| unavailable(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("status {}", response.status())));
        }
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let mut keys = HashMap::new();
        let mut published = Vec::new();
        for value in set.keys {
            // One key we cannot use (another algorithm, a new key type) must not hide the rest.
            let parsed = serde_json::from_value::<Jwk>(value.clone())
                .map_err(|e| e.to_string())
                .and_then(|jwk| {
                    let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
                    Ok::<_, String>((jwk.common.key_id.clone(), key))
                });
            match parsed {
                Ok((kid, key)) => {
                    // A key without an id can only verify tokens without one (`set`).
                    if let Some(kid) = kid {
                        keys.insert(kid, key);
                    }
                    published.push(value);
                }
                Err(e) => tracing::warn!("skipping a key in {}: {e}", self.url),
            }
        }
        tracing::debug!("fetched {} signing keys from {}", keys.len(), self.url);
        Ok((keys, published))
    }
}

/// jsonwebtoken's own rule: expired once `exp - reject_tokens_expiring_in_less_than` is before
/// `now - leeway`. A token without a numeric `exp` passes only a validation that ignores it.
fn unexpired(exp: Option<u64>, validation: &Validation, now: u64) -> bool {
    if !validation.validate_exp {
        return true;
    }
    exp.is_some_and(|exp| {
        now <= exp
            .saturating_sub(validation.reject_tokens_expiring_in_less_than)
            .saturating_add(validation.leeway)
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;

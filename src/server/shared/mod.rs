//! What the app's replicas share, through Redis when `REDIS_URL` is set: the rate limits'
//! state, and each single-use refresh with its answer. Without Redis, or while it fails, each
//! replica keeps its own (as one replica always does): the app goes on, only less strictly.
//!
//! Redis holds no address, email, user id or token in the clear: its keys are HMACs under a
//! key derived from `SESSION_SECRET`, and refresh answers are sealed (`flight.rs`).

mod flight;
mod gcra;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, Script};
use sha2::Sha256;

use super::config::{ConfigError, Secret};

/// How long a command may take before the request goes on without Redis. Redis answers in
/// well under a millisecond; this is for one that is down or unreachable.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failure, how long requests do without Redis before one tries it again: a Redis
/// that is down costs one request a timeout, not every request.
const RESTING: Duration = Duration::from_secs(2);
/// The least time between two warnings that Redis fails.
const COMPLAINT_INTERVAL: Duration = Duration::from_secs(10);

const URL_EXPECTED: &str = "a Redis URL such as redis://:password@redis.internal:6379/0 (rediss:// \
     for TLS), shared by every replica; leave it unset for one replica";

pub struct Shared {
    redis: ConnectionManager,
    /// Keys Redis' key names and seals refresh answers.
    key: [u8; 32],
    /// Unix ms until which Redis is not asked (after a failure).
    resting_until: AtomicU64,
    /// Unix ms of the last warning.
    complained: AtomicU64,
}

impl Shared {
    /// Redis at `url` (connected on first use, so a Redis that is down at start does not
    /// stop the app), keyed by `session_secret`.
    pub fn new(url: &Secret, session_secret: &Secret) -> Result<Self, ConfigError> {
        let invalid = |problem: String| ConfigError::Invalid {
            name: "REDIS_URL",
            problem,
            expected: URL_EXPECTED,
        };
        // The error would not name the password, but it is not shown either way.
        let client =
            redis::Client::open(url.expose()).map_err(|e| invalid(format!("{:?}", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Shared {
            redis,
            key: hmac(
                session_secret.expose().as_bytes(),
                &[b"insforge-auth shared"],
            ),
            resting_until: AtomicU64::new(0),
            complained: AtomicU64::new(0),
        })
    }

    /// Whether Redis answers now (at start, for the log).
    pub async fn ping(&self) -> Result<(), String> {
        let mut redis = self.redis.clone();
        match tokio::time::timeout(
            COMMAND_TIMEOUT * 4,
            redis::cmd("PING").query_async::<String>(&mut redis),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", COMMAND_TIMEOUT * 4)),
        }
    }

    /// The Redis key for `parts` of one `kind`: `ia:<kind>:<HMAC>`, so Redis learns neither
    /// the addresses nor the tokens it counts.
    fn name(&self, kind: &str, parts: &[&str]) -> String {
        let mut input: Vec<&[u8]> = vec![kind.as_bytes()];
        for part in parts {
            input.push(b"\0");
            input.push(part.as_bytes());
        }
        format!("ia:{kind}:{}", hex(&hmac(&self.key, &input)[..20]))
    }

    /// `cmd`'s answer, or `None` when Redis does not give one in time (`what`: for the log).
    async fn run<T: FromRedisValue>(&self, what: &str, cmd: &Cmd) -> Option<T> {
        let mut redis = self.redis.clone();
        self.bounded(what, async move { cmd.query_async(&mut redis).await })
            .await
    }

    /// `script`'s answer for `keys` and `args`, or `None` as for `run`.
    async fn invoke<T: FromRedisValue>(
        &self,
        what: &str,
        script: &Script,
        keys: &[&str],
        args: &[String],
    ) -> Option<T> {
        let mut redis = self.redis.clone();
        let mut call = script.prepare_invoke();
        for key in keys {
            call.key(*key);
        }
        for arg in args {
            call.arg(arg);
        }
        self.bounded(what, async move { call.invoke_async(&mut redis).await })
            .await
    }

    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        if now_ms() < self.resting_until.load(Ordering::Relaxed) {
            return None;
        }
        let problem = match tokio::time::timeout(COMMAND_TIMEOUT, call).await {
            Ok(Ok(answer)) => return Some(answer),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {COMMAND_TIMEOUT:?}"),
        };
        let now = now_ms();
        self.resting_until
            .store(now + RESTING.as_millis() as u64, Ordering::Relaxed);
        let last = self.complained.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= COMPLAINT_INTERVAL.as_millis() as u64
            && self
                .complained
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "Redis (REDIS_URL) failed ({what}: {problem}); this replica keeps limits and \
                 refreshes to itself until it answers again"
            );
        }
        None
    }
}

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

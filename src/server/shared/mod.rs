//! What the app's replicas share, through Redis when `REDIS_URL` is set: the rate limits'
//! state, and each single-use refresh with its answer. Without Redis, or while it fails, each
//! replica keeps its own (as one replica always does): the app goes on, only less strictly.
//!
//! Redis holds no address, email, user id or token in the clear: its keys are HMACs under a
//! key derived from `SESSION_SECRET`, and refresh answers are sealed (`flight.rs`).

mod flight;
pub mod gcra;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, Script};
use sha2::Sha256;

use super::config::{ConfigError, Secret};

/// The variable that names the Redis.
pub const REDIS_URL: &str = "REDIS_URL";

/// How long a command may take before the request goes on without Redis. Redis answers in
/// about a millisecond, even across zones over TLS; this is for one that is down or swamped,
/// and a request makes up to six calls (a sign-in link).
const COMMAND_TIMEOUT: Duration = Duration::from_millis(200);
/// A connection (TCP and TLS) may take longer than a command.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failure, how long requests do without Redis before one of them tries it again: a
/// Redis that is down costs a request a timeout now and then, not every request.
const RESTING: Duration = Duration::from_secs(2);
/// `complained` before the first complaint.
const NEVER: u64 = u64::MAX;
/// The least time between two warnings that Redis fails.
const COMPLAINT_INTERVAL: Duration = Duration::from_secs(10);

const URL_EXPECTED: &str = "a Redis URL such as redis://:password@redis.internal:6379/0 (rediss:// \
     for TLS), shared by every replica; leave it unset for one replica";

pub struct Shared {
    redis: ConnectionManager,
    /// Keys Redis' key names and seals refresh answers.
    key: [u8; 32],
    /// What the times below count from (a monotonic clock).
    started: Instant,
    /// Milliseconds until which Redis is not asked (after a failure); 0: it is asked.
    resting_until: AtomicU64,
    /// Milliseconds of the last warning, or `NEVER`.
    complained: AtomicU64,
}

impl Shared {
    /// Redis at `url` (connected on first use, so a Redis that is down at start does not
    /// stop the app), keyed by `session_secret`.
    pub fn new(url: &Secret, session_secret: &Secret) -> Result<Self, ConfigError> {
        let invalid = |problem: String| ConfigError::Invalid {
            name: REDIS_URL,
            problem,
            expected: URL_EXPECTED,
        };
        // The error would not name the password, but it is not shown either way.
        let client =
            redis::Client::open(url.expose()).map_err(|e| invalid(format!("{:?}", e.kind())))?;
        // One reconnection attempt per command: the request does not wait for more (it goes
        // on without Redis), and the next command tries again.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
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
            started: Instant::now(),
            resting_until: AtomicU64::new(0),
            complained: AtomicU64::new(NEVER),
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
        self.bounded(
            what,
            false,
            async move { cmd.query_async(&mut redis).await },
        )
        .await
    }

    /// `script`'s answer for `keys` and `args`, or `None` as for `run`. `even_resting`: asked
    /// even while the others do without Redis (to end what this replica started there).
    async fn invoke<T: FromRedisValue>(
        &self,
        what: &str,
        even_resting: bool,
        script: &Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> Option<T> {
        let mut redis = self.redis.clone();
        let mut call = script.prepare_invoke();
        for key in keys {
            call.key(*key);
        }
        for arg in args {
            call.arg(arg);
        }
        self.bounded(what, even_resting, async move {
            call.invoke_async(&mut redis).await
        })
        .await
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Whether Redis is asked now: not while resting after a failure; once the rest is over,
    /// by one call, while the others go on without it until that one has its answer.
    fn may_ask(&self) -> bool {
        let until = self.resting_until.load(Ordering::Relaxed);
        if until == 0 {
            return true;
        }
        let now = self.now();
        now >= until
            && self
                .resting_until
                .compare_exchange(
                    until,
                    now + ms(RESTING),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    async fn bounded<T>(
        &self,
        what: &str,
        even_resting: bool,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        if !even_resting && !self.may_ask() {
            return None;
        }
        let problem = match tokio::time::timeout(COMMAND_TIMEOUT, call).await {
            Ok(Ok(answer)) => {
                if self.resting_until.load(Ordering::Relaxed) != 0 {
                    self.resting_until.store(0, Ordering::Relaxed);
                }
                return Some(answer);
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {COMMAND_TIMEOUT:?}"),
        };
        let now = self.now();
        self.resting_until
            .store(now + ms(RESTING), Ordering::Relaxed);
        let last = self.complained.load(Ordering::Relaxed);
        if (last == NEVER || now.saturating_sub(last) >= ms(COMPLAINT_INTERVAL))
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

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

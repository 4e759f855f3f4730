//! One keyed limit: in Redis when the replicas share one, else (or while it fails) in this
//! replica's memory, with `governor`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::server::shared::Shared;
use crate::server::shared::gcra::Take;

/// What a refused request should wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl Wait {
    /// As `Retry-After` says it: whole seconds, at least one.
    pub fn seconds(self) -> u64 {
        (self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)).max(1)
    }
}

/// A GCRA rate: a burst of `burst` calls, then one per `interval` as it refills.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    interval: Duration,
    burst: u32,
}

impl Rate {
    /// `n` calls per `period`, all at once if need be.
    pub fn per(n: u32, period: Duration) -> Rate {
        let n = n.max(1);
        Rate {
            interval: (period / n).max(Duration::from_nanos(1)),
            burst: n,
        }
    }

    /// One call per `interval`.
    pub fn spaced(interval: Duration) -> Rate {
        Rate {
            interval: interval.max(Duration::from_nanos(1)),
            burst: 1,
        }
    }

    fn quota(self) -> Quota {
        Quota::with_period(self.interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN))
    }
}

pub struct Keyed {
    /// Its name among the shared limits.
    kind: &'static str,
    rate: Rate,
    local: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl Keyed {
    pub fn new(kind: &'static str, rate: Rate) -> Self {
        Keyed {
            kind,
            rate,
            local: RateLimiter::keyed(rate.quota()),
            checks: AtomicU64::new(0),
        }
    }

    /// One call against `key`'s allowance.
    pub async fn check(&self, shared: Option<&Arc<Shared>>, key: &str) -> Result<(), Wait> {
        Keyed::check_each(shared, &[(self, key)]).await
    }

    /// One call against each limit's allowance for its key, in order, as `check` one after
    /// the other would count it (up to the first refusal), but in one round trip to Redis.
    pub async fn check_each(
        shared: Option<&Arc<Shared>>,
        checks: &[(&Keyed, &str)],
    ) -> Result<(), Wait> {
        if let Some(shared) = shared {
            let takes: Vec<Take<'_>> = checks
                .iter()
                .map(|(limit, key)| Take {
                    kind: limit.kind,
                    key,
                    interval: limit.rate.interval,
                    burst: limit.rate.burst,
                })
                .collect();
            if let Some(answer) = shared.take(&takes).await {
                return answer.map_err(Wait);
            }
        }
        checks
            .iter()
            .try_for_each(|(limit, key)| limit.check_here(key))
    }

    /// One call against `key`'s allowance in this replica's memory.
    fn check_here(&self, key: &str) -> Result<(), Wait> {
        // Keys that have recovered their whole allowance are forgotten now and then, so the
        // memory holds only recent callers.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.local.retain_recent();
        }
        self.local
            .check_key(&key.to_string())
            .map_err(|not_until| Wait(not_until.wait_time_from(DefaultClock::default().now())))
    }
}

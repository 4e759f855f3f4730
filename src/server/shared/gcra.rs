//! Rate limits kept in Redis: the same GCRA as `governor` keeps in memory (a burst, then one
//! per interval as it refills), counted on Redis' clock so replicas' clocks do not matter.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::Shared;

/// KEYS[1]: the key's theoretical arrival time (µs on Redis' clock). ARGV: the interval (µs)
/// and the burst. Answers 0 when the call may go ahead (and counts it), else the µs to wait.
/// `%.0f`: Lua's `tostring` would write the time in 14 digits and lose the microseconds.
const TAKE: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if now < tat - tolerance then return math.ceil(tat - tolerance - now) end
local after = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1)
return 0
";

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(TAKE));

impl Shared {
    /// One call against `key`'s limit of `kind` (a `burst`, then one per `interval`): `Ok`,
    /// or how long to wait; `None` when Redis could not say.
    pub async fn take(
        &self,
        kind: &str,
        key: &str,
        interval: Duration,
        burst: u32,
    ) -> Option<Result<(), Duration>> {
        let name = self.name(kind, &[key]);
        let interval = interval.as_micros().max(1).to_string();
        let burst = burst.max(1).to_string();
        let args = [interval.as_bytes(), burst.as_bytes()];
        let wait: u64 = self
            .invoke("rate limit", false, &SCRIPT, &[&name], &args)
            .await?;
        Some(if wait == 0 {
            Ok(())
        } else {
            Err(Duration::from_micros(wait))
        })
    }
}

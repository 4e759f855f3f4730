//! Rate limits kept in Redis: the same GCRA as `governor` keeps in memory (a burst, then one
//! per interval as it refills), counted on Redis' clock so replicas' clocks do not matter.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::Shared;

/// KEYS: each limit's theoretical arrival time (µs on Redis' clock). ARGV: each limit's
/// interval (µs) and burst, in pairs. The limits are taken in order, as separate calls would
/// take them: each one that lets the call through counts it, and the first refusal ends the
/// script. Answers 0 when every limit let the call through, else the µs to wait.
/// `%.0f`: Lua's `tostring` would write the time in 14 digits and lose the microseconds.
const TAKE: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = interval * (tonumber(ARGV[2 * i]) - 1)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  if now < tat - tolerance then return math.ceil(tat - tolerance - now) end
  local after = tat + interval
  redis.call('SET', key, string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1)
end
return 0
";

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(TAKE));

/// One limit a call is counted against: `key`'s allowance of `kind`, a `burst` and then one
/// per `interval`.
pub struct Take<'a> {
    pub kind: &'a str,
    pub key: &'a str,
    pub interval: Duration,
    pub burst: u32,
}

impl Shared {
    /// One call against each of `limits`, in order, in one round trip (a sign-in link is
    /// counted against four): `Ok`, or how long to wait; `None` when Redis could not say.
    pub async fn take(&self, limits: &[Take<'_>]) -> Option<Result<(), Duration>> {
        let names: Vec<String> = limits
            .iter()
            .map(|limit| self.name(limit.kind, &[limit.key]))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let args: Vec<String> = limits
            .iter()
            .flat_map(|limit| {
                [
                    limit.interval.as_micros().max(1).to_string(),
                    limit.burst.max(1).to_string(),
                ]
            })
            .collect();
        let args: Vec<&[u8]> = args.iter().map(String::as_bytes).collect();
        let wait: u64 = self
            .invoke("rate limit", false, &SCRIPT, &names, &args)
            .await?;
        Some(if wait == 0 {
            Ok(())
        } else {
            Err(Duration::from_micros(wait))
        })
    }
}

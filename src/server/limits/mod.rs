//! Abuse limits: requests per client address and per signed-in user, and sign-in links per
//! email address and client, per email address and per client address, each a keyed GCRA limit
//! (`governor`: a burst of the quota, then one at a time as it refills) kept in this replica's
//! memory. The client's address is the connection's peer, or, behind `TRUSTED_PROXY_HOPS`
//! proxies, the `X-Forwarded-For` entry the outermost trusted proxy appended: entries further
//! left are the client's own word and are never trusted. An IPv6 client counts by its /64.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;

use super::config::{ConfigError, Source, number};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The limits' settings (`RATE_LIMIT_*`, `MAGIC_LINK*`, `TRUSTED_PROXY_HOPS`).
#[derive(Debug, Clone)]
pub struct LimitConfig {
    /// Requests (pages and server functions) per client address per minute.
    pub ip_per_minute: u32,
    /// Requests per signed-in user per minute.
    pub user_per_minute: u32,
    /// The least time between two sign-in links to one address.
    pub link_interval: Duration,
    /// Sign-in links to one address per hour.
    pub links_per_address_per_hour: u32,
    /// Sign-in links asked for from one client address per hour.
    pub links_per_ip_per_hour: u32,
    /// Proxies in front of the app that append to `X-Forwarded-For`.
    pub trusted_proxy_hops: usize,
}

impl LimitConfig {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let d = LimitConfig::default();
        let count = |name, default, range| number(src, name, default, range, "a whole number");
        Ok(LimitConfig {
            ip_per_minute: count("RATE_LIMIT_IP_PER_MINUTE", d.ip_per_minute, 1..=1_000_000)?,
            user_per_minute: count(
                "RATE_LIMIT_USER_PER_MINUTE",
                d.user_per_minute,
                1..=1_000_000,
            )?,
            link_interval: Duration::from_secs(u64::from(number(
                src,
                "MAGIC_LINK_INTERVAL_SECONDS",
                60,
                1..=3_600,
                "a whole number of seconds",
            )?)),
            links_per_address_per_hour: count(
                "MAGIC_LINKS_PER_ADDRESS_PER_HOUR",
                d.links_per_address_per_hour,
                1..=1_000,
            )?,
            links_per_ip_per_hour: count(
                "MAGIC_LINKS_PER_IP_PER_HOUR",
                d.links_per_ip_per_hour,
                1..=1_000_000,
            )?,
            trusted_proxy_hops: count("TRUSTED_PROXY_HOPS", 0, 0..=10)? as usize,
        })
    }
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            ip_per_minute: 600,
            user_per_minute: 240,
            link_interval: Duration::from_secs(60),
            links_per_address_per_hour: 5,
            links_per_ip_per_hour: 30,
            trusted_proxy_hops: 0,
        }
    }
}

/// The client's address as `Limits::client_ip` found it, for the handlers (a request extension).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// What a refused request should wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl Wait {
    /// As `Retry-After` says it: whole seconds, at least one.
    pub fn seconds(self) -> u64 {
        (self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)).max(1)
    }
}

struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(quota: Quota) -> Self {
        Keyed {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    fn check(&self, key: &K) -> Result<(), Wait> {
        // Keys that have recovered their whole allowance are forgotten now and then, so the
        // memory holds only recent callers.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| Wait(not_until.wait_time_from(DefaultClock::default().now())))
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

fn per_hour(n: u32) -> Quota {
    Quota::per_hour(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

/// How many times a client's hourly links to one address every client together may ask for.
const ADDRESS_SHARE: u32 = 4;

pub struct Limits {
    per_ip: Keyed<IpAddr>,
    per_user: Keyed<String>,
    /// Per address and client: one client cannot lock another out of its own sign-in.
    link_spacing: Keyed<(String, IpAddr)>,
    links_per_address: Keyed<(String, IpAddr)>,
    /// Per address, all clients together: many clients cannot fill one inbox.
    links_to_address: Keyed<String>,
    links_per_ip: Keyed<IpAddr>,
    trusted_proxy_hops: usize,
}

/// What an address is limited by: an IPv6 client usually holds a whole /64, so it counts as
/// one; an IPv4 address written as IPv6 counts as itself.
fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// An `X-Forwarded-For` entry: an address, with or without a port (`[v6]:port`, `v4:port`).
fn forwarded(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            let inner = entry.strip_prefix('[')?.split(']').next()?;
            inner.parse().ok()
        })
}

impl Limits {
    pub fn new(config: &LimitConfig) -> Self {
        let spacing = Quota::with_period(config.link_interval.max(Duration::from_millis(1)))
            .unwrap_or_else(|| per_minute(1));
        Limits {
            per_ip: Keyed::new(per_minute(config.ip_per_minute)),
            per_user: Keyed::new(per_minute(config.user_per_minute)),
            link_spacing: Keyed::new(spacing),
            links_per_address: Keyed::new(per_hour(config.links_per_address_per_hour)),
            links_to_address: Keyed::new(per_hour(
                config
                    .links_per_address_per_hour
                    .saturating_mul(ADDRESS_SHARE),
            )),
            links_per_ip: Keyed::new(per_hour(config.links_per_ip_per_hour)),
            trusted_proxy_hops: config.trusted_proxy_hops,
        }
    }

    /// The client's address: the peer's, or the one the outermost trusted proxy saw. A header
    /// without the entries the proxies append, or whose entry does not read as an address,
    /// counts against the nearest proxy: nobody escapes the limits by sending junk.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        let peer = peer.map(|p| p.ip());
        if self.trusted_proxy_hops == 0 {
            return peer;
        }
        // Each proxy appends the address it got the request from; the last `hops` entries
        // are our proxies' word, the rest the client's. Bytes that are not text (the client's
        // own, before them) must not hide the proxies' entries.
        let entries: Vec<String> = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(',')
                    .map(|e| e.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        let trusted = entries
            .len()
            .checked_sub(self.trusted_proxy_hops)
            .and_then(|i| entries.get(i))
            .and_then(|entry| forwarded(entry));
        trusted.or(peer)
    }

    /// A request from `ip`.
    pub fn call_from(&self, ip: IpAddr) -> Result<(), Wait> {
        self.per_ip.check(&limit_key(ip))
    }

    /// A request by the signed-in `user_id`.
    pub fn call_by(&self, user_id: &str) -> Result<(), Wait> {
        self.per_user.check(&user_id.to_string())
    }

    /// A sign-in link to `email` asked for from `ip`.
    pub fn link(&self, email: &str, ip: Option<IpAddr>) -> Result<(), Wait> {
        let address = email.to_lowercase();
        let client = ip.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), limit_key);
        if ip.is_some() {
            self.links_per_ip.check(&client)?;
        }
        let key = (address.clone(), client);
        self.link_spacing.check(&key)?;
        self.links_per_address.check(&key)?;
        self.links_to_address.check(&address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().expect("header"));
        }
        headers
    }

    fn limits(hops: usize) -> Limits {
        Limits::new(&LimitConfig {
            trusted_proxy_hops: hops,
            ..LimitConfig::default()
        })
    }

    #[test]
    fn the_client_address_comes_from_the_trusted_hop_only() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().expect("peer");
        let spoofed = headers(&["6.6.6.6, 203.0.113.7"]);
        // No proxy: whatever the client wrote, the peer is the client.
        assert_eq!(limits(0).client_ip(&spoofed, Some(peer)), Some(peer.ip()));
        // One proxy: the entry it appended, not the client's own claim before it.
        let one = "203.0.113.7".parse().ok();
        assert_eq!(limits(1).client_ip(&spoofed, Some(peer)), one);
        // Two proxies, the header split over two lines as some proxies send it.
        let two = headers(&["6.6.6.6, 198.51.100.9", "203.0.113.7"]);
        assert_eq!(
            limits(2).client_ip(&two, Some(peer)),
            "198.51.100.9".parse().ok()
        );
        // Fewer entries than trusted hops: no address to trust.
        assert_eq!(limits(4).client_ip(&two, Some(peer)), Some(peer.ip()));
        assert_eq!(
            limits(1).client_ip(&headers(&["junk"]), Some(peer)),
            Some(peer.ip())
        );
        // Ports and brackets, as some proxies write them.
        let ported = headers(&["198.51.100.9:5678, [2001:db8::7]:443"]);
        assert_eq!(
            limits(1).client_ip(&ported, Some(peer)),
            "2001:db8::7".parse().ok()
        );
        assert_eq!(
            limits(2).client_ip(&ported, Some(peer)),
            "198.51.100.9".parse().ok()
        );
        // Bytes that are not text before the proxy's entry do not hide it.
        let mut binary = HeaderMap::new();
        binary.append(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"\xff, 203.0.113.7").expect("header"),
        );
        assert_eq!(
            limits(1).client_ip(&binary, Some(peer)),
            "203.0.113.7".parse().ok()
        );
    }

    #[test]
    fn links_are_spaced_and_counted_per_address_and_per_client() {
        let limits = Limits::new(&LimitConfig {
            links_per_ip_per_hour: 3,
            ..LimitConfig::default()
        });
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        assert_eq!(limits.link("Ann@example.com", Some(ip)), Ok(()));
        let wait = limits
            .link("ann@example.com", Some(ip))
            .expect_err("a minute apart");
        assert!((55..=60).contains(&wait.seconds()), "{wait:?}");
        // Another client is not locked out of Ann's sign-in by this one.
        let elsewhere: IpAddr = "198.51.100.9".parse().expect("ip");
        assert_eq!(limits.link("ann@example.com", Some(elsewhere)), Ok(()));
        assert_eq!(limits.link("bo@example.com", Some(ip)), Ok(()));
        // The third link from this client was counted by the refused one too: the fourth is over.
        let wait = limits
            .link("cy@example.com", Some(ip))
            .expect_err("per client");
        assert!(wait.seconds() > 60, "{wait:?}");
        assert_eq!(limits.link("cy@example.com", Some(elsewhere)), Ok(()));
    }

    #[test]
    fn calls_are_counted_per_client_and_per_user() {
        let limits = Limits::new(&LimitConfig {
            ip_per_minute: 2,
            user_per_minute: 1,
            ..LimitConfig::default()
        });
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        assert_eq!(limits.call_from(ip), Ok(()));
        assert_eq!(limits.call_from(ip), Ok(()));
        let wait = limits.call_from(ip).expect_err("third in a minute");
        assert!((1..=30).contains(&wait.seconds()), "{wait:?}");
        assert_eq!(limits.call_by("user-1"), Ok(()));
        assert!(limits.call_by("user-1").is_err());
        assert_eq!(limits.call_by("user-2"), Ok(()));
    }

    #[test]
    fn many_clients_together_cannot_fill_one_inbox_and_ipv6_counts_by_its_64() {
        let limits = Limits::new(&LimitConfig {
            links_per_address_per_hour: 1,
            ..LimitConfig::default()
        });
        for n in 0..ADDRESS_SHARE {
            let ip: IpAddr = format!("203.0.113.{n}").parse().expect("ip");
            assert_eq!(
                limits.link("dee@example.com", Some(ip)),
                Ok(()),
                "client {n}"
            );
        }
        let more: IpAddr = "203.0.113.99".parse().expect("ip");
        assert!(limits.link("dee@example.com", Some(more)).is_err());

        let calls = Limits::new(&LimitConfig {
            ip_per_minute: 1,
            ..LimitConfig::default()
        });
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        assert_eq!(calls.call_from(a), Ok(()));
        assert!(calls.call_from(b).is_err(), "the same /64");
        assert_eq!(
            calls.call_from("2001:db8:1:3::1".parse().expect("ip")),
            Ok(())
        );
    }
}

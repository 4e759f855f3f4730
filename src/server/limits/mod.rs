//! Abuse limits: requests per client address and per signed-in user, and sign-in links per
//! email address and client, per email address and per client address, each a keyed GCRA limit
//! (a burst of the quota, then one at a time as it refills) kept in Redis when the replicas
//! share one (`REDIS_URL`), else in this replica's memory (`governor`). The client's address is
//! the connection's peer, or, behind `TRUSTED_PROXY_HOPS` proxies, the `X-Forwarded-For` entry
//! the outermost trusted proxy appended: entries further left are the client's own word and are
//! never trusted. An IPv6 client counts by its /64.

mod keyed;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;

use super::config::{ConfigError, Source, number};
use super::shared::Shared;
pub use keyed::Wait;
use keyed::{Keyed, Rate};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);

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

/// How many times a client's hourly links to one address every client together may ask for.
const ADDRESS_SHARE: u32 = 4;

pub struct Limits {
    per_ip: Keyed,
    per_user: Keyed,
    /// Per address and client: one client cannot lock another out of its own sign-in.
    link_spacing: Keyed,
    links_per_address: Keyed,
    /// Per address, all clients together: many clients cannot fill one inbox.
    links_to_address: Keyed,
    links_per_ip: Keyed,
    trusted_proxy_hops: usize,
    shared: Option<Arc<Shared>>,
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
    /// The limits of `config`, kept in `shared` when the replicas share a Redis.
    pub fn new(config: &LimitConfig, shared: Option<Arc<Shared>>) -> Self {
        let to_address = config
            .links_per_address_per_hour
            .saturating_mul(ADDRESS_SHARE);
        Limits {
            per_ip: Keyed::new("ip", Rate::per(config.ip_per_minute, MINUTE)),
            per_user: Keyed::new("user", Rate::per(config.user_per_minute, MINUTE)),
            link_spacing: Keyed::new("link-spacing", Rate::spaced(config.link_interval)),
            links_per_address: Keyed::new(
                "links-per-address",
                Rate::per(config.links_per_address_per_hour, HOUR),
            ),
            links_to_address: Keyed::new("links-to-address", Rate::per(to_address, HOUR)),
            links_per_ip: Keyed::new(
                "links-per-ip",
                Rate::per(config.links_per_ip_per_hour, HOUR),
            ),
            trusted_proxy_hops: config.trusted_proxy_hops,
            shared,
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

    fn shared(&self) -> Option<&Arc<Shared>> {
        self.shared.as_ref()
    }

    /// A request from `ip`.
    pub async fn call_from(&self, ip: IpAddr) -> Result<(), Wait> {
        let key = limit_key(ip).to_string();
        self.per_ip.check(self.shared(), &key).await
    }

    /// A request by the signed-in `user_id`.
    pub async fn call_by(&self, user_id: &str) -> Result<(), Wait> {
        self.per_user.check(self.shared(), user_id).await
    }

    /// A sign-in link to `email` asked for from `ip`.
    pub async fn link(&self, email: &str, ip: Option<IpAddr>) -> Result<(), Wait> {
        let address = email.to_lowercase();
        let client = ip
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), limit_key)
            .to_string();
        // An email address holds no space; the pair is one key.
        let pair = format!("{address} {client}");
        let mut checks = Vec::with_capacity(4);
        if ip.is_some() {
            checks.push((&self.links_per_ip, client.as_str()));
        }
        checks.extend([
            (&self.link_spacing, pair.as_str()),
            (&self.links_per_address, pair.as_str()),
            (&self.links_to_address, address.as_str()),
        ]);
        Keyed::check_each(self.shared(), &checks).await
    }
}

#[cfg(test)]
mod tests;

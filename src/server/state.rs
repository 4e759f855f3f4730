//! Everything the server functions need, built once from the configuration at start.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use url::Url;

use super::config::{ConfigError, InsForgeConfig, Secret, Source, number, parse_url, required};
use super::insforge::{ClientOptions, InsForgeClient};
use super::limits::{LimitConfig, Limits};
use super::metrics::ADDR_VAR;
use super::providers::{self, ProviderConfig, Providers};
use super::serve::Inbound;
use super::session::{DEFAULT_RECHECK, SessionCookies};
use super::shared::{REDIS_URL, Shared};
use super::token::TokenMinter;
use crate::paths::{MAGIC_LINK, segment};

const SITE_URL_EXPECTED: &str = "the address people open the app at, such as https://todos.example.com \
     (http://127.0.0.1:3000 locally); magic links lead back to it";
const MINUTES_EXPECTED: &str = "a whole number of minutes";
const SECONDS_EXPECTED: &str = "a whole number of seconds";

/// The web server's configuration, validated as a whole at start.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub site_url: Url,
    pub session_secret: Secret,
    /// How long a sign-in lasts (the Stytch session), in minutes.
    pub session_minutes: u32,
    /// How long a magic link stays valid, in minutes.
    pub link_minutes: u32,
    /// How long a session is trusted on its cookie's word before its provider is asked again.
    pub recheck_seconds: u32,
    /// What clients may ask of the server (timeouts, requests at once).
    pub inbound: Inbound,
    /// Abuse limits (calls per client and user, sign-in links per address and client).
    pub limits: LimitConfig,
    pub insforge: InsForgeConfig,
    /// `AUTH_PROVIDERS`, in the order the sign-in page lists them.
    pub providers: Vec<ProviderConfig>,
    /// Where replicas share limits and refreshes (`REDIS_URL`); `None`: each keeps its own.
    pub redis_url: Option<Secret>,
    /// Where `/metrics` answers (`METRICS_ADDR`); `None`: nowhere.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

fn minutes(
    src: &impl Source,
    name: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    number(src, name, default, range, MINUTES_EXPECTED)
}

/// `HEADER_READ_TIMEOUT_SECONDS`, `REQUEST_TIMEOUT_SECONDS`, `MAX_CONCURRENT_REQUESTS`,
/// `SHUTDOWN_GRACE_SECONDS`.
fn inbound(src: &impl Source) -> Result<Inbound, ConfigError> {
    let d = Inbound::default();
    let secs = |name, default: Duration, range| {
        let default = u32::try_from(default.as_secs()).unwrap_or(u32::MAX);
        number(src, name, default, range, SECONDS_EXPECTED).map(|s| Duration::from_secs(s.into()))
    };
    Ok(Inbound {
        header_read: secs("HEADER_READ_TIMEOUT_SECONDS", d.header_read, 1..=300)?,
        request: secs("REQUEST_TIMEOUT_SECONDS", d.request, 1..=600)?,
        max_in_flight: number(
            src,
            "MAX_CONCURRENT_REQUESTS",
            u32::try_from(d.max_in_flight).unwrap_or(u32::MAX),
            1..=1_000_000,
            "a whole number of requests",
        )? as usize,
        grace: secs("SHUTDOWN_GRACE_SECONDS", d.grace, 0..=3_600)?,
    })
}

/// `METRICS_ADDR`: an address to listen on, or unset.
fn metrics_addr(src: &impl Source) -> Result<Option<std::net::SocketAddr>, ConfigError> {
    let Some(raw) = src.get(ADDR_VAR).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    raw.trim()
        .parse()
        .map(Some)
        .map_err(|e| ConfigError::Invalid {
            name: ADDR_VAR,
            problem: format!("{raw:?}: {e}"),
            expected: "an address and port to serve /metrics on, such as 0.0.0.0:9100 (a port \
                       the load balancer does not expose)",
        })
}

impl WebConfig {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let site_url = parse_url(
            "SITE_URL",
            &required(src, "SITE_URL", SITE_URL_EXPECTED)?,
            SITE_URL_EXPECTED,
        )?;
        let session_secret = Secret::new(required(
            src,
            "SESSION_SECRET",
            "at least 32 random characters, such as the output of `openssl rand -base64 48`",
        )?);
        Ok(WebConfig {
            site_url,
            session_secret,
            // Stytch's limits: sessions 5 min to a year, links 5 min to a week.
            session_minutes: minutes(src, "SESSION_DURATION_MINUTES", 10_080, 5..=527_040)?,
            link_minutes: minutes(src, "MAGIC_LINK_EXPIRATION_MINUTES", 60, 5..=10_080)?,
            // Past an hour, a session ended at the provider would live on too long to call
            // it ended.
            recheck_seconds: number(
                src,
                "SESSION_RECHECK_SECONDS",
                DEFAULT_RECHECK.as_secs() as u32,
                1..=3_600,
                SECONDS_EXPECTED,
            )?,
            inbound: inbound(src)?,
            limits: LimitConfig::from_source(src)?,
            insforge: InsForgeConfig::from_source(src)?,
            providers: providers::configs(src)?,
            redis_url: src
                .get(REDIS_URL)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Secret::new(v.trim())),
            metrics_addr: metrics_addr(src)?,
        })
    }
}

pub struct Services {
    pub minter: TokenMinter,
    pub insforge: InsForgeClient,
    pub providers: Providers,
    pub sessions: SessionCookies,
    /// Where a provider's sign-out page sends the browser back to: SITE_URL as the guides
    /// register it (no trailing slash).
    pub logout_return: String,
    /// Where an emailed sign-in link leads (with its token).
    pub magic_link_url: Url,
    /// `scheme://host[:port]` of SITE_URL: what a browser sends as `Origin` from our pages.
    pub site_origin: String,
    pub session_minutes: u32,
    pub link_minutes: u32,
    pub limits: Limits,
    /// What the replicas share (`REDIS_URL`).
    pub shared: Option<Arc<Shared>>,
}

impl Services {
    pub fn new(config: &WebConfig) -> Result<Self, String> {
        let magic_link_url = config
            .site_url
            .join(segment(MAGIC_LINK))
            .map_err(|e| format!("SITE_URL: {e}"))?;
        super::metrics::install();
        let shared = match &config.redis_url {
            Some(url) => Some(Arc::new(
                Shared::new(url, &config.session_secret).map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        Ok(Services {
            minter: TokenMinter::new(&config.insforge.jwt_secret, config.insforge.token_ttl)
                .map_err(|e| format!("INSFORGE_JWT_SECRET: {e}"))?,
            insforge: InsForgeClient::new(&config.insforge.url, ClientOptions::default())
                .map_err(|e| e.to_string())?,
            providers: Providers::new(&config.providers, &config.site_url, shared.as_ref())?,
            sessions: SessionCookies::new(
                &config.session_secret,
                config.site_url.scheme() == "https",
                config.session_minutes,
            )
            .map_err(|e| e.to_string())?
            .with_recheck(Duration::from_secs(u64::from(config.recheck_seconds))),
            logout_return: config.site_url.as_str().trim_end_matches('/').to_string(),
            magic_link_url,
            site_origin: config.site_url.origin().ascii_serialization(),
            session_minutes: config.session_minutes,
            link_minutes: config.link_minutes,
            limits: Limits::new(&config.limits, shared.clone()),
            shared,
        })
    }
}

/// The router's state; server functions get it from the Leptos context. The middleware and
/// the page handlers clone it for every request, so a clone is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

pub struct StateParts {
    pub leptos_options: LeptosOptions,
    pub services: Arc<Services>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, services: Arc<Services>) -> Self {
        AppState(Arc::new(StateParts {
            leptos_options,
            services,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = StateParts;

    fn deref(&self) -> &StateParts {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: [(&str, &str); 6] = [
        ("SITE_URL", "https://todos.example.com"),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("INSFORGE_URL", "https://app.us-east.insforge.app"),
        ("INSFORGE_JWT_SECRET", "s3cret"),
        (
            "STYTCH_PROJECT_ID",
            "project-test-11111111-2222-3333-4444-555555555555",
        ),
        ("STYTCH_SECRET", "secret-test-abc"),
    ];

    /// The good configuration with one variable set (or overridden: the last one wins).
    fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
        let mut vars = GOOD.to_vec();
        vars.push((name, value));
        vars
    }

    fn name_of(e: ConfigError) -> &'static str {
        match e {
            ConfigError::Missing { name, .. } | ConfigError::Invalid { name, .. } => name,
        }
    }

    #[test]
    fn a_complete_configuration_reads_with_defaults() {
        let config = WebConfig::from_source(&GOOD).expect("valid");
        assert_eq!(config.session_minutes, 10_080);
        assert_eq!(config.link_minutes, 60);
        assert_eq!(config.recheck_seconds, 300);
        let [ProviderConfig::Stytch(stytch)] = config.providers.as_slice() else {
            panic!("Stytch alone by default: {:?}", config.providers);
        };
        assert_eq!(stytch.api_url.as_str(), "https://test.stytch.com/");
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(!format!("{config:?}").contains("secret-test-abc"));
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn each_missing_variable_is_named() {
        for missing in [
            "SITE_URL",
            "SESSION_SECRET",
            "INSFORGE_URL",
            "INSFORGE_JWT_SECRET",
            "STYTCH_PROJECT_ID",
            "STYTCH_SECRET",
        ] {
            let src: Vec<(&str, &str)> = GOOD
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let err = WebConfig::from_source(&src).expect_err(missing);
            assert!(matches!(err, ConfigError::Missing { .. }), "{err}");
            assert_eq!(name_of(err), missing);
        }
    }

    #[test]
    fn malformed_values_are_named() {
        for (name, value) in [
            ("SITE_URL", "todos.example.com"),
            ("STYTCH_PROJECT_ID", "12345"),
            ("STYTCH_API_URL", "http://stytch.internal"),
            ("SESSION_DURATION_MINUTES", "0"),
            ("MAGIC_LINK_EXPIRATION_MINUTES", "a week"),
            ("SESSION_RECHECK_SECONDS", "0"),
            ("SESSION_RECHECK_SECONDS", "86400"),
            ("METRICS_ADDR", "9100"),
        ] {
            let err = WebConfig::from_source(&with(name, value)).expect_err(name);
            assert_eq!(name_of(err), name, "{name}={value}");
        }
        let live = with("STYTCH_PROJECT_ID", "project-live-1");
        let config = WebConfig::from_source(&live).expect("live project");
        let [ProviderConfig::Stytch(stytch)] = config.providers.as_slice() else {
            panic!("Stytch: {:?}", config.providers);
        };
        assert_eq!(stytch.api_url.as_str(), "https://api.stytch.com/");
    }

    #[test]
    fn a_short_session_secret_is_refused_at_start() {
        let mut config = WebConfig::from_source(&GOOD).expect("valid");
        config.session_secret = Secret::new("short");
        let err = Services::new(&config).err().expect("refused");
        assert!(err.contains("SESSION_SECRET"), "{err}");
    }
}

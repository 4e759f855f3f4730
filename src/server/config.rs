//! Configuration from the environment (and `.env` when present), validated once at start. A bad
//! value stops the program with a message that names the variable and says what it should be.

use std::time::Duration;

use url::Url;

/// A secret that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not set: {expected}")]
    Missing {
        name: &'static str,
        expected: &'static str,
    },
    #[error("{name} is invalid ({problem}): {expected}")]
    Invalid {
        name: &'static str,
        problem: String,
        expected: &'static str,
    },
}

/// Where configuration values come from; the process environment in production, a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// Name-value pairs (tests, and values derived from others); the last of a name wins, so a
/// test can override one value of a good set by pushing it.
fn last_value(pairs: &[(&str, &str)], name: &str) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl<const N: usize> Source for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        last_value(self, name)
    }
}

impl Source for Vec<(&str, &str)> {
    fn get(&self, name: &str) -> Option<String> {
        last_value(self, name)
    }
}

/// Loads `.env` from the working directory if there is one; real environment variables win.
pub fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => Err(format!(".env could not be read: {e}")),
    }
}

pub(crate) fn required(
    src: &impl Source,
    name: &'static str,
    expected: &'static str,
) -> Result<String, ConfigError> {
    match src.get(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(ConfigError::Missing { name, expected }),
    }
}

/// A required value in a service's own format, which starts with `prefix` (an id or a key):
/// a value from another field is caught at start. `hint` follows the problem (or is empty).
pub(crate) fn required_with_prefix(
    src: &impl Source,
    name: &'static str,
    prefix: &str,
    hint: &str,
    expected: &'static str,
) -> Result<String, ConfigError> {
    let value = required(src, name, expected)?;
    if !value.starts_with(prefix) {
        return Err(ConfigError::Invalid {
            name,
            problem: format!("it does not start with {prefix}{hint}"),
            expected,
        });
    }
    Ok(value)
}

const URL_EXPECTED: &str = "the project's API base URL, such as https://your-app.us-east.insforge.app \
     (or http://127.0.0.1:7130 for the local stack)";
const SECRET_EXPECTED: &str = "the project's JWT secret, from `npx @insforge/cli secrets get JWT_SECRET` \
     (the value only, without `JWT_SECRET =`)";
const API_KEY_EXPECTED: &str = "the project's admin API key, `ik_` followed by 64 hex characters";
const TTL_EXPECTED: &str = "a whole number of seconds from 30 to 3600, such as 600";

/// The InsForge project the app talks to.
#[derive(Debug, Clone)]
pub struct InsForgeConfig {
    /// Always ends with `/`, so joining API paths keeps any path prefix.
    pub url: Url,
    pub jwt_secret: Secret,
    /// Lifetime of the tokens the app mints for InsForge.
    pub token_ttl: Duration,
}

impl InsForgeConfig {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let url = insforge_url(src)?;
        let jwt_secret = Secret::new(required(src, "INSFORGE_JWT_SECRET", SECRET_EXPECTED)?);
        let token_ttl = match src
            .get("INSFORGE_TOKEN_TTL_SECS")
            .filter(|v| !v.trim().is_empty())
        {
            None => Duration::from_secs(600),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(secs) if (30..=3600).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "INSFORGE_TOKEN_TTL_SECS",
                        problem: format!("got {raw:?}"),
                        expected: TTL_EXPECTED,
                    });
                }
            },
        };
        Ok(InsForgeConfig {
            url,
            jwt_secret,
            token_ttl,
        })
    }
}

/// The admin key, needed only by the `migrate` command.
pub fn admin_api_key(src: &impl Source) -> Result<Secret, ConfigError> {
    let key = required_with_prefix(src, "INSFORGE_API_KEY", "ik_", "", API_KEY_EXPECTED)?;
    Ok(Secret::new(key))
}

/// `INSFORGE_URL`, which must be https unless it is this machine (the local stack) or
/// `INSFORGE_ALLOW_HTTP=true` says a plain-http network is trusted (a private compose network):
/// user tokens and the admin key travel in its requests.
pub fn insforge_url(src: &impl Source) -> Result<Url, ConfigError> {
    let url = parse_base_url(&required(src, "INSFORGE_URL", URL_EXPECTED)?)?;
    let loopback = is_loopback(&url);
    let allow_http = src
        .get("INSFORGE_ALLOW_HTTP")
        .is_some_and(|v| v.trim() == "true");
    if url.scheme() == "http" && !loopback && !allow_http {
        return Err(ConfigError::Invalid {
            name: "INSFORGE_URL",
            problem: "plain http to another machine would expose tokens".into(),
            expected: "an https URL (or set INSFORGE_ALLOW_HTTP=true for a trusted private network)",
        });
    }
    Ok(url)
}

/// A service's base URL from `name` (`default` when unset), https unless it is this machine:
/// `exposes` (a secret) travels in its requests.
pub(crate) fn service_url(
    src: &impl Source,
    name: &'static str,
    default: &str,
    expected: &'static str,
    exposes: &str,
) -> Result<Url, ConfigError> {
    let raw = src
        .get(name)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    let url = parse_url(name, raw.trim(), expected)?;
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(ConfigError::Invalid {
            name,
            problem: format!("plain http to another machine would expose {exposes}"),
            expected,
        });
    }
    Ok(url)
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    parse_url("INSFORGE_URL", raw, URL_EXPECTED)
}

/// An http(s) URL without query or fragment, its path ending in `/` so joins keep it.
pub(crate) fn parse_url(
    name: &'static str,
    raw: &str,
    expected: &'static str,
) -> Result<Url, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        name,
        problem,
        expected,
    };
    let mut url = Url::parse(raw).map_err(|e| invalid(format!("{e}: {raw:?}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(format!("not an http(s) URL: {raw:?}")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it has a query or fragment".into()));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// A whole number in `range` from variable `name`, or `default` when it is unset.
pub fn number(
    src: &impl Source,
    name: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
    expected: &'static str,
) -> Result<u32, ConfigError> {
    match src.get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(m) if range.contains(&m) => Ok(m),
            _ => Err(ConfigError::Invalid {
                name,
                problem: format!("got {raw:?}, expected {} to {}", range.start(), range.end()),
                expected,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_complete_configuration() {
        let src = [
            ("INSFORGE_URL", "https://app.us-east.insforge.app"),
            ("INSFORGE_JWT_SECRET", "s3cret"),
        ];
        let cfg = InsForgeConfig::from_source(&src).expect("valid");
        assert_eq!(cfg.url.as_str(), "https://app.us-east.insforge.app/");
        assert_eq!(cfg.token_ttl, Duration::from_secs(600));
        assert_eq!(format!("{:?}", cfg.jwt_secret), "Secret(…)");
    }

    #[test]
    fn names_the_variable_that_is_wrong() {
        let err = InsForgeConfig::from_source(&[("INSFORGE_URL", "http://127.0.0.1:7130")])
            .expect_err("no secret");
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    name: "INSFORGE_JWT_SECRET",
                    ..
                }
            ),
            "{err}"
        );
        let err = InsForgeConfig::from_source(&[
            ("INSFORGE_URL", "ftp://x"),
            ("INSFORGE_JWT_SECRET", "s"),
        ])
        .expect_err("bad url");
        assert!(
            err.to_string().starts_with("INSFORGE_URL is invalid"),
            "{err}"
        );
        let err = InsForgeConfig::from_source(&[
            ("INSFORGE_URL", "http://localhost:7130"),
            ("INSFORGE_JWT_SECRET", "s"),
            ("INSFORGE_TOKEN_TTL_SECS", "forever"),
        ])
        .expect_err("bad ttl");
        assert!(err.to_string().contains("INSFORGE_TOKEN_TTL_SECS"), "{err}");
        let err = admin_api_key(&[("INSFORGE_API_KEY", "anon_123")]).expect_err("not admin");
        assert!(err.to_string().contains("ik_"), "{err}");
    }

    #[test]
    fn plain_http_only_to_this_machine_or_when_allowed() {
        assert!(insforge_url(&[("INSFORGE_URL", "http://127.0.0.1:7130")]).is_ok());
        assert!(insforge_url(&[("INSFORGE_URL", "http://[::1]:7130")]).is_ok());
        let err =
            insforge_url(&[("INSFORGE_URL", "http://insforge:7130")]).expect_err("remote http");
        assert!(err.to_string().contains("INSFORGE_ALLOW_HTTP"), "{err}");
        assert!(
            insforge_url(&[
                ("INSFORGE_URL", "http://insforge:7130"),
                ("INSFORGE_ALLOW_HTTP", "true")
            ])
            .is_ok()
        );
    }

    #[test]
    fn keeps_a_path_prefix() {
        let url = parse_base_url("https://proxy.example.com/insforge").expect("valid");
        assert_eq!(
            url.join("api/health").map(String::from).unwrap_or_default(),
            "https://proxy.example.com/insforge/api/health"
        );
    }
}

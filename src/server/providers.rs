//! The providers a deployment offers (`AUTH_PROVIDERS`), behind one small interface: start a
//! sign-in, finish its callback, validate (and refresh) a session, sign out. Stytch signs in
//! by email on our own page; every other provider by a redirect to its hosted page.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::config::{ConfigError, Secret, Source, is_loopback, parse_url, required};
use super::oidc::{OidcConfig, OidcFlavor, OidcProvider};
use super::redirect::{ProviderError, RedirectProvider, RefreshGate, SignedIn};
use super::stytch::{StytchClient, StytchConfig};
use super::workos::{WorkOsClient, WorkOsConfig};
use crate::api::SignInOption;

const PROVIDERS_EXPECTED: &str = "a comma-separated list of stytch, workos, auth0, kinde, clerk, or a \
     name of your own for any OpenID Connect issuer (configured with OIDC_<NAME>_ISSUER_URL, \
     _CLIENT_ID and _CLIENT_SECRET)";

#[derive(Debug, Clone)]
pub enum ProviderConfig {
    Stytch(StytchConfig),
    WorkOs(WorkOsConfig),
    Oidc(OidcConfig),
}

impl ProviderConfig {
    pub fn name(&self) -> &str {
        match self {
            ProviderConfig::Stytch(_) => "stytch",
            ProviderConfig::WorkOs(_) => "workos",
            ProviderConfig::Oidc(c) => &c.name,
        }
    }
}

/// Configuration names are `&'static str` so every error can name its variable; the names of
/// a generic issuer's variables are made at start, once, from `AUTH_PROVIDERS`.
fn var(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

fn issuer_url(
    src: &impl Source,
    name: &'static str,
    expected: &'static str,
) -> Result<Url, ConfigError> {
    let url = parse_url(name, &required(src, name, expected)?, expected)?;
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(ConfigError::Invalid {
            name,
            problem: "plain http to another machine would expose the client secret".into(),
            expected,
        });
    }
    Ok(url)
}

/// One OIDC provider's settings: `<prefix>_CLIENT_ID`, `<prefix>_CLIENT_SECRET`, and
/// optionally `<prefix>_SCOPES` (space-separated, replacing the default).
fn oidc_config(
    src: &impl Source,
    name: &str,
    label: &str,
    flavor: OidcFlavor,
    issuer: String,
    prefix: &str,
    callback_path: String,
) -> Result<OidcConfig, ConfigError> {
    let id_name = var(format!("{prefix}_CLIENT_ID"));
    let secret_name = var(format!("{prefix}_CLIENT_SECRET"));
    let client_id = required(
        src,
        id_name,
        "the application's client id from the dashboard",
    )?;
    let client_secret = Secret::new(required(
        src,
        secret_name,
        "the application's client secret from the dashboard",
    )?);
    let default_scopes = match flavor {
        // Kinde's name for the refresh-token scope.
        OidcFlavor::Kinde => "profile email offline",
        _ => "profile email offline_access",
    };
    let scopes = src
        .get(&format!("{prefix}_SCOPES"))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| default_scopes.to_string())
        .split_whitespace()
        .filter(|s| *s != "openid")
        .map(str::to_string)
        .collect();
    Ok(OidcConfig {
        name: name.to_string(),
        label: label.to_string(),
        flavor,
        issuer,
        client_id,
        client_secret,
        scopes,
        callback_path,
    })
}

fn provider_config(src: &impl Source, name: &str) -> Result<ProviderConfig, ConfigError> {
    const AUTH0: &str = "your Auth0 domain, such as dev-abc123.us.auth0.com";
    const KINDE: &str = "your Kinde domain, such as https://yourbusiness.kinde.com";
    const CLERK: &str = "your Clerk Frontend API URL, such as https://clerk.example.com";
    const OIDC: &str = "the issuer URL, exactly as the provider's tokens name it (iss)";
    let trimmed = |url: Url| url.as_str().trim_end_matches('/').to_string();
    Ok(ProviderConfig::Oidc(match name {
        "stytch" => return Ok(ProviderConfig::Stytch(StytchConfig::from_source(src)?)),
        "auth0" => {
            // The guide's AUTH0_DOMAIN is a bare host; a URL (the emulator's) works too.
            let raw = required(src, "AUTH0_DOMAIN", AUTH0)?;
            let raw = if raw.contains("://") {
                raw
            } else {
                format!("https://{raw}")
            };
            let url = issuer_url(&[("AUTH0_DOMAIN", raw.as_str())], "AUTH0_DOMAIN", AUTH0)?;
            // Auth0's issuer ends in a slash.
            let issuer = format!("{}/", trimmed(url));
            oidc_config(
                src,
                name,
                "Auth0",
                OidcFlavor::Auth0,
                issuer,
                "AUTH0",
                "auth/callback".into(),
            )?
        }
        "kinde" => {
            let issuer = trimmed(issuer_url(src, "KINDE_ISSUER_URL", KINDE)?);
            let callback = "api/auth/kinde_callback".into();
            oidc_config(
                src,
                name,
                "Kinde",
                OidcFlavor::Kinde,
                issuer,
                "KINDE",
                callback,
            )?
        }
        "clerk" => {
            let issuer = trimmed(issuer_url(src, "CLERK_ISSUER_URL", CLERK)?);
            let callback = "auth/callback/clerk".into();
            oidc_config(
                src,
                name,
                "Clerk",
                OidcFlavor::Clerk,
                issuer,
                "CLERK_OAUTH",
                callback,
            )?
        }
        "workos" => return Ok(ProviderConfig::WorkOs(WorkOsConfig::from_source(src)?)),
        other => {
            let valid = other.len() <= 32
                && other.starts_with(|c: char| c.is_ascii_lowercase())
                && other
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(ConfigError::Invalid {
                    name: "AUTH_PROVIDERS",
                    problem: format!(
                        "{other:?} is not a provider name (lowercase letters, digits and -)"
                    ),
                    expected: PROVIDERS_EXPECTED,
                });
            }
            let prefix = format!("OIDC_{}", other.to_ascii_uppercase().replace('-', "_"));
            let issuer_name = var(format!("{prefix}_ISSUER_URL"));
            // Kept as written: some issuers end in a slash, and `iss` must match exactly.
            issuer_url(src, issuer_name, OIDC)?;
            let issuer = required(src, issuer_name, OIDC)?;
            let label = src
                .get(&format!("{prefix}_LABEL"))
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| other.to_string());
            let callback = format!("auth/callback/{other}");
            oidc_config(
                src,
                other,
                label.trim(),
                OidcFlavor::Generic,
                issuer,
                &prefix,
                callback,
            )?
        }
    }))
}

/// `AUTH_PROVIDERS` (default `stytch`), each with its own settings.
pub fn configs(src: &impl Source) -> Result<Vec<ProviderConfig>, ConfigError> {
    let raw = src
        .get("AUTH_PROVIDERS")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "stytch".into());
    let mut configs: Vec<ProviderConfig> = Vec::new();
    for name in raw.split(',').map(|n| n.trim().to_ascii_lowercase()) {
        if name.is_empty() {
            continue;
        }
        if configs.iter().any(|c| c.name() == name) {
            return Err(ConfigError::Invalid {
                name: "AUTH_PROVIDERS",
                problem: format!("{name} is listed twice"),
                expected: PROVIDERS_EXPECTED,
            });
        }
        configs.push(provider_config(src, &name)?);
    }
    if configs.is_empty() {
        return Err(ConfigError::Invalid {
            name: "AUTH_PROVIDERS",
            problem: "it names no provider".into(),
            expected: PROVIDERS_EXPECTED,
        });
    }
    Ok(configs)
}

/// How the app talks to every provider: short timeouts (a page waits on these calls), and no
/// redirects (an answer that redirects is not the API's).
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("insforge-auth/", env!("CARGO_PKG_VERSION")))
        .build()
}

pub enum Provider {
    /// Signs in by email on the app's own page.
    Stytch(Box<StytchClient>),
    /// Signs in on the provider's hosted page (shared with the refreshes it runs).
    Redirect(Arc<RedirectProvider>),
}

pub struct Providers {
    list: Vec<Provider>,
    refreshes: RefreshGate,
}

impl Providers {
    pub fn new(configs: &[ProviderConfig], site_url: &Url) -> Result<Self, String> {
        let http = http_client().map_err(|e| format!("HTTP client: {e}"))?;
        let list = configs
            .iter()
            .map(|config| match config {
                ProviderConfig::Stytch(c) => StytchClient::new(c)
                    .map(|s| Provider::Stytch(Box::new(s)))
                    .map_err(|e| e.to_string()),
                ProviderConfig::WorkOs(c) => WorkOsClient::new(c, site_url, http.clone())
                    .map(|w| Provider::Redirect(Arc::new(RedirectProvider::WorkOs(w)))),
                ProviderConfig::Oidc(c) => OidcProvider::new(c.clone(), site_url, http.clone())
                    .map(|o| Provider::Redirect(Arc::new(RedirectProvider::Oidc(o)))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self::with(list))
    }

    /// From providers built already (tests tune their clients).
    pub fn with(list: Vec<Provider>) -> Self {
        Providers {
            list,
            refreshes: RefreshGate::default(),
        }
    }

    pub fn stytch(&self) -> Option<&StytchClient> {
        self.list.iter().find_map(|p| match p {
            Provider::Stytch(s) => Some(s.as_ref()),
            Provider::Redirect(_) => None,
        })
    }

    fn redirects(&self) -> impl Iterator<Item = &Arc<RedirectProvider>> {
        self.list.iter().filter_map(|p| match p {
            Provider::Redirect(r) => Some(r),
            Provider::Stytch(_) => None,
        })
    }

    /// The redirect provider of this name.
    pub fn redirect(&self, name: &str) -> Option<&RedirectProvider> {
        self.redirects().find(|r| r.name() == name).map(Arc::as_ref)
    }

    /// The provider whose callback is at `path` (`/auth/callback`, …).
    pub fn by_callback(&self, path: &str) -> Option<&RedirectProvider> {
        self.redirects()
            .find(|r| r.redirect_url().path() == path)
            .map(Arc::as_ref)
    }

    pub fn callback_paths(&self) -> Vec<String> {
        self.redirects()
            .map(|r| r.redirect_url().path().to_string())
            .collect()
    }

    pub fn options(&self) -> Vec<SignInOption> {
        self.list
            .iter()
            .map(|p| match p {
                Provider::Stytch(_) => SignInOption {
                    name: "stytch".into(),
                    label: "Email".into(),
                    email_form: true,
                },
                Provider::Redirect(r) => SignInOption {
                    name: r.name().to_string(),
                    label: r.label().to_string(),
                    email_form: false,
                },
            })
            .collect()
    }

    /// The one provider, when there is exactly one and it signs in by redirect: `/login`
    /// then goes straight to it.
    pub fn only_redirect(&self) -> Option<&str> {
        match self.list.as_slice() {
            [Provider::Redirect(r)] => Some(r.name()),
            _ => None,
        }
    }

    /// Refreshes the session of a user `provider` signed in; concurrent requests with the
    /// same (single-use) refresh token share one refresh (see [`RefreshGate`]).
    pub async fn refresh(
        &self,
        provider: &str,
        refresh_token: &str,
        user_id: &str,
    ) -> Result<SignedIn, ProviderError> {
        let Some(provider) = self.redirects().find(|r| r.name() == provider) else {
            return Err(ProviderError::Misconfigured(format!(
                "{provider} is not enabled"
            )));
        };
        self.refreshes
            .refresh(provider.clone(), refresh_token, user_id)
            .await
    }
}

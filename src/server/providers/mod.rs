//! The registry: the providers a deployment offers (`AUTH_PROVIDERS`), read from the
//! configuration and built into [`Provider`]s. The one place that names the concrete
//! providers; everything else goes through the `Provider` trait.
//!
//! Adding a provider: a file beside this one that implements `Provider` (with its settings
//! read by a `from_source`), a variant of [`ProviderConfig`], and its arms in
//! `ProviderConfig::read`, `ProviderConfig::name` and `Providers::new`.

use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::auth::model::SignInOption;
use crate::server::config::{ConfigError, Source};
use crate::server::provider::{Check, Provider};
use crate::server::shared::Shared;

pub mod oidc;
pub mod stytch;
pub mod workos;

use oidc::{OidcConfig, OidcFlavor, OidcProvider};
use stytch::{StytchClient, StytchConfig};
use workos::{WorkOsClient, WorkOsConfig};

const PROVIDERS_EXPECTED: &str = "a comma-separated list of stytch, workos, auth0, kinde, clerk, or a \
     name of your own for any OpenID Connect issuer (configured with OIDC_<NAME>_ISSUER_URL, \
     _CLIENT_ID and _CLIENT_SECRET)";

/// A provider's settings, validated at start (before anything listens).
#[derive(Debug, Clone)]
pub enum ProviderConfig {
    Stytch(StytchConfig),
    WorkOs(WorkOsConfig),
    Oidc(OidcConfig),
}

impl ProviderConfig {
    pub fn name(&self) -> &str {
        match self {
            ProviderConfig::Stytch(_) => stytch::NAME,
            ProviderConfig::WorkOs(_) => workos::NAME,
            ProviderConfig::Oidc(c) => &c.name,
        }
    }

    /// The settings of the provider called `name` in `AUTH_PROVIDERS`.
    fn read(src: &impl Source, name: &str) -> Result<Self, ConfigError> {
        if let Some((_, flavor)) = OidcFlavor::NAMED.iter().find(|(n, _)| *n == name) {
            return Ok(ProviderConfig::Oidc(OidcConfig::from_source(
                src, name, *flavor,
            )?));
        }
        Ok(match name {
            stytch::NAME => ProviderConfig::Stytch(StytchConfig::from_source(src)?),
            workos::NAME => ProviderConfig::WorkOs(WorkOsConfig::from_source(src)?),
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
                ProviderConfig::Oidc(OidcConfig::from_source(src, other, OidcFlavor::Generic)?)
            }
        })
    }
}

/// `AUTH_PROVIDERS` (default `stytch`), each with its own settings.
pub fn configs(src: &impl Source) -> Result<Vec<ProviderConfig>, ConfigError> {
    let raw = src
        .get("AUTH_PROVIDERS")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| stytch::NAME.into());
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
        let config = ProviderConfig::read(src, &name)?;
        if let ProviderConfig::Oidc(new) = &config
            && let Some(ProviderConfig::Oidc(same)) = configs.iter().find(
                |c| matches!(c, ProviderConfig::Oidc(old) if same_issuer(&old.issuer, &new.issuer)),
            )
        {
            // Its users would have one id through one provider and another (or, for two
            // named ones, the same) through the other: an issuer is one provider.
            return Err(ConfigError::Invalid {
                name: "AUTH_PROVIDERS",
                problem: format!(
                    "{} and {} are the same issuer ({})",
                    same.name, new.name, new.issuer
                ),
                expected: "each OpenID Connect issuer listed once",
            });
        }
        configs.push(config);
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

/// Whether two issuers are one: `iss` compared as URLs, without a trailing slash (the host's
/// case does not matter to URLs).
fn same_issuer(a: &str, b: &str) -> bool {
    let normal = |raw: &str| {
        url::Url::parse(raw)
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|_| raw.trim_end_matches('/').to_string())
    };
    normal(a) == normal(b)
}

/// How long ending a session waits on its provider.
const ENDING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The providers this deployment offers, in the order the sign-in page lists them.
pub struct Providers {
    list: Vec<Arc<dyn Provider>>,
}

impl Providers {
    /// The providers of `configs`; those whose refresh tokens are single-use share their
    /// refreshes with the other replicas through `shared`.
    pub fn new(
        configs: &[ProviderConfig],
        site_url: &Url,
        shared: Option<&Arc<Shared>>,
    ) -> Result<Self, String> {
        let http = crate::server::http::client().map_err(|e| format!("HTTP client: {e}"))?;
        let list = configs
            .iter()
            .map(|config| -> Result<Arc<dyn Provider>, String> {
                Ok(match config {
                    ProviderConfig::Stytch(c) => {
                        Arc::new(StytchClient::new(c).map_err(|e| e.to_string())?)
                    }
                    ProviderConfig::WorkOs(c) => {
                        Arc::new(WorkOsClient::new(c, site_url, http.clone())?.sharing(shared))
                    }
                    ProviderConfig::Oidc(c) => Arc::new(
                        OidcProvider::new(c.clone(), site_url, http.clone())?.sharing(shared),
                    ),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self::with(list))
    }

    /// From providers built already (tests tune their clients).
    pub fn with(list: Vec<Arc<dyn Provider>>) -> Self {
        Providers { list }
    }

    /// The provider of this name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.list.iter().find(|p| p.name() == name)
    }

    /// The provider that signs in by an emailed link, if one is offered.
    pub fn by_email(&self) -> Option<&Arc<dyn Provider>> {
        self.list.iter().find(|p| p.callback_url().is_none())
    }

    /// The provider whose callback is at `path` (`/auth/callback`, …).
    pub fn by_callback(&self, path: &str) -> Option<&Arc<dyn Provider>> {
        self.list
            .iter()
            .find(|p| p.callback_url().is_some_and(|u| u.path() == path))
    }

    pub fn callback_paths(&self) -> Vec<String> {
        self.list
            .iter()
            .filter_map(|p| p.callback_url().map(|u| u.path().to_string()))
            .collect()
    }

    /// Every provider, in the sign-in page's order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.list.iter()
    }

    pub fn options(&self) -> Vec<SignInOption> {
        self.list
            .iter()
            .map(|p| SignInOption {
                name: p.name().to_string(),
                label: p.label().to_string(),
                email_form: p.callback_url().is_none(),
            })
            .collect()
    }

    /// The one provider, when there is exactly one and it signs in on its hosted page:
    /// `/login` then goes straight to it.
    pub fn only_hosted(&self) -> Option<&str> {
        match self.list.as_slice() {
            [only] if only.callback_url().is_some() => Some(only.name()),
            _ => None,
        }
    }

    /// The word of `provider` on a session it started (asked of the provider itself with
    /// `ask`); a provider that is not enabled any more ends it.
    pub async fn check(&self, provider: &str, user_id: &str, state: &Value, ask: bool) -> Check {
        match self.get(provider) {
            Some(p) => p.clone().check(user_id, state, ask).await,
            None => {
                tracing::info!(
                    provider,
                    "a session of a provider that is not enabled; signing out"
                );
                Check::Over
            }
        }
    }

    /// Ends a session at the provider that started it, where it has a way to. Waits at most
    /// `ENDING_WAIT`: signing out (or in anew) never hangs on a provider that is down.
    pub async fn revoke(&self, provider: &str, state: &Value) {
        if let Some(p) = self.get(provider)
            && tokio::time::timeout(ENDING_WAIT, p.revoke(state))
                .await
                .is_err()
        {
            tracing::warn!(
                provider,
                "the provider did not answer in time to revoke a session"
            );
        }
    }

    /// The provider's sign-out page to send the browser through, if it has one (it comes back
    /// to `return_to`); none when the provider does not say in `ENDING_WAIT`.
    pub async fn logout_url(&self, provider: &str, state: &Value, return_to: &str) -> Option<Url> {
        let p = self.get(provider)?;
        let url = tokio::time::timeout(ENDING_WAIT, p.logout_url(state, return_to)).await;
        url.unwrap_or_else(|_| {
            tracing::warn!(
                provider,
                "the provider did not answer in time with its sign-out page"
            );
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::oidc::OidcState;
    use super::stytch::StytchState;
    use super::workos::WorkOsState;
    use crate::server::provider::write_state;

    /// Each provider's session state reads as the app's earlier versions wrote it, and is
    /// written the same way, so neither an upgrade nor a rollback signs anybody out.
    #[test]
    fn session_states_keep_their_format() {
        let same = |old: Value, state: Value| assert_eq!(old, state);
        let oidc = json!({ "kind": "oidc", "refresh": "r1", "fresh_until": 1_700_000_000 });
        let parsed: OidcState = serde_json::from_value(oidc.clone()).expect("oidc");
        same(oidc, write_state(&parsed).expect("written"));
        let workos = json!({
            "kind": "workos", "access_token": "a", "refresh_token": "r", "session_id": "s"
        });
        let parsed: WorkOsState = serde_json::from_value(workos.clone()).expect("workos");
        same(workos, write_state(&parsed).expect("written"));
        let stytch = json!({ "kind": "stytch", "token": "t", "jwt": "j" });
        let parsed: StytchState = serde_json::from_value(stytch.clone()).expect("stytch");
        same(stytch, write_state(&parsed).expect("written"));
        let no_refresh = json!({ "kind": "oidc", "refresh": null, "fresh_until": 1 });
        let parsed: OidcState = serde_json::from_value(no_refresh).expect("no refresh token");
        assert_eq!(parsed.refresh, None);
        assert!(serde_json::from_value::<OidcState>(json!({ "kind": "oidc" })).is_err());
    }
}

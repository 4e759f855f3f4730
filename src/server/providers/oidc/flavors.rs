//! The OpenID Connect providers this app knows by name (Auth0, Kinde, Clerk) and any other
//! issuer: each one's quirks in one table, and its settings read through that table.

use url::Url;

use crate::server::config::{ConfigError, Secret, Source, is_loopback, parse_url, required};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcFlavor {
    Auth0,
    Kinde,
    Clerk,
    /// Any other issuer, named in `AUTH_PROVIDERS` by a name of the deployment's choosing.
    Generic,
}

/// How the issuer variable is written, and how `iss` is made from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerForm {
    /// A bare host (a URL works too); `iss` is `https://<host>/`, with the slash.
    Domain,
    /// A URL; `iss` is without a trailing slash.
    Trimmed,
    /// A URL, kept exactly as written: `iss` must match it to the character.
    AsWritten,
}

/// Where the browser goes to end the session at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutStyle {
    /// The discovered `end_session_endpoint` (`client_id`, `post_logout_redirect_uri`), or none.
    Discovered,
    /// As `Discovered`; without one, Auth0's older `/v2/logout` (`returnTo`, `client_id`).
    DiscoveredOrAuth0V2,
    /// Kinde's `{issuer}/logout?redirect=`.
    KindeLogout,
}

/// One flavour's quirks. In `prefix`, `issuer_var` and `callback`, `{NAME}` and `{name}` stand
/// for a generic issuer's name in `AUTH_PROVIDERS`.
#[derive(Debug, Clone, Copy)]
pub struct Quirks {
    pub label: &'static str,
    /// `<prefix>_CLIENT_ID`, `_CLIENT_SECRET` and optional `_SCOPES` (and `_LABEL`, generic).
    pub prefix: &'static str,
    pub issuer_var: &'static str,
    pub issuer_form: IssuerForm,
    /// What `issuer_var` looks like, for the message when it is missing or wrong.
    pub issuer_expected: &'static str,
    /// The callback's path on this site: the path of the provider's guide.
    pub callback: &'static str,
    /// Besides `openid`, which is always asked for; `<prefix>_SCOPES` replaces them.
    pub scopes: &'static str,
    /// ID tokens list other audiences (the APIs asked for) beside the client; `azp` must still
    /// name the client.
    pub other_audiences: bool,
    /// User ids go to InsForge as `<name>:<sub>`: a `sub` is unique only within its issuer, and
    /// any number of issuers may be configured. The named providers' ids keep their own shapes
    /// (`auth0|…`, `kp_…`, `user_2…`), which never meet each other's or Stytch's and WorkOS'.
    pub namespaced_ids: bool,
    pub sign_out: LogoutStyle,
}

impl OidcFlavor {
    /// The names `AUTH_PROVIDERS` knows; any other name is a generic issuer.
    pub const NAMED: [(&'static str, OidcFlavor); 3] = [
        ("auth0", OidcFlavor::Auth0),
        ("kinde", OidcFlavor::Kinde),
        ("clerk", OidcFlavor::Clerk),
    ];

    /// The table.
    pub const fn quirks(self) -> Quirks {
        match self {
            OidcFlavor::Auth0 => Quirks {
                label: "Auth0",
                prefix: "AUTH0",
                issuer_var: "AUTH0_DOMAIN",
                issuer_form: IssuerForm::Domain,
                issuer_expected: "your Auth0 domain, such as dev-abc123.us.auth0.com",
                callback: "auth/callback",
                scopes: "profile email offline_access",
                other_audiences: false,
                namespaced_ids: false,
                sign_out: LogoutStyle::DiscoveredOrAuth0V2,
            },
            OidcFlavor::Kinde => Quirks {
                label: "Kinde",
                prefix: "KINDE",
                issuer_var: "KINDE_ISSUER_URL",
                issuer_form: IssuerForm::Trimmed,
                issuer_expected: "your Kinde domain, such as https://yourbusiness.kinde.com",
                callback: "api/auth/kinde_callback",
                // Kinde's name for the refresh-token scope.
                scopes: "profile email offline",
                other_audiences: true,
                namespaced_ids: false,
                sign_out: LogoutStyle::KindeLogout,
            },
            OidcFlavor::Clerk => Quirks {
                label: "Clerk",
                prefix: "CLERK_OAUTH",
                issuer_var: "CLERK_ISSUER_URL",
                issuer_form: IssuerForm::Trimmed,
                issuer_expected: "your Clerk Frontend API URL, such as https://clerk.example.com",
                callback: "auth/callback/clerk",
                scopes: "profile email offline_access",
                other_audiences: false,
                namespaced_ids: false,
                sign_out: LogoutStyle::Discovered,
            },
            OidcFlavor::Generic => Quirks {
                // `OIDC_<NAME>_LABEL`, or the name.
                label: "",
                prefix: "OIDC_{NAME}",
                issuer_var: "OIDC_{NAME}_ISSUER_URL",
                issuer_form: IssuerForm::AsWritten,
                issuer_expected: "the issuer URL, exactly as the provider's tokens name it (iss)",
                callback: "auth/callback/{name}",
                scopes: "profile email offline_access",
                other_audiences: false,
                namespaced_ids: true,
                sign_out: LogoutStyle::Discovered,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's name in `AUTH_PROVIDERS`, the session and the sign-in URL.
    pub name: String,
    /// What the sign-in page calls it.
    pub label: String,
    pub flavor: OidcFlavor,
    /// Exactly as the provider writes `iss` (Auth0 with a trailing slash, Kinde without).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Besides `openid`, which is always asked for.
    pub scopes: Vec<String>,
    /// The callback's path on this site (each provider's guide names one).
    pub callback_path: String,
}

/// Configuration names are `&'static str` so every error can name its variable; a generic
/// issuer's are made at start, once, from `AUTH_PROVIDERS`.
fn var(template: &'static str, name: &str) -> &'static str {
    if !template.contains("{NAME}") {
        return template;
    }
    let upper = name.to_ascii_uppercase().replace('-', "_");
    leak(template.replace("{NAME}", &upper))
}

fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// The issuer as its tokens write it (`iss`), from its variable.
fn issuer(src: &impl Source, q: &Quirks, name: &'static str) -> Result<String, ConfigError> {
    let expected = q.issuer_expected;
    let raw = required(src, name, expected)?;
    let raw = match q.issuer_form {
        // The guide's AUTH0_DOMAIN is a bare host; a URL (the emulator's) works too.
        IssuerForm::Domain if !raw.contains("://") => format!("https://{raw}"),
        _ => raw,
    };
    let url = parse_url(name, &raw, expected)?;
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(ConfigError::Invalid {
            name,
            problem: "plain http to another machine would expose the client secret".into(),
            expected,
        });
    }
    let trimmed = |url: Url| url.as_str().trim_end_matches('/').to_string();
    Ok(match q.issuer_form {
        IssuerForm::Domain => format!("{}/", trimmed(url)),
        IssuerForm::Trimmed => trimmed(url),
        // Kept as written: some issuers end in a slash, and `iss` must match exactly.
        IssuerForm::AsWritten => raw,
    })
}

impl OidcConfig {
    /// The settings of provider `name` of `flavor`, each variable named by the table.
    pub fn from_source(
        src: &impl Source,
        name: &str,
        flavor: OidcFlavor,
    ) -> Result<Self, ConfigError> {
        let q = flavor.quirks();
        let prefix = var(q.prefix, name);
        let issuer = issuer(src, &q, var(q.issuer_var, name))?;
        let client_id = required(
            src,
            leak(format!("{prefix}_CLIENT_ID")),
            "the application's client id from the dashboard",
        )?;
        let client_secret = Secret::new(required(
            src,
            leak(format!("{prefix}_CLIENT_SECRET")),
            "the application's client secret from the dashboard",
        )?);
        let optional = |suffix: &str| {
            src.get(&format!("{prefix}_{suffix}"))
                .filter(|v| !v.trim().is_empty())
        };
        let scopes = optional("SCOPES")
            .unwrap_or_else(|| q.scopes.to_string())
            .split_whitespace()
            .filter(|s| *s != "openid")
            .map(str::to_string)
            .collect();
        let label = match flavor {
            OidcFlavor::Generic => optional("LABEL").unwrap_or_else(|| name.to_string()),
            _ => q.label.to_string(),
        };
        Ok(OidcConfig {
            name: name.to_string(),
            label: label.trim().to_string(),
            flavor,
            issuer,
            client_id,
            client_secret,
            scopes,
            callback_path: q.callback.replace("{name}", name),
        })
    }
}

//! `AUTH_PROVIDERS` and each provider's settings: an incomplete or malformed provider stops
//! the server at start with a message naming the variable.

use insforge_auth::server::config::ConfigError;
use insforge_auth::server::providers::oidc::OidcFlavor;
use insforge_auth::server::providers::{ProviderConfig, configs};

type Vars = Vec<(&'static str, &'static str)>;

const ALL: [(&str, &str); 16] = [
    ("AUTH_PROVIDERS", "workos, auth0, kinde,clerk,okta"),
    ("WORKOS_CLIENT_ID", "client_01JABCDEFGHJKMNPQRSTVWXYZ0"),
    ("WORKOS_API_KEY", "sk_test_a2V5"),
    ("AUTH0_DOMAIN", "dev-abc123.us.auth0.com"),
    ("AUTH0_CLIENT_ID", "a0-id"),
    ("AUTH0_CLIENT_SECRET", "a0-secret"),
    ("KINDE_ISSUER_URL", "https://acme.kinde.com/"),
    ("KINDE_CLIENT_ID", "k-id"),
    ("KINDE_CLIENT_SECRET", "k-secret"),
    ("CLERK_ISSUER_URL", "https://clerk.example.com"),
    ("CLERK_OAUTH_CLIENT_ID", "c-id"),
    ("CLERK_OAUTH_CLIENT_SECRET", "c-secret"),
    (
        "OIDC_OKTA_ISSUER_URL",
        "https://acme.okta.com/oauth2/default/",
    ),
    ("OIDC_OKTA_CLIENT_ID", "o-id"),
    ("OIDC_OKTA_CLIENT_SECRET", "o-secret"),
    ("OIDC_OKTA_LABEL", "Okta"),
];

fn without(name: &str) -> Vars {
    ALL.iter().copied().filter(|(k, _)| *k != name).collect()
}

fn with(name: &'static str, value: &'static str) -> Vars {
    let mut vars = ALL.to_vec();
    vars.push((name, value));
    vars
}

fn named(e: ConfigError) -> &'static str {
    match e {
        ConfigError::Missing { name, .. } | ConfigError::Invalid { name, .. } => name,
    }
}

#[test]
fn every_provider_reads_with_its_issuer_as_its_tokens_write_it() {
    let configs = configs(&ALL.to_vec()).expect("valid");
    let ProviderConfig::WorkOs(workos) = &configs[0] else {
        panic!("workos first: {configs:?}");
    };
    assert_eq!(workos.api_url.as_str(), "https://api.workos.com/");
    assert_eq!(workos.client_id, "client_01JABCDEFGHJKMNPQRSTVWXYZ0");
    let oidc: Vec<_> = configs[1..]
        .iter()
        .map(|c| match c {
            ProviderConfig::Oidc(o) => (
                o.name.as_str(),
                o.flavor,
                o.issuer.as_str(),
                o.callback_path.as_str(),
                o.label.as_str(),
            ),
            other => panic!("not OIDC: {other:?}"),
        })
        .collect();
    assert_eq!(
        oidc,
        [
            (
                "auth0",
                OidcFlavor::Auth0,
                "https://dev-abc123.us.auth0.com/",
                "auth/callback",
                "Auth0"
            ),
            (
                "kinde",
                OidcFlavor::Kinde,
                "https://acme.kinde.com",
                "api/auth/kinde_callback",
                "Kinde"
            ),
            (
                "clerk",
                OidcFlavor::Clerk,
                "https://clerk.example.com",
                "auth/callback/clerk",
                "Clerk"
            ),
            // Kept exactly: this issuer's `iss` ends in a slash.
            (
                "okta",
                OidcFlavor::Generic,
                "https://acme.okta.com/oauth2/default/",
                "auth/callback/okta",
                "Okta"
            ),
        ]
    );
    let ProviderConfig::Oidc(kinde) = &configs[2] else {
        panic!("kinde");
    };
    assert_eq!(kinde.scopes, ["profile", "email", "offline"]);
    assert!(
        !format!("{configs:?}").contains("secret\"") && !format!("{configs:?}").contains("sk_test"),
        "no secret in Debug output"
    );
}

#[test]
fn stytch_alone_by_default() {
    let configs = configs(&vec![
        ("STYTCH_PROJECT_ID", "project-test-1"),
        ("STYTCH_SECRET", "s"),
    ])
    .expect("valid");
    assert!(matches!(configs.as_slice(), [ProviderConfig::Stytch(_)]));
    let missing = configs_err(Vars::new());
    assert_eq!(missing, "STYTCH_PROJECT_ID");
}

fn configs_err(vars: Vars) -> &'static str {
    named(configs(&vars).expect_err("refused"))
}

#[test]
fn a_missing_setting_is_named() {
    for name in [
        "WORKOS_CLIENT_ID",
        "WORKOS_API_KEY",
        "AUTH0_DOMAIN",
        "AUTH0_CLIENT_ID",
        "AUTH0_CLIENT_SECRET",
        "KINDE_ISSUER_URL",
        "KINDE_CLIENT_ID",
        "KINDE_CLIENT_SECRET",
        "CLERK_ISSUER_URL",
        "CLERK_OAUTH_CLIENT_ID",
        "CLERK_OAUTH_CLIENT_SECRET",
        "OIDC_OKTA_ISSUER_URL",
        "OIDC_OKTA_CLIENT_ID",
        "OIDC_OKTA_CLIENT_SECRET",
    ] {
        let err = configs(&without(name)).expect_err(name);
        assert!(matches!(err, ConfigError::Missing { .. }), "{name}: {err}");
        assert_eq!(named(err), name);
    }
}

#[test]
fn a_malformed_setting_is_named() {
    for (name, value, blamed) in [
        ("KINDE_ISSUER_URL", "acme.kinde.com", "KINDE_ISSUER_URL"),
        // Plain http would send the client secret in the clear.
        (
            "CLERK_ISSUER_URL",
            "http://clerk.example.com",
            "CLERK_ISSUER_URL",
        ),
        (
            "OIDC_OKTA_ISSUER_URL",
            "ftp://acme.okta.com",
            "OIDC_OKTA_ISSUER_URL",
        ),
        ("WORKOS_CLIENT_ID", "01JABCDEF", "WORKOS_CLIENT_ID"),
        // The client id where the API key belongs.
        ("WORKOS_API_KEY", "client_01JABCDEF", "WORKOS_API_KEY"),
        (
            "WORKOS_API_URL",
            "http://api.workos.example",
            "WORKOS_API_URL",
        ),
        ("AUTH_PROVIDERS", "auth0,auth0", "AUTH_PROVIDERS"),
        ("AUTH_PROVIDERS", "my_idp", "AUTH_PROVIDERS"),
        ("AUTH_PROVIDERS", " , ", "AUTH_PROVIDERS"),
    ] {
        assert_eq!(configs_err(with(name, value)), blamed, "{name}={value}");
    }
    // The local emulators are plain http on this machine: allowed.
    configs(&with("KINDE_ISSUER_URL", "http://127.0.0.1:7142")).expect("loopback http");
    configs(&with("AUTH0_DOMAIN", "http://127.0.0.1:7141")).expect("loopback http");
    configs(&with("WORKOS_API_URL", "http://127.0.0.1:7145")).expect("loopback http");
}

#[test]
fn an_issuer_is_configured_once() {
    // The same Auth0 tenant as a named provider and as a generic one: two ids per person.
    let mut vars = with("AUTH_PROVIDERS", "auth0,sso");
    vars.extend([
        ("OIDC_SSO_ISSUER_URL", "https://DEV-abc123.us.auth0.com"),
        ("OIDC_SSO_CLIENT_ID", "s-id"),
        ("OIDC_SSO_CLIENT_SECRET", "s-secret"),
    ]);
    let err = configs(&vars).expect_err("one issuer twice");
    assert!(
        err.to_string()
            .contains("auth0 and sso are the same issuer"),
        "{err}"
    );
    // Two named flavours at one issuer: the same ids from two providers.
    let mut vars = with("AUTH_PROVIDERS", "kinde,clerk");
    vars.push(("CLERK_ISSUER_URL", "https://acme.kinde.com"));
    assert_eq!(
        named(configs(&vars).expect_err("one issuer twice")),
        "AUTH_PROVIDERS"
    );
    // Another path at the same host is another issuer (Okta's authorization servers).
    let mut vars = with("AUTH_PROVIDERS", "okta,okta-hr");
    vars.extend([
        ("OIDC_OKTA_HR_ISSUER_URL", "https://acme.okta.com/oauth2/hr"),
        ("OIDC_OKTA_HR_CLIENT_ID", "h-id"),
        ("OIDC_OKTA_HR_CLIENT_SECRET", "h-secret"),
    ]);
    assert_eq!(configs(&vars).expect("two issuers").len(), 2);
}

//! The OpenID Connect client against the emulator's Auth0, Kinde, Clerk and plain flavours,
//! over real HTTP: sign-in, every rejection a callback must make, key rotation and refresh.

use std::sync::Arc;
use std::time::Duration;

use devstack::oidc::{Config, Emulator, Flavor};
use insforge_auth::server::config::Secret;
use insforge_auth::server::provider::{Provider, ProviderError, SignInSecrets};
use insforge_auth::server::providers::Providers;
use insforge_auth::server::providers::oidc::{OidcConfig, OidcFlavor, OidcProvider};
use insforge_auth::server::session::Auth;
use serde_json::{Value, json};
use tower_cookies::Cookies;
use url::Url;

use crate::hosted::{copy, http, listener, param, register, sessions};

const SITE: &str = "http://127.0.0.1:3000";

pub(crate) struct Fixture {
    pub(crate) emulator: Arc<Emulator>,
    _server: devstack::serve::Server,
    callback: &'static str,
}

fn app_flavor(flavor: Flavor) -> OidcFlavor {
    match flavor {
        Flavor::Auth0 => OidcFlavor::Auth0,
        Flavor::Kinde => OidcFlavor::Kinde,
        Flavor::Clerk => OidcFlavor::Clerk,
        Flavor::Generic => OidcFlavor::Generic,
    }
}

pub(crate) async fn emulator(flavor: Flavor, token_lifetime: Duration) -> Fixture {
    let callback = match flavor {
        Flavor::Auth0 => "auth/callback",
        Flavor::Kinde => "api/auth/kinde_callback",
        Flavor::Clerk => "auth/callback/clerk",
        Flavor::Generic => "auth/callback/sso",
    };
    let mut config = Config::generate(flavor);
    register(&mut config.client, SITE, callback, token_lifetime);
    let listener = listener().await;
    let emulator = Emulator::new(config, &listener).expect("keys");
    let server = emulator.serve(listener).expect("serve");
    Fixture {
        emulator,
        _server: server,
        callback,
    }
}

pub(crate) fn provider(f: &Fixture) -> OidcProvider {
    let flavor = app_flavor(f.emulator.flavor());
    let config = OidcConfig {
        name: f.emulator.flavor().name().into(),
        label: "test".into(),
        flavor,
        issuer: f.emulator.issuer(),
        client_id: f.emulator.client_id().into(),
        client_secret: Secret::new(f.emulator.client_secret()),
        scopes: match flavor {
            OidcFlavor::Kinde => vec!["profile".into(), "email".into(), "offline".into()],
            _ => vec!["profile".into(), "email".into(), "offline_access".into()],
        },
        callback_path: f.callback.into(),
    };
    let site = Url::parse(SITE).expect("site");
    OidcProvider::new(config, &site, http())
        .expect("provider")
        .with_jwks_cooldown(Duration::ZERO)
}

/// The query of where the emulator sent the browser back to.
async fn follow(url: &str) -> Url {
    let res = http().get(url).send().await.expect("authorize");
    assert_eq!(res.status(), 302, "{url}: {:?}", res.text().await);
    let location = res.headers()["location"].to_str().expect("location");
    Url::parse(location).expect("callback url")
}

/// Starts a sign-in and lets the emulator sign `email` in (as its page would): the pending
/// sign-in and the code the callback receives.
pub(crate) async fn authorize(p: &OidcProvider, email: &str) -> (SignInSecrets, String) {
    let (url, pending) = p.begin().await.expect("begin");
    for needed in ["state", "nonce", "code_challenge"] {
        assert!(param(&url, needed).is_some(), "{needed} in {url}");
    }
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let back = follow(&format!("{url}&login_hint={email}")).await;
    assert_eq!(back.path(), format!("/{}", p.config().callback_path));
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(pending.state.as_str())
    );
    (pending, param(&back, "code").expect("code"))
}

/// Calls one of the emulator's development endpoints.
pub(crate) async fn dev(f: &Fixture, path: &str, body: Value) -> reqwest::StatusCode {
    crate::hosted::dev(f.emulator.url(), path, body).await
}

async fn tamper(f: &Fixture, changes: Value) {
    assert_eq!(dev(f, "tamper", changes).await, 204);
}

const FLAVORS: [Flavor; 4] = [Flavor::Auth0, Flavor::Kinde, Flavor::Clerk, Flavor::Generic];

#[tokio::test]
async fn every_flavor_signs_in_with_its_own_user_ids() {
    for flavor in FLAVORS {
        let f = emulator(flavor, Duration::from_secs(3600)).await;
        let p = provider(&f);
        let (pending, code) = authorize(&p, "Ann@Example.com").await;
        let session = p.finish(&code, &pending).await.expect("sign-in");
        let sub = f.emulator.user_id_for("ann@example.com");
        // A generic issuer's ids are namespaced by its name (`oidc` here): a `sub` is unique
        // only within its issuer.
        let expected = match flavor {
            Flavor::Generic => format!("oidc:{sub}"),
            _ => sub.clone(),
        };
        assert_eq!(session.user_id, expected);
        let shape_ok = match flavor {
            Flavor::Auth0 => sub.starts_with("auth0|") && sub.len() == 30,
            Flavor::Kinde => sub.starts_with("kp_") && sub.len() == 35,
            Flavor::Clerk => sub.starts_with("user_2"),
            Flavor::Generic => sub.len() == 36,
        };
        assert!(shape_ok, "{flavor:?}: {}", session.user_id);
        assert_eq!(session.email.as_deref(), Some("ann@example.com"));
        assert!(
            session.refresh_token.is_some(),
            "{flavor:?} gives a refresh token"
        );

        // The same address is the same user next time.
        let (pending, code) = authorize(&p, "ann@example.com").await;
        let again = p.finish(&code, &pending).await.expect("again");
        assert_eq!(again.user_id, session.user_id);
    }
}

#[tokio::test]
async fn a_code_works_once() {
    for flavor in FLAVORS {
        let f = emulator(flavor, Duration::from_secs(3600)).await;
        let p = provider(&f);
        let (pending, code) = authorize(&p, "bo@example.com").await;
        p.finish(&code, &pending).await.expect("first use");
        let replay = p.finish(&code, &pending).await;
        assert!(
            matches!(replay, Err(ProviderError::Refused(_))),
            "{flavor:?}: {replay:?}"
        );
    }
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused() {
    let f = emulator(Flavor::Auth0, Duration::from_secs(3600)).await;
    let p = provider(&f);
    let (mut pending, code) = authorize(&p, "cy@example.com").await;
    pending.pkce_verifier = "a".repeat(43);
    let result = p.finish(&code, &pending).await;
    assert!(
        matches!(result, Err(ProviderError::Refused(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn id_tokens_that_are_not_for_this_sign_in_are_rejected() {
    for flavor in FLAVORS {
        let f = emulator(flavor, Duration::from_secs(3600)).await;
        let p = provider(&f);
        let cases = [
            ("nonce", json!({ "nonce": "someone-elses-nonce" })),
            ("issuer", json!({ "iss": "https://evil.example/" })),
            ("audience", json!({ "aud": "another-client" })),
            ("expired", json!({ "exp_in": -600 })),
            ("unpublished key", json!({ "unknown_key": true })),
        ];
        for (what, changes) in cases {
            let (pending, code) = authorize(&p, "dee@example.com").await;
            tamper(&f, changes).await;
            let result = p.finish(&code, &pending).await;
            assert!(
                matches!(result, Err(ProviderError::InvalidToken(_))),
                "{flavor:?}, {what}: {result:?}"
            );
        }
        // And an untouched one still passes.
        let (pending, code) = authorize(&p, "dee@example.com").await;
        p.finish(&code, &pending).await.expect("a good token");
    }
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_configuration_problem() {
    let f = emulator(Flavor::Kinde, Duration::from_secs(3600)).await;
    let good = provider(&f);
    let mut config = good.config().clone();
    config.client_secret = Secret::new("not-the-secret");
    let site = Url::parse(SITE).expect("site");
    let bad = OidcProvider::new(config, &site, http()).expect("provider");
    let (pending, code) = authorize(&bad, "eve@example.com").await;
    let result = bad.finish(&code, &pending).await;
    assert!(
        matches!(result, Err(ProviderError::Misconfigured(_))),
        "{result:?}"
    );
}

/// An ID token fetched straight from the token endpoint (no PKCE), to verify later.
pub(crate) async fn raw_id_token(f: &Fixture, p: &OidcProvider, email: &str) -> String {
    let authorize = format!(
        "{}{}?client_id={}&redirect_uri={}&response_type=code&scope=openid%20email&state=s&login_hint={email}",
        f.emulator.url(),
        match f.emulator.flavor() {
            Flavor::Kinde => "/oauth2/auth",
            Flavor::Clerk => "/oauth/authorize",
            _ => "/authorize",
        },
        f.emulator.client_id(),
        p.redirect_url(),
    );
    let back = follow(&authorize).await;
    let token_path = match f.emulator.flavor() {
        Flavor::Auth0 | Flavor::Clerk => "/oauth/token",
        Flavor::Kinde => "/oauth2/token",
        Flavor::Generic => "/token",
    };
    let redirect = p.redirect_url().to_string();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &param(&back, "code").expect("code")),
        ("redirect_uri", &redirect),
        ("client_id", f.emulator.client_id()),
        ("client_secret", f.emulator.client_secret()),
    ];
    let answer: Value = http()
        .post(format!("{}{token_path}", f.emulator.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    answer["id_token"].as_str().expect("id_token").to_string()
}

#[tokio::test]
async fn a_new_signing_key_is_picked_up_and_a_removed_one_stops_verifying() {
    let f = emulator(Flavor::Generic, Duration::from_secs(3600)).await;
    let p = provider(&f);
    let old = raw_id_token(&f, &p, "fay@example.com").await;
    p.verify_id_token(&old, None).await.expect("first key");

    assert!(dev(&f, "keys/rotate", json!({})).await.is_success());
    let new = raw_id_token(&f, &p, "fay@example.com").await;
    let kid = |jwt: &str| jsonwebtoken::decode_header(jwt).expect("header").kid;
    assert_ne!(kid(&old), kid(&new));
    p.verify_id_token(&new, None)
        .await
        .expect("the new key is fetched");
    p.verify_id_token(&old, None)
        .await
        .expect("the old key is still published");

    assert!(dev(&f, "keys/retire", json!({})).await.is_success());
    // Keys are fetched again only for an unknown kid: present one, then the old token.
    let newer_kid = {
        assert!(dev(&f, "keys/rotate", json!({})).await.is_success());
        raw_id_token(&f, &p, "fay@example.com").await
    };
    p.verify_id_token(&newer_kid, None)
        .await
        .expect("newest key");
    let refused = p.verify_id_token(&old, None).await;
    assert!(
        matches!(refused, Err(ProviderError::InvalidToken(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn expired_tokens_are_refreshed_once_for_concurrent_requests_and_revocation_ends_the_session()
{
    // Tokens that expire at once: every request must refresh.
    let f = emulator(Flavor::Auth0, Duration::ZERO).await;
    let p = provider(&f);
    let (pending, code) = authorize(&p, "gus@example.com").await;
    let session = p.finish(&code, &pending).await.expect("sign-in");
    let p = Arc::new(p);
    let providers = Providers::with(vec![p.clone()]);
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(
        &cookies,
        "auth0",
        &session.clone().signed_in().expect("state"),
    );

    // Two requests at once with the same cookie, so the same single-use refresh token.
    let (a, b) = (copy(&cookies), copy(&cookies));
    let (first, second) = tokio::join!(
        sessions.resolve(&a, &providers),
        sessions.resolve(&b, &providers)
    );
    for (which, auth) in [("first", &first), ("second", &second)] {
        match auth {
            Auth::SignedIn(user) => assert_eq!(user.user_id, session.user_id, "{which}"),
            other => panic!("{which} request: {other:?}"),
        }
    }
    let before = cookies.get("ia_session").map(|c| c.value().to_string());
    assert_ne!(
        before,
        a.get("ia_session").map(|c| c.value().to_string()),
        "the new refresh token is written back"
    );

    // The old refresh token is spent at the provider: refreshing with it again is refused.
    let spent = p
        .refresh(
            session.refresh_token.as_deref().expect("rt"),
            &session.user_id,
        )
        .await;
    assert!(matches!(spent, Err(ProviderError::Refused(_))), "{spent:?}");

    // An administrator ends the user's sessions: the next refresh signs the browser out.
    let revoked = dev(&f, "users/revoke", json!({ "sub": session.user_id })).await;
    assert_eq!(revoked, 204);
    let later = copy(&a);
    assert!(matches!(
        sessions.resolve(&later, &providers).await,
        Auth::SignedOut
    ));
    assert!(
        later.get("ia_session").is_none(),
        "the dead session's cookie is removed"
    );
}

#[tokio::test]
async fn fresh_tokens_need_no_call_to_the_provider() {
    let f = emulator(Flavor::Kinde, Duration::from_secs(3600)).await;
    let p = provider(&f);
    let (pending, code) = authorize(&p, "hal@example.com").await;
    let session = p.finish(&code, &pending).await.expect("sign-in");
    let p = Arc::new(p);
    let providers = Providers::with(vec![p.clone()]);
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(
        &cookies,
        "kinde",
        &session.clone().signed_in().expect("state"),
    );
    // Revoked at the provider, yet accepted until the tokens expire: no call was made.
    let revoked = dev(&f, "users/revoke", json!({ "sub": session.user_id })).await;
    assert_eq!(revoked, 204);
    assert!(matches!(
        sessions.resolve(&cookies, &providers).await,
        Auth::SignedIn(_)
    ));
}

#[tokio::test]
async fn sign_out_urls_follow_each_provider() {
    for flavor in FLAVORS {
        let f = emulator(flavor, Duration::from_secs(3600)).await;
        let p = provider(&f);
        let url = p.logout_url(&Value::Null, SITE).await;
        match flavor {
            // No end_session_endpoint in its discovery: Auth0's /v2/logout.
            Flavor::Auth0 => {
                let url = url.expect("auth0 logout");
                assert_eq!(url.path(), "/v2/logout");
                assert_eq!(param(&url, "returnTo").as_deref(), Some(SITE));
                assert_eq!(
                    param(&url, "client_id").as_deref(),
                    Some(f.emulator.client_id())
                );
            }
            Flavor::Kinde => {
                let url = url.expect("kinde logout");
                assert_eq!(url.path(), "/logout");
                assert_eq!(param(&url, "redirect").as_deref(), Some(SITE));
            }
            Flavor::Clerk => assert!(url.is_none(), "Clerk has no sign-out page: {url:?}"),
            Flavor::Generic => {
                let url = url.expect("end_session_endpoint");
                assert_eq!(
                    param(&url, "post_logout_redirect_uri").as_deref(),
                    Some(SITE)
                );
            }
        }
        // The emulator accepts it and sends the browser back to the site.
        if let Some(url) = p.logout_url(&Value::Null, SITE).await {
            let res = http().get(url.as_str()).send().await.expect("logout");
            assert!(
                res.status().is_redirection(),
                "{flavor:?}: {}",
                res.status()
            );
            assert_eq!(res.headers()["location"], SITE);
        }
    }
}

#[tokio::test]
async fn an_unverified_email_stays_out_of_the_session() {
    let f = emulator(Flavor::Generic, Duration::from_secs(3600)).await;
    let p = provider(&f);
    // The next ID token says the provider did not verify the address.
    tamper(&f, json!({ "email_verified": false })).await;
    let (pending, code) = authorize(&p, "ivy@example.com").await;
    let session = p.finish(&code, &pending).await.expect("sign-in");
    assert_eq!(session.email, None);
    let (pending, code) = authorize(&p, "ivy@example.com").await;
    let session = p.finish(&code, &pending).await.expect("sign-in");
    assert_eq!(session.email.as_deref(), Some("ivy@example.com"));
}

#[tokio::test]
async fn the_same_sub_at_two_generic_issuers_is_two_users() {
    // Two issuers whose `sub` for the address is the same (the emulator derives it from the
    // address alone), configured under two names.
    let (one, two) = (
        emulator(Flavor::Generic, Duration::from_secs(3600)).await,
        emulator(Flavor::Generic, Duration::from_secs(3600)).await,
    );
    let named = |f: &Fixture, name: &str| {
        let p = provider(f);
        let mut config = p.config().clone();
        config.name = name.into();
        OidcProvider::new(config, &Url::parse(SITE).expect("site"), http()).expect("provider")
    };
    let (corp, partner) = (named(&one, "corp"), named(&two, "partner"));
    let mut ids = Vec::new();
    for p in [&corp, &partner] {
        let (pending, code) = authorize(p, "sam@example.com").await;
        let session = p.finish(&code, &pending).await.expect("sign-in");
        // A refresh names the same (namespaced) user.
        let refresh = session.refresh_token.as_deref().expect("a refresh token");
        let again = p.refresh(refresh, &session.user_id).await.expect("refresh");
        assert_eq!(again.user_id, session.user_id);
        ids.push(session.user_id);
    }
    assert_eq!(
        one.emulator.user_id_for("sam@example.com"),
        two.emulator.user_id_for("sam@example.com")
    );
    assert_eq!(
        ids[0],
        format!("corp:{}", one.emulator.user_id_for("sam@example.com"))
    );
    assert_eq!(
        ids[1],
        format!("partner:{}", two.emulator.user_id_for("sam@example.com"))
    );
}

//! The WorkOS AuthKit client against the WorkOS emulator, over real HTTP: sign-in with state
//! and PKCE, every rejection of the code exchange and the access token, key rotation,
//! refresh with single-use refresh tokens (concurrent requests included), and sign-out.

use std::time::Duration;

use devstack::workos::{Config, Emulator};
use insforge_auth::server::config::Secret;
use insforge_auth::server::jwks::JwtProblem;
use insforge_auth::server::provider::{Provider, ProviderError, SignInSecrets, SignedIn};
use insforge_auth::server::providers::Providers;
use insforge_auth::server::providers::workos::{WorkOsClient, WorkOsConfig, WorkOsState};
use insforge_auth::server::session::Auth;
use serde_json::{Value, json};
use std::sync::Arc;
use tower_cookies::Cookies;
use url::Url;

use crate::hosted::{copy, http, listener, param, register, sessions};

const SITE: &str = "http://127.0.0.1:3000";

pub(crate) struct Fixture {
    pub(crate) emulator: Arc<Emulator>,
    _server: devstack::serve::Server,
}

pub(crate) async fn emulator(token_lifetime: Duration) -> Fixture {
    let mut config = Config::generate();
    register(&mut config.client, SITE, "callback", token_lifetime);
    let listener = listener().await;
    let emulator = Emulator::new(config, &listener).expect("keys");
    let server = emulator.serve(listener).expect("serve");
    Fixture {
        emulator,
        _server: server,
    }
}

fn client_with(f: &Fixture, client_id: &str, api_key: &str) -> WorkOsClient {
    let config = WorkOsConfig {
        api_url: Url::parse(&format!("{}/", f.emulator.url())).expect("url"),
        client_id: client_id.into(),
        api_key: Secret::new(api_key),
    };
    WorkOsClient::new(&config, &Url::parse(SITE).expect("site"), http())
        .expect("client")
        .with_jwks_cooldown(Duration::ZERO)
        // Tokens that expire at once must count as expired at once.
        .with_leeway(Duration::ZERO)
}

pub(crate) fn client(f: &Fixture) -> WorkOsClient {
    client_with(f, f.emulator.client_id(), f.emulator.api_key())
}

/// Starts a sign-in and lets the emulator sign `email` in (as AuthKit's page would): the
/// pending sign-in and the code the callback receives.
async fn authorize(w: &WorkOsClient, email: &str) -> (SignInSecrets, String) {
    let (url, pending) = w.begin();
    assert_eq!(url.path(), "/user_management/authorize");
    assert_eq!(param(&url, "provider").as_deref(), Some("authkit"));
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        param(&url, "redirect_uri").as_deref(),
        Some(&*format!("{SITE}/callback"))
    );
    assert!(param(&url, "code_challenge").is_some(), "{url}");
    let res = http()
        .get(format!("{url}&login_hint={email}"))
        .send()
        .await
        .expect("authorize");
    assert_eq!(res.status(), 302, "{:?}", res.text().await);
    let back = Url::parse(res.headers()["location"].to_str().expect("location")).expect("url");
    assert_eq!(back.path(), "/callback");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(pending.state.as_str())
    );
    (pending, param(&back, "code").expect("code"))
}

pub(crate) async fn sign_in(w: &WorkOsClient, email: &str) -> SignedIn {
    let (pending, code) = authorize(w, email).await;
    w.authenticate_code(&code, &pending).await.expect("sign-in")
}

/// Calls one of the emulator's development endpoints.
async fn dev(f: &Fixture, path: &str, body: Value) -> reqwest::StatusCode {
    crate::hosted::dev(f.emulator.url(), path, body).await
}

fn tokens(s: &SignedIn) -> (&str, &str, &str) {
    let _: WorkOsState = serde_json::from_value(s.state.clone()).expect("a WorkOS session");
    let field = |name: &str| s.state[name].as_str().unwrap_or_default();
    (
        field("access_token"),
        field("refresh_token"),
        field("session_id"),
    )
}

#[tokio::test]
async fn signs_in_with_workos_ids_and_a_verified_access_token() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);
    let signed_in = sign_in(&w, "Ann@Example.com").await;
    assert_eq!(signed_in.user_id, f.emulator.user_id_for("ann@example.com"));
    assert!(signed_in.user_id.starts_with("user_01"), "{signed_in:?}");
    assert_eq!(signed_in.email.as_deref(), Some("ann@example.com"));
    let (access, _, sid) = tokens(&signed_in);
    assert!(sid.starts_with("session_01"), "{sid}");
    let claims = w.verify(access).await.expect("verifies");
    assert_eq!(claims.sub, signed_in.user_id);
    assert_eq!(claims.sid, sid);
    // The same address is the same user next time.
    let again = sign_in(&w, "ann@example.com").await;
    assert_eq!(again.user_id, signed_in.user_id);

    // The whole session, sealed, fits in one cookie (browsers drop those over 4096 bytes).
    let cookies = Cookies::default();
    sessions().write_signed_in(&cookies, "workos", &signed_in);
    let sealed = cookies.get("ia_session").expect("session cookie");
    eprintln!(
        "sealed WorkOS session cookie: {} bytes",
        sealed.value().len()
    );
    assert!(
        sealed.value().len() < 3000,
        "{} bytes",
        sealed.value().len()
    );
}

#[tokio::test]
async fn the_code_exchange_refuses_a_replayed_code_a_wrong_verifier_and_wrong_credentials() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);

    let (pending, code) = authorize(&w, "bo@example.com").await;
    w.authenticate_code(&code, &pending)
        .await
        .expect("first use");
    let replay = w.authenticate_code(&code, &pending).await;
    assert!(
        matches!(replay, Err(ProviderError::Refused(_))),
        "{replay:?}"
    );

    let (pending, code) = authorize(&w, "bo@example.com").await;
    let wrong = SignInSecrets {
        pkce_verifier: "another-verifier-of-the-right-length-000000000000".into(),
        ..pending
    };
    let refused = w.authenticate_code(&code, &wrong).await;
    assert!(
        matches!(refused, Err(ProviderError::Refused(_))),
        "{refused:?}"
    );

    for (client_id, key) in [
        (f.emulator.client_id(), "sk_test_wrong"),
        ("client_01NOTTHISONE0000000000000", f.emulator.api_key()),
    ] {
        let stranger = client_with(&f, client_id, key);
        let (pending, code) = authorize(&w, "bo@example.com").await;
        let result = stranger.authenticate_code(&code, &pending).await;
        assert!(
            matches!(result, Err(ProviderError::Misconfigured(_))),
            "{client_id}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_expired_foreign_or_mismatched_access_token_is_refused_at_sign_in() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);
    for (changes, why) in [
        (json!({ "exp_in": -120 }), "expired"),
        (json!({ "unknown_key": true }), "unpublished key"),
        (
            json!({ "sub": "user_01SOMEONEELSE000000000000" }),
            "another user",
        ),
    ] {
        let (pending, code) = authorize(&w, "cy@example.com").await;
        assert_eq!(dev(&f, "tamper", changes).await, 204);
        let result = w.authenticate_code(&code, &pending).await;
        assert!(
            matches!(result, Err(ProviderError::InvalidToken(_))),
            "{why}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_new_signing_key_is_picked_up_and_a_removed_one_stops_verifying() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);
    let old = sign_in(&w, "dee@example.com").await;
    let (old_token, ..) = tokens(&old);

    assert!(dev(&f, "keys/rotate", json!({})).await.is_success());
    let new = sign_in(&w, "dee@example.com").await;
    let (new_token, ..) = tokens(&new);
    let kid = |jwt: &str| jsonwebtoken::decode_header(jwt).expect("header").kid;
    assert_ne!(kid(old_token), kid(new_token));
    w.verify(old_token)
        .await
        .expect("the old key is still published");

    assert!(dev(&f, "keys/retire", json!({})).await.is_success());
    // Keys are fetched again only for an unknown kid: present one, then the old token.
    assert!(dev(&f, "keys/rotate", json!({})).await.is_success());
    sign_in(&w, "dee@example.com").await;
    let refused = w.verify(old_token).await;
    assert!(
        matches!(refused, Err(JwtProblem::Invalid(_))),
        "{refused:?}"
    );
}

/// Until a one-second access token is past its `exp` (whole seconds, compared strictly).
async fn expire() {
    tokio::time::sleep(Duration::from_millis(2100)).await;
}

fn providers(w: &Arc<WorkOsClient>) -> Providers {
    Providers::with(vec![w.clone()])
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_once_for_concurrent_requests() {
    // Access tokens of one second, waited out: the requests must refresh.
    let f = emulator(Duration::from_secs(1)).await;
    let w = client(&f);
    let signed_in = sign_in(&w, "eve@example.com").await;
    expire().await;
    let (_, first_refresh, _) = tokens(&signed_in);
    let first_refresh = first_refresh.to_string();
    let w = Arc::new(w);
    let providers = providers(&w);
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, "workos", &signed_in);

    // Two requests at once with the same cookie, so the same single-use refresh token.
    let (a, b) = (copy(&cookies), copy(&cookies));
    let (first, second) = tokio::join!(
        sessions.resolve(&a, &providers),
        sessions.resolve(&b, &providers)
    );
    for (which, auth, jar) in [("first", &first, &a), ("second", &second, &b)] {
        match auth {
            Auth::SignedIn(user) => assert_eq!(user.user_id, signed_in.user_id, "{which}"),
            other => panic!("{which} request: {other:?}"),
        }
        assert_ne!(
            cookies.get("ia_session").map(|c| c.value().to_string()),
            jar.get("ia_session").map(|c| c.value().to_string()),
            "{which}: the new tokens are written back"
        );
    }
    // A request that set out with the old cookie and arrives after the refresh finished.
    let late = copy(&cookies);
    assert!(matches!(
        sessions.resolve(&late, &providers).await,
        Auth::SignedIn(_)
    ));

    // The old refresh token is spent at WorkOS: refreshing with it again is refused.
    let spent = w.refresh(&first_refresh, &signed_in.user_id).await;
    assert!(matches!(spent, Err(ProviderError::Refused(_))), "{spent:?}");

    // The refreshed cookie goes on refreshing, with its own next token.
    expire().await;
    let later = copy(&a);
    assert!(matches!(
        sessions.resolve(&later, &providers).await,
        Auth::SignedIn(_)
    ));
    assert_ne!(
        later.get("ia_session").map(|c| c.value().to_string()),
        a.get("ia_session").map(|c| c.value().to_string()),
    );
}

#[tokio::test]
async fn fresh_access_tokens_need_no_call_to_workos_and_an_ended_session_signs_out() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);
    let signed_in = sign_in(&w, "fin@example.com").await;
    let w = Arc::new(w);
    let providers = providers(&w);
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, "workos", &signed_in);
    // Ended at WorkOS, yet accepted while the access token is valid: no call was made.
    assert_eq!(
        dev(&f, "users/revoke", json!({ "sub": signed_in.user_id })).await,
        204
    );
    assert!(matches!(
        sessions.resolve(&cookies, &providers).await,
        Auth::SignedIn(_)
    ));

    // Once the access token is refused (its key retired), the refresh asks WorkOS, which
    // says the session is over: signed out, cookie gone.
    assert!(dev(&f, "keys/rotate", json!({})).await.is_success());
    assert!(dev(&f, "keys/retire", json!({})).await.is_success());
    // Keys are fetched again only for an unknown kid: someone signs in with the new key.
    sign_in(&w, "someone@example.com").await;
    assert!(matches!(
        sessions.resolve(&cookies, &providers).await,
        Auth::SignedOut
    ));
    assert!(cookies.get("ia_session").is_none(), "the cookie is removed");
}

#[tokio::test]
async fn sign_out_ends_the_session_at_workos_and_returns_to_the_site() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);
    let signed_in = sign_in(&w, "gus@example.com").await;
    let (_, refresh, sid) = tokens(&signed_in);
    let url = client(&f)
        .logout_url(&signed_in.state, SITE)
        .await
        .expect("a logout URL");
    assert_eq!(url.path(), "/user_management/sessions/logout");
    assert_eq!(param(&url, "session_id").as_deref(), Some(sid));
    assert_eq!(param(&url, "return_to").as_deref(), Some(SITE));

    let res = http().get(url.as_str()).send().await.expect("logout");
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], SITE);
    let after = w.refresh(refresh, &signed_in.user_id).await;
    assert!(matches!(after, Err(ProviderError::Refused(_))), "{after:?}");
}

#[tokio::test]
async fn a_key_outage_neither_signs_out_nor_spends_the_refresh_token() {
    let f = emulator(Duration::from_secs(300)).await;
    let signed_in = sign_in(&client(&f), "ida@example.com").await;
    // A replica that has just started: nothing cached, and WorkOS' keys cannot be fetched.
    assert_eq!(dev(&f, "outage", json!({ "jwks": true })).await, 204);
    let providers = providers(&Arc::new(client(&f)));
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, "workos", &signed_in);
    let during = sessions.resolve(&cookies, &providers).await;
    assert!(matches!(during, Auth::Unavailable), "{during:?}");
    assert!(cookies.get("ia_session").is_some(), "the session is kept");

    assert_eq!(dev(&f, "outage", json!({ "jwks": false })).await, 204);
    let after = sessions.resolve(&cookies, &providers).await;
    assert!(matches!(after, Auth::SignedIn(_)), "{after:?}");
    // The refresh token was never spent.
    let (_, refresh, _) = tokens(&signed_in);
    client(&f)
        .refresh(refresh, &signed_in.user_id)
        .await
        .expect("still unspent");
}

#[tokio::test]
async fn a_refresh_that_names_another_user_signs_out() {
    let f = emulator(Duration::from_secs(1)).await;
    let w = client(&f);
    let signed_in = sign_in(&w, "jo@example.com").await;
    let w = Arc::new(w);
    let providers = providers(&w);
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, "workos", &signed_in);
    expire().await;
    let other = json!({ "sub": "user_01SOMEONEELSE000000000000" });
    assert_eq!(dev(&f, "tamper", other).await, 204);
    assert!(matches!(
        sessions.resolve(&cookies, &providers).await,
        Auth::SignedOut
    ));
}

#[tokio::test]
async fn an_unverified_email_stays_out_of_the_session() {
    let f = emulator(Duration::from_secs(300)).await;
    let w = client(&f);
    // WorkOS' next answer says it did not verify the user's address.
    assert_eq!(
        dev(&f, "tamper", json!({ "email_verified": false })).await,
        204
    );
    let unverified = sign_in(&w, "ura@example.com").await;
    assert_eq!(unverified.email, None);
    let verified = sign_in(&w, "ura@example.com").await;
    assert_eq!(verified.email.as_deref(), Some("ura@example.com"));
}

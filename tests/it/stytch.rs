//! The Stytch client and the session cookie against the Stytch emulator, over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use devstack::stytch::{Config, Emulator};
use insforge_auth::server::config::Secret;
use insforge_auth::server::providers::Providers;
use insforge_auth::server::providers::stytch::{
    JwtProblem, StytchClient, StytchConfig, StytchError, StytchSession,
};
use insforge_auth::server::session::{Auth, SessionCookies};
use tower_cookies::Cookies;
use url::Url;

pub(crate) struct Fixture {
    emulator: Arc<Emulator>,
    url: String,
    config: StytchConfig,
    _server: devstack::serve::Server,
}

pub(crate) async fn emulator(jwt_lifetime: Duration) -> Fixture {
    let mut config = Config::generate();
    config.session_jwt_lifetime = jwt_lifetime;
    let emulator = Emulator::new(config.clone()).expect("keys");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let server = emulator.serve(listener).expect("serve");
    let url = server.url();
    Fixture {
        emulator,
        config: StytchConfig {
            api_url: Url::parse(&format!("{url}/")).expect("url"),
            project_id: config.project_id,
            secret: Secret::new(config.secret),
        },
        url,
        _server: server,
    }
}

pub(crate) fn client(f: &Fixture) -> StytchClient {
    StytchClient::new(&f.config)
        .expect("client")
        .with_leeway(Duration::ZERO)
}

fn providers(stytch: StytchClient) -> Providers {
    Providers::with(vec![Arc::new(stytch)])
}

fn callback() -> Url {
    Url::parse("http://127.0.0.1:3000/authenticate").expect("url")
}

/// The PKCE verifier of the browser the tests ask for links in.
const VERIFIER: &str = "the-verifier-of-the-browser-that-asked-for-the-links";

fn challenge() -> String {
    let verifier = openidconnect::PkceCodeVerifier::new(VERIFIER.into());
    openidconnect::PkceCodeChallenge::from_code_verifier_sha256(&verifier)
        .as_str()
        .to_string()
}

/// Sends a link to `email` and returns the token the emulator's outbox shows.
async fn send_link(f: &Fixture, stytch: &StytchClient, email: &str) -> String {
    stytch
        .send_magic_link(email, &callback(), 60, &challenge())
        .await
        .expect("send");
    let mail = f.emulator.outbox().pop().expect("a mail");
    assert_eq!(mail.to, email);
    assert!(
        mail.link.starts_with(&format!(
            "{}?stytch_token_type=magic_links&token=",
            callback()
        )),
        "{}",
        mail.link
    );
    mail.token
}

pub(crate) async fn sign_in(f: &Fixture, stytch: &StytchClient, email: &str) -> StytchSession {
    let token = send_link(f, stytch, email).await;
    stytch
        .authenticate_magic_link(&token, 60, VERIFIER)
        .await
        .expect("authenticate")
}

#[tokio::test]
async fn a_magic_link_signs_in_once() {
    let f = emulator(Duration::from_secs(300)).await;
    let stytch = client(&f);
    let token = send_link(&f, &stytch, "ann@example.com").await;
    let session = stytch
        .authenticate_magic_link(&token, 60, VERIFIER)
        .await
        .expect("first use");
    assert!(
        session.user_id.starts_with("user-test-"),
        "{}",
        session.user_id
    );
    assert_eq!(session.email.as_deref(), Some("ann@example.com"));
    let verified = stytch
        .verify_session_jwt(&session.session_jwt)
        .await
        .expect("valid JWT");
    assert_eq!(verified.user_id, session.user_id);
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode_claims(&session.session_jwt).expect("claims");
    let session_id = claims["https://stytch.com/session"]["id"]
        .as_str()
        .unwrap_or_default();
    assert!(session_id.starts_with("session-test-"), "{session_id}");

    assert_eq!(
        stytch
            .authenticate_magic_link(&token, 60, VERIFIER)
            .await
            .err(),
        Some(StytchError::LinkUsedOrExpired)
    );
    assert_eq!(
        stytch
            .authenticate_magic_link("no-such-token", 60, VERIFIER)
            .await
            .err(),
        Some(StytchError::LinkNotFound)
    );

    // The same address signs in as the same user next time.
    let again = sign_in(&f, &stytch, "ann@example.com").await;
    assert_eq!(again.user_id, session.user_id);
}

/// A link is bound to the verifier of the browser that asked for it (Stytch's PKCE for magic
/// links): without it, or with another, Stytch refuses and the link stays unspent.
#[tokio::test]
async fn a_link_works_only_with_its_verifier() {
    let f = emulator(Duration::from_secs(300)).await;
    let stytch = client(&f);
    let token = send_link(&f, &stytch, "pk@example.com").await;
    for other in ["", "another-browsers-verifier-of-plenty-of-characters"] {
        assert_eq!(
            stytch
                .authenticate_magic_link(&token, 60, other)
                .await
                .err(),
            Some(StytchError::OtherBrowser),
            "verifier {other:?}"
        );
    }
    let session = stytch
        .authenticate_magic_link(&token, 60, VERIFIER)
        .await
        .expect("the link is still unspent");
    assert!(session.user_id.starts_with("user-test-"));
    assert_eq!(
        stytch
            .authenticate_magic_link(&token, 60, VERIFIER)
            .await
            .err(),
        Some(StytchError::LinkUsedOrExpired)
    );
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let f = emulator(Duration::from_secs(300)).await;
    let stytch = client(&f);
    let token = send_link(&f, &stytch, "late@example.com").await;
    let res = reqwest::Client::new()
        .post(format!("{}/dev/magic_links/{token}/expire", f.url))
        .send()
        .await
        .expect("expire");
    assert_eq!(res.status(), 204);
    assert_eq!(
        stytch
            .authenticate_magic_link(&token, 60, VERIFIER)
            .await
            .err(),
        Some(StytchError::LinkUsedOrExpired)
    );
}

#[tokio::test]
async fn bad_input_and_bad_credentials_are_told_apart() {
    let f = emulator(Duration::from_secs(300)).await;
    let stytch = client(&f);
    assert_eq!(
        stytch
            .send_magic_link("not-an-email", &callback(), 60, &challenge())
            .await
            .err(),
        Some(StytchError::InvalidEmail)
    );
    let wrong = StytchClient::new(&StytchConfig {
        secret: Secret::new("secret-test-wrong"),
        ..f.config.clone()
    })
    .expect("client");
    match wrong
        .send_magic_link("ann@example.com", &callback(), 60, &challenge())
        .await
    {
        Err(StytchError::Rejected {
            status, error_type, ..
        }) => {
            assert_eq!(status, 401);
            assert_eq!(error_type, "unauthorized_credentials");
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    assert!(f.emulator.outbox().is_empty());
}

#[tokio::test]
async fn an_unreachable_stytch_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let stytch = StytchClient::new(&StytchConfig {
        api_url: Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url"),
        project_id: "project-test-x".into(),
        secret: Secret::new("s"),
    })
    .expect("client");
    assert!(matches!(
        stytch.authenticate_session("t").await,
        Err(StytchError::Unavailable(_))
    ));
    assert!(matches!(
        stytch.verify_session_jwt("a.b.c").await,
        Err(JwtProblem::Invalid(_))
    ));
}

#[tokio::test]
async fn an_expired_jwt_is_refreshed_and_a_revoked_session_ends() {
    // JWTs that are expired as soon as they are issued: every check must refresh.
    let f = emulator(Duration::ZERO).await;
    let stytch = client(&f);
    let session = sign_in(&f, &stytch, "bo@example.com").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        stytch.verify_session_jwt(&session.session_jwt).await,
        Err(JwtProblem::Expired)
    );

    let sessions = SessionCookies::new(&Secret::new("x".repeat(40)), false, 60).expect("key");
    let cookies = Cookies::default();
    sessions.write_signed_in(
        &cookies,
        "stytch",
        &session.clone().signed_in().expect("state"),
    );
    let before = cookies.get("ia_session").map(|c| c.value().to_string());
    match sessions.resolve(&cookies, &providers(stytch.clone())).await {
        Auth::SignedIn(user) => {
            assert_eq!(user.user_id, session.user_id);
            assert_eq!(user.email.as_deref(), Some("bo@example.com"));
        }
        other => panic!("expected a refreshed session, got {other:?}"),
    }
    let after = cookies.get("ia_session").map(|c| c.value().to_string());
    assert_ne!(before, after, "the refreshed JWT is written back");

    stytch
        .revoke_session(&session.session_token)
        .await
        .expect("revoke");
    // Revoking twice is not an error: the session is gone either way.
    stytch
        .revoke_session(&session.session_token)
        .await
        .expect("revoke again");
    assert_eq!(
        stytch
            .authenticate_session(&session.session_token)
            .await
            .err(),
        Some(StytchError::SessionNotFound)
    );
    // Past the two seconds for which requests sent at once share one check's answer.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(matches!(
        sessions.resolve(&cookies, &providers(stytch.clone())).await,
        Auth::SignedOut
    ));
    assert!(
        cookies.get("ia_session").is_none(),
        "the dead session's cookie is removed"
    );
}

#[tokio::test]
async fn a_valid_jwt_needs_no_call_to_stytch() {
    let f = emulator(Duration::from_secs(300)).await;
    let stytch = client(&f);
    let session = sign_in(&f, &stytch, "cy@example.com").await;
    let sessions = SessionCookies::new(&Secret::new("y".repeat(40)), false, 60).expect("key");
    let cookies = Cookies::default();
    sessions.write_signed_in(
        &cookies,
        "stytch",
        &session.clone().signed_in().expect("state"),
    );
    // Revoked at Stytch, yet still accepted until its JWT expires: proof that no call was made
    // (and the documented cost of local verification: up to five minutes).
    stytch
        .revoke_session(&session.session_token)
        .await
        .expect("revoke");
    assert!(matches!(
        sessions.resolve(&cookies, &providers(stytch.clone())).await,
        Auth::SignedIn(_)
    ));
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_on_first_sight() {
    let f = emulator(Duration::from_secs(300)).await;
    // As if the rotation came long after the last fetch.
    let stytch = client(&f).with_jwks_cooldown(Duration::ZERO);
    let first = sign_in(&f, &stytch, "dee@example.com").await;
    stytch
        .verify_session_jwt(&first.session_jwt)
        .await
        .expect("first key");
    let res = reqwest::Client::new()
        .post(format!("{}/dev/keys/rotate", f.url))
        .send()
        .await
        .expect("rotate");
    assert!(res.status().is_success());
    let fresh = stytch
        .authenticate_session(&first.session_token)
        .await
        .expect("refresh");
    let kid = |jwt: &str| jsonwebtoken::decode_header(jwt).expect("header").kid;
    assert_ne!(kid(&fresh.session_jwt), kid(&first.session_jwt));
    stytch
        .verify_session_jwt(&fresh.session_jwt)
        .await
        .expect("new key picked up");
}

#[tokio::test]
async fn a_tampered_or_foreign_cookie_reads_as_signed_out() {
    let f = emulator(Duration::from_secs(300)).await;
    let stytch = client(&f);
    let session = sign_in(&f, &stytch, "eve@example.com").await;
    let ours = SessionCookies::new(&Secret::new("z".repeat(40)), false, 60).expect("key");
    let theirs = SessionCookies::new(&Secret::new("w".repeat(40)), false, 60).expect("key");
    let cookies = Cookies::default();
    theirs.write_signed_in(
        &cookies,
        "stytch",
        &session.clone().signed_in().expect("state"),
    );
    assert!(matches!(
        ours.resolve(&cookies, &providers(stytch)).await,
        Auth::SignedOut
    ));
    assert!(SessionCookies::new(&Secret::new("short"), true, 60).is_err());
}

#[tokio::test]
async fn concurrent_requests_with_an_expired_jwt_share_one_session_check() {
    let f = emulator(Duration::ZERO).await;
    let stytch = client(&f);
    let session = sign_in(&f, &stytch, "dee@example.com").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let sessions = SessionCookies::new(&Secret::new("v".repeat(40)), false, 60).expect("key");
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, "stytch", &session.signed_in().expect("state"));
    let providers = providers(stytch);
    let before = f.emulator.session_checks();
    let jars: Vec<Cookies> = (0..4).map(|_| crate::hosted::copy(&cookies)).collect();
    let answers = tokio::join!(
        sessions.resolve(&jars[0], &providers),
        sessions.resolve(&jars[1], &providers),
        sessions.resolve(&jars[2], &providers),
        sessions.resolve(&jars[3], &providers),
    );
    let answers = [answers.0, answers.1, answers.2, answers.3];
    assert!(
        answers.iter().all(|a| matches!(a, Auth::SignedIn(_))),
        "{answers:?}"
    );
    assert_eq!(
        f.emulator.session_checks() - before,
        1,
        "one call for four requests"
    );
}

//! Ending sessions, for every provider, over real HTTP against the emulators. Signing out
//! revokes the session at the provider, so a cookie copied before it stops working as soon as
//! the provider is asked again; the provider is asked once the cookie's word is older than
//! `SESSION_RECHECK_SECONDS` (two seconds here), so a session ended at the provider stops
//! within that bound too, whatever its tokens' lifetime. Without a refresh token, the userinfo
//! endpoint vouches for the session while it stands. A provider that cannot be asked defers
//! the question while the session's tokens still verify.

use std::sync::Arc;
use std::time::Duration;

use devstack::oidc::Flavor;
use insforge_auth::server::provider::{Provider, SignedIn};
use insforge_auth::server::providers::Providers;
use insforge_auth::server::providers::oidc::OidcProvider;
use insforge_auth::server::providers::stytch::{StytchClient, StytchError};
use insforge_auth::server::session::{Auth, SessionCookies};
use serde_json::{Value, json};
use tower_cookies::Cookies;
use url::Url;

use crate::hosted::{copy, http};
use crate::{oidc, stytch, workos};

const BOUND: Duration = Duration::from_secs(2);

fn sessions() -> SessionCookies {
    crate::hosted::sessions().with_recheck(BOUND)
}

/// Until the provider is due to be asked again.
async fn past_the_bound() {
    tokio::time::sleep(BOUND + Duration::from_millis(100)).await;
}

/// Where a case's session lives (the emulator kept running), and how to end it there as an
/// administrator would.
enum At {
    Stytch(Box<(stytch::Fixture, StytchClient)>),
    WorkOs(workos::Fixture),
    Oidc(oidc::Fixture),
}

struct Case {
    name: String,
    email: String,
    providers: Providers,
    signed_in: SignedIn,
    at: At,
}

impl Case {
    async fn stytch(email: &str) -> Case {
        let f = stytch::emulator(Duration::from_secs(300)).await;
        let client = stytch::client(&f);
        let session = stytch::sign_in(&f, &client, email).await;
        Case {
            name: "stytch".into(),
            email: email.into(),
            providers: Providers::with(vec![Arc::new(client.clone())]),
            signed_in: session.signed_in().expect("state"),
            at: At::Stytch(Box::new((f, client))),
        }
    }

    async fn workos(email: &str) -> Case {
        let f = workos::emulator(Duration::from_secs(300)).await;
        let client = workos::client(&f);
        let signed_in = workos::sign_in(&client, email).await;
        Case {
            name: "workos".into(),
            email: email.into(),
            providers: Providers::with(vec![Arc::new(client)]),
            signed_in,
            at: At::WorkOs(f),
        }
    }

    /// With tokens of a day (Auth0's): only the bound can end the session early.
    async fn oidc(flavor: Flavor, email: &str, scopes: Option<&[&str]>) -> Case {
        let f = oidc::emulator(flavor, Duration::from_secs(86_400)).await;
        let mut p = oidc::provider(&f);
        if let Some(scopes) = scopes {
            let mut config = p.config().clone();
            config.scopes = scopes.iter().map(|s| s.to_string()).collect();
            let site = Url::parse("http://127.0.0.1:3000").expect("site");
            p = OidcProvider::new(config, &site, http()).expect("provider");
        }
        let (pending, code) = oidc::authorize(&p, email).await;
        let signed_in = Provider::finish(&p, &code, &pending)
            .await
            .expect("sign-in");
        Case {
            name: flavor.name().into(),
            email: email.into(),
            providers: Providers::with(vec![Arc::new(p)]),
            signed_in,
            at: At::Oidc(f),
        }
    }

    async fn every_provider(email: &str) -> Vec<Case> {
        let mut cases = vec![Case::stytch(email).await, Case::workos(email).await];
        for flavor in [Flavor::Auth0, Flavor::Kinde, Flavor::Clerk, Flavor::Generic] {
            cases.push(Case::oidc(flavor, email, None).await);
        }
        cases
    }

    /// A browser holding this case's session.
    fn browser(&self, sessions: &SessionCookies) -> Cookies {
        let cookies = Cookies::default();
        sessions.write_signed_in(&cookies, &self.name, &self.signed_in);
        cookies
    }

    async fn resolve(&self, sessions: &SessionCookies, cookies: &Cookies) -> Auth {
        sessions.resolve(cookies, &self.providers).await
    }

    /// Past the bound, a live session is vouched for again by the provider and its cookie
    /// rewritten.
    async fn vouched_again(&self, sessions: &SessionCookies, cookies: &Cookies) {
        let name = &self.name;
        past_the_bound().await;
        let before = cookies.get("ia_session").map(|c| c.value().to_string());
        assert!(signed_in(&self.resolve(sessions, cookies).await), "{name}");
        let asked = cookies.get("ia_session").map(|c| c.value().to_string());
        assert_ne!(before, asked, "{name}: the check is written back");
    }

    /// An administrator ends the user's sessions at the provider (Stytch: its API).
    async fn end_at_provider(&self) {
        match &self.at {
            At::Stytch(stytch) => {
                let token = self.signed_in.state["token"].as_str().expect("token");
                stytch.1.revoke_session(token).await.expect("revoke");
            }
            At::WorkOs(f) => {
                let status = crate::hosted::dev(
                    f.emulator.url(),
                    "users/revoke",
                    json!({ "sub": self.signed_in.user_id }),
                )
                .await;
                assert_eq!(status, 204);
            }
            At::Oidc(f) => {
                let sub = f.emulator.user_id_for(&self.email);
                assert_eq!(
                    oidc::dev(f, "users/revoke", json!({ "sub": sub })).await,
                    204
                );
            }
        }
    }

    /// What the provider says was revoked through its API for this user.
    async fn revoked_at_provider(&self) -> Vec<String> {
        let base = match &self.at {
            At::Stytch(stytch) => {
                let token = self.signed_in.state["token"].as_str().expect("token");
                return match stytch.1.authenticate_session(token).await {
                    Err(StytchError::SessionNotFound) => vec!["session".into()],
                    _ => vec![],
                };
            }
            At::WorkOs(f) => f.emulator.url(),
            At::Oidc(f) => f.emulator.url(),
        };
        let all: Vec<Value> = crate::hosted::get_json(&format!("{base}/dev/revocations")).await;
        all.iter()
            .filter(|r| r["email"] == self.email.as_str())
            .map(|r| r["what"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

fn signed_in(auth: &Auth) -> bool {
    matches!(auth, Auth::SignedIn(_))
}

#[tokio::test]
async fn signing_out_revokes_at_every_provider_so_a_copied_cookie_stops_within_the_bound() {
    let sessions = sessions();
    for case in Case::every_provider("ida@example.com").await {
        let name = &case.name;
        let cookies = case.browser(&sessions);
        let copied = copy(&cookies);
        let ended = sessions.end(&cookies, &case.providers).await;
        assert_eq!(ended.map(|e| e.provider).as_deref(), Some(name.as_str()));
        assert!(cookies.get("ia_session").is_none(), "{name}: cookie kept");
        let revoked = case.revoked_at_provider().await;
        let expected = match case.at {
            At::Stytch(_) | At::WorkOs(_) => "session",
            At::Oidc(_) => "refresh_token",
        };
        assert_eq!(revoked, [expected], "{name}: revoked at the provider");

        // The copy is trusted on its own word until the bound, then the provider refuses it.
        assert!(signed_in(&case.resolve(&sessions, &copied).await), "{name}");
        past_the_bound().await;
        let after = case.resolve(&sessions, &copied).await;
        assert!(matches!(after, Auth::SignedOut), "{name}: {after:?}");
        assert!(copied.get("ia_session").is_none(), "{name}: copy kept");
    }
}

#[tokio::test]
async fn a_session_ended_at_the_provider_stops_within_the_bound_and_a_live_one_goes_on() {
    let sessions = sessions();
    for case in Case::every_provider("jo@example.com").await {
        let name = &case.name;
        let cookies = case.browser(&sessions);
        case.vouched_again(&sessions, &cookies).await;

        case.end_at_provider().await;
        // Within the bound, nobody asks the provider.
        assert!(
            signed_in(&case.resolve(&sessions, &cookies).await),
            "{name}"
        );
        past_the_bound().await;
        let after = case.resolve(&sessions, &cookies).await;
        assert!(matches!(after, Auth::SignedOut), "{name}: {after:?}");
    }
}

#[tokio::test]
async fn without_a_refresh_token_the_userinfo_endpoint_vouches_for_the_session() {
    let sessions = sessions();
    // Auth0's revocation endpoint takes refresh tokens only, so its flavour is left out.
    for flavor in [Flavor::Kinde, Flavor::Clerk, Flavor::Generic] {
        let case = Case::oidc(flavor, "kim@example.com", Some(&["profile", "email"])).await;
        let name = &case.name;
        assert!(case.signed_in.state["refresh"].is_null(), "{name}");
        assert!(case.signed_in.state["access"].is_string(), "{name}");
        let cookies = case.browser(&sessions);
        case.vouched_again(&sessions, &cookies).await;

        let copied = copy(&cookies);
        assert!(sessions.end(&cookies, &case.providers).await.is_some());
        assert_eq!(case.revoked_at_provider().await, ["access_token"], "{name}");
        past_the_bound().await;
        let after = case.resolve(&sessions, &copied).await;
        assert!(matches!(after, Auth::SignedOut), "{name}: {after:?}");
    }
}

#[tokio::test]
async fn without_a_refresh_token_a_session_ends_with_its_access_token() {
    let f = oidc::emulator(Flavor::Generic, Duration::from_secs(1)).await;
    let mut config = oidc::provider(&f).config().clone();
    config.scopes = vec!["email".into()];
    let site = Url::parse("http://127.0.0.1:3000").expect("site");
    let p = OidcProvider::new(config, &site, http()).expect("provider");
    let (pending, code) = oidc::authorize(&p, "lou@example.com").await;
    let signed_in = Provider::finish(&p, &code, &pending)
        .await
        .expect("sign-in");
    let providers = Providers::with(vec![Arc::new(p)]);
    // A bound far away: the expired token alone sends the app to the provider.
    let sessions = crate::hosted::sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, Flavor::Generic.name(), &signed_in);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after = sessions.resolve(&cookies, &providers).await;
    assert!(matches!(after, Auth::SignedOut), "{after:?}");
}

#[tokio::test]
async fn a_provider_that_cannot_be_asked_is_trusted_while_the_tokens_verify() {
    let sessions = sessions();
    let case = Case::workos("nia@example.com").await;
    let At::WorkOs(f) = &case.at else {
        panic!("a WorkOS case");
    };
    let outage = |api: bool| crate::hosted::dev(f.emulator.url(), "outage", json!({ "api": api }));
    let cookies = case.browser(&sessions);
    assert!(signed_in(&case.resolve(&sessions, &cookies).await));
    assert_eq!(outage(true).await, 204);
    past_the_bound().await;
    let before = cookies.get("ia_session").map(|c| c.value().to_string());
    assert!(signed_in(&case.resolve(&sessions, &cookies).await));
    let deferred = cookies.get("ia_session").map(|c| c.value().to_string());
    assert_ne!(before, deferred, "the deferral is written back");

    // Back, and the session ended there meanwhile: the next question signs the browser out.
    assert_eq!(outage(false).await, 204);
    case.end_at_provider().await;
    past_the_bound().await;
    let after = case.resolve(&sessions, &cookies).await;
    assert!(matches!(after, Auth::SignedOut), "{after:?}");
}

#[tokio::test]
async fn a_provider_that_cannot_be_asked_once_the_tokens_expired_is_unavailable() {
    let f = workos::emulator(Duration::from_secs(1)).await;
    let client = workos::client(&f);
    let signed_in = workos::sign_in(&client, "oz@example.com").await;
    let providers = Providers::with(vec![Arc::new(client)]);
    let sessions = sessions();
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, "workos", &signed_in);
    assert_eq!(
        crate::hosted::dev(f.emulator.url(), "outage", json!({ "api": true })).await,
        204
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let auth = sessions.resolve(&cookies, &providers).await;
    assert!(matches!(auth, Auth::Unavailable), "{auth:?}");
    assert!(cookies.get("ia_session").is_some(), "nothing signed out");
}

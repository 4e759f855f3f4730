//! Many replicas: two of the app behind a round-robin nginx, sharing one Redis (`REDIS_URL`),
//! as a deployment with several replicas runs. A burst of page requests carrying an expired
//! access token, spread over both replicas, keeps the user signed in with one refresh at the
//! provider (WorkOS; OpenID Connect, whose refresh tokens rotate); the rate limits hold across
//! the replicas; Redis holds nothing readable; and with Redis gone, each replica goes on alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use devstack::hosted::Refreshes;
use devstack::oidc::Flavor;
use devstack::proxy::RoundRobin;
use devstack::redis::RedisServer;
use insforge_auth::server::config::Secret;
use insforge_auth::server::provider::{Provider, SignedIn};
use insforge_auth::server::providers::oidc::{OidcConfig, OidcFlavor, OidcProvider};
use insforge_auth::server::session::SessionCookies;
use serde_json::json;
use tower_cookies::Cookies;
use url::Url;

use crate::hosted::{dev, http, listener};
use crate::whole::{serve_app, set_cookie};
use crate::{oidc, workos};

const REPLICAS: usize = 2;
const BURST: usize = 10;
const SECRET: &str = "replicas-share-this-session-secret-0123456789";

struct Fleet {
    proxy: RoundRobin,
    redis: RedisServer,
    served: Vec<Arc<AtomicUsize>>,
    workos: workos::Fixture,
    oidc: oidc::Fixture,
    stytch: Arc<devstack::stytch::Emulator>,
    _stytch_server: devstack::serve::Server,
}

impl Fleet {
    /// The replicas behind the proxy, configured alike (with `extra`), sharing one Redis.
    async fn start(extra: &[(&'static str, &'static str)]) -> Fleet {
        let project = crate::common::project();
        let redis = RedisServer::start(None).await.expect("redis-server");
        let workos = workos::emulator(Duration::from_secs(300)).await;
        // Two-second tokens: a session's token expires between one request and the next.
        let oidc = oidc::emulator(Flavor::Generic, Duration::from_secs(2)).await;
        let stytch_config = devstack::stytch::Config::generate();
        let stytch = devstack::stytch::Emulator::new(stytch_config.clone()).expect("keys");
        let stytch_server = stytch.serve(listener().await).expect("serve");
        let mut listeners = Vec::new();
        for _ in 0..REPLICAS {
            listeners.push(listener().await);
        }
        let upstreams: Vec<String> = listeners
            .iter()
            .map(|l| l.local_addr().expect("addr").to_string())
            .collect();
        let proxy = RoundRobin::start(&upstreams).await.expect("nginx");
        let mut vars: Vec<(&str, String)> = vec![
            ("SITE_URL", proxy.url()),
            ("SESSION_SECRET", SECRET.into()),
            ("INSFORGE_URL", project.url.clone()),
            ("INSFORGE_JWT_SECRET", project.keys.jwt_secret.clone()),
            ("AUTH_PROVIDERS", "workos,sso,stytch".into()),
            ("WORKOS_CLIENT_ID", workos.emulator.client_id().into()),
            ("WORKOS_API_KEY", workos.emulator.api_key().into()),
            ("WORKOS_API_URL", format!("{}/", workos.emulator.url())),
            ("OIDC_SSO_ISSUER_URL", oidc.emulator.issuer()),
            ("OIDC_SSO_CLIENT_ID", oidc.emulator.client_id().into()),
            (
                "OIDC_SSO_CLIENT_SECRET",
                oidc.emulator.client_secret().into(),
            ),
            ("STYTCH_PROJECT_ID", stytch_config.project_id.clone()),
            ("STYTCH_SECRET", stytch_config.secret.clone()),
            ("STYTCH_API_URL", stytch_server.url()),
            ("TRUSTED_PROXY_HOPS", "1".into()),
            ("REDIS_URL", redis.url()),
        ];
        vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let mut served = Vec::new();
        for listener in listeners {
            served.push(serve_app(listener, &vars).await);
        }
        Fleet {
            proxy,
            redis,
            served,
            workos,
            oidc,
            stytch,
            _stytch_server: stytch_server,
        }
    }

    fn served(&self) -> Vec<usize> {
        self.served
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .collect()
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = http()
            .get(format!("{}{path}", self.proxy.url()))
            .header("accept", "text/html");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request")
    }

    /// `BURST` page requests at once with `cookie`: each one's status and the session cookie
    /// it sets.
    async fn burst(&self, cookie: &str) -> Vec<(u16, Option<String>)> {
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..BURST {
            let url = format!("{}/", self.proxy.url());
            let cookie = cookie.to_string();
            requests.spawn(async move {
                let res = http()
                    .get(url)
                    .header("accept", "text/html")
                    .header("cookie", cookie)
                    .send()
                    .await
                    .expect("request");
                (res.status().as_u16(), set_cookie(&res, "ia_session"))
            });
        }
        requests.join_all().await
    }
}

/// The cookie of a browser signed in with `signed_in` (as the replicas write it).
fn browser(provider: &str, signed_in: &SignedIn) -> String {
    let sessions = SessionCookies::new(&Secret::new(SECRET), false, 60).expect("key");
    let cookies = Cookies::default();
    sessions.write_signed_in(&cookies, provider, signed_in);
    let cookie = cookies.get("ia_session").expect("session cookie");
    format!("ia_session={}", cookie.value())
}

/// Signed in with WorkOS, with an access token that expired a minute ago.
async fn workos_session(f: &workos::Fixture, email: &str) -> SignedIn {
    let tampered = dev(f.emulator.url(), "tamper", json!({"exp_in": -60})).await;
    assert!(tampered.is_success(), "{tampered}");
    // This client lets the expired token through; the replicas allow 30 s.
    let client = workos::client(f).with_leeway(Duration::from_secs(300));
    workos::sign_in(&client, email).await
}

/// Signed in with the OpenID Connect issuer the replicas call `sso`; its tokens last 2 s.
async fn oidc_session(f: &oidc::Fixture, email: &str) -> SignedIn {
    let mut config: OidcConfig = oidc::provider(f).config().clone();
    config.name = "sso".into();
    config.flavor = OidcFlavor::Generic;
    let site = Url::parse("http://127.0.0.1:3000").expect("site");
    let p = OidcProvider::new(config, &site, http()).expect("provider");
    let (pending, code) = oidc::authorize(&p, email).await;
    Provider::finish(&p, &code, &pending)
        .await
        .expect("sign-in")
}

async fn refreshes(base: &str) -> Refreshes {
    crate::hosted::get_json(&format!("{base}/dev/refreshes")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_with_an_expired_token_over_the_replicas_keeps_the_user_signed_in() {
    let fleet = Fleet::start(&[]).await;
    let workos = workos_session(&fleet.workos, "ann@example.com").await;
    let oidc = oidc_session(&fleet.oidc, "bo@example.com").await;
    // Until the OpenID Connect session's tokens expire (the WorkOS one's has).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for (name, signed_in, emulator) in [
        ("workos", &workos, fleet.workos.emulator.url()),
        ("sso", &oidc, fleet.oidc.emulator.url()),
    ] {
        let before = fleet.served();
        let answers = fleet.burst(&browser(name, signed_in)).await;
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        let after = fleet.served();
        for (replica, (was, is)) in before.iter().zip(&after).enumerate() {
            assert!(
                is - was >= 3,
                "{name}: replica {replica} served {}",
                is - was
            );
        }
        // One refresh at the provider, its answer handed to every request on either replica:
        // nobody presented the spent token again, nobody was signed out.
        assert_eq!(
            refreshes(emulator).await,
            Refreshes {
                answered: 1,
                spent_again: 0
            },
            "{name}: {statuses:?}"
        );
        assert_eq!(statuses, [200; BURST], "{name}");
        for (_, renewed) in &answers {
            let renewed = renewed.as_deref().expect("the renewed session is stored");
            // Whichever response the browser stores last, it holds the new tokens.
            let res = fleet.get("/", Some(renewed)).await;
            assert_eq!(res.status(), 200, "{name}: a renewed session");
        }
    }
    // Redis saw no address, user id or token in the clear.
    let client = redis::Client::open(fleet.redis.url()).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut redis)
        .await
        .expect("keys");
    let refresh_token = workos.state["refresh_token"].as_str().expect("token");
    let mut sealed = 0;
    for key in keys {
        let value: Vec<u8> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .expect("value");
        sealed += usize::from(value.starts_with(b"sealed:"));
        let seen = format!("{key} {}", String::from_utf8_lossy(&value));
        for secret in [
            "example.com",
            "127.0.0.1",
            workos.user_id.as_str(),
            oidc.user_id.as_str(),
            refresh_token,
        ] {
            assert!(!seen.contains(secret), "{secret} in Redis: {seen}");
        }
    }
    assert_eq!(sealed, 2, "one sealed answer for each refresh");
}

/// The scripts Redis has run to the end (`EVAL` and `EVALSHA`; a first `EVALSHA` that finds
/// no script, before the client loads it, does not count).
async fn scripts_run(url: &str) -> u64 {
    let client = redis::Client::open(url).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut redis)
        .await
        .expect("commandstats");
    let field = |line: &str, name: &str| -> u64 {
        line.split([':', ','])
            .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    stats
        .lines()
        .filter(|line| line.starts_with("cmdstat_eval:") || line.starts_with("cmdstat_evalsha:"))
        .map(|line| {
            field(line, "calls") - field(line, "failed_calls") - field(line, "rejected_calls")
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_the_replicas_and_lapse_to_each_without_redis() {
    let mut fleet = Fleet::start(&[("RATE_LIMIT_IP_PER_MINUTE", "6")]).await;
    let ask = || async {
        http()
            .post(format!("{}/api/start_sign_in", fleet.proxy.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=cy%40example.com")
            .send()
            .await
            .expect("start_sign_in")
            .status()
            .as_u16()
    };
    // One replica each: the second link to the address is refused all the same.
    let scripts = scripts_run(&fleet.redis.url()).await;
    assert_eq!([ask().await, ask().await], [200, 429]);
    assert_eq!(fleet.stytch.outbox().len(), 1, "one mail only");
    // Each ask is one round trip for the client's request limit and one for the link's four
    // limits together.
    assert_eq!(scripts_run(&fleet.redis.url()).await - scripts, 2 * 2);
    // Six calls a minute from one client, whichever replica answers.
    let mut statuses = Vec::new();
    for _ in 0..BURST {
        statuses.push(fleet.get("/login", None).await.status().as_u16());
    }
    let mut expected = vec![200; 4];
    expected.extend([429; BURST - 4]);
    assert_eq!(statuses, expected);
    for (replica, served) in fleet.served().iter().enumerate() {
        assert!(*served >= 5, "replica {replica} served {served}");
    }

    // Without Redis, each replica keeps limits of its own (fresh ones): six calls each.
    fleet.redis.stop();
    let started = Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..7 * REPLICAS {
        statuses.push(fleet.get("/login", None).await.status().as_u16());
    }
    let mut expected = vec![200; 6 * REPLICAS];
    expected.extend([429; REPLICAS]);
    assert_eq!(statuses, expected);
    // Nobody waited on the missing Redis past its timeouts.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

//! The abuse limits through the whole app (its router, served as `main` serves it) against the
//! Stytch emulator, over real HTTP: server-function calls per client address (taken from the
//! trusted `X-Forwarded-For` hop, whatever the client wrote before it) and per signed-in user,
//! and sign-in links per address and client, each refused with 429, `Retry-After` and its
//! message.

use std::sync::Arc;

use devstack::stytch::{Config, Emulator};
use tokio::net::TcpListener;

use crate::hosted::{form_post, http};
use crate::whole::{cookie_of, serve_app};

struct Running {
    base: String,
    stytch: Arc<Emulator>,
    _stytch_server: devstack::serve::Server,
}

/// The app, with Stytch, behind one trusted proxy, and the limits `extra` sets.
async fn app(extra: &[(&'static str, &'static str)]) -> Running {
    let config = Config::generate();
    let stytch = Emulator::new(config.clone()).expect("keys");
    let stytch_server = stytch
        .serve(TcpListener::bind("127.0.0.1:0").await.expect("listen"))
        .expect("serve");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let stytch_url = stytch_server.url();
    let mut vars: Vec<(&str, String)> = vec![
        ("SITE_URL", base.clone()),
        ("SESSION_SECRET", "s".repeat(40)),
        ("INSFORGE_URL", "http://127.0.0.1:9".into()),
        ("INSFORGE_JWT_SECRET", "j".repeat(40)),
        ("STYTCH_PROJECT_ID", config.project_id.clone()),
        ("STYTCH_SECRET", config.secret.clone()),
        ("STYTCH_API_URL", stytch_url),
        ("TRUSTED_PROXY_HOPS", "1".into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    serve_app(listener, &vars).await;
    Running {
        base,
        stytch,
        _stytch_server: stytch_server,
    }
}

/// A server-function call from the client the proxy saw as `client`.
async fn call(
    r: &Running,
    function: &str,
    client: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request =
        form_post(&format!("{}/api/{function}", r.base), form).header("x-forwarded-for", client);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("call")
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds")
}

#[tokio::test]
async fn calls_are_limited_per_client_address_from_the_trusted_hop() {
    let r = app(&[("RATE_LIMIT_IP_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        let res = call(&r, "sign_in_options", "203.0.113.1", &[], None).await;
        assert_eq!(res.status(), 200);
    }
    // What the client wrote before the proxy's entry changes nothing.
    let res = call(&r, "sign_in_options", "6.6.6.6, 203.0.113.1", &[], None).await;
    assert_eq!(res.status(), 429);
    assert!((1..=20).contains(&retry_after(&res)), "{:?}", res.headers());
    assert_eq!(res.json::<String>().await.expect("body"), "TooManyRequests");
    let other = call(&r, "sign_in_options", "203.0.113.2", &[], None).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn sign_in_links_are_spaced_per_address_and_a_form_post_lands_on_the_message() {
    let r = app(&[]).await;
    let form = [("email", "ann@example.com")];
    let first = call(&r, "start_sign_in", "203.0.113.5", &form, None).await;
    assert_eq!(first.status(), 200);
    // The same address again from the same client, in other letters: no second mail.
    let again = [("email", "Ann@Example.com")];
    let res = call(&r, "start_sign_in", "203.0.113.5", &again, None).await;
    assert_eq!(res.status(), 429);
    assert!(
        (50..=60).contains(&retry_after(&res)),
        "{:?}",
        res.headers()
    );
    assert_eq!(res.json::<String>().await.expect("body"), "TooManyLinks");
    assert_eq!(r.stytch.outbox().len(), 1, "one mail only");
    // Without JavaScript: back on the sign-in page, which says why.
    let plain = form_post(&format!("{}/api/start_sign_in", r.base), &again)
        .header("x-forwarded-for", "203.0.113.5")
        .header("accept", "text/html")
        .send()
        .await
        .expect("post");
    assert!(plain.status().is_redirection(), "{}", plain.status());
    assert_eq!(plain.headers()["location"], "/login?error=too_many_links");
    // Someone else asking for Ann's link does not lock her out: it is another client's.
    let other = call(&r, "start_sign_in", "198.51.100.7", &again, None).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn calls_are_limited_per_signed_in_user_whatever_the_address() {
    let r = app(&[("RATE_LIMIT_USER_PER_MINUTE", "2")]).await;
    // Sign in as a browser would: the link's verifier cookie, then the link.
    let form = [("email", "bo@example.com")];
    let asked = call(&r, "start_sign_in", "203.0.113.8", &form, None).await;
    assert_eq!(asked.status(), 200);
    let link_cookie = cookie_of(&asked, "ia_link");
    let mail = r.stytch.outbox().pop().expect("a mail");
    let path = mail.link.trim_start_matches(&r.base).to_string();
    let landed = http()
        .get(format!("{}{path}", r.base))
        .header("cookie", &link_cookie)
        .header("accept", "text/html")
        .send()
        .await
        .expect("link");
    let session = cookie_of(&landed, "ia_session");
    for client in ["203.0.113.21", "203.0.113.22"] {
        let res = call(&r, "current_user", client, &[], Some(&session)).await;
        assert_eq!(res.status(), 200);
    }
    let res = call(&r, "current_user", "203.0.113.23", &[], Some(&session)).await;
    assert_eq!(res.status(), 429);
    assert!(retry_after(&res) >= 1);
    // Someone else is not held up by it.
    let res = call(&r, "current_user", "203.0.113.23", &[], None).await;
    assert_eq!(res.status(), 200);
}

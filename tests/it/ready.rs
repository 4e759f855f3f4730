//! `/readyz` through the whole app: ready when InsForge accepts a token minted with the
//! configured secret and the provider's keys load; 503 naming each dependency that is not
//! (the details go to the log, not to whoever asks).

use devstack::stytch::{Config, Emulator};
use insforge_auth::paths::READY;
use serde_json::Value;

use crate::hosted::{http, listener};
use crate::whole::serve_app;

/// The app against the shared project and a Stytch emulator, with `jwt_secret` and, unless
/// `stytch_up`, a Stytch URL where nothing listens.
async fn readyz(jwt_secret: Option<&str>, stytch_up: bool) -> (u16, String) {
    let project = crate::common::project();
    let config = Config::generate();
    let stytch = Emulator::new(config.clone()).expect("keys");
    let server = stytch.serve(listener().await).expect("serve");
    let app = listener().await;
    let base = format!("http://{}", app.local_addr().expect("addr"));
    let vars: Vec<(&str, String)> = vec![
        ("SITE_URL", base.clone()),
        ("SESSION_SECRET", "s".repeat(40)),
        ("INSFORGE_URL", project.url.clone()),
        (
            "INSFORGE_JWT_SECRET",
            jwt_secret.map_or_else(|| project.keys.jwt_secret.clone(), str::to_string),
        ),
        ("STYTCH_PROJECT_ID", config.project_id.clone()),
        ("STYTCH_SECRET", config.secret.clone()),
        (
            "STYTCH_API_URL",
            if stytch_up {
                server.url()
            } else {
                "http://127.0.0.1:9".into()
            },
        ),
    ];
    serve_app(app, &vars).await;
    let res = http()
        .get(format!("{base}{READY}"))
        .send()
        .await
        .expect("readyz");
    (res.status().as_u16(), res.text().await.expect("body"))
}

fn not_ready(body: &str) -> Vec<String> {
    let body: Value = serde_json::from_str(body).expect("JSON");
    serde_json::from_value(body["not_ready"].clone()).expect("names")
}

#[tokio::test]
async fn ready_when_insforge_takes_our_tokens_and_the_keys_load() {
    assert_eq!(readyz(None, true).await, (200, "ready".into()));
}

#[tokio::test]
async fn not_ready_names_a_wrong_jwt_secret_and_an_unreachable_provider() {
    let (status, body) = readyz(Some(&"w".repeat(40)), true).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(not_ready(&body), ["insforge"]);
    assert!(!body.contains("JWT"), "details stay in the log: {body}");

    let (status, body) = readyz(None, false).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(not_ready(&body), ["stytch"]);
}

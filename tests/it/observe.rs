//! What operators see: each request's id on the response and on every log line it writes (the
//! real binary with `LOG_FORMAT=json`), `/metrics` on its own port in Prometheus' text format
//! with requests by route pattern and status, InsForge's and the providers' calls.

use std::process::Stdio;
use std::time::{Duration, Instant};

use devstack::stytch::{Config, Emulator};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::hosted::{http, listener};
use crate::whole::serve_app;

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    probe.local_addr().expect("addr").port()
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_id_and_metrics_count_it() {
    let (port, metrics_port) = (free_port(), free_port());
    let mut child = crate::serve::server(port)
        .env("LOG_FORMAT", "json")
        .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Stytch is unreachable here: /readyz logs why, within the request.
    let res = http()
        .get(format!("{base}/readyz"))
        .header("x-request-id", "lb-7f3a")
        .send()
        .await
        .expect("readyz");
    assert_eq!(res.status(), 503);
    let id = res.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    assert_eq!(id.len(), 32, "{id}");
    let other = http()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("get");
    assert_ne!(other.headers()["x-request-id"], id.as_str());

    let mut of_request = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !of_request
        .iter()
        .any(|l: &Value| l["fields"]["message"] == "answered")
    {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
            .await
            .expect("the request's log lines in time")
            .expect("read")
            .expect("a line");
        let line: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if line["span"]["id"] == id.as_str() {
            of_request.push(line);
        }
    }
    // The warning written inside the request, and the line when it was answered, both carry
    // the id (and the proxy's own id beside it).
    assert!(
        of_request.iter().any(|l| l["level"] == "WARN"
            && l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not ready"))),
        "{of_request:#?}"
    );
    let answered = of_request.last().expect("answered");
    assert_eq!(answered["fields"]["status"], 503);
    assert_eq!(answered["span"]["path"], "/readyz");
    assert_eq!(answered["span"]["upstream"], "lb-7f3a");

    // The scrape, on its own port (and not on the app's).
    let scrape = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.expect("text");
    let readyz = text
        .lines()
        .find(|l| l.starts_with("http_requests_total{") && l.contains("route=\"/readyz\""))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        readyz.contains("status=\"503\"") && readyz.ends_with(" 1"),
        "{readyz}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{route=\"/readyz\""),
        "{text}"
    );
    assert!(
        text.contains("insforge_calls_total{outcome=\"unavailable\"}"),
        "{text}"
    );
    assert!(
        text.contains("provider_calls_total{host=\"127.0.0.1\",outcome=\"unavailable\"}"),
        "{text}"
    );
    let app = reqwest::get(format!("{base}/metrics")).await.expect("get");
    assert_ne!(app.status(), 200);
}

#[tokio::test]
async fn routes_are_counted_by_pattern_never_by_raw_path() {
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
        ("INSFORGE_JWT_SECRET", project.keys.jwt_secret.clone()),
        ("STYTCH_PROJECT_ID", config.project_id.clone()),
        ("STYTCH_SECRET", config.secret.clone()),
        ("STYTCH_API_URL", server.url()),
    ];
    serve_app(app, &vars).await;
    let probe = format!("/scanner-{}", uuid::Uuid::new_v4().simple());
    for path in ["/readyz", &probe] {
        http()
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
    }
    let handle = insforge_auth::server::metrics::install().expect("the recorder");
    let text = handle.render();
    assert!(!text.contains(&probe), "a raw path as a label");
    assert!(text.contains("route=\"unmatched\""), "{text}");
    assert!(
        text.contains("insforge_calls_total{outcome=\"ok\"}"),
        "{text}"
    );
}

//! What operators see: each request's id on the response and on every log line it writes (the
//! real binary with `LOG_FORMAT=json`), `/metrics` on its own port in Prometheus' text format
//! with requests by route pattern and status, InsForge's and the providers' calls.

use std::process::Stdio;
use std::time::{Duration, Instant};

use insforge_auth::paths::{HEALTH, READY};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::hosted::http;

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
    while reqwest::get(format!("{base}{HEALTH}")).await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The image's HEALTHCHECK: the binary asks the server on LEPTOS_SITE_ADDR.
    let health = crate::serve::server(port)
        .arg("health")
        .output()
        .await
        .expect("health");
    assert!(health.status.success(), "{health:?}");

    // Stytch is unreachable here: /readyz logs why, within the request.
    let res = http()
        .get(format!("{base}{READY}"))
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
        .get(format!("{base}{HEALTH}"))
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
        // Starting and serving these requests is nothing to wake anyone up for.
        assert_ne!(line["level"], "ERROR", "{line}");
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

    // A scanner's guess and an invented method are counted, but neither makes a label.
    let probe = format!("/scanner-{}", uuid::Uuid::new_v4().simple());
    http()
        .get(format!("{base}{probe}"))
        .send()
        .await
        .expect("get");
    let brew = reqwest::Method::from_bytes(b"BREW").expect("a method");
    http()
        .request(brew, format!("{base}{HEALTH}"))
        .send()
        .await
        .expect("brew");

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
    assert!(!text.contains(&probe), "a raw path as a label");
    assert!(!text.contains("BREW"), "an invented method as a label");
    assert!(
        text.contains("route=\"unmatched\",method=\"GET\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(text.contains("method=\"other\""), "{text}");
    let app = reqwest::get(format!("{base}{}", insforge_auth::server::metrics::PATH))
        .await
        .expect("get");
    assert_ne!(app.status(), 200);
}

#[tokio::test]
async fn an_unknown_log_format_stops_the_server_with_its_name() {
    let out = crate::serve::server(free_port())
        .env("LOG_FORMAT", "xml")
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LOG_FORMAT is invalid (\"xml\")"),
        "{stderr}"
    );
}

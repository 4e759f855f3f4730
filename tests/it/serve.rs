//! The server's inbound bounds, over real TCP: a client that is slow to send its headers (or
//! sends nothing) is cut off, a request past its time is answered 503, requests beyond the limit
//! are answered 503 at once, and on SIGTERM the real binary finishes the requests in flight and
//! exits 0.

use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use insforge_auth::server::serve::{Inbound, serve};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

/// Serves a router with a fast route (`/`) and one that takes two seconds (`/slow`, which
/// notifies `entered` as it starts).
async fn start(inbound: Inbound, entered: Arc<Notify>) -> (String, oneshot::Sender<()>) {
    let router = Router::new().route("/", get(|| async { "ok" })).route(
        "/slow",
        get(move || {
            let entered = entered.clone();
            async move {
                entered.notify_one();
                tokio::time::sleep(Duration::from_secs(2)).await;
                "slow"
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, router, &inbound, async {
            let _ = stopped.await;
        })
        .await;
    });
    (format!("http://{addr}"), stop)
}

fn inbound() -> Inbound {
    Inbound {
        header_read: Duration::from_secs(1),
        request: Duration::from_secs(1),
        max_in_flight: 2,
        grace: Duration::from_secs(5),
    }
}

/// How long until the server closes `stream`, and what it sent before.
async fn closed(stream: &mut TcpStream) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    (started.elapsed(), answer)
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_cut_off() {
    let (base, _stop) = start(inbound(), Arc::default()).await;
    let mut silent = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .expect("connect");
    let (after, answer) = closed(&mut silent).await;
    assert!(after >= Duration::from_millis(900), "cut off too soon");
    assert!(answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"));
}

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    let (base, _stop) = start(inbound(), Arc::default()).await;
    let mut slow = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: app\r\n")
        .await
        .expect("write");
    let (after, answer) = closed(&mut slow).await;
    assert!(after >= Duration::from_millis(900), "cut off too soon");
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // Meanwhile a client that sends its request gets its answer.
    let ok = reqwest::get(format!("{base}/")).await.expect("get");
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_request_past_its_time_and_one_over_the_limit_are_answered_503() {
    let (base, _stop) = start(inbound(), Arc::default()).await;
    let timed_out = reqwest::get(format!("{base}/slow")).await.expect("get");
    assert_eq!(timed_out.status(), 503);

    let limits = Inbound {
        request: Duration::from_secs(10),
        max_in_flight: 1,
        ..inbound()
    };
    let entered = Arc::new(Notify::new());
    let (base, _stop) = start(limits, entered.clone()).await;
    let busy = tokio::spawn(reqwest::get(format!("{base}/slow")));
    entered.notified().await;
    let started = Instant::now();
    let refused = reqwest::get(format!("{base}/")).await.expect("get");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    let first = busy.await.expect("join").expect("slow");
    assert_eq!(first.status(), 200);
    assert_eq!(
        reqwest::get(format!("{base}/"))
            .await
            .expect("get")
            .status(),
        200
    );
}

/// The real server binary, configured well enough to start (nothing it calls is reachable).
pub fn server(port: u16) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_insforge-auth"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SITE_URL", format!("http://127.0.0.1:{port}"))
        .env("SESSION_SECRET", "s".repeat(40))
        .env("INSFORGE_URL", "http://127.0.0.1:9")
        .env("INSFORGE_JWT_SECRET", "j".repeat(40))
        .env(
            "STYTCH_PROJECT_ID",
            "project-test-11111111-2222-3333-4444-555555555555",
        )
        .env("STYTCH_SECRET", "secret-test-x")
        .env("STYTCH_API_URL", "http://127.0.0.1:9")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "insforge-auth")
        .env("RUST_LOG", "info")
        // Not the project's folder: a developer's .env there must not change the settings.
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn on_sigterm_the_requests_in_flight_finish_and_the_process_exits_0() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        probe.local_addr().expect("addr").port()
    };
    let mut child = server(port).spawn().expect("start the server");
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("http://{addr}/healthz"))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A request in flight: its headers sent, its body still coming.
    let mut in_flight = TcpStream::connect(&addr).await.expect("connect");
    in_flight
        .write_all(
            b"POST /api/sign_in_options HTTP/1.1\r\nHost: app\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4\r\n\r\nx=",
        )
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(500)).await;

    // No longer accepting, but the request in flight is answered.
    assert!(TcpStream::connect(&addr).await.is_err(), "still accepting");
    in_flight
        .write_all(b"yz")
        .await
        .expect("the rest of the body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), in_flight.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exited in time")
        .expect("status");
    assert_eq!(status.code(), Some(0));
}

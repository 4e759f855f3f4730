//! The server's gzip (`server::gzip`), over real HTTP: what it compresses and what it leaves,
//! that the bytes come back the same however often its compressors are reused, and that a
//! streamed page reaches the client as it is made.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use flate2::{Decompress, FlushDecompress};
use insforge_auth::server::gzip::{accepts_gzip, gzip};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A page of 20 KB that compresses well but not to nothing: rows that differ.
fn page() -> String {
    let rows: String = (0..400)
        .map(|i| format!("<li data-id=\"{i}\">todo number {i}</li>\n"))
        .collect();
    format!("<!DOCTYPE html><html><body><ul>{rows}</ul></body></html>")
}

fn typed(kind: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, kind)], body.into()).into_response()
}

/// Serves the gzip middleware over routes of each kind; `/stream` sends what `chunks` gets.
async fn start(chunks: mpsc::Receiver<Bytes>) -> String {
    let chunks = std::sync::Arc::new(std::sync::Mutex::new(Some(chunks)));
    let stream = move || {
        let rx = chunks.lock().expect("lock").take().expect("one stream");
        let body = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
        });
        async move { typed("text/html; charset=utf-8", Body::from_stream(body)) }
    };
    let router = Router::new()
        .route(
            "/page",
            get(|| async { typed("text/html; charset=utf-8", page()) }),
        )
        .route(
            "/etag",
            get(|| async {
                let mut r = typed("application/json", format!("[{}]", "1,".repeat(300) + "1"));
                r.headers_mut()
                    .insert(header::ETAG, HeaderValue::from_static("\"v1\""));
                r
            }),
        )
        .route("/small", get(|| async { typed("text/html", "<p>hi</p>") }))
        .route(
            "/png",
            get(|| async { typed("image/png", vec![0u8; 4096]) }),
        )
        .route(
            "/brotli",
            get(|| async {
                let mut r = typed("text/css", vec![b'a'; 4096]);
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                r
            }),
        )
        .route(
            "/no-transform",
            get(|| async {
                let mut r = typed("text/html", page());
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-transform"),
                );
                r
            }),
        )
        .route("/stream", get(stream))
        .layer(from_fn(gzip));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

async fn server() -> String {
    start(mpsc::channel(1).1).await
}

async fn get_with(base: &str, path: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header("accept-encoding", accept)
        .send()
        .await
        .expect("answer")
}

/// Decodes a whole gzip member.
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut inflater = Inflater::new();
    inflater.push(bytes)
}

/// A gzip decoder fed piece by piece, as a browser decodes a stream.
struct Inflater(Decompress);

impl Inflater {
    fn new() -> Self {
        Inflater(Decompress::new_gzip(15))
    }

    fn push(&mut self, mut input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 * 1024);
        loop {
            let before = self.0.total_in();
            self.0
                .decompress_vec(input, &mut out, FlushDecompress::Sync)
                .expect("valid gzip");
            input = &input[(self.0.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                return out;
            }
            out.reserve(64 * 1024);
        }
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_page_is_sent_in_gzip_and_decodes_to_the_same_bytes_each_time() {
    let base = server().await;
    // Sequential and concurrent: the compressors are reused, and reused ones must start clean.
    for _ in 0..3 {
        let answers = futures::future::join_all(
            (0..6).map(|_| get_with(&base, "/page", "br, gzip, deflate")),
        )
        .await;
        for r in answers {
            assert_eq!(header(&r, "content-encoding"), Some("gzip"));
            assert_eq!(header(&r, "vary"), Some("accept-encoding"));
            assert_eq!(header(&r, "content-length"), None);
            let body = r.bytes().await.expect("body");
            assert!(body.len() < page().len() / 4, "{} bytes", body.len());
            assert_eq!(gunzip(&body), page().as_bytes());
        }
    }
}

#[tokio::test]
async fn without_gzip_accepted_the_page_is_plain_and_still_says_it_varies() {
    let base = server().await;
    for accept in ["identity", "gzip;q=0, br", "*;q=0", "br"] {
        let r = get_with(&base, "/page", accept).await;
        assert_eq!(header(&r, "content-encoding"), None, "{accept}");
        assert_eq!(header(&r, "vary"), Some("accept-encoding"), "{accept}");
        assert_eq!(r.text().await.expect("body"), page(), "{accept}");
    }
}

#[tokio::test]
async fn a_strong_etag_becomes_weak_when_the_bytes_change() {
    let base = server().await;
    let r = get_with(&base, "/etag", "gzip").await;
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    assert_eq!(header(&r, "etag"), Some("W/\"v1\""));
    let r = get_with(&base, "/etag", "identity").await;
    assert_eq!(header(&r, "etag"), Some("\"v1\""));
}

#[tokio::test]
async fn small_binary_precompressed_and_no_transform_answers_pass_untouched() {
    let base = server().await;
    for (path, encoding) in [
        ("/small", None),
        ("/png", None),
        ("/brotli", Some("br")),
        ("/no-transform", None),
    ] {
        let r = get_with(&base, path, "gzip").await;
        assert_eq!(header(&r, "content-encoding"), encoding, "{path}");
        assert!(r.headers().get("content-length").is_some(), "{path}");
    }
}

#[tokio::test]
async fn a_streamed_page_reaches_the_client_as_it_is_made() {
    let (chunks, rx) = mpsc::channel(4);
    let base = start(rx).await;
    let first = Bytes::from("<!DOCTYPE html><html><body><p>the shell, before the data</p>");
    chunks.send(first.clone()).await.expect("send");
    let mut r = get_with(&base, "/stream", "gzip").await;
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    let mut inflater = Inflater::new();
    // The second part is not sent yet: the first must arrive whole on its own.
    let mut got = Vec::new();
    while got.len() < first.len() {
        let chunk = tokio::time::timeout(Duration::from_secs(5), r.chunk())
            .await
            .expect("the first part arrived before the rest was made")
            .expect("chunk")
            .expect("more");
        got.extend(inflater.push(&chunk));
    }
    assert_eq!(got, first);
    let rest = Bytes::from(page());
    chunks.send(rest.clone()).await.expect("send");
    drop(chunks);
    while let Some(chunk) = r.chunk().await.expect("chunk") {
        got.extend(inflater.push(&chunk));
    }
    assert_eq!(got, [first, rest].concat());
}

/// Text that compresses only a little: 200 KB in, well over one 16 KB output chunk out.
fn noise() -> String {
    let mut x: u32 = 12345;
    (0..200_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + ((x >> 16) % 26) as u8)
        })
        .collect()
}

#[tokio::test]
async fn a_large_answer_is_sent_in_several_pieces_that_decode_to_it() {
    let app = Router::new()
        .route("/big", get(|| async { typed("text/plain", noise()) }))
        .layer(from_fn(gzip));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let r = get_with(&format!("http://{addr}"), "/big", "gzip").await;
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    let body = r.bytes().await.expect("body");
    assert!(body.len() > 64 * 1024, "{} bytes", body.len());
    assert_eq!(gunzip(&body), noise().as_bytes());
}

/// A body of `frames`, in order.
struct Frames(std::collections::VecDeque<http_body::Frame<Bytes>>);

impl http_body::Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(Ok))
    }
}

#[tokio::test]
async fn trailers_follow_the_compressed_body() {
    use tower::ServiceExt;
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                let mut trailers = HeaderMap::new();
                trailers.insert("checksum", HeaderValue::from_static("abc"));
                let frames = Frames(
                    [
                        http_body::Frame::data(Bytes::from(page())),
                        http_body::Frame::trailers(trailers),
                    ]
                    .into(),
                );
                typed("text/html", Body::new(frames))
            }),
        )
        .layer(from_fn(gzip));
    let request = axum::http::Request::get("/")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .expect("request");
    let response = app.oneshot(request).await.expect("answer");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let mut body = response.into_body();
    let (mut data, mut trailers) = (Vec::new(), None);
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.expect("frame");
        match frame.into_data() {
            Ok(bytes) => {
                assert!(trailers.is_none(), "data after the trailers");
                data.extend_from_slice(&bytes);
            }
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    assert_eq!(gunzip(&data), page().as_bytes());
    let trailers = trailers.expect("the trailers came through");
    assert_eq!(trailers["checksum"], "abc");
}

#[test]
fn accept_encoding_is_read_with_its_weights() {
    let accepts = |value: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("value"),
        );
        accepts_gzip(&headers)
    };
    for yes in [
        "gzip",
        "GZIP",
        "br, gzip",
        "gzip;q=0.5",
        "*",
        "br;q=1, *;q=0.1",
        "x-gzip",
    ] {
        assert!(accepts(yes), "{yes}");
    }
    for no in [
        "",
        "identity",
        "br",
        "gzip;q=0",
        "gzip; q=0.0",
        "*;q=0",
        "*, gzip;q=0",
    ] {
        assert!(!accepts(no), "{no}");
    }
    assert!(!accepts_gzip(&HeaderMap::new()));
}

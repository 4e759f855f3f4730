//! gzip for what the server makes as it answers: pages, server functions' answers, its scripts.
//! Files compressed at build time (`.br`, `.gz` beside them) already carry a Content-Encoding
//! and pass through untouched.
//!
//! Why not tower-http's `CompressionLayer`: it builds a new deflate compressor for every
//! response, and a compressor is about 300 KB of tables allocated and zeroed. Per todo page
//! view that was 0.44 M of 2.26 M instructions (`scripts/bench-instructions.sh`). Here the
//! compressors are kept in a small pool and reset between responses. As with tower-http, a
//! page's stream is flushed whenever it waits, so streaming still reaches the browser as it
//! is made, and trailers follow the compressed body. Unlike it: only text and wasm are
//! compressed (an allow-list), nothing under 256 bytes, and a strong ETag is made weak.

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use flate2::{Compress, Compression, FlushCompress, Status};
use http_body::{Frame, SizeHint};

/// Below this a body is sent as it is: it fits in one packet either way, and gzip's header and
/// trailer (18 bytes) eat most of what it would save.
const MIN_SIZE: u64 = 256;

/// Compressors kept for reuse, at most 8: more are made when more answers are compressed at
/// once, and dropped after. Each is about 300 KB, so the pool stays small.
const POOL_MAX: usize = 8;

static POOL: Mutex<Vec<Compress>> = Mutex::new(Vec::new());

/// gzip level 1: per view it costs a fraction of the default level's instructions, and the todo
/// page of 18 KB is 3.0 KB either way give or take 100 bytes.
fn take_compressor() -> Compress {
    let pooled = POOL.lock().ok().and_then(|mut pool| pool.pop());
    pooled.unwrap_or_else(|| Compress::new_gzip(Compression::fast(), 15))
}

fn return_compressor(mut compressor: Compress) {
    compressor.reset();
    if let Ok(mut pool) = POOL.lock()
        && pool.len() < POOL_MAX
    {
        pool.push(compressor);
    }
}

/// Whether the request's `Accept-Encoding` takes gzip (RFC 9110 §12.5.3): named, or covered
/// by `*`, with a weight above zero.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut named = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim().eq_ignore_ascii_case("q").then_some(value)
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                named = Some(weight > 0.0);
            } else if coding == "*" {
                any = Some(weight > 0.0);
            }
        }
    }
    named.or(any).unwrap_or(false)
}

/// Text and wasm: HTML, CSS, scripts, JSON, SVG and the like (images and fonts are compressed
/// already). Event streams are left alone, as tower-http leaves them, and so is anything a
/// proxy is told not to transform.
fn is_compressible(headers: &HeaderMap) -> bool {
    let Some(kind) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let kind = kind.split(';').next().unwrap_or_default().trim();
    let text = (kind.starts_with("text/") && kind != "text/event-stream")
        || kind.ends_with("+json")
        || kind.ends_with("+xml")
        || matches!(
            kind,
            "application/json" | "application/javascript" | "application/xml" | "application/wasm"
        );
    let no_transform = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("no-transform"));
    text && !no_transform
}

fn add_vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding") || v.trim() == "*");
    if !present {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// `data` in gzip at the best level, for what is compressed once and sent often (the server's
/// scripts). `None` only if the compressor fails.
pub fn compress_once(data: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// The middleware.
pub async fn gzip(request: Request, next: Next) -> Response {
    let accepts = accepts_gzip(request.headers());
    let response = next.run(request).await;
    compress(response, accepts)
}

fn compress(mut response: Response, accepts: bool) -> Response {
    let headers = response.headers();
    if headers.contains_key(header::CONTENT_ENCODING)
        || headers.contains_key(header::CONTENT_RANGE)
        || response.status() == StatusCode::PARTIAL_CONTENT
        || !is_compressible(headers)
    {
        return response;
    }
    // Files from disk say their size only in Content-Length.
    let size = response.body().size_hint().exact().or_else(|| {
        headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    });
    let status = response.status();
    if size.is_some_and(|n| n < MIN_SIZE)
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return response;
    }
    // The same address answers differently by Accept-Encoding: caches must know.
    add_vary(response.headers_mut());
    if !accepts {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::ACCEPT_RANGES);
    // A strong validator names these exact bytes, which are no longer the bytes sent.
    if let Some(tag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok())
        && !tag.starts_with("W/")
        && let Ok(weak) = HeaderValue::from_str(&format!("W/{tag}"))
    {
        headers.insert(header::ETAG, weak);
    }
    response.map(|body| Body::new(GzipBody::new(body)))
}

/// A body in gzip, made as the inner body yields.
struct GzipBody {
    inner: Body,
    /// Taken from the pool on the first byte, given back at the end (or when the body is
    /// dropped half sent: a client that went away).
    compressor: Option<Compress>,
    /// Bytes given to the compressor since its last flush.
    unflushed: bool,
    /// The compressed stream has ended (or failed).
    done: bool,
    /// The inner body's trailers, sent after the compressed stream.
    trailers: Option<HeaderMap>,
}

impl GzipBody {
    fn new(inner: Body) -> Self {
        GzipBody {
            inner,
            compressor: None,
            unflushed: false,
            done: false,
            trailers: None,
        }
    }
}

impl Drop for GzipBody {
    fn drop(&mut self) {
        if let Some(compressor) = self.compressor.take() {
            return_compressor(compressor);
        }
    }
}

/// Output chunks are sent once they reach this, even if the inner body has more ready.
const CHUNK: usize = 16 * 1024;

/// Runs the compressor over `input` (all of it) with `flush`, appending to `out`. Done when the
/// input is used and the compressor left room in `out` (it has nothing more to say), or, when
/// finishing, at the stream's end.
fn deflate(
    compressor: &mut Compress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> Result<(), flate2::CompressError> {
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(input.len() / 2 + 1024);
        }
        let before = compressor.total_in();
        let status = compressor.compress_vec(input, out, flush)?;
        // At most `input.len()`, so the cast cannot truncate.
        let used = (compressor.total_in() - before) as usize;
        input = &input[used..];
        let room_left = out.len() < out.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            Status::Ok | Status::BufError
                if input.is_empty() && room_left && !matches!(flush, FlushCompress::Finish) =>
            {
                return Ok(());
            }
            Status::Ok | Status::BufError => {}
        }
    }
}

fn compress_error(e: flate2::CompressError) -> axum::Error {
    axum::Error::new(e)
}

impl GzipBody {
    /// Ends the stream: the compressor's last bytes into `out`, and it goes back to the pool.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), axum::Error> {
        self.done = true;
        let mut compressor = self.compressor.take().unwrap_or_else(take_compressor);
        let finished = deflate(&mut compressor, &[], out, FlushCompress::Finish);
        return_compressor(compressor);
        finished.map_err(compress_error)
    }

    /// After an error nothing more is sent, and the compressor goes back to the pool.
    fn fail(&mut self, e: axum::Error) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.done = true;
        if let Some(compressor) = self.compressor.take() {
            return_compressor(compressor);
        }
        Poll::Ready(Some(Err(e)))
    }
}

impl HttpBody for GzipBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.done {
            // Trailers, if the inner body had them, come after the last compressed bytes.
            return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
        }
        let mut out = Vec::new();
        loop {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        let compressor = this.compressor.get_or_insert_with(take_compressor);
                        if let Err(e) = deflate(compressor, &data, &mut out, FlushCompress::None) {
                            return this.fail(compress_error(e));
                        }
                        this.unflushed = true;
                        if out.len() >= CHUNK {
                            return Poll::Ready(Some(Ok(Frame::data(out.into()))));
                        }
                    }
                    // Trailers end the body: the compressed stream ends before them.
                    Err(frame) => {
                        this.trailers = frame.into_trailers().ok();
                        if let Err(e) = this.finish(&mut out) {
                            return this.fail(e);
                        }
                        return Poll::Ready(Some(Ok(Frame::data(out.into()))));
                    }
                },
                Poll::Ready(Some(Err(e))) => return this.fail(e),
                Poll::Ready(None) => {
                    if let Err(e) = this.finish(&mut out) {
                        return this.fail(e);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(out.into()))));
                }
                Poll::Pending => {
                    // The page waits (for InsForge, say): what is made so far goes out now.
                    if this.unflushed
                        && let Some(compressor) = this.compressor.as_mut()
                    {
                        if let Err(e) = deflate(compressor, &[], &mut out, FlushCompress::Sync) {
                            return this.fail(compress_error(e));
                        }
                        this.unflushed = false;
                    }
                    if out.is_empty() {
                        return Poll::Pending;
                    }
                    return Poll::Ready(Some(Ok(Frame::data(out.into()))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

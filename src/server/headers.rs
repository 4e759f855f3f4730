//! The security headers of every response: a Content-Security-Policy for each page (its inline
//! scripts carry the render's nonce, so nothing else inline runs), no framing, no sniffing, no
//! referrer (a magic link's token is in its URL) to other sites, HSTS over https, and no
//! caching of anything personal, so the back button after sign-out shows nothing private.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::use_context;

use crate::paths::SERVER_FNS;

/// A page's policy: scripts and wasm from this site, and inline scripts only with this
/// render's nonce (`browser.rs` puts it on its scripts).
fn page_policy(nonce: &str, options: Option<&LeptosOptions>) -> String {
    // `cargo leptos watch` reloads the page through a websocket on its own port.
    let reload = if options.is_some_and(|o| o.env == leptos::config::Env::DEV) {
        " ws:"
    } else {
        ""
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

/// For HTML that is not a rendered page (the size-limit refusal, a static file): nothing runs.
const STATIC_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Called while a page renders: its policy names the render's nonce.
pub fn set_page_policy() {
    let (Some(response), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        use_context::<Nonce>(),
    ) else {
        return;
    };
    let options = use_context::<LeptosOptions>();
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, options.as_ref())) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// `https`: the site is served over https (`SITE_URL`), so browsers may be told to keep to it.
pub async fn security_headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    let server_fn = request.uri().path().starts_with(SERVER_FNS);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    if https {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        );
    }
    if is_html(headers) {
        set(headers, header::X_FRAME_OPTIONS, "DENY");
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            set(headers, header::CONTENT_SECURITY_POLICY, STATIC_POLICY);
        }
    }
    // Pages show who is signed in and their todos; server functions answer with them.
    if is_html(headers) || server_fn {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::middleware::from_fn_with_state;
    use axum::response::Html;
    use axum::routing::{get, post};

    use super::*;

    async fn serve(https: bool) -> String {
        let app = Router::new()
            .route("/page", get(|| async { Html("<p>hi</p>") }))
            .route("/api/x", post(|| async { "[]" }))
            .route("/pkg/app.js", get(|| async { "js" }))
            .layer(from_fn_with_state(https, security_headers));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn header<'a>(res: &'a reqwest::Response, name: &str) -> Option<&'a str> {
        res.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn pages_are_framed_by_nobody_and_never_cached() {
        let url = serve(false).await;
        let http = reqwest::Client::new();
        let page = http.get(format!("{url}/page")).send().await.expect("page");
        assert_eq!(header(&page, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&page, "referrer-policy"), Some("same-origin"));
        assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
        assert_eq!(header(&page, "cache-control"), Some("no-store"));
        assert!(
            header(&page, "content-security-policy")
                .is_some_and(|p| p.contains("frame-ancestors 'none'"))
        );
        assert_eq!(
            header(&page, "strict-transport-security"),
            None,
            "not over http"
        );
        let api = http.post(format!("{url}/api/x")).send().await.expect("api");
        assert_eq!(header(&api, "cache-control"), Some("no-store"));
        let asset = http
            .get(format!("{url}/pkg/app.js"))
            .send()
            .await
            .expect("asset");
        assert_eq!(
            header(&asset, "cache-control"),
            None,
            "assets may be cached"
        );
        assert_eq!(header(&asset, "x-content-type-options"), Some("nosniff"));
    }

    #[tokio::test]
    async fn over_https_browsers_are_told_to_keep_to_it() {
        let url = serve(true).await;
        let page = reqwest::get(format!("{url}/page")).await.expect("page");
        assert_eq!(
            header(&page, "strict-transport-security"),
            Some("max-age=31536000")
        );
    }

    #[test]
    fn a_page_runs_only_its_own_and_nonced_scripts() {
        let policy = page_policy("abc123", None);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!policy.contains("ws:"));
    }
}

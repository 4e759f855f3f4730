//! HTTP and HTML as the providers speak it: 302 redirects, query strings, escaped pages, token
//! requests in either body, PKCE.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// `302 Found`, as the providers redirect (axum's `Redirect::to` is a 303).
pub(crate) fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// `url` with `params` added to its query.
pub(crate) fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::from(url);
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.extend(form_urlencoded::byte_serialize(v.as_bytes()));
        sep = '&';
    }
    out
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An HTML error page, for what must not be redirected back (an unknown client or callback).
pub(crate) fn error_page(
    provider: &str,
    status: StatusCode,
    title: &str,
    detail: &str,
) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{detail}</p><p><small>{provider} emulator</small></p></body></html>",
        title = escape(title),
        detail = escape(detail),
    );
    (status, Html(body)).into_response()
}

/// A token endpoint's body: JSON when the client says so and the provider takes it (`json`),
/// else a form, as OAuth clients send it. Unknown parameters are ignored, as providers do.
pub(crate) fn token_request<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &[u8],
    json: bool,
) -> Result<T, String> {
    let sent_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json && sent_json {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(body).map_err(|e| e.to_string())
    }
}

/// Whether a PKCE `verifier` is the one of the S256 `challenge`.
pub(crate) fn verifier_matches(challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        == challenge
}

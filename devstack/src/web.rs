//! What the hosted pages of every redirect-provider emulator share: 302 redirects, query
//! building, HTML escaping, and the one-field sign-in page.

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

/// The hosted sign-in page: one field (an email address), Continue and Cancel, posting the
/// authorization request's `hidden` parameters back to `action`.
pub(crate) fn sign_in_page(
    provider: &str,
    action: &str,
    hidden: &[(&str, &Option<String>)],
) -> Response {
    let hidden: String = hidden
        .iter()
        .filter_map(|(name, value)| {
            value.as_deref().map(|v| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    escape(v)
                )
            })
        })
        .collect();
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign in with {provider} (emulator)</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}}\
         input,button{{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}}</style>\
         </head><body><h1>Sign in with {provider}</h1>\
         <p>This is the local {provider} emulator: any address signs in, and the same address is \
         always the same user.</p>\
         <form method=\"post\" action=\"{action}\">{hidden}\
         <label for=\"email\">Email address</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required autofocus>\
         <button type=\"submit\" name=\"action\" value=\"sign_in\">Continue</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button>\
         </form></body></html>"
    ))
    .into_response()
}

/// The address a sign-in form or `login_hint` gave, if it is one.
pub(crate) fn email_of(value: Option<&str>) -> Option<&str> {
    value
        .map(str::trim)
        .filter(|e| e.contains('@') && !e.contains(char::is_whitespace))
}

/// The first checks of an authorization request, the same at every provider: the client must
/// be the registered one and the callback one of its allowed URLs. Either failing gets a page,
/// never a redirect (the callback is not known to be the application's). Returns the callback.
pub(crate) fn check_client(
    provider: &str,
    client_id: Option<&str>,
    registered: &str,
    redirect_uri: Option<&str>,
    allowed: &[String],
) -> Result<String, Box<Response>> {
    if client_id != Some(registered) {
        return Err(Box::new(error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "The client_id is not an application registered here.",
        )));
    }
    match redirect_uri.filter(|u| allowed.iter().any(|a| a == u)) {
        Some(uri) => Ok(uri.to_string()),
        None => Err(Box::new(error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "Callback URL mismatch",
            &format!(
                "The redirect_uri {:?} is not one of the application's allowed callback URLs.",
                redirect_uri.unwrap_or("")
            ),
        ))),
    }
}

/// Back to the (checked) callback with an OAuth error and the request's `state`.
pub(crate) fn back_with_error(
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Box<Response> {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    Box::new(found(&with_query(redirect_uri, &params)))
}

/// The hosted page's form came back: cancel (back with `access_denied`), sign in as the
/// address, or show the page again when there is no address.
pub(crate) fn answer_sign_in_form(
    redirect_uri: &str,
    state: Option<&str>,
    action: Option<&str>,
    email: Option<&str>,
    sign_in: impl FnOnce(&str) -> Response,
    page_again: impl FnOnce() -> Response,
) -> Response {
    if action == Some("cancel") {
        return *back_with_error(
            redirect_uri,
            state,
            "access_denied",
            "The user cancelled the sign-in.",
        );
    }
    match email_of(email) {
        Some(email) => sign_in(email),
        None => page_again(),
    }
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

/// PKCE as the emulated providers take it: none, or an S256 challenge (never `plain`).
pub(crate) fn pkce_ok(challenge: Option<&str>, method: Option<&str>) -> bool {
    matches!((challenge, method), (None, None) | (Some(_), Some("S256")))
}

//! Shared by the tests of the providers with a hosted sign-in page (OpenID Connect, WorkOS):
//! an HTTP client that shows redirects instead of following them, the emulators' development
//! endpoints, and session cookies to resolve as requests would.

use std::time::Duration;

use devstack::hosted::Registration;
use insforge_auth::server::config::Secret;
use insforge_auth::server::session::SessionCookies;
use serde_json::Value;
use tower_cookies::Cookies;
use url::Url;

/// The browser's view: a redirect is an answer to look at, not to follow.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The app at `site` registered at an emulator: its callback (`site/callback`), sign-out back to
/// `site`, and tokens of `token_lifetime`.
pub fn register(client: &mut Registration, site: &str, callback: &str, token_lifetime: Duration) {
    client.redirect_uris = vec![format!("{site}/{callback}")];
    client.logout_uris = vec![site.into()];
    client.token_lifetime = token_lifetime;
}

/// A port of this machine's for an emulator.
pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen")
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Calls one of an emulator's development endpoints (at `base`).
pub async fn dev(base: &str, path: &str, body: Value) -> reqwest::StatusCode {
    http()
        .post(format!("{base}/dev/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .status()
}

pub fn sessions() -> SessionCookies {
    SessionCookies::new(&Secret::new("k".repeat(40)), false, 60).expect("key")
}

/// Another request from the same browser: a jar with the session cookie only.
pub fn copy(from: &Cookies) -> Cookies {
    let jar = Cookies::default();
    if let Some(c) = from.get("ia_session") {
        jar.add(c.into_owned());
    }
    jar
}

/// A POST of `form` to `url`, as a browser's form or an OAuth client sends it (the caller may
/// add headers before sending).
pub fn form_post(url: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

/// The JSON answer to a GET of `url` (an emulator's document or development endpoint).
pub async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> T {
    http()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// An OpenID Connect issuer's discovery document, at `base`.
pub async fn discovery(base: &str) -> Value {
    get_json(&format!("{base}/.well-known/openid-configuration")).await
}

//! How the app talks to every provider over HTTP, `openidconnect`'s calls included.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// The client for every provider: short timeouts (a page waits on these calls), and no
/// redirects (an answer that redirects is not the API's).
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("insforge-auth/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Transport(String),
    /// A 5xx or 429: the provider is there but cannot answer now. Reported as unavailability,
    /// not as whatever its error page would parse into.
    #[error("status {0}")]
    Status(u16),
}

/// A provider API's 4xx answer, for the caller to read its error body.
pub struct Refusal {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// The provider's id for the request (`X-Request-ID`), for its support.
    pub request_id: Option<String>,
}

impl Refusal {
    /// The body as text, cut short: for a log line when it is not the expected JSON.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(200)
            .collect()
    }
}

/// A provider's host, as `/metrics` labels its calls.
pub fn host_of(url: &url::Url) -> String {
    url.host_str().unwrap_or("unknown").to_string()
}

/// A provider call's outcome for `/metrics`: `ok`, `refused` (4xx) or `unavailable`.
pub fn outcome(status: Option<StatusCode>) -> &'static str {
    match status {
        Some(s) if s.is_success() || s.is_redirection() => "ok",
        Some(s) if s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS => "refused",
        _ => "unavailable",
    }
}

/// Why a provider API call has no answer to read.
#[derive(Debug)]
pub enum CallError {
    /// Unreachable, or a 5xx or 429: the provider cannot answer now.
    Unavailable(String),
    /// A success whose body is not what was expected.
    Unexpected(String),
}

/// Sends `request` to a provider's JSON API (`path` names it in messages): the parsed body of
/// a success, or the refusal of a 4xx.
pub async fn call_json<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    path: &str,
) -> Result<Result<T, Refusal>, CallError> {
    let unavailable = |e: reqwest::Error| CallError::Unavailable(e.without_url().to_string());
    let (client, request) = request.build_split();
    let request = request.map_err(unavailable)?;
    let call = super::metrics::Call::provider(host_of(request.url()));
    let response = client.execute(request).await;
    call.finished(outcome(
        response.as_ref().map(reqwest::Response::status).ok(),
    ));
    let response = response.map_err(unavailable)?;
    let status = response.status();
    let request_id = response
        .headers()
        .get(&super::observe::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.bytes().await.map_err(unavailable)?;
    if status.is_success() {
        // An empty answer (a 204, or a 200 without a body) reads as JSON's null.
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &body
        };
        return serde_json::from_slice(body)
            .map(Ok)
            .map_err(|e| CallError::Unexpected(format!("{path}: {e}")));
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        let id = request_id
            .map(|id| format!(" (request {id})"))
            .unwrap_or_default();
        return Err(CallError::Unavailable(format!(
            "{path}: status {status}{id}"
        )));
    }
    Ok(Err(Refusal {
        status,
        body: body.to_vec(),
        request_id,
    }))
}

/// `openidconnect`'s HTTP calls, made with the app's own client (its timeouts, no redirects),
/// instead of the reqwest 0.12 copy the crate would otherwise bring along.
#[derive(Clone)]
pub struct OidcHttp(reqwest::Client);

impl OidcHttp {
    pub fn new(client: reqwest::Client) -> Self {
        OidcHttp(client)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.0
    }
}

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| HttpError::Transport(e.without_url().to_string()))?;
            let call = super::metrics::Call::provider(host_of(request.url()));
            let response = self.0.execute(request).await;
            call.finished(outcome(
                response.as_ref().map(reqwest::Response::status).ok(),
            ));
            let response =
                response.map_err(|e| HttpError::Transport(e.without_url().to_string()))?;
            let status = response.status();
            if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                return Err(HttpError::Status(status.as_u16()));
            }
            let mut answer = openidconnect::http::Response::builder().status(status);
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| HttpError::Transport(e.without_url().to_string()))?;
            answer
                .body(body.to_vec())
                .map_err(|e| HttpError::Transport(e.to_string()))
        })
    }
}

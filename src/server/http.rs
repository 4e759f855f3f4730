//! How the app talks to every provider over HTTP, `openidconnect`'s calls included.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

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
            let response = self
                .0
                .execute(request)
                .await
                .map_err(|e| HttpError::Transport(e.without_url().to_string()))?;
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

//! The app's InsForge client: the todo operations over `/api/database/records/todos`, with the
//! request shapes InsForge's own JS SDK sends. Every call carries the signed-in user's token,
//! so row-level security, not this code, decides what each user can reach.

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;

use crate::todos::model::{Todo, TodoPatch};

/// The columns the app reads; `user_id` stays on the server side of InsForge.
const TODO_COLUMNS: &str = "id,title,is_complete,created_at";
const RETURN_REPRESENTATION: &str = "return=representation";

/// What went wrong talking to InsForge, by what the caller can do about it. Each variant keeps
/// InsForge's (or PostgREST's) own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsForgeError {
    /// The token was missing, malformed, expired or signed with another secret (401).
    #[error("InsForge did not accept the credentials: {0}")]
    Unauthorized(String),
    /// Signed in, but row-level security or a grant refused the operation (403).
    #[error("InsForge refused the operation: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request broke a rule: a check constraint, a bad value, a bad filter (400).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Network failure, timeout or a 5xx: worth retrying later.
    #[error("InsForge is unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected response from InsForge: {0}")]
    Unexpected(String),
}

/// Both error shapes InsForge answers with: its own `{error, message, statusCode}` and
/// PostgREST's `{code, details, hint, message}`, passed through unchanged.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(alias = "code")]
    error: Option<String>,
    message: Option<String>,
}

impl InsForgeError {
    /// Its kind, as `/metrics` labels it.
    pub fn kind(&self) -> &'static str {
        match self {
            InsForgeError::Unauthorized(_) => "unauthorized",
            InsForgeError::Forbidden(_) => "forbidden",
            InsForgeError::NotFound(_) => "not_found",
            InsForgeError::Conflict(_) => "conflict",
            InsForgeError::InvalidInput(_) => "invalid_input",
            InsForgeError::Unavailable(_) => "unavailable",
            InsForgeError::Unexpected(_) => "unexpected",
        }
    }

    pub fn from_status(status: StatusCode, body: &str) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
        // PostgREST's `details` are left out on purpose: for a constraint violation they quote
        // the whole row ("Failing row contains …"), which belongs in neither logs nor the UI.
        let message = match &parsed {
            Some(ErrorBody {
                message: Some(m), ..
            }) => m.clone(),
            _ if body.trim().is_empty() => status.to_string(),
            _ => body.chars().take(300).collect(),
        };
        let code = parsed.and_then(|p| p.error).unwrap_or_default();
        tracing::warn!(status = status.as_u16(), code = %code, "InsForge error: {message}");
        match status.as_u16() {
            401 => Self::Unauthorized(message),
            403 => Self::Forbidden(message),
            // 406 is PostgREST's "no single row" (PGRST116).
            404 | 406 => Self::NotFound(message),
            409 => Self::Conflict(message),
            400 | 413 | 416 | 422 => Self::InvalidInput(message),
            429 | 500..=599 => Self::Unavailable(message),
            _ => Self::Unexpected(format!("HTTP {status}: {message}")),
        }
    }

    pub(crate) fn from_transport(e: &reqwest::Error) -> Self {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "request failed"
        };
        tracing::warn!("InsForge {what}: {e}");
        Self::Unavailable(format!("{what}: {e}"))
    }

    /// Whether the same request may succeed if sent again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Attempts for reads (and for writes that never reached the server).
    pub attempts: u32,
    pub backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct InsForgeClient {
    http: reqwest::Client,
    todos: Url,
    options: ClientOptions,
}

/// Whether a request may be sent again after a failure that left its fate unknown.
#[derive(Clone, Copy, PartialEq)]
enum Idempotent {
    Yes,
    No,
}

impl InsForgeClient {
    /// `base` is the project URL ending in `/` (see `config::parse_base_url`).
    pub fn new(base: &Url, options: ClientOptions) -> Result<Self, InsForgeError> {
        let http = http_client(options.connect_timeout, options.request_timeout)?;
        let todos = base
            .join("api/database/records/todos")
            .map_err(|e| InsForgeError::Unexpected(format!("bad InsForge URL: {e}")))?;
        Ok(InsForgeClient {
            http,
            todos,
            options,
        })
    }

    /// A harmless read with `token` (at most one of its user's ids): whether InsForge answers
    /// and accepts the tokens this app mints.
    pub async fn probe(&self, token: &str) -> Result<(), InsForgeError> {
        let request = self
            .request(Method::GET, token)
            .query(&[("select", "id"), ("limit", "1")]);
        let _: Vec<serde_json::Value> = json(self.send(request, Idempotent::Yes).await?).await?;
        Ok(())
    }

    /// The user's todos, newest first.
    pub async fn list_todos(&self, token: &str) -> Result<Vec<Todo>, InsForgeError> {
        let request = self.request(Method::GET, token).query(&[
            ("select", TODO_COLUMNS),
            ("order", "created_at.desc,id.desc"),
        ]);
        json(self.send(request, Idempotent::Yes).await?).await
    }

    /// Creates a todo owned by the token's user (the database fills in `user_id`).
    pub async fn create_todo(&self, token: &str, title: &str) -> Result<Todo, InsForgeError> {
        let request = self
            .request(Method::POST, token)
            .query(&[("select", TODO_COLUMNS)])
            .header("prefer", RETURN_REPRESENTATION)
            .json(&serde_json::json!({ "title": title }));
        let rows: Vec<Todo> = json(self.send(request, Idempotent::No).await?).await?;
        rows.into_iter()
            .next()
            .ok_or_else(|| InsForgeError::Unexpected("insert returned no row".into()))
    }

    /// Changes a todo's title and/or completion. A todo the user cannot see is `NotFound`,
    /// whether it does not exist or belongs to someone else.
    pub async fn update_todo(
        &self,
        token: &str,
        id: Uuid,
        patch: &TodoPatch,
    ) -> Result<Todo, InsForgeError> {
        if patch.is_empty() {
            return Err(InsForgeError::InvalidInput("nothing to change".into()));
        }
        let filter = format!("eq.{id}");
        let request = self
            .request(Method::PATCH, token)
            .query(&[("id", filter.as_str()), ("select", TODO_COLUMNS)])
            .header("prefer", RETURN_REPRESENTATION)
            .json(patch);
        let rows: Vec<Todo> = json(self.send(request, Idempotent::No).await?).await?;
        rows.into_iter()
            .next()
            .ok_or_else(|| InsForgeError::NotFound(format!("todo {id}")))
    }

    /// Deletes a todo; `NotFound` when the user has no such todo.
    pub async fn delete_todo(&self, token: &str, id: Uuid) -> Result<(), InsForgeError> {
        let filter = format!("eq.{id}");
        let request = self
            .request(Method::DELETE, token)
            .query(&[("id", filter.as_str()), ("select", "id")])
            .header("prefer", RETURN_REPRESENTATION);
        // Not retried after an unknown outcome: a second try would find nothing and say NotFound.
        let deleted: Vec<serde_json::Value> =
            json(self.send(request, Idempotent::No).await?).await?;
        if deleted.is_empty() {
            return Err(InsForgeError::NotFound(format!("todo {id}")));
        }
        Ok(())
    }

    fn request(&self, method: Method, token: &str) -> RequestBuilder {
        self.http
            .request(method, self.todos.clone())
            .bearer_auth(token)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
    }

    /// Sends, counted for `/metrics` (with its retries, as one call).
    async fn send(
        &self,
        request: RequestBuilder,
        idempotent: Idempotent,
    ) -> Result<Response, InsForgeError> {
        let call = super::metrics::Call::insforge();
        let result = self.send_with_retries(request, idempotent).await;
        call.finished(result.as_ref().map_or_else(InsForgeError::kind, |_| "ok"));
        result
    }

    /// Sends with retries where they are safe: reads on a failed connection, timeout or gateway
    /// error (502–504); writes only when the connection never opened (the request never left).
    async fn send_with_retries(
        &self,
        request: RequestBuilder,
        idempotent: Idempotent,
    ) -> Result<Response, InsForgeError> {
        let mut attempt = 1;
        loop {
            let this_try = request.try_clone().ok_or_else(|| {
                InsForgeError::Unexpected("request body cannot be replayed".into())
            })?;
            let error = match this_try.send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    let error = InsForgeError::from_status(status, &body);
                    // Only gateway failures are worth another try: a 500 from InsForge comes
                    // after its own retries of PostgREST, and a 4xx will not change.
                    let retryable = matches!(status.as_u16(), 502..=504);
                    if !(retryable && idempotent == Idempotent::Yes) {
                        return Err(error);
                    }
                    error
                }
                Err(e) => {
                    let error = InsForgeError::from_transport(&e);
                    if !(e.is_connect() || idempotent == Idempotent::Yes) {
                        return Err(error);
                    }
                    error
                }
            };
            if attempt >= self.options.attempts {
                return Err(error);
            }
            tokio::time::sleep(self.options.backoff * attempt).await;
            attempt += 1;
        }
    }
}

/// The HTTP client every call to InsForge goes through.
pub(crate) fn http_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client, InsForgeError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        // Shorter than Express's 5 s keep-alive, so a request is not written to a connection
        // the server is closing (a write that fails that way could not be retried safely).
        .pool_idle_timeout(Duration::from_secs(4))
        // A redirect would turn a POST into a GET and may carry the token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("insforge-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| InsForgeError::Unexpected(format!("HTTP client: {e}")))
}

/// A response's JSON body, or the error InsForge answered with.
pub(crate) async fn json<T: DeserializeOwned>(response: Response) -> Result<T, InsForgeError> {
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| InsForgeError::from_transport(&e))?;
    if !status.is_success() {
        return Err(InsForgeError::from_status(
            status,
            &String::from_utf8_lossy(&bytes),
        ));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| InsForgeError::Unexpected(format!("unreadable response: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_error_shapes() {
        let insforge =
            r#"{"error":"AUTH_UNAUTHORIZED","message":"Invalid token","statusCode":401}"#;
        assert_eq!(
            InsForgeError::from_status(StatusCode::UNAUTHORIZED, insforge),
            InsForgeError::Unauthorized("Invalid token".into())
        );
        let postgrest = r#"{"code":"23514","details":"Failing row contains (secret title).","hint":null,"message":"new row for relation \"todos\" violates check constraint \"todos_title_length\""}"#;
        match InsForgeError::from_status(StatusCode::BAD_REQUEST, postgrest) {
            InsForgeError::InvalidInput(m) => {
                assert!(m.contains("todos_title_length"), "{m}");
                assert!(
                    !m.contains("secret title"),
                    "row data stays out of messages: {m}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(InsForgeError::from_status(StatusCode::BAD_GATEWAY, "").is_transient());
        assert!(matches!(
            InsForgeError::from_status(StatusCode::IM_A_TEAPOT, "x"),
            InsForgeError::Unexpected(_)
        ));
    }
}

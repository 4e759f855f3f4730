//! The two error shapes a client of InsForge sees: InsForge's own
//! `{"error","message","statusCode","nextActions"?}` and PostgREST's
//! `{"code","details","hint","message"}`, which InsForge passes through unchanged.
//! Field order matters for byte-for-byte equality, so both are structs, not maps.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InsForgeError {
    pub error: &'static str,
    pub message: String,
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    #[serde(rename = "nextActions", skip_serializing_if = "Option::is_none")]
    pub next_actions: Option<Cow<'static, str>>,
}

pub const CHECK_TOKEN: &str = "Check the token is valid or login to get a new token.";
pub const CHECK_ADMIN_TOKEN: &str =
    "Check the admin token is valid or login as admin to get a new token.";
pub const CHECK_API_KEY: &str = "Check the API key is valid or generate a new API key.";
pub const VALID_JSON: &str = "Please ensure your request body contains valid JSON";

impl InsForgeError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        InsForgeError {
            error,
            message: message.into(),
            status_code: status.as_u16(),
            next_actions: None,
        }
    }

    pub fn with_next(mut self, next: impl Into<Cow<'static, str>>) -> Self {
        self.next_actions = Some(next.into());
        self
    }

    pub fn no_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_INVALID_CREDENTIALS",
            "No token provided",
        )
        .with_next(CHECK_TOKEN)
    }

    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_UNAUTHORIZED",
            "Invalid token",
        )
    }

    pub fn invalid_subject() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_UNAUTHORIZED",
            "Invalid token subject",
        )
    }

    pub fn no_admin_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_INVALID_CREDENTIALS",
            "No admin token provided",
        )
        .with_next(CHECK_TOKEN)
    }

    pub fn admin_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "AUTH_UNAUTHORIZED",
            "Admin access required",
        )
        .with_next(CHECK_ADMIN_TOKEN)
    }

    /// body-parser's rejection of a body that is not JSON, reported by InsForge's error
    /// middleware before any route runs. The message is serde's, not V8's (see the README).
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::invalid_input(message).with_next(VALID_JSON)
    }

    pub fn invalid_role() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "AUTH_UNAUTHORIZED",
            "Invalid user role claim",
        )
    }

    pub fn invalid_anon_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_INVALID_CREDENTIALS",
            "Invalid anon key",
        )
        .with_next(CHECK_TOKEN)
    }

    pub fn invalid_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_INVALID_API_KEY",
            "Invalid API key",
        )
        .with_next(CHECK_API_KEY)
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", message)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PostgrestError {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub details: Option<String>,
    pub hint: Option<String>,
    pub message: String,
}

impl PostgrestError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        PostgrestError {
            status: status.as_u16(),
            code: code.into(),
            details: None,
            hint: None,
            message: message.into(),
        }
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A PostgreSQL error as PostgREST v12 reports it: SQLSTATE as `code`, the server's message,
    /// detail and hint, and the HTTP status from PostgREST's `pgErrorStatus`.
    pub fn from_db(err: &tokio_postgres::error::DbError, authenticated: bool) -> Self {
        let code = err.code().code();
        PostgrestError {
            status: pg_error_status(code, authenticated),
            code: code.to_string(),
            details: err.detail().map(str::to_string),
            hint: err.hint().map(str::to_string),
            message: err.message().to_string(),
        }
    }
}

/// PostgREST v12 `Error.hs` `pgErrorStatus`: SQLSTATE → HTTP status. `authenticated` is
/// "the role is not the anon role": a privilege error is 403 for a signed-in caller, 401 for anon.
pub fn pg_error_status(code: &str, authenticated: bool) -> u16 {
    match code {
        "23503" | "23505" => 409,
        "25006" => 405,
        "21000" | "53400" | "42P17" => 500,
        "57P01" => 503,
        "P0001" => 400,
        "42883" | "42P01" => 404,
        "42501" if authenticated => 403,
        "42501" => 401,
        _ => match code.get(..2).unwrap_or("") {
            "08" | "53" => 503,
            "0L" | "0P" | "28" => 403,
            "09" | "25" | "2D" | "38" | "39" | "3B" | "40" | "54" | "55" | "57" | "58" | "F0"
            | "HV" | "P0" | "XX" => 500,
            _ => 400,
        },
    }
}

/// Anything the stand-in answers with when a request fails.
#[derive(Debug)]
pub enum ApiError {
    InsForge(InsForgeError),
    Postgrest(PostgrestError),
    /// A fixed body, for PostgREST's few non-standard answers (a 404 `{}`).
    Raw(StatusCode, &'static str),
}

impl From<InsForgeError> for ApiError {
    fn from(e: InsForgeError) -> Self {
        ApiError::InsForge(e)
    }
}

impl From<PostgrestError> for ApiError {
    fn from(e: PostgrestError) -> Self {
        ApiError::Postgrest(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            ApiError::InsForge(e) => (e.status_code, serde_json::to_vec(e)),
            ApiError::Postgrest(e) => (e.status, serde_json::to_vec(e)),
            ApiError::Raw(status, body) => (status.as_u16(), Ok(body.as_bytes().to_vec())),
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(
            status,
            body.unwrap_or_default(),
            "application/json; charset=utf-8",
        )
    }
}

pub fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, content_type)],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insforge_body_matches_wire_shape() {
        let body = serde_json::to_string(&InsForgeError::no_token()).unwrap_or_default();
        assert_eq!(
            body,
            r#"{"error":"AUTH_INVALID_CREDENTIALS","message":"No token provided","statusCode":401,"nextActions":"Check the token is valid or login to get a new token."}"#
        );
        let body = serde_json::to_string(&InsForgeError::invalid_token()).unwrap_or_default();
        assert_eq!(
            body,
            r#"{"error":"AUTH_UNAUTHORIZED","message":"Invalid token","statusCode":401}"#
        );
    }

    #[test]
    fn postgrest_body_keeps_key_order_and_nulls() {
        let e = PostgrestError::new(StatusCode::NOT_ACCEPTABLE, "PGRST116", "m").details("d");
        assert_eq!(
            serde_json::to_string(&e).unwrap_or_default(),
            r#"{"code":"PGRST116","details":"d","hint":null,"message":"m"}"#
        );
    }

    #[test]
    fn status_mapping_follows_postgrest() {
        assert_eq!(pg_error_status("42501", true), 403);
        assert_eq!(pg_error_status("42501", false), 401);
        assert_eq!(pg_error_status("23505", true), 409);
        assert_eq!(pg_error_status("23514", true), 400);
        assert_eq!(pg_error_status("22P02", true), 400);
        assert_eq!(pg_error_status("42P01", true), 404);
        assert_eq!(pg_error_status("08006", true), 503);
        assert_eq!(pg_error_status("40001", true), 500);
    }
}

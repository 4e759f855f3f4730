//! InsForge's own checks on a records request, before anything reaches PostgREST
//! (`backend/src/app.ts` body parser, `records.routes.ts`, `utils/validations.ts`,
//! `services/database/helpers.ts`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::Value;

use super::error::{ApiError, InsForgeError};

/// `express.json()`: only a JSON content type with a non-empty body is parsed, strictly (an
/// object or an array); anything else leaves `req.body` as `{}`.
pub fn parse_body(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Value>, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    let parsed = if is_json && !body.is_empty() {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if !matches!(first, Some(b'{') | Some(b'[')) {
            let shown: String = String::from_utf8_lossy(body).chars().take(40).collect();
            return Err(InsForgeError::invalid_json(format!(
                "Unexpected token, \"{shown}\" is not valid JSON"
            ))
            .into());
        }
        Some(
            serde_json::from_slice::<Value>(body)
                .map_err(|e| InsForgeError::invalid_json(e.to_string()))?,
        )
    } else {
        None
    };
    Ok(match method {
        &Method::POST | &Method::PATCH | &Method::PUT => {
            Some(parsed.unwrap_or_else(|| Value::Object(Default::default())))
        }
        _ => None,
    })
}

/// `validateTableName` (`backend/src/utils/validations.ts`).
pub fn validate_table_name(table: &str) -> Result<(), InsForgeError> {
    if table.trim().is_empty() {
        return Err(InsForgeError::new(
            StatusCode::BAD_REQUEST,
            "DATABASE_VALIDATION_ERROR",
            "Invalid table name: cannot be empty",
        )
        .with_next("Please provide a valid table name"));
    }
    if table.chars().any(|c| c == '"' || c.is_ascii_control()) {
        return Err(InsForgeError::new(
            StatusCode::BAD_REQUEST,
            "DATABASE_VALIDATION_ERROR",
            "Invalid table name: cannot contain quotes or control characters",
        )
        .with_next("The table name cannot contain double quotes or control characters (tabs, newlines, etc.)"));
    }
    Ok(())
}

/// InsForge re-serializes the query through `qs` and axios, which turns a repeated key into
/// `key[]` (for every occurrence) before PostgREST sees it; reproduced so an app that relies on
/// repeated filters fails here as it would in production.
pub fn mangle_repeated_keys(pairs: &mut [(String, String)]) {
    let repeated: Vec<String> = pairs
        .iter()
        .enumerate()
        .filter(|(i, (k, _))| pairs[..*i].iter().any(|(other, _)| other == k))
        .map(|(_, (k, _))| k.clone())
        .collect();
    for (key, _) in pairs.iter_mut() {
        if repeated.contains(key) {
            key.push_str("[]");
        }
    }
}

/// `resolvePostgrestSchema`: `?schema=` wins over the profile headers.
pub fn take_schema(
    pairs: &mut Vec<(String, String)>,
    method: &Method,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    let given: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "schema")
        .map(|(_, v)| v.clone())
        .collect();
    pairs.retain(|(k, _)| k != "schema");
    let profile = if matches!(*method, Method::GET | Method::HEAD) {
        "accept-profile"
    } else {
        "content-profile"
    };
    let schema = if !given.is_empty() {
        match given.as_slice() {
            [one] if !one.trim().is_empty() => one.trim().to_string(),
            _ => {
                return Err(InsForgeError::invalid_input(
                    "The \"schema\" query parameter must be a single non-empty schema name.",
                )
                .into());
            }
        }
    } else {
        let values: Vec<&str> = headers
            .get_all(profile)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        match values.as_slice() {
            [] => "public".to_string(),
            [one] if !one.contains(',') => one.trim().to_string(),
            _ => {
                return Err(InsForgeError::invalid_input(format!(
                    "The \"{profile}\" header must be a single schema name."
                ))
                .into());
            }
        }
    };
    if schema == "information_schema" || schema.starts_with("pg_") {
        return Err(InsForgeError::invalid_input(format!(
            "Schema \"{schema}\" is not available in the dashboard."
        ))
        .with_next("Internal PostgreSQL and platform schemas cannot be queried from the dashboard.")
        .into());
    }
    Ok(schema)
}

/// InsForge accepts JSON bodies up to 100 MB (`MAX_JSON_BODY_SIZE`); past that body-parser's
/// 413 goes through InsForge's error middleware, whose code for 413 is `INTERNAL_ERROR`.
pub const MAX_BODY_BYTES: usize = 100 * 1024 * 1024;

pub fn buffered(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "request entity too large".to_string()
        } else {
            rejection.body_text()
        };
        InsForgeError::new(status, "INTERNAL_ERROR", message).into()
    })
}

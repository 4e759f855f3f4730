//! The answer to a records request, as PostgREST shapes it and InsForge passes it on: status,
//! body, `Content-Range` and `Preference-Applied`.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{ApiError, InsForgeError, PostgrestError};
use super::query::{Resolution, Return};
use super::request::Request;

const JSON_UTF8: &str = "application/json; charset=utf-8";

/// PostgREST's `Content-Range` value: `lower-upper/total`, `*` for an empty range or an
/// unknown total.
fn content_range(lower: u64, rows: i64, total: Option<i64>) -> String {
    let upper = lower as i64 + rows - 1;
    let start = if total != Some(0) && lower as i64 <= upper {
        format!("{lower}-{upper}")
    } else {
        "*".into()
    };
    let total = total.map(|t| t.to_string()).unwrap_or_else(|| "*".into());
    format!("{start}/{total}")
}

pub(super) fn respond(
    req: &Request,
    json: &str,
    rows: i64,
    total: Option<i64>,
) -> Result<Response, ApiError> {
    let read = req.is_read();
    let representation = req.prefer.representation == Return::Representation;
    let lower = req.query.offset.unwrap_or(0);
    let (mut status, range) = match req.method {
        // PostgREST reports inserts and deletes as `*/*` whatever the row count.
        Method::POST => (StatusCode::CREATED, content_range(1, 0, None)),
        Method::DELETE | Method::PATCH => {
            let status = if representation {
                StatusCode::OK
            } else {
                StatusCode::NO_CONTENT
            };
            let range = if req.method == Method::PATCH {
                content_range(0, rows, None)
            } else {
                content_range(1, 0, None)
            };
            (status, range)
        }
        _ => (StatusCode::OK, content_range(lower, rows, total)),
    };
    if let (true, Some(total)) = (read, total) {
        if lower as i64 > total {
            return Err(PostgrestError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "PGRST103",
                "Requested range not satisfiable",
            )
            .details(format!(
                "An offset of {lower} was requested, but there are only {total} rows."
            ))
            .into());
        }
        if rows < total {
            status = StatusCode::PARTIAL_CONTENT;
        }
    }
    let mut response = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else if read || representation {
        // Re-serialized the way InsForge's `res.json()` does: compact, key order kept.
        let value: Value =
            serde_json::from_str(json).map_err(|e| InsForgeError::internal(e.to_string()))?;
        let (value, content_type) = if req.singular {
            let first = value
                .as_array()
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or(Value::Null);
            (first, "application/vnd.pgrst.object+json; charset=utf-8")
        } else {
            (value, JSON_UTF8)
        };
        let bytes = if req.method == Method::HEAD {
            Vec::new()
        } else {
            serde_json::to_vec(&value).map_err(|e| InsForgeError::internal(e.to_string()))?
        };
        super::error::json_response(status, bytes, content_type)
    } else {
        // PostgREST sent no body; InsForge answers an empty upstream body with `[]`.
        super::error::json_response(status, b"[]".to_vec(), JSON_UTF8)
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&range) {
        headers.insert(header::CONTENT_RANGE, v);
    }
    if let Some(applied) = preference_applied(req)
        && let Ok(v) = HeaderValue::from_str(&applied)
    {
        headers.insert("preference-applied", v);
    }
    Ok(response)
}

/// The preferences PostgREST echoes, in its fixed order (resolution, return, count).
fn preference_applied(req: &Request) -> Option<String> {
    let read = req.is_read();
    let mut applied = Vec::new();
    if req.method == Method::POST {
        match req.prefer.resolution {
            Some(Resolution::MergeDuplicates) => applied.push("resolution=merge-duplicates"),
            Some(Resolution::IgnoreDuplicates) => applied.push("resolution=ignore-duplicates"),
            None => {}
        }
    }
    if !read && req.prefer.return_given {
        applied.push(match req.prefer.representation {
            Return::Representation => "return=representation",
            Return::Minimal => "return=minimal",
            Return::HeadersOnly => "return=headers-only",
        });
    }
    if req.prefer.count_exact {
        applied.push("count=exact");
    }
    (!applied.is_empty()).then(|| applied.join(", "))
}

#[cfg(test)]
mod tests {
    use super::content_range;

    #[test]
    fn content_range_matches_postgrest() {
        assert_eq!(content_range(0, 10, Some(42)), "0-9/42");
        assert_eq!(content_range(0, 3, None), "0-2/*");
        assert_eq!(content_range(0, 0, None), "*/*");
        assert_eq!(content_range(0, 0, Some(0)), "*/0");
        assert_eq!(content_range(5, 2, Some(7)), "5-6/7");
    }
}

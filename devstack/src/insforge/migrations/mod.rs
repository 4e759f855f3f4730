//! `/api/database/migrations` (`migrations.routes.ts`, `database-migration.service.ts`): the
//! admin-only ledger of custom migrations, applied in one transaction as `project_admin`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::{ApiError, InsForgeError, json_response};
use super::gateway;
use super::split;
use super::state::AppState;

const ISO_MS: &str = r#"YYYY-MM-DD"T"HH24:MI:SS.MS"Z""#;

pub fn iso_now() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

fn ok(status: StatusCode, body: Value) -> Response {
    json_response(
        status,
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::warn!("stand-in migrations: {e}");
    InsForgeError::internal(e.to_string()).into()
}

pub async fn list(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let result: Result<Response, ApiError> = async {
        state.credentials.admin(&headers)?;
        let client = state.pool.get().await.map_err(internal)?;
        let rows = client
            .query(
                &format!(
                    "SELECT version, name, statements, to_char(created_at AT TIME ZONE 'UTC', '{ISO_MS}') \
                     FROM system.custom_migrations ORDER BY version::numeric DESC"
                ),
                &[],
            )
            .await
            .map_err(internal)?;
        let mut migrations = Vec::with_capacity(rows.len());
        for row in rows {
            let (version, name, statements, created): (String, String, Vec<String>, String) =
                (row.try_get(0).map_err(internal)?, row.try_get(1).map_err(internal)?, row.try_get(2).map_err(internal)?, row.try_get(3).map_err(internal)?);
            migrations.push(json!({"version": version, "name": name, "statements": statements, "createdAt": created}));
        }
        Ok(ok(StatusCode::OK, json!({ "migrations": migrations })))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

pub async fn apply(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result: Result<Response, ApiError> = async {
        let body = gateway::buffered(body)?;
        let body = gateway::parse_body(&Method::POST, &headers, &body)?.unwrap_or(Value::Null);
        state.credentials.admin(&headers)?;
        let input = validate(&body)?;
        let statements = split::statements(&input.sql);
        if statements.is_empty() {
            return Err(InsForgeError::invalid_input(
                "Migration SQL must contain at least one statement.",
            )
            .into());
        }
        if let Some(message) = guard(&statements) {
            return Err(InsForgeError::new(StatusCode::FORBIDDEN, "FORBIDDEN", message).into());
        }
        let migration = run(&state, &input, &statements).await?;
        Ok(ok(StatusCode::CREATED, migration))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

struct Input {
    version: String,
    name: String,
    sql: String,
}

/// `createMigrationRequestSchema` (zod 3) and the route's way of turning issues into one message.
fn validate(body: &Value) -> Result<Input, InsForgeError> {
    let Value::Object(obj) = body else {
        return Err(InsForgeError::invalid_input(format!(
            "Expected object, received {}",
            js_type(body)
        )));
    };
    let mut issues: Vec<(&str, String)> = Vec::new();
    let mut string = |key: &'static str| -> Option<String> {
        match obj.get(key) {
            None => issues.push((key, "Required".into())),
            Some(Value::String(s)) => return Some(s.clone()),
            Some(other) => {
                issues.push((key, format!("Expected string, received {}", js_type(other))))
            }
        }
        None
    };
    let (version, name, sql) = (string("version"), string("name"), string("sql"));
    if let Some(v) = &version
        && (v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_digit()))
    {
        issues.push((
            "version",
            "Migration version must be a numeric string of at most 64 digits (e.g. 0001 or 20260418091500).".into(),
        ));
    }
    let name = name.map(|n| n.trim().to_string());
    if let Some(n) = &name {
        if n.is_empty() {
            issues.push(("name", "Migration name is required".into()));
        } else if !n
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            issues.push((
                "name",
                "Use lowercase letters, numbers, and hyphens only.".into(),
            ));
        }
    }
    let sql = sql.map(|s| s.trim().to_string());
    if sql.as_deref() == Some("") {
        issues.push(("sql", "Migration SQL is required".into()));
    }
    match (issues.as_slice(), version, name, sql) {
        ([], Some(version), Some(name), Some(sql)) => Ok(Input { version, name, sql }),
        ([(_, only)], ..) => Err(InsForgeError::invalid_input(only.clone())),
        (many, ..) => Err(InsForgeError::invalid_input(
            many.iter()
                .map(|(path, msg)| format!("{path}: {msg}"))
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A keyword-level approximation of `checkSqlExecutionGuards`, which walks libpg-query's parse
/// tree; the messages are InsForge's. Syntax errors are caught later (see `map_db_error`).
fn guard(statements: &[String]) -> Option<&'static str> {
    for statement in statements {
        // Words, upper-cased, with `=`, `;` and `,` as separators of their own and identifier
        // quotes dropped, so `set "search_path"=x` reads like `SET SEARCH_PATH = X`.
        let words: Vec<String> = statement
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
            .replace('=', " = ")
            .replace([';', ','], " ")
            .replace('"', "")
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        let starts = |prefix: &[&str]| {
            words.len() >= prefix.len() && words.iter().zip(prefix).all(|(w, p)| w == p)
        };
        let text = words.join(" ");
        if text.contains("SET_CONFIG") {
            return Some(
                "Changing SQL session configuration is not allowed: set_config() may not be called.",
            );
        }
        if [
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT",
            "RELEASE",
            "END",
            "ABORT",
        ]
        .iter()
        .any(|w| starts(&[w]))
            || starts(&["START", "TRANSACTION"])
        {
            return Some("Transaction control statements are not allowed.");
        }
        if starts(&["RESET", "ALL"]) {
            return Some("RESET ALL is not allowed.");
        }
        let set = if starts(&["SET", "LOCAL"])
            || starts(&["SET", "SESSION"]) && !starts(&["SET", "SESSION", "AUTHORIZATION"])
        {
            words.get(2)
        } else if starts(&["SET"]) {
            words.get(1)
        } else {
            None
        };
        match set.map(String::as_str) {
            Some("ROLE") | Some("SESSION") => {
                return Some(
                    "Changing SQL execution role or session authorization is not allowed.",
                );
            }
            Some("SEARCH_PATH") => return Some("Changing SQL search_path is not allowed."),
            Some("STATEMENT_TIMEOUT") => {
                return Some("Changing SQL statement_timeout is not allowed.");
            }
            _ => {}
        }
        // `GRANT role TO user` / `REVOKE role FROM user` manage role membership; privilege
        // grants name their object with ON.
        if (starts(&["GRANT"]) || starts(&["REVOKE"])) && !words.iter().any(|w| w == "ON") {
            return Some("Managing database roles is not allowed.");
        }
        for verb in ["CREATE", "ALTER", "DROP"] {
            if starts(&[verb, "DATABASE"]) {
                return Some("Query contains restricted operations");
            }
            if starts(&[verb, "ROLE"]) || starts(&[verb, "USER"]) || starts(&[verb, "GROUP"]) {
                return Some("Managing database roles is not allowed.");
            }
        }
    }
    None
}

async fn run(state: &AppState, input: &Input, statements: &[String]) -> Result<Value, ApiError> {
    let mut client = state.pool.get().await.map_err(internal)?;
    let tx = client.transaction().await.map_err(internal)?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(hashtext('system.custom_migrations')); SET LOCAL search_path TO public",
    )
    .await
    .map_err(internal)?;
    let latest: Option<String> = tx
        .query_opt(
            "SELECT version FROM system.custom_migrations ORDER BY version::numeric DESC LIMIT 1",
            &[],
        )
        .await
        .map_err(internal)?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(internal)?;
    if let Some(latest) = latest {
        let newer: bool = tx
            .query_one(
                "SELECT $1::text::numeric > $2::text::numeric",
                &[&input.version, &latest],
            )
            .await
            .map_err(internal)?
            .try_get(0)
            .map_err(internal)?;
        if !newer {
            return Err(InsForgeError::new(
                StatusCode::CONFLICT,
                "DATABASE_MIGRATION_ALREADY_EXISTS",
                "Migration version must be newer than the latest applied migration.",
            )
            .into());
        }
    }
    tx.batch_execute(
        "SET LOCAL ROLE project_admin; SELECT set_config('request.jwt.claims', '{\"role\":\"project_admin\"}', true)",
    )
    .await
    .map_err(internal)?;
    if let Err(e) = tx.batch_execute(&input.sql).await {
        // Dropping the transaction rolls it back.
        return Err(map_db_error(&e).into());
    }
    tx.batch_execute("RESET ROLE; SELECT set_config('request.jwt.claims', '{}', true)")
        .await
        .map_err(internal)?;
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO system.custom_migrations (version, name, statements) VALUES ($1, $2, $3) \
                 RETURNING version, name, statements, to_char(created_at AT TIME ZONE 'UTC', '{ISO_MS}')"
            ),
            &[&input.version, &input.name, &statements],
        )
        .await
        .map_err(|e| match e.as_db_error() {
            Some(db) if db.code().code() == "23505" => ApiError::from(InsForgeError::new(
                StatusCode::CONFLICT,
                "DATABASE_MIGRATION_ALREADY_EXISTS",
                "Migration version already exists.",
            )),
            _ => internal(e),
        })?;
    tx.batch_execute("NOTIFY pgrst, 'reload schema'")
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    let mut out = Map::new();
    out.insert(
        "version".into(),
        Value::String(row.try_get(0).map_err(internal)?),
    );
    out.insert(
        "name".into(),
        Value::String(row.try_get(1).map_err(internal)?),
    );
    out.insert(
        "statements".into(),
        json!(row.try_get::<_, Vec<String>>(2).map_err(internal)?),
    );
    out.insert(
        "createdAt".into(),
        Value::String(row.try_get(3).map_err(internal)?),
    );
    out.insert(
        "message".into(),
        Value::String("Migration executed successfully".into()),
    );
    Ok(Value::Object(out))
}

/// InsForge's error middleware for a PostgreSQL error (`POSTGRES_ERROR_HANDLERS` in
/// `backend/src/utils/errors.ts`): the server's message, a status and code by SQLSTATE.
fn map_db_error(e: &tokio_postgres::Error) -> InsForgeError {
    let Some(db) = e.as_db_error() else {
        return InsForgeError::internal(e.to_string());
    };
    let message = db.message().to_string();
    let bad = |code: &'static str, next: String| {
        InsForgeError::new(StatusCode::BAD_REQUEST, code, message.clone()).with_next(next)
    };
    let column = db.column().unwrap_or("column").to_string();
    match db.code().code() {
        // InsForge rejects unparsable SQL before it reaches PostgreSQL.
        "42601" => InsForgeError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "Query could not be parsed and was rejected for security reasons.",
        ),
        "23505" => {
            let field = db
                .detail()
                .and_then(|d| d.strip_prefix("Key ("))
                .and_then(|d| d.split(')').next())
                .filter(|f| f.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .unwrap_or("field");
            InsForgeError::new(StatusCode::CONFLICT, "DATABASE_DUPLICATE", message.clone()).with_next(format!(
                "A record with this field({field}) already exists. You can query the existing record by using the query tool and then try again."
            ))
        }
        "23503" => bad("DATABASE_CONSTRAINT_VIOLATION", "The referenced record does not exist. Please check the reference with get metadata tool and try again.".into()),
        "23502" => bad("MISSING_FIELD", format!("The {column} field is required and cannot be empty. Please fill in a value and try again.")),
        "42P01" => bad("DATABASE_VALIDATION_ERROR", "The resource you are trying to access does not exist. Please check the table with get metadata tool and try again.".into()),
        "42701" => bad("DATABASE_VALIDATION_ERROR", format!("Remove the duplicate \"{column}\" column definition. Each column name must be unique within a table.")),
        "42703" => bad("DATABASE_VALIDATION_ERROR", "Check the column name spelling and verify it exists in the table using GET /api/database/tables/{table}/schema".into()),
        "42830" => bad("DATABASE_VALIDATION_ERROR", "Ensure the referenced column has a unique constraint or is a primary key".into()),
        "42804" => bad("DATABASE_VALIDATION_ERROR", "Ensure the foreign key column and the referenced column have the same data type.".into()),
        "42501" => InsForgeError::new(StatusCode::FORBIDDEN, "FORBIDDEN", message.clone()).with_next(
            "A row-level security policy denied this operation. Verify the calling user owns the row (uploaded_by / user_id matches the JWT sub), or that an appropriate INSERT/UPDATE/DELETE policy exists for this role.",
        ),
        _ => InsForgeError::internal(message),
    }
}

#[cfg(test)]
mod tests;

//! `/api/database/records/{table}`: InsForge's gateway checks (identifier, credentials, schema,
//! body rewrite) followed by what PostgREST does with the forwarded request, in one transaction
//! that runs as the caller's role with the caller's claims.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio_postgres::types::ToSql;

use super::auth::Caller;
use super::error::{ApiError, InsForgeError, PostgrestError};
use super::gateway;
use super::query::{Prefer, Query};
use super::request::Request;
use super::respond::respond;
use super::sql::{self, Column, Param, Statement, Table};
use super::state::AppState;

const OBJECT_MEDIA: &str = "application/vnd.pgrst.object+json";
const UPSTREAM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Schemas InsForge keeps to itself (`insforge.internal_schemas`); every other one is exposed.
const INTERNAL_SCHEMAS: &[&str] = &[
    "ai",
    "auth",
    "compute",
    "deployments",
    "email",
    "functions",
    "memory",
    "payments",
    "realtime",
    "schedules",
    "storage",
    "system",
];

pub async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    Path(table): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = gateway::buffered(body)?;
        let query = raw.as_deref().unwrap_or("");
        run(&state, method, &table, query, &headers, &body).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn run(
    state: &AppState,
    method: Method,
    table: &str,
    raw_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    // InsForge's order: body-parser (before any auth), verifyUser, the table name, the schema.
    let body = gateway::parse_body(&method, headers, body)?;
    let caller = state.credentials.caller(headers)?;
    gateway::validate_table_name(table)?;
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let schema = gateway::take_schema(&mut pairs, &method, headers)?;
    gateway::mangle_repeated_keys(&mut pairs);
    let query = Query::parse(&pairs)?;
    let prefer = Prefer::parse(
        headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    let singular = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(OBJECT_MEDIA));
    let request = Request {
        method,
        schema,
        table: table.to_string(),
        query,
        prefer,
        singular,
        body,
    };
    // InsForge gives PostgREST 10 s and then answers with axios' timeout error.
    tokio::time::timeout(UPSTREAM_TIMEOUT, execute(state, &caller, request))
        .await
        .unwrap_or_else(|_| Err(InsForgeError::internal("timeout of 10000ms exceeded").into()))
}

/// PostgREST's answer when it cannot talk to PostgreSQL.
fn database_unreachable(e: impl std::fmt::Display) -> PostgrestError {
    tracing::warn!("stand-in cannot use PostgreSQL: {e}");
    PostgrestError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "PGRST001",
        "Database client error. Retrying the connection.",
    )
    .details(e.to_string())
}

fn db_error(caller: &Caller) -> impl Fn(tokio_postgres::Error) -> ApiError + '_ {
    move |e| match e.as_db_error() {
        Some(db) => PostgrestError::from_db(db, *caller != Caller::Anon).into(),
        None => database_unreachable(e).into(),
    }
}

async fn execute(state: &AppState, caller: &Caller, req: Request) -> Result<Response, ApiError> {
    let mut client = state.pool.get().await.map_err(database_unreachable)?;
    let on_db = db_error(caller);
    let tx = client.transaction().await.map_err(&on_db)?;
    let exposed = exposed_schemas(&tx).await.map_err(&on_db)?;
    if !exposed.contains(&req.schema) {
        return Err(PostgrestError::new(
            StatusCode::NOT_ACCEPTABLE,
            "PGRST106",
            format!(
                "The schema must be one of the following: {}",
                exposed.join(", ")
            ),
        )
        .into());
    }
    let Some(table) = load_table(&tx, &req.schema, &req.table)
        .await
        .map_err(&on_db)?
    else {
        return Err(unknown_table(&req));
    };
    // The role comes from a fixed set, never from the request.
    tx.batch_execute(&format!("SET LOCAL ROLE {}", caller.db_role()))
        .await
        .map_err(&on_db)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let path = format!("/{}", req.table);
    let search_path = format!("{}, public", crate::pg::quote_ident(&req.schema));
    tx.execute(
        "SELECT set_config('request.jwt.claims', $1, true), set_config('request.method', $2, true), \
         set_config('request.path', $3, true), set_config('search_path', $4, true)",
        &[&caller.claims(now).to_string(), &req.method.as_str(), &path, &search_path],
    )
    .await
    .map_err(&on_db)?;

    let read = req.is_read();
    let statement = build(&table, &req)?;
    let (json, rows) = run_statement(&tx, &statement).await.map_err(&on_db)?;
    let total = if read && req.prefer.count_exact {
        let st = sql::count(&table, &req.query)?;
        Some(run_count(&tx, &st).await.map_err(&on_db)?)
    } else {
        None
    };
    if req.singular && rows != 1 {
        tx.rollback().await.map_err(&on_db)?;
        return Err(PostgrestError::new(
            StatusCode::NOT_ACCEPTABLE,
            "PGRST116",
            "JSON object requested, multiple (or no) rows returned",
        )
        .details(format!("The result contains {rows} rows"))
        .into());
    }
    tx.commit().await.map_err(&on_db)?;
    respond(&req, &json, rows, total)
}

/// PostgREST v12: a write whose body names columns fails while resolving them (404 with an empty
/// object); anything else runs and PostgreSQL reports the missing relation.
fn unknown_table(req: &Request) -> ApiError {
    let names_columns = match &req.body {
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Array(rows)) => rows
            .first()
            .and_then(Value::as_object)
            .is_some_and(|o| !o.is_empty()),
        _ => false,
    };
    if names_columns || req.query.columns.as_ref().is_some_and(|c| !c.is_empty()) {
        return ApiError::Raw(StatusCode::NOT_FOUND, "{}");
    }
    PostgrestError::new(
        StatusCode::NOT_FOUND,
        "42P01",
        format!("relation \"{}.{}\" does not exist", req.schema, req.table),
    )
    .into()
}

fn build(table: &Table, req: &Request) -> Result<Statement, ApiError> {
    let body = req.body.clone().map(|b| drop_blank_non_text(b, table));
    Ok(match req.method {
        Method::GET | Method::HEAD => sql::select(table, &req.query)?,
        Method::DELETE => sql::delete(table, &req.query)?,
        Method::POST => {
            let rows = match body {
                Some(Value::Array(rows)) => rows,
                Some(obj @ Value::Object(_)) => vec![obj],
                // PostgREST truncates any other JSON value to an empty array.
                _ => Vec::new(),
            };
            let columns = match &req.query.columns {
                Some(cols) => cols.clone(),
                None => payload_keys(&rows)?,
            };
            for c in &columns {
                table.require_payload_column(c)?;
            }
            sql::insert(
                table,
                &req.query,
                &columns,
                Value::Array(rows).to_string(),
                req.prefer.resolution,
            )?
        }
        Method::PATCH => {
            let obj = match body {
                Some(Value::Object(obj)) => obj,
                Some(Value::Array(rows)) => {
                    // PostgREST takes an array's first object as the patch.
                    let keys = payload_keys(&rows)?;
                    match rows.into_iter().next() {
                        Some(Value::Object(obj)) if !keys.is_empty() => obj,
                        _ => Default::default(),
                    }
                }
                _ => Default::default(),
            };
            let columns: Vec<String> = obj.keys().cloned().collect();
            for c in &columns {
                table.require_payload_column(c)?;
            }
            sql::update(table, &req.query, &columns, Value::Object(obj).to_string())?
        }
        _ => {
            return Err(PostgrestError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST117",
                format!("Unsupported HTTP method: {}", req.method),
            )
            .into());
        }
    })
}

/// PostgREST v12 takes the first object's keys and requires every object to have the same set.
fn payload_keys(rows: &[Value]) -> Result<Vec<String>, PostgrestError> {
    let mismatch = || {
        PostgrestError::new(
            StatusCode::BAD_REQUEST,
            "PGRST102",
            "All object keys must match",
        )
    };
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let first = first.as_object().ok_or_else(mismatch)?;
    let keys: Vec<String> = first.keys().cloned().collect();
    for row in rows {
        let obj = row.as_object().ok_or_else(mismatch)?;
        if obj.len() != keys.len() || !keys.iter().all(|k| obj.contains_key(k)) {
            return Err(mismatch());
        }
    }
    Ok(keys)
}

/// InsForge drops a key whose value is exactly `""` unless its column is text-like (unknown
/// columns count as not text-like), before PostgREST sees the body.
fn drop_blank_non_text(body: Value, table: &Table) -> Value {
    let keep = |k: &String, v: &Value| {
        v.as_str() != Some("") || table.column(k).is_some_and(|c| c.text_like)
    };
    match body {
        Value::Object(mut obj) => {
            obj.retain(|k, v| keep(k, v));
            Value::Object(obj)
        }
        Value::Array(rows) => Value::Array(
            rows.into_iter()
                .map(|r| drop_blank_non_text(r, table))
                .collect(),
        ),
        other => other,
    }
}

fn params(st: &Statement) -> Vec<&(dyn ToSql + Sync)> {
    st.params
        .iter()
        .map(|p| match p {
            Param::Text(s) => s as &(dyn ToSql + Sync),
            Param::TextArray(v) => v as &(dyn ToSql + Sync),
        })
        .collect()
}

async fn run_statement(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Statement,
) -> Result<(String, i64), tokio_postgres::Error> {
    let row = tx.query_one(&st.sql, &params(st)).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

async fn run_count(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Statement,
) -> Result<i64, tokio_postgres::Error> {
    tx.query_one(&st.sql, &params(st)).await?.try_get(0)
}

async fn exposed_schemas(
    tx: &tokio_postgres::Transaction<'_>,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' \
             AND nspname <> 'information_schema' AND nspname <> ALL($1) \
             ORDER BY nspname <> 'public', nspname",
            &[&INTERNAL_SCHEMAS],
        )
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

async fn load_table(
    tx: &tokio_postgres::Transaction<'_>,
    schema: &str,
    name: &str,
) -> Result<Option<Table>, tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, NULL), \
                    t.typname IN ('text', 'varchar', 'bpchar', 'citext'), \
                    coalesce(a.attnum = ANY (i.indkey), false) \
             FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary \
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'f', 'p') \
             ORDER BY a.attnum",
            &[&schema, &name],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let columns = rows
        .iter()
        .map(|r| {
            Ok(Column {
                name: r.try_get(0)?,
                type_sql: r.try_get(1)?,
                text_like: r.try_get(2)?,
                primary_key: r.try_get(3)?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Some(Table {
        schema: schema.into(),
        name: name.into(),
        columns,
    }))
}

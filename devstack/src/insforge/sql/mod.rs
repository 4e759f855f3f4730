//! Turns a parsed PostgREST request into one SQL statement. Identifiers are always quoted
//! (and, for filters, must exist in the catalog); every value a client sends is a bound
//! parameter, cast to the column's catalog type, so no input can change the statement's shape.

use axum::http::StatusCode;

use super::error::PostgrestError;
use super::query::{Filter, IsValue, Op, OrderTerm, Query, Resolution, SelectItem};
use crate::pg::quote_ident as q;

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The column's type without length or precision (`format_type(oid, NULL)`), so a filter
    /// value is never truncated or rounded into matching (PostgREST leaves it untyped). It
    /// comes from the catalog, never from a request.
    pub type_sql: String,
    pub text_like: bool,
    pub primary_key: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn qualified(&self) -> String {
        format!("{}.{}", q(&self.schema), q(&self.name))
    }

    fn col(&self, name: &str) -> String {
        format!("{}.{}", q(&self.name), q(name))
    }

    fn require(&self, name: &str) -> Result<&Column, PostgrestError> {
        self.column(name).ok_or_else(|| {
            PostgrestError::new(
                StatusCode::BAD_REQUEST,
                "42703",
                format!("column {}.{} does not exist", self.name, name),
            )
        })
    }

    /// PostgREST's answer to a payload key that is not a column.
    pub fn require_payload_column(&self, name: &str) -> Result<&Column, PostgrestError> {
        self.column(name).ok_or_else(|| {
            PostgrestError::new(
                StatusCode::BAD_REQUEST,
                "PGRST204",
                format!(
                    "Could not find the '{name}' column of '{}' in the schema cache",
                    self.name
                ),
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    TextArray(Vec<String>),
}

/// One statement returning a single row: `(body json text, row count)`.
#[derive(Debug)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

struct Builder<'a> {
    table: &'a Table,
    params: Vec<Param>,
}

impl<'a> Builder<'a> {
    fn bind(&mut self, p: Param) -> usize {
        self.params.push(p);
        self.params.len()
    }

    fn where_clause(&mut self, filters: &[Filter]) -> Result<String, PostgrestError> {
        if filters.is_empty() {
            return Ok(String::new());
        }
        let mut parts = Vec::with_capacity(filters.len());
        for f in filters {
            let column = self.table.require(&f.column)?;
            let (col, ty) = (self.table.col(&column.name), column.type_sql.clone());
            let cond = match &f.op {
                Op::Cmp(op, value) => {
                    let n = self.bind(Param::Text(value.clone()));
                    format!("{col} {} CAST(${n}::text AS {ty})", op.sql())
                }
                Op::Like {
                    insensitive,
                    pattern,
                } => {
                    let n = self.bind(Param::Text(pattern.clone()));
                    let op = if *insensitive { "ILIKE" } else { "LIKE" };
                    format!("{col} {op} CAST(${n}::text AS {ty})")
                }
                Op::Is(v) => {
                    let what = match v {
                        IsValue::Null => "NULL",
                        IsValue::True => "TRUE",
                        IsValue::False => "FALSE",
                        IsValue::Unknown => "UNKNOWN",
                    };
                    format!("{col} IS {what}")
                }
                Op::In(values) => {
                    let n = self.bind(Param::TextArray(values.clone()));
                    format!("{col} = ANY (CAST(${n}::text[] AS {ty}[]))")
                }
            };
            parts.push(if f.negate {
                format!("NOT ({cond})")
            } else {
                cond
            });
        }
        Ok(format!(" WHERE {}", parts.join(" AND ")))
    }

    fn select_list(&self, items: &[SelectItem]) -> String {
        items
            .iter()
            .map(|item| match item {
                SelectItem::Star => format!("{}.*", q(&self.table.name)),
                SelectItem::Column { name, alias, cast } => {
                    let cast = cast.as_ref().map(|c| format!("::{c}")).unwrap_or_default();
                    let label = alias.as_deref().unwrap_or(name);
                    format!("{}{cast} AS {}", self.table.col(name), q(label))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn order_by(&self, order: &[OrderTerm]) -> String {
        if order.is_empty() {
            return String::new();
        }
        let terms: Vec<String> = order
            .iter()
            .map(|t| {
                let dir = if t.descending { " DESC" } else { " ASC" };
                let nulls = match t.nulls_first {
                    Some(true) => " NULLS FIRST",
                    Some(false) => " NULLS LAST",
                    None => "",
                };
                format!("{}{dir}{nulls}", self.table.col(&t.column))
            })
            .collect();
        format!(" ORDER BY {}", terms.join(", "))
    }

    /// Wraps a row source (a table or a mutation's CTE) into `(json, count)`.
    fn aggregate(&self, source: &str, query: &Query, read: bool) -> String {
        let mut inner = format!("SELECT {} FROM {source}", self.select_list(&query.select));
        if read {
            inner.push_str(&self.order_by(&query.order));
            if let Some(limit) = query.limit {
                inner.push_str(&format!(" LIMIT {limit}"));
            }
            if let Some(offset) = query.offset {
                inner.push_str(&format!(" OFFSET {offset}"));
            }
        }
        format!("SELECT coalesce(json_agg(_pgrst_r), '[]')::text, count(*) FROM ({inner}) _pgrst_r")
    }
}

pub fn select(table: &Table, query: &Query) -> Result<Statement, PostgrestError> {
    let mut b = Builder {
        table,
        params: Vec::new(),
    };
    let filter = b.where_clause(&query.filters)?;
    let source = format!("{}{filter}", table.qualified());
    let sql = b.aggregate(&source, query, true);
    Ok(Statement {
        sql,
        params: b.params,
    })
}

/// `SELECT count(*)` of everything the filters match, for `Prefer: count=exact`.
pub fn count(table: &Table, query: &Query) -> Result<Statement, PostgrestError> {
    let mut b = Builder {
        table,
        params: Vec::new(),
    };
    let filter = b.where_clause(&query.filters)?;
    Ok(Statement {
        sql: format!("SELECT count(*) FROM {}{filter}", table.qualified()),
        params: b.params,
    })
}

fn mutation(b: &Builder<'_>, dml: String, query: &Query) -> String {
    let name = q(&b.table.name);
    let source = format!("_pgrst_mut AS {name}");
    // `{name}.*`, not `*`: an UPDATE … FROM would also return the body record's columns.
    format!(
        "WITH _pgrst_mut AS ({dml} RETURNING {name}.*) {}",
        b.aggregate(&source, query, false)
    )
}

/// `body` is a JSON array of objects whose keys are all in `columns` (checked by the caller).
pub fn insert(
    table: &Table,
    query: &Query,
    columns: &[String],
    body: String,
    resolution: Option<Resolution>,
) -> Result<Statement, PostgrestError> {
    let mut b = Builder {
        table,
        params: Vec::new(),
    };
    let n = b.bind(Param::Text(body));
    let cols: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let cols = cols.join(", ");
    let mut dml = if columns.is_empty() {
        // An object without keys inserts a row of defaults, as PostgREST does.
        format!(
            "INSERT INTO {} SELECT FROM json_array_elements(${n}::text::json)",
            table.qualified()
        )
    } else {
        format!(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{t}, ${n}::text::json)",
            t = table.qualified()
        )
    };
    if let Some(resolution) = resolution {
        let target = match &query.on_conflict {
            Some(cols) => cols.clone(),
            None => table
                .columns
                .iter()
                .filter(|c| c.primary_key)
                .map(|c| c.name.clone())
                .collect(),
        };
        for c in &target {
            table.require(c)?;
        }
        if target.is_empty() {
            return Err(PostgrestError::new(
                StatusCode::BAD_REQUEST,
                "PGRST100",
                "an upsert needs on_conflict or a primary key",
            ));
        }
        let target: Vec<String> = target.iter().map(|c| q(c)).collect();
        dml.push_str(&format!(" ON CONFLICT ({}) ", target.join(", ")));
        let sets: Vec<String> = columns
            .iter()
            .map(|c| format!("{0} = EXCLUDED.{0}", q(c)))
            .collect();
        if resolution == Resolution::IgnoreDuplicates || sets.is_empty() {
            dml.push_str("DO NOTHING");
        } else {
            dml.push_str(&format!("DO UPDATE SET {}", sets.join(", ")));
        }
    }
    Ok(Statement {
        sql: mutation(&b, dml, query),
        params: b.params,
    })
}

/// `body` is one JSON object whose keys are `columns`.
pub fn update(
    table: &Table,
    query: &Query,
    columns: &[String],
    body: String,
) -> Result<Statement, PostgrestError> {
    let mut b = Builder {
        table,
        params: Vec::new(),
    };
    if columns.is_empty() {
        // PostgREST answers a patch without columns with an empty result instead of running
        // `UPDATE … SET` with nothing to set.
        b.where_clause(&query.filters)?;
        return Ok(Statement {
            sql: "SELECT '[]'::text, 0::bigint".into(),
            params: Vec::new(),
        });
    }
    let n = b.bind(Param::Text(body));
    let filter = b.where_clause(&query.filters)?;
    let sets: Vec<String> = columns
        .iter()
        .map(|c| format!("{0} = _pgrst_body.{0}", q(c)))
        .collect();
    let dml = format!(
        "UPDATE {t} SET {sets} FROM json_populate_record(NULL::{t}, ${n}::text::json) AS _pgrst_body{filter}",
        t = table.qualified(),
        sets = sets.join(", ")
    );
    Ok(Statement {
        sql: mutation(&b, dml, query),
        params: b.params,
    })
}

pub fn delete(table: &Table, query: &Query) -> Result<Statement, PostgrestError> {
    let mut b = Builder {
        table,
        params: Vec::new(),
    };
    let filter = b.where_clause(&query.filters)?;
    let dml = format!("DELETE FROM {}{filter}", table.qualified());
    Ok(Statement {
        sql: mutation(&b, dml, query),
        params: b.params,
    })
}

#[cfg(test)]
mod tests;

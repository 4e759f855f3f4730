//! The subset of PostgREST's URL grammar that the stand-in understands, parsed into plain data.
//! Nothing here touches SQL: identifiers and values stay strings until the `sql` module quotes
//! or binds them.

use axum::http::StatusCode;

use super::error::PostgrestError;

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Star,
    Column {
        name: String,
        alias: Option<String>,
        cast: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum CmpOp {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl CmpOp {
    pub fn sql(&self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Neq => "<>",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum IsValue {
    Null,
    True,
    False,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Cmp(CmpOp, String),
    /// `like` / `ilike`, with PostgREST's `*` already turned into `%`.
    Like {
        insensitive: bool,
        pattern: String,
    },
    Is(IsValue),
    In(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: String,
    pub negate: bool,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub column: String,
    pub descending: bool,
    /// `Some(true)`: NULLS FIRST, `Some(false)`: NULLS LAST.
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub select: Vec<SelectItem>,
    pub filters: Vec<Filter>,
    pub order: Vec<OrderTerm>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub columns: Option<Vec<String>>,
    pub on_conflict: Option<Vec<String>>,
}

/// PostgREST's parse errors: Parsec's `show SourcePos` as the message (the source name in
/// quotes, then the position) and the parser's expectation as details. The stand-in always
/// reports column 1; the details are close to, not always identical with, Parsec's.
fn parse_error(source: String, details: String) -> PostgrestError {
    PostgrestError::new(
        StatusCode::BAD_REQUEST,
        "PGRST100",
        format!("\"{source}\" (line 1, column 1)"),
    )
    .details(details)
}

impl Query {
    /// Parses a decoded query string (key/value pairs in order).
    pub fn parse(pairs: &[(String, String)]) -> Result<Query, PostgrestError> {
        let mut q = Query {
            select: vec![SelectItem::Star],
            ..Query::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "select" => q.select = parse_select(value)?,
                "order" => q.order = parse_order(value)?,
                "limit" => q.limit = Some(parse_count("limit", value)?),
                "offset" => q.offset = Some(parse_count("offset", value)?),
                "columns" => q.columns = Some(parse_column_list(value)),
                "on_conflict" => q.on_conflict = Some(parse_column_list(value)),
                "or" | "and" | "not.or" | "not.and" => {
                    return Err(parse_error(
                        format!("failed to parse logic tree ({value})"),
                        "the InsForge stand-in does not support or/and trees".into(),
                    ));
                }
                _ => q.filters.push(parse_filter(key, value)?),
            }
        }
        Ok(q)
    }
}

fn parse_count(what: &str, value: &str) -> Result<u64, PostgrestError> {
    value.parse::<u64>().map_err(|_| {
        parse_error(
            format!("failed to parse {what} ({value})"),
            "expecting a non-negative integer".into(),
        )
    })
}

/// `columns=` and `on_conflict=` take a comma list of names, optionally double-quoted
/// (the JS SDK sends `columns="title","done"`).
fn parse_column_list(value: &str) -> Vec<String> {
    split_top_level(value, ',')
        .into_iter()
        .map(|c| unquote(c.trim()))
        .filter(|c| !c.is_empty())
        .collect()
}

fn unquote(s: &str) -> String {
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        let inner = &s[1..s.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        s.to_string()
    }
}

/// Splits on `sep` outside double quotes and parentheses.
fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut in_quotes, mut escaped, mut start) = (0i32, false, false, 0usize);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes => depth -= 1,
            c if c == sep && !in_quotes && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn parse_select(value: &str) -> Result<Vec<SelectItem>, PostgrestError> {
    let fail = |detail: &str| {
        parse_error(
            format!("failed to parse select parameter ({value})"),
            detail.into(),
        )
    };
    let mut items = Vec::new();
    for raw in split_top_level(value, ',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        if raw == "*" {
            items.push(SelectItem::Star);
            continue;
        }
        if raw.contains('(') || raw.contains("->") {
            return Err(fail(
                "the InsForge stand-in supports plain columns only (no embedding or JSON paths)",
            ));
        }
        let (alias, rest) = match raw.split_once(':') {
            Some((a, r)) if !r.starts_with(':') && !a.is_empty() => (Some(unquote(a)), r),
            _ => (None, raw),
        };
        let (name, cast) = match rest.split_once("::") {
            Some((n, c)) => {
                // One bare word: it is spliced into SQL, so nothing but a type name may pass.
                if c.is_empty() || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                    return Err(fail("a cast must be a type name"));
                }
                (unquote(n), Some(c.to_string()))
            }
            None => (unquote(rest), None),
        };
        if name.is_empty() {
            return Err(fail("empty column name"));
        }
        items.push(SelectItem::Column { name, alias, cast });
    }
    if items.is_empty() {
        items.push(SelectItem::Star);
    }
    Ok(items)
}

fn parse_order(value: &str) -> Result<Vec<OrderTerm>, PostgrestError> {
    let mut terms = Vec::new();
    for raw in split_top_level(value, ',') {
        let mut parts = raw.split('.');
        let column = unquote(parts.next().unwrap_or("").trim());
        let fail = || {
            parse_error(
                format!("failed to parse order ({value})"),
                format!(
                    "unexpected \"{raw}\" expecting \"asc\", \"desc\", \"nullsfirst\" or \"nullslast\""
                ),
            )
        };
        if column.is_empty() {
            return Err(fail());
        }
        let mut term = OrderTerm {
            column,
            descending: false,
            nulls_first: None,
        };
        let modifiers: Vec<&str> = parts.collect();
        if modifiers.len() > 2 {
            return Err(fail());
        }
        for (i, m) in modifiers.iter().enumerate() {
            match (i, *m) {
                (0, "asc") => term.descending = false,
                (0, "desc") => term.descending = true,
                (_, "nullsfirst") => term.nulls_first = Some(true),
                (_, "nullslast") => term.nulls_first = Some(false),
                _ => return Err(fail()),
            }
        }
        terms.push(term);
    }
    Ok(terms)
}

fn parse_filter(key: &str, value: &str) -> Result<Filter, PostgrestError> {
    let fail = || {
        parse_error(
            format!("failed to parse filter ({value})"),
            format!(
                "unexpected \"{}\" expecting \"not\" or operator (eq, gt, ...)",
                value.chars().next().unwrap_or(' ')
            ),
        )
    };
    let column = unquote(key);
    if column.is_empty() {
        return Err(fail());
    }
    let (negate, rest) = match value.strip_prefix("not.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (op, operand) = rest.split_once('.').ok_or_else(fail)?;
    let cmp = |op: CmpOp| Op::Cmp(op, operand.to_string());
    let op = match op {
        "eq" => cmp(CmpOp::Eq),
        "neq" => cmp(CmpOp::Neq),
        "gt" => cmp(CmpOp::Gt),
        "gte" => cmp(CmpOp::Gte),
        "lt" => cmp(CmpOp::Lt),
        "lte" => cmp(CmpOp::Lte),
        "like" | "ilike" => Op::Like {
            insensitive: op == "ilike",
            pattern: operand.replace('*', "%"),
        },
        "is" => Op::Is(match operand.to_ascii_lowercase().as_str() {
            "null" => IsValue::Null,
            "true" => IsValue::True,
            "false" => IsValue::False,
            "unknown" => IsValue::Unknown,
            _ => return Err(fail()),
        }),
        "in" => Op::In(parse_in_list(operand).ok_or_else(fail)?),
        _ => return Err(fail()),
    };
    Ok(Filter { column, negate, op })
}

/// `(a,b,"c,d")`: values separated by commas; double quotes protect commas and parentheses,
/// a backslash escapes the next character inside quotes.
fn parse_in_list(operand: &str) -> Option<Vec<String>> {
    let inner = operand.strip_prefix('(')?.strip_suffix(')')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    Some(
        split_top_level(inner, ',')
            .into_iter()
            .map(unquote)
            .collect(),
    )
}

/// The parts of `Prefer` the stand-in honours; unknown preferences are ignored, as PostgREST's
/// default `handling=lenient` does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefer {
    pub representation: Return,
    /// Whether the client said `return=…` at all (PostgREST only echoes what was asked).
    pub return_given: bool,
    pub count_exact: bool,
    pub resolution: Option<Resolution>,
    pub missing_default: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Return {
    #[default]
    Minimal,
    Representation,
    HeadersOnly,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolution {
    MergeDuplicates,
    IgnoreDuplicates,
}

impl Prefer {
    pub fn parse<'a>(headers: impl Iterator<Item = &'a str>) -> Prefer {
        let mut p = Prefer::default();
        for token in headers.flat_map(|h| h.split(',')).map(str::trim) {
            match token {
                "return=representation" => {
                    (p.representation, p.return_given) = (Return::Representation, true)
                }
                "return=minimal" => (p.representation, p.return_given) = (Return::Minimal, true),
                "return=headers-only" => {
                    (p.representation, p.return_given) = (Return::HeadersOnly, true)
                }
                "count=exact" | "count=planned" | "count=estimated" => p.count_exact = true,
                "resolution=merge-duplicates" => p.resolution = Some(Resolution::MergeDuplicates),
                "resolution=ignore-duplicates" => p.resolution = Some(Resolution::IgnoreDuplicates),
                "missing=default" => p.missing_default = true,
                _ => {}
            }
        }
        p
    }
}

#[cfg(test)]
mod tests;

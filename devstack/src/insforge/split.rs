//! InsForge's `parseSQLStatements` (`backend/src/utils/sql-parser.ts`), which relies on
//! `@databases/split-sql-query`: not a SQL parser, and its quirks show up in the `statements`
//! a migration reports, so they are reproduced here rather than improved on.
//! No Rust crate splits SQL the way that npm package does, hence the hand-written scanner.

/// The statements InsForge records for a migration's (already trimmed) SQL.
pub fn statements(sql: &str) -> Vec<String> {
    split_sql_query(sql)
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !strip_comments(s).trim().is_empty())
        .collect()
}

/// `splitSqlQuery`: the whole text when nothing would be split, else the pieces between
/// top-level semicolons with comments removed.
fn split_sql_query(sql: &str) -> Vec<String> {
    let trimmed_end = sql.trim_end();
    let body = trimmed_end.strip_suffix(';').unwrap_or(trimmed_end);
    if !body.contains(';') {
        return vec![sql.to_string()];
    }
    let pieces = split_parts(sql);
    if pieces.len() <= 1 {
        vec![sql.to_string()]
    } else {
        pieces
    }
}

fn split_parts(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' => {
                let end = find_char(&chars, i + 1, c).unwrap_or(chars.len() - 1);
                current.extend(&chars[i..=end]);
                i = end + 1;
            }
            '$' => match dollar_tag(&chars, i) {
                Some(tag) => {
                    let close = find_seq(&chars, i + tag.len(), &tag)
                        .map(|p| p + tag.len())
                        .unwrap_or(chars.len());
                    current.extend(&chars[i..close]);
                    i = close;
                }
                None => {
                    current.push(c);
                    i += 1;
                }
            },
            '-' if chars.get(i + 1) == Some(&'-') => {
                // Line comments go; the newline stays.
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*')
                && chars.get(i + 2).is_some_and(|c| c.is_whitespace()) =>
            {
                let end = find_seq(&chars, i + 2, &['*', '/'])
                    .map(|p| p + 2)
                    .unwrap_or(chars.len());
                i = end;
            }
            ';' => {
                if !current.trim().is_empty() {
                    pieces.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
                i += 1;
            }
            _ => {
                current.push(c);
                i += 1;
            }
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current);
    }
    pieces
}

fn find_char(chars: &[char], from: usize, c: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == c)
}

fn find_seq(chars: &[char], from: usize, seq: &[char]) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j..].starts_with(seq))
}

/// `$tag$` (or `$$`) starting at `i`.
fn dollar_tag(chars: &[char], i: usize) -> Option<Vec<char>> {
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    (chars.get(j) == Some(&'$')).then(|| chars[i..=j].to_vec())
}

/// The filter InsForge applies afterwards: `--…` to end of line and `/*…*/` blocks.
fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        out.push_str(line.split("--").next().unwrap_or(""));
        out.push('\n');
    }
    let mut result = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find("/*") {
        result.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    result.push_str(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn matches_the_npm_splitter() {
        let cases: &[(&str, &[&str])] = &[
            (
                "create table a(id int); insert into a values (1);",
                &["create table a(id int)", "insert into a values (1)"],
            ),
            ("create table a(id int)", &["create table a(id int)"]),
            (
                "-- lead\ncreate table t(x int);",
                &["-- lead\ncreate table t(x int);"],
            ),
            ("-- c\nselect 1; select 2", &["select 1", "select 2"]),
            ("select 1; /* c */ select 2", &["select 1", "select 2"]),
            (
                "select 'a;b'; select $$x;y$$;",
                &["select 'a;b'", "select $$x;y$$"],
            ),
            (
                "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\nselect 1",
                &[
                    "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql",
                    "select 1",
                ],
            ),
            ("select 1;;select 2", &["select 1", "select 2"]),
            ("select 1 -- x;\n; select 2", &["select 1", "select 2"]),
            ("-- only comment\n/* block */", &[]),
        ];
        for (sql, expected) in cases {
            assert_eq!(statements(sql), *expected, "{sql:?}");
        }
    }
}

//! Connection strings: the same server as another user, and fit to print.

/// A connection string (URL or `key=value` form) with another user and password.
pub(super) fn with_user(url: &str, user: &str, password: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        // In the key=value form the last value of a key wins.
        return format!("{url} user={user} password={password}");
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..authority_end],
        None => &rest[..authority_end],
    };
    // A `user` or `password` in the query would override the ones given here.
    let tail = &rest[authority_end..];
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let query: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("user=") && !p.starts_with("password="))
        .collect();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!(
        "{}{user}:{password}@{host}{path}{query}",
        &url[..scheme_end]
    )
}

/// A connection URL fit to print: any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_user() {
        assert_eq!(
            with_user("postgres://postgres@127.0.0.1:5432/db", "g", "pw"),
            "postgres://g:pw@127.0.0.1:5432/db"
        );
        assert_eq!(
            with_user("postgresql://a:b@h/db?sslmode=disable", "g", "pw"),
            "postgresql://g:pw@h/db?sslmode=disable"
        );
        assert_eq!(
            with_user(
                "postgres://h/db?user=admin&sslmode=disable&password=x",
                "g",
                "pw"
            ),
            "postgres://g:pw@h/db?sslmode=disable"
        );
        assert_eq!(
            with_user("host=h user=a dbname=db", "g", "pw"),
            "host=h user=a dbname=db user=g password=pw"
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:p@w@h:5/db"),
            "postgres://u:***@h:5/db"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:1/db"),
            "postgres://postgres@127.0.0.1:1/db"
        );
        assert_eq!(redact_url("postgres://h/db?x=a@b"), "postgres://h/db?x=a@b");
    }
}

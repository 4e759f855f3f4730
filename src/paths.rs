//! Every path of the site, and the URLs that carry a form's outcome back to its page. The one
//! owner of these strings: routes, redirects and links all take them from here.

use leptos::prelude::*;
use leptos_router::hooks::use_url;
use uuid::Uuid;

use crate::error::AppError;

/// The signed-in user's todos.
pub const HOME: &str = "/";
/// The sign-in page.
pub const SIGN_IN: &str = "/login";
/// The sign-in page saying that the user has signed out.
pub const SIGNED_OUT: &str = "/login?signed_out=1";
/// Where Stytch's magic links land (the path of Stytch's guide).
pub const MAGIC_LINK: &str = "/authenticate";
/// Starts a sign-in at a provider's hosted page (axum's pattern).
pub const PROVIDER_SIGN_IN_ROUTE: &str = "/auth/login/{provider}";
/// For load balancers and container platforms: the process serves requests.
pub const HEALTH: &str = "/healthz";
/// For load balancers: this replica can serve signed-in users (InsForge and the providers).
pub const READY: &str = "/readyz";
/// Where the server functions answer (`#[server]`'s default prefix, `/api/<endpoint>`).
pub const SERVER_FNS: &str = "/api/";

/// A path as a route segment (`/login` → `login`).
pub const fn segment(path: &'static str) -> &'static str {
    path.split_at(1).1
}

/// The longest path a sign-in returns to: kept in a cookie until the user is back.
pub const MAX_LOCAL_PATH: usize = 512;

/// `path` if it is a path on this site (`/…` but not `//…` or `/\…`, which browsers treat as
/// another host): the only places a sign-in may return to.
pub fn local_path(path: &str) -> Option<&str> {
    let ok = path.len() <= MAX_LOCAL_PATH
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control());
    ok.then_some(path)
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `?next=…` for a local path other than the home page, or nothing.
fn next_query(next: Option<&str>) -> String {
    match next.and_then(local_path).filter(|n| *n != HOME) {
        Some(next) => format!("?next={}", encode(next)),
        None => String::new(),
    }
}

/// The sign-in page, returning to `next` afterwards.
pub fn sign_in_url(next: Option<&str>) -> String {
    format!("{SIGN_IN}{}", next_query(next))
}

/// Off to a provider's hosted sign-in page, returning to `next` afterwards.
pub fn provider_sign_in_url(provider: &str, next: Option<&str>) -> String {
    let route = PROVIDER_SIGN_IN_ROUTE.trim_end_matches("{provider}");
    format!("{route}{provider}{}", next_query(next))
}

/// The sign-in page after a magic link was sent (to the address in the flash).
pub const SENT: &str = "/login?sent=1";

/// The sign-in page showing `error`, and where the user was going.
pub fn sign_in_error_url(error: &AppError, next: Option<&str>) -> String {
    let mut url = format!("{SIGN_IN}?error={}", error.code());
    if let Some(next) = next.and_then(local_path) {
        url.push_str(&format!("&next={}", encode(next)));
    }
    url
}

/// The todo page with one todo in edit mode.
pub fn edit_url(id: Uuid) -> String {
    format!("{HOME}?edit={id}")
}

/// The todo page showing an error (what the user typed comes back in the flash).
pub fn todos_url(error: Option<&AppError>, editing: Option<Uuid>) -> String {
    let mut params = Vec::new();
    if let Some(id) = editing {
        params.push(format!("edit={id}"));
    }
    if let Some(e) = error {
        params.push(format!("error={}", e.code()));
    }
    if params.is_empty() {
        HOME.into()
    } else {
        format!("{HOME}?{}", params.join("&"))
    }
}

/// A query parameter of the URL being rendered (pages render once, on the server). Read from
/// the router's URL signal: `use_query_map` would build a memo of the whole query on each call.
pub fn query_param(name: &str) -> Option<String> {
    use_url().with_untracked(|url| url.search_params().get(name))
}

/// What a form post hands back to the page it returns to besides the
/// error code in the URL: what the user typed. Personal, so never in a URL: the server keeps it
/// in a sealed cookie for a minute, and the next page rendered reads it once.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Flash {
    /// The address a link was sent to, or that was refused.
    pub email: Option<String>,
    /// A title that was refused or could not be saved.
    pub title: Option<String>,
}

impl Flash {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.title.is_none()
    }
}

/// This page's flash (`app` provides it, read once per page load).
pub fn use_flash() -> Flash {
    use_context::<Flash>().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_return_targets() {
        assert_eq!(local_path("/"), Some("/"));
        assert_eq!(local_path("/?edit=1"), Some("/?edit=1"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/\nx",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(sign_in_url(Some("//evil.example")), "/login");
        assert_eq!(sign_in_url(Some("/?edit=1")), "/login?next=%2F%3Fedit%3D1");
        assert_eq!(
            provider_sign_in_url("auth0", Some("/?edit=1")),
            "/auth/login/auth0?next=%2F%3Fedit%3D1"
        );
        assert_eq!(provider_sign_in_url("kinde", None), "/auth/login/kinde");
        assert_eq!(segment(SIGN_IN), "login");
    }

    #[test]
    fn error_urls_carry_codes_and_nothing_personal() {
        let id = Uuid::nil();
        assert_eq!(
            todos_url(Some(&AppError::TitleTooLong), Some(id)),
            format!("/?edit={id}&error=title_too_long")
        );
        assert_eq!(
            sign_in_error_url(&AppError::EmailInvalid, Some("/x")),
            "/login?error=email_invalid&next=%2Fx"
        );
        assert_eq!(
            sign_in_error_url(&AppError::SignInFailed, None),
            "/login?error=sign_in_failed"
        );
    }
}

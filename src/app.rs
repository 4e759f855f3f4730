//! The HTML shell, the routes, and the small helpers the pages and server share (local-path
//! checks, the URLs that carry a form's outcome, the theme).

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment};

use crate::error::AppError;
use crate::pages::{authenticate::AuthenticatePage, login::LoginPage, todos::TodosPage};

pub const THEME_COOKIE: &str = "theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    System,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            "system" => Some(Theme::System),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::System => "system",
        }
    }
}

/// The theme cookie of the request being rendered (server side only; the `<html>` element is
/// outside what hydrates, so the browser never renders it again).
fn request_theme() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get_all(axum::http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .find_map(|c| c.trim().strip_prefix("theme="))
                    .and_then(Theme::parse)
            })
            .unwrap_or(Theme::System)
    }
    #[cfg(not(feature = "ssr"))]
    {
        Theme::System
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = request_theme().as_str();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Tests (and curious people) can tell when the page has become interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/insforge-auth.css" />
        <Title text="My Todos" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                // Rendered in order, not streamed out of order: every page must read right
                // without JavaScript, and set cookies or redirect before the body starts.
                <Route path=StaticSegment("") view=TodosPage ssr=SsrMode::Async />
                <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                <Route
                    path=StaticSegment("authenticate")
                    view=AuthenticatePage
                    ssr=SsrMode::Async
                />
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="page narrow">
            <h1>"Page not found"</h1>
            <p>
                <a href="/">"Go to your todos"</a>
            </p>
        </main>
    }
}

/// `path` if it is a path on this site (`/…` but not `//…` or `/\…`, which browsers treat as
/// another host): the only places a sign-in may return to.
pub fn local_path(path: &str) -> Option<&str> {
    let ok = path.starts_with('/')
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

pub fn login_url(next: Option<&str>) -> String {
    match next.and_then(local_path).filter(|n| *n != "/") {
        Some(next) => format!("/login?next={}", encode(next)),
        None => "/login".into(),
    }
}

pub fn sent_url(email: &str) -> String {
    format!("/login?sent={}", encode(email))
}

pub fn login_error_url(error: &AppError, email: &str, next: Option<&str>) -> String {
    let mut url = format!("/login?error={}&email={}", error.code(), encode(email));
    if let Some(next) = next.and_then(local_path) {
        url.push_str(&format!("&next={}", encode(next)));
    }
    url
}

/// The todo page showing an error (and what the user typed, so nothing is lost).
pub fn todos_url(
    error: Option<&AppError>,
    editing: Option<uuid::Uuid>,
    title: Option<&str>,
) -> String {
    let mut params = Vec::new();
    if let Some(id) = editing {
        params.push(format!("edit={id}"));
    }
    if let Some(e) = error {
        params.push(format!("error={}", e.code()));
    }
    if let Some(title) = title {
        params.push(format!("title={}", encode(title)));
    }
    if params.is_empty() {
        "/".into()
    } else {
        format!("/?{}", params.join("&"))
    }
}

/// The same check in the browser (instant feedback) and on the server (the rule).
pub fn check_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(AppError::EmailRequired);
    }
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email.to_string())
    } else {
        Err(AppError::EmailInvalid)
    }
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
        assert_eq!(login_url(Some("//evil.example")), "/login");
        assert_eq!(login_url(Some("/?edit=1")), "/login?next=%2F%3Fedit%3D1");
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(check_email("  a@b.co "), Ok("a@b.co".into()));
        assert_eq!(check_email(" "), Err(AppError::EmailRequired));
        for bad in ["a", "a@b", "@b.co", "a b@c.co", "a@.co", "a@b.co."] {
            assert_eq!(check_email(bad), Err(AppError::EmailInvalid), "{bad}");
        }
    }

    #[test]
    fn error_urls_keep_the_input() {
        assert_eq!(
            todos_url(Some(&AppError::TitleTooLong), None, Some("a b&c")),
            "/?error=title_too_long&title=a%20b%26c"
        );
    }
}

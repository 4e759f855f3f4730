//! Light, dark or the system's scheme, kept in a cookie so the server renders the right one
//! from the first byte. Which button is current is pure CSS (`html[data-theme]`), so
//! `enhance.js` can apply a choice at once by setting that attribute.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

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

/// The theme cookie of the request being rendered.
pub fn request_theme() -> Theme {
    #[cfg(feature = "ssr")]
    {
        // Read in place: a copy of the request head would copy every header.
        with_context::<axum::http::request::Parts, _>(|parts| {
            parts
                .headers
                .get_all(axum::http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|c| {
                    let (name, value) = c.trim().split_once('=')?;
                    (name == THEME_COOKIE).then_some(value)
                })
                .and_then(Theme::parse)
        })
        .flatten()
        .unwrap_or(Theme::System)
    }
    #[cfg(not(feature = "ssr"))]
    {
        Theme::System
    }
}

/// Remembers the colour scheme in a cookie, so the server renders the page in it (no flash).
#[server(endpoint = "set_theme")]
pub async fn set_theme(theme: String, back: Option<String>) -> Result<(), AppError> {
    use crate::paths::{HOME, local_path};
    use crate::server::context::{cookies, form_redirect};
    let theme = Theme::parse(&theme).unwrap_or(Theme::System);
    let mut cookie = tower_cookies::Cookie::new(THEME_COOKIE, theme.as_str());
    cookie.set_path("/");
    cookie.set_same_site(tower_cookies::cookie::SameSite::Lax);
    cookie.set_max_age(time::Duration::days(365));
    cookies()?.add(cookie);
    // Back to the page the form was on (not the Referer, which browsers may withhold).
    form_redirect(back.as_deref().and_then(local_path).unwrap_or(HOME));
    Ok(())
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    // The URL signal itself: `use_location`'s memos would each be computed (a copy of the URL's
    // parts) on first read.
    let here = leptos_router::hooks::use_url().with_untracked(|url| {
        if url.search().is_empty() {
            url.path().to_string()
        } else {
            format!("{}?{}", url.path(), url.search())
        }
    });
    // One form, its buttons carrying the choice: 5 elements on every page, where a group of
    // three forms was 13. `data-theme`: applied at once with JavaScript, and remembered in the
    // background.
    view! {
        <form
            method="post"
            action=SetTheme::url()
            class="theme-toggle"
            role="group"
            aria-label="Colour scheme"
            data-theme
        >
            <input type="hidden" name="back" value=here />
            <button name="theme" value=Theme::Light.as_str() class="theme-light">
                "Light"
            </button>
            <button name="theme" value=Theme::Dark.as_str() class="theme-dark">
                "Dark"
            </button>
            <button name="theme" value=Theme::System.as_str() class="theme-system">
                "System"
            </button>
        </form>
    }
}

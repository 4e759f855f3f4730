//! The HTML shell and the routes: each feature's pages on their paths. The top of the module
//! graph: it imports every feature, and nothing imports it (`main` serves it; it never
//! reaches the browser, where only islands run).

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment};

use crate::auth::{magic_link::MagicLinkPage, page::SignInPage};
use crate::browser::{Enhance, Stylesheet};
use crate::paths::{HOME, MAGIC_LINK, SIGN_IN, segment};
use crate::theme::request_theme;
use crate::todos::page::TodosPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = request_theme().as_str();
    #[cfg(feature = "ssr")]
    crate::server::headers::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options />
                <Stylesheet />
                // No hydration scripts here: a page with islands loads them (`IslandScripts`).
                <Enhance />
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
    // What the form post that led here typed, read once.
    #[cfg(feature = "ssr")]
    provide_context(crate::server::context::take_flash());
    view! {
        <Title text="My Todos" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                // Rendered in order, not streamed out of order: every page must read right
                // without JavaScript, and set cookies or redirect before the body starts.
                <Route path=StaticSegment(segment(HOME)) view=TodosPage ssr=SsrMode::Async />
                <Route path=StaticSegment(segment(SIGN_IN)) view=SignInPage ssr=SsrMode::Async />
                <Route
                    path=StaticSegment(segment(MAGIC_LINK))
                    view=MagicLinkPage
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
                <a href=HOME>"Go to your todos"</a>
            </p>
        </main>
    }
}

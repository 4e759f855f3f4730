//! Sign in with a hosted provider, keep your todos in InsForge: a Leptos app rendered on the
//! server, whose islands (`#[island]`) hydrate in the browser.
//!
//! Dependencies point one way: the leaves (`error`, `paths`) import nothing above them; the
//! features (`auth`, `todos`, `theme`) keep their data types, server functions and components
//! side by side; `app` puts the features' pages on routes and imports them all, and nothing
//! imports it. `server` (the `ssr` feature: configuration, sessions, providers, InsForge) never
//! reaches the browser, and never imports a component or a server function.

pub mod app;
pub mod auth;
pub mod browser;
pub mod error;
pub mod paths;
pub mod theme;
pub mod todos;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point, before the page's islands hydrate (`islands.js` calls it).
#[cfg(feature = "hydrate")]
#[allow(unsafe_code)] // the export glue `wasm_bindgen` generates
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}

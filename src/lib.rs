//! Sign in with a hosted provider, keep your todos in InsForge: a Leptos app rendered on the
//! server and hydrated in the browser. `server` (the `ssr` feature) never reaches the browser.

pub mod api;
pub mod app;
pub mod error;
pub mod pages;
pub mod todo;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[allow(unsafe_code)] // the export glue `wasm_bindgen` generates
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

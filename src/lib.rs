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

/// An island's state while its element is on the page: `islands.js` frees it (`free()`) once
/// the element has gone, which removes the island's event listeners and lets the old page go.
#[cfg(feature = "hydrate")]
#[allow(unsafe_code)] // the export glue `wasm_bindgen` generates
#[wasm_bindgen::prelude::wasm_bindgen]
pub struct Island(#[allow(dead_code)] Box<dyn std::any::Any>);

/// Hydrates the island `el` is (`<leptos-island data-component>`); nothing for a component this
/// build does not have.
#[cfg(feature = "hydrate")]
#[allow(unsafe_code)] // the export glue `wasm_bindgen` generates
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate_island(el: leptos::web_sys::HtmlElement) -> Option<Island> {
    // `#[island]` names it after the component's function, then `_` and a hash of its own.
    let component = el.dataset().get("component")?;
    match component.rsplit_once('_').map(|(name, _hash)| name) {
        Some("TitleCheck") => Some(Island(todos::fields::hydrate_title_check(&el))),
        _ => None,
    }
}

//! What a page asks the browser to load. Pages are server HTML that works without JavaScript;
//! every page carries a small script that posts its forms and follows its links in place
//! (`enhance.js`), and only a page with islands (`#[island]` components: the parts that act in
//! the browser) loads the wasm that hydrates them.

use std::sync::Arc;

use leptos::prelude::*;

/// The site's own files as the page names them: content-hashed in a release build. The
/// server reads them once at start (`server::assets`) and hands them to every render, shared
/// (`Arc<BrowserFiles>` in the context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowserFiles {
    /// The build's: wasm-bindgen's module, the wasm, the stylesheet.
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The server's own (`enhance.js`, `islands.js`; `server::assets::Script`).
    pub enhance: String,
    pub islands: String,
}

fn files() -> Arc<BrowserFiles> {
    use_context::<Arc<BrowserFiles>>().unwrap_or_default()
}

/// The stylesheet (`id="leptos"`, where cargo-leptos' live reload swaps it).
#[component]
pub fn Stylesheet() -> impl IntoView {
    view! { <link rel="stylesheet" id="leptos" href=files().css.clone() /> }
}

/// Posts forms and follows links with fetch, for every page (see `enhance.js`).
#[component]
pub fn Enhance() -> impl IntoView {
    view! { <script type="module" src=files().enhance.clone()></script> }
}

/// Loads the wasm and hydrates the page's islands (`islands.js`, which finds the files by the
/// two links); then `<body data-hydrated>` says the page is fully interactive. Put it in a
/// page that has islands, after them; pages without islands load no wasm at all.
#[component]
pub fn IslandScripts() -> impl IntoView {
    let files = files();
    view! {
        <link rel="modulepreload" href=files.js.clone() />
        <link rel="preload" href=files.wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" src=files.islands.clone()></script>
    }
}

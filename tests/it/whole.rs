//! The whole app (its router, served as `main` serves it) for the tests that go through it
//! over real HTTP, and what they read off its answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use insforge_auth::app::{App, shell};
use insforge_auth::server::assets::Assets;
use insforge_auth::server::serve::{Inbound, serve};
use insforge_auth::server::state::{Services, WebConfig};
use insforge_auth::server::web::{Pages, router};
use leptos::prelude::IntoAny;
use tokio::net::TcpListener;

async fn count(State(served): State<Arc<AtomicUsize>>, request: Request, next: Next) -> Response {
    served.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

/// Serves the app configured by `vars` on `listener`, in the background; counts the requests
/// it serves.
pub async fn serve_app(listener: TcpListener, vars: &[(&str, String)]) -> Arc<AtomicUsize> {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let web = WebConfig::from_source(&vars).expect("config");
    let mut leptos = leptos::config::get_configuration(Some("Cargo.toml"))
        .expect("leptos settings")
        .leptos_options;
    // No site is built for these tests: the pages name the files as a debug build does.
    leptos.hash_files = false;
    let pages = Pages {
        app: || App().into_any(),
        shell: |options| shell(options).into_any(),
    };
    let services = Arc::new(Services::new(&web).expect("services"));
    let served = Arc::new(AtomicUsize::new(0));
    let app = router(leptos, services, pages, Assets::default())
        .layer(from_fn_with_state(served.clone(), count));
    tokio::spawn(async move {
        serve(listener, app, &Inbound::default(), std::future::pending()).await;
    });
    served
}

/// `name=value` of the cookie `res` sets, if it sets one.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// `name=value` of the cookie `res` sets.
pub fn cookie_of(res: &reqwest::Response, name: &str) -> String {
    set_cookie(res, name).unwrap_or_else(|| panic!("no {name} cookie: {:?}", res.headers()))
}

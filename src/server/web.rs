//! The web server: Leptos pages and server functions behind the cookie and session layers, and
//! the sign-in routes of the providers that sign in on their own hosted page.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::handler::Handler;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_cookies::CookieManagerLayer;

use super::assets::{self, Assets};
use super::state::{AppState, Services};
use super::{headers, sign_in, status};
use crate::paths::{HEALTH, PROVIDER_SIGN_IN_ROUTE, READY};

/// The app's root component and its HTML shell (`app::App`, `app::shell`), handed in by `main`
/// so that server code never imports the pages.
pub struct Pages {
    pub app: fn() -> AnyView,
    pub shell: fn(LeptosOptions) -> AnyView,
}

pub fn router(
    leptos_options: LeptosOptions,
    services: Arc<Services>,
    pages: Pages,
    assets: Assets,
) -> Router {
    let state = AppState::new(leptos_options, services);
    let routes = generate_route_list(pages.app);
    let context_state = state.clone();
    let mut router = Router::new()
        // For load balancers and container platforms: the process serves requests.
        .route(HEALTH, get(|| async { "ok" }))
        .route(READY, {
            let cache = Arc::new(super::ready::Cache::default());
            get(move |State(state): State<AppState>| async move {
                super::ready::readyz(state, &cache).await
            })
        })
        .route(PROVIDER_SIGN_IN_ROUTE, get(sign_in::start));
    for script in &assets.scripts {
        router = router.route(&script.path, assets::script_route(script));
    }
    // Each provider's callback at the path of its guide.
    for path in state.services.providers.callback_paths() {
        router = router.route(&path, get(sign_in::callback));
    }
    let shell = pages.shell;
    let files = Arc::new(assets.files.clone());
    let context = move || {
        provide_context(context_state.clone());
        provide_context(files.clone());
    };
    router
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let state = state.clone();
            move || shell(state.leptos_options.clone())
        })
        // The site's files, precompressed at build time (.br, .gz), and the 404 page.
        .fallback(
            leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell)
                .layer(from_fn_with_state(assets, assets::cache_control)),
        )
        // One stack, outermost first, applied to each route as a whole: layered one by one,
        // every layer would box the route again, and each request would clone the boxes
        // nested below each layer (70 boxed clones and 30 copies of the Leptos options per
        // request, `scripts/bench-instructions.sh`).
        .layer(
            ServiceBuilder::new()
                // For `observe`, outside the router (`serve::bounded`); inside the router, where
                // the matched route is known, and outside the rest, so their refusals count.
                .layer(from_fn(super::observe::note_route))
                // Pages and server functions' answers, as they are made, in gzip at its fastest
                // level; files compressed at build time (brotli 11) are sent as they are.
                .layer(from_fn(super::gzip::gzip))
                // Outside the session layer, so its cookie changes reach the response.
                .layer(CookieManagerLayer::new())
                .layer(from_fn_with_state(
                    state.services.site_origin.starts_with("https://"),
                    headers::security_headers,
                ))
                .layer(DefaultBodyLimit::max(status::BODY_LIMIT))
                .layer(from_fn(status::honest_status))
                .layer(from_fn_with_state(
                    state.services.clone(),
                    super::middleware::resolve_session,
                )),
        )
        .with_state(state)
}

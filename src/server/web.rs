//! The web server: Leptos pages and server functions behind the cookie and session layers.

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_cookies::CookieManagerLayer;

use super::signin;
use super::state::{AppState, Services};
use crate::app::{App, shell};
use axum::routing::get;

pub fn router(leptos_options: LeptosOptions, services: Arc<Services>) -> Router {
    let state = AppState {
        leptos_options,
        services,
    };
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let mut router = Router::new()
        // For load balancers and container platforms: the process serves requests.
        .route("/healthz", get(|| async { "ok" }))
        .route("/auth/login/{provider}", get(signin::start));
    // Each provider's callback at the path of its guide.
    for path in state.services.providers.callback_paths() {
        router = router.route(&path, get(signin::callback));
    }
    router
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(
            state.clone(),
            super::middleware::resolve_session,
        ))
        // Outermost, so the session layer's cookie changes reach the response.
        .layer(CookieManagerLayer::new())
        .with_state(state)
}

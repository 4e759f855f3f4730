//! What runs before every page and server function: the cross-site check, the abuse limits
//! (per client address before the session is looked at, per user after), and
//! the session, resolved once per request (with the sign-in redirects it implies) for the
//! handlers to read.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_cookies::Cookies;

use super::limits::{ClientIp, Wait};
use super::session::Auth;
use super::state::Services;
use super::status::{refusal, too_many, wants_page};
use crate::error::AppError;
use crate::paths::{HOME, MAGIC_LINK, SIGN_IN, SIGNED_OUT, provider_sign_in_url, sign_in_url};

/// Server functions change state, so only this site's own pages may call them. SameSite=Lax
/// already keeps the session cookie off other sites' posts; this also stops them from
/// sending sign-in emails, signing a browser out or in, and covers sibling subdomains (which
/// count as the same site). Requests without either header (not from a browser) pass.
fn refuse_cross_site(request: &Request, site_origin: &str) -> Option<Response> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return None;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match fetch_site {
        Some(site) => matches!(site, "same-origin" | "none"),
        None => headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|origin| origin == site_origin),
    };
    if allowed {
        return None;
    }
    tracing::warn!(
        path = %request.uri().path(),
        "refused a cross-site request (Sec-Fetch-Site {fetch_site:?}, Origin {:?})",
        headers.get(header::ORIGIN)
    );
    Some(refusal(&AppError::CrossSite, wants_page(request)))
}

/// Resolves the session for every page and server-function request, and keeps signed-out
/// visitors off the todo page (and signed-in ones off the sign-in page) before any rendering.
pub async fn resolve_session(
    State(services): State<Arc<Services>>,
    cookies: Cookies,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/pkg/") || path.starts_with("/favicon") {
        return next.run(request).await;
    }
    if let Some(refused) = refuse_cross_site(&request, &services.site_origin) {
        return refused;
    }
    // Link checkers and mail scanners probe links with HEAD; rendering the page would spend
    // the magic link before its owner clicks it.
    if request.method() == Method::HEAD && path == MAGIC_LINK {
        return axum::http::StatusCode::OK.into_response();
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    let ip = services.limits.client_ip(request.headers(), peer);
    if let Some(ip) = ip
        && let Err(wait) = services.limits.call_from(ip).await
    {
        tracing::warn!(%ip, path, "too many requests from one client address; refused");
        super::metrics::limited("ip");
        return over_limit(wait, &request);
    }
    let auth = services
        .sessions
        .resolve(&cookies, &services.providers)
        .await;
    if let Auth::SignedIn(user) = &auth
        && let Err(wait) = services.limits.call_by(&user.user_id).await
    {
        tracing::warn!(user = %user.user_id, path, "too many requests from one user; refused");
        super::metrics::limited("user");
        return over_limit(wait, &request);
    }
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        let wants_page = wants_page(&request);
        match (&auth, path) {
            (Auth::SignedOut, HOME)
                if wants_page && services.sessions.marked_signed_out(&cookies) =>
            {
                // Back from a provider's sign-out page.
                return Redirect::to(SIGNED_OUT).into_response();
            }
            (Auth::SignedOut, HOME) if wants_page => {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or(HOME);
                return Redirect::to(&sign_in_url(Some(target))).into_response();
            }
            (Auth::SignedIn(_), SIGN_IN) if wants_page => {
                return Redirect::to(HOME).into_response();
            }
            // One provider that signs in on its own page: go straight there, unless this
            // visit is to show an error or that the user just signed out.
            (Auth::SignedOut, SIGN_IN) if wants_page => {
                let query = request.uri().query().unwrap_or_default();
                let showing = query
                    .split('&')
                    .any(|p| p.starts_with("error=") || p.starts_with("signed_out="));
                let signed_out = services.sessions.marked_signed_out(&cookies);
                if signed_out {
                    // Shown once.
                    services.sessions.forget_signed_out(&cookies);
                }
                if let Some(only) = services.providers.only_hosted()
                    && !showing
                    && !signed_out
                {
                    let next = url::form_urlencoded::parse(query.as_bytes())
                        .find(|(name, _)| name == "next")
                        .map(|(_, next)| next.into_owned());
                    return Redirect::to(&provider_sign_in_url(only, next.as_deref()))
                        .into_response();
                }
            }
            _ => {}
        }
    }
    request.extensions_mut().insert(auth);
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

fn over_limit(wait: Wait, request: &Request) -> Response {
    too_many(
        &AppError::TooManyRequests,
        wait.seconds(),
        wants_page(request),
    )
}

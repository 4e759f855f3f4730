//! What the emulators of providers with a hosted sign-in page (WorkOS, and OpenID Connect in
//! every flavour) share: the application registered at them, the authorize request's first
//! checks, the one-field sign-in page and its form; the development routes (`dev`: tamper with
//! the next token, rotate and retire keys, end a user's sessions, the logouts seen); 302
//! redirects, query building and HTML escaping (`http`). Each emulator implements [`Hosted`]
//! and mounts [`routes`].

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod dev;
mod emulator;
mod http;

pub(crate) use emulator::{Authorize, Hosted, Refusal};
pub use emulator::{Core, Refreshes, Registration};
pub(crate) use http::{error_page, escape, found, token_request, verifier_matches, with_query};

/// Where the hosted sign-in page's form posts.
const SIGN_IN_FORM: &str = "/dev/sign-in";

/// The authorize endpoint at `authorize` and the development routes, for emulator `E`.
pub(crate) fn routes<E: Hosted>(authorize: &str) -> Router<Arc<E>> {
    Router::new()
        .route(authorize, get(authorize_page::<E>))
        .route(SIGN_IN_FORM, post(sign_in::<E>))
        .merge(dev::routes::<E>())
}

/// The callback to send the browser back to, once the request is good: the client must be the
/// registered one and the callback one of its allowed URLs (else a page, never a redirect:
/// the callback is not known to be the application's); then a code flow with PKCE (S256),
/// and the provider's own checks (else back to the callback with the error).
fn check_authorize<E: Hosted>(emu: &E, p: &Authorize<E::Extra>) -> Result<String, Box<Response>> {
    let client = emu.registration();
    let redirect_uri = check_client(
        emu.label(),
        p.client_id.as_deref(),
        &client.client_id,
        p.redirect_uri.as_deref(),
        &client.redirect_uris,
    )?;
    let refuse = |(error, description): Refusal| {
        back_with_error(&redirect_uri, p.state.as_deref(), error, description)
    };
    if p.response_type.as_deref() != Some("code") {
        return Err(refuse(emu.wrong_response_type()));
    }
    emu.check_extra(p).map_err(refuse)?;
    if !pkce_ok(
        p.code_challenge.as_deref(),
        p.code_challenge_method.as_deref(),
    ) {
        return Err(refuse((
            "invalid_request",
            "code_challenge_method must be S256 with a code_challenge.",
        )));
    }
    Ok(redirect_uri)
}

async fn authorize_page<E: Hosted>(
    State(emu): State<Arc<E>>,
    Query(p): Query<Authorize<E::Extra>>,
) -> Response {
    let redirect_uri = match check_authorize(&*emu, &p) {
        Ok(uri) => uri,
        Err(refused) => return *refused,
    };
    match email_of(p.login_hint.as_deref()) {
        // Tests (and people who typed an address before) skip the page.
        Some(email) => signed_in(&*emu, &p, &redirect_uri, email),
        None => page_for(&*emu, &p),
    }
}

/// Back to the callback with a fresh code for `email`, and the request's `state`.
fn signed_in<E: Hosted>(
    emu: &E,
    p: &Authorize<E::Extra>,
    redirect_uri: &str,
    email: &str,
) -> Response {
    let code = emu.issue_code(p, redirect_uri, email);
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = p.state.as_deref() {
        params.push(("state", state));
    }
    found(&with_query(redirect_uri, &params))
}

/// The sign-in page for a request, carrying its parameters.
fn page_for<E: Hosted>(emu: &E, p: &Authorize<E::Extra>) -> Response {
    let hidden: Vec<(String, String)> = match serde_json::to_value(p) {
        Ok(Value::Object(fields)) => fields
            .into_iter()
            .filter(|(name, _)| name != "login_hint")
            .filter_map(|(name, value)| Some((name, value.as_str()?.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    sign_in_page(emu.label(), &hidden)
}

#[derive(Deserialize)]
#[serde(bound = "P: DeserializeOwned")]
struct SignInForm<P> {
    #[serde(flatten)]
    params: P,
    email: Option<String>,
    action: Option<String>,
}

/// The page's form: signs in as the address (or cancels), then back to the application.
async fn sign_in<E: Hosted>(
    State(emu): State<Arc<E>>,
    Form(form): Form<SignInForm<Authorize<E::Extra>>>,
) -> Response {
    // The hidden fields came back from the browser: check them as the first request was.
    let redirect_uri = match check_authorize(&*emu, &form.params) {
        Ok(uri) => uri,
        Err(refused) => return *refused,
    };
    answer_sign_in_form(
        &redirect_uri,
        form.params.state.as_deref(),
        form.action.as_deref(),
        form.email.as_deref(),
        |email| signed_in(&*emu, &form.params, &redirect_uri, email),
        || page_for(&*emu, &form.params),
    )
}

/// The hosted sign-in page: one field (an email address), Continue and Cancel, posting the
/// authorization request's `hidden` parameters back to the sign-in form's route.
fn sign_in_page(provider: &str, hidden: &[(String, String)]) -> Response {
    let action = SIGN_IN_FORM;
    let hidden: String = hidden
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign in with {provider} (emulator)</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}}\
         input,button{{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}}</style>\
         </head><body><h1>Sign in with {provider}</h1>\
         <p>This is the local {provider} emulator: any address signs in, and the same address is \
         always the same user.</p>\
         <form method=\"post\" action=\"{action}\">{hidden}\
         <label for=\"email\">Email address</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required autofocus>\
         <button type=\"submit\" name=\"action\" value=\"sign_in\">Continue</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button>\
         </form></body></html>"
    ))
    .into_response()
}

/// The address a sign-in form or `login_hint` gave, if it is one.
pub(crate) fn email_of(value: Option<&str>) -> Option<&str> {
    value
        .map(str::trim)
        .filter(|e| e.contains('@') && !e.contains(char::is_whitespace))
}

/// The first checks of an authorization request: the client and the callback.
fn check_client(
    provider: &str,
    client_id: Option<&str>,
    registered: &str,
    redirect_uri: Option<&str>,
    allowed: &[String],
) -> Result<String, Box<Response>> {
    if client_id != Some(registered) {
        return Err(Box::new(error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "The client_id is not an application registered here.",
        )));
    }
    match redirect_uri.filter(|u| allowed.iter().any(|a| a == u)) {
        Some(uri) => Ok(uri.to_string()),
        None => Err(Box::new(error_page(
            provider,
            StatusCode::BAD_REQUEST,
            "Callback URL mismatch",
            &format!(
                "The redirect_uri {:?} is not one of the application's allowed callback URLs.",
                redirect_uri.unwrap_or("")
            ),
        ))),
    }
}

/// Back to the (checked) callback with an OAuth error and the request's `state`.
fn back_with_error(
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Box<Response> {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    Box::new(found(&with_query(redirect_uri, &params)))
}

/// The hosted page's form came back: cancel (back with `access_denied`), sign in as the
/// address, or show the page again when there is no address.
fn answer_sign_in_form(
    redirect_uri: &str,
    state: Option<&str>,
    action: Option<&str>,
    email: Option<&str>,
    sign_in: impl FnOnce(&str) -> Response,
    page_again: impl FnOnce() -> Response,
) -> Response {
    if action == Some("cancel") {
        return *back_with_error(
            redirect_uri,
            state,
            "access_denied",
            "The user cancelled the sign-in.",
        );
    }
    match email_of(email) {
        Some(email) => sign_in(email),
        None => page_again(),
    }
}

/// PKCE as the emulated providers take it: none, or an S256 challenge (never `plain`).
fn pkce_ok(challenge: Option<&str>, method: Option<&str>) -> bool {
    matches!((challenge, method), (None, None) | (Some(_), Some("S256")))
}

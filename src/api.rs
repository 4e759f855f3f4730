//! The server functions: the browser's only way to the server. Their URLs are fixed
//! (`/api/<name>`), so a form rendered by one release still posts to the next. Each one
//! resolves the session (done once per request by the session layer), mints the InsForge token
//! itself and calls InsForge or the provider. Without JavaScript they are plain form posts,
//! answered with a redirect to the page that shows the outcome (errors travel in the query
//! string).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::todo::Todo;
#[cfg(feature = "ssr")]
use crate::{
    app::{login_url, todos_url},
    server::fns::{
        auth, cookies, form_redirect, from_insforge, from_stytch, insforge_access, services,
    },
};

/// The signed-in user, as the pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub email: Option<String>,
}

/// A form post ends on the page that shows its outcome; a signed-out user goes to sign in.
#[cfg(feature = "ssr")]
fn finish_form<T>(
    result: &Result<T, AppError>,
    ok_to: &str,
    err_to: impl FnOnce(&AppError) -> String,
) {
    match result {
        Ok(_) => form_redirect(ok_to),
        Err(AppError::SignedOut) => form_redirect(&login_url(Some("/"))),
        Err(e) => form_redirect(&err_to(e)),
    }
}

/// A way to sign in that the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOption {
    /// The provider's name: `/auth/login/<name>` starts its sign-in.
    pub name: String,
    pub label: String,
    /// Stytch's email form on the page itself, rather than a link to the provider.
    pub email_form: bool,
}

#[server(endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<Vec<SignInOption>, AppError> {
    Ok(services()?.providers.options())
}

#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use crate::server::session::Auth;
    match auth().await? {
        Auth::SignedIn(user) => Ok(Some(User { email: user.email })),
        Auth::SignedOut => Ok(None),
        Auth::Unavailable => Err(AppError::ProviderUnavailable),
    }
}

/// Emails a magic link. Returns the address it went to.
#[server(endpoint = "start_sign_in")]
pub async fn start_sign_in(email: String, next: Option<String>) -> Result<String, AppError> {
    let next = next.filter(|n| crate::app::local_path(n).is_some());
    let result = async {
        let email = crate::app::check_email(&email)?;
        let services = services()?;
        let stytch = services.providers.stytch().ok_or(AppError::SignInFailed)?;
        stytch
            .send_magic_link(&email, &services.callback_url, services.link_minutes)
            .await
            .map_err(|e| from_stytch("sending a magic link", e))?;
        if let Some(next) = &next {
            services.sessions.set_next(&cookies().await?, next);
        }
        Ok(email)
    }
    .await;
    let sent_to = result.as_ref().map(String::as_str).unwrap_or_default();
    finish_form(&result, &crate::app::sent_url(sent_to), |e| {
        crate::app::login_error_url(e, &email, next.as_deref())
    });
    result
}

/// The magic link's landing: exchanges its token for a session, sets the session cookie and
/// sends the browser on (to where it was going before signing in, or the todos).
#[server(endpoint = "finish_sign_in")]
pub async fn finish_sign_in(token: String) -> Result<(), AppError> {
    let services = services()?;
    let stytch = services.providers.stytch().ok_or(AppError::LinkUnknown)?;
    let session = stytch
        .authenticate_magic_link(&token, services.session_minutes)
        .await
        .map_err(|e| from_stytch("authenticating a magic link", e))?;
    let cookies = cookies().await?;
    services.sessions.write_stytch(&cookies, &session);
    let next = services
        .sessions
        .take_next(&cookies)
        .unwrap_or_else(|| "/".into());
    tracing::info!(user = %session.user_id, "signed in with Stytch");
    leptos_axum::redirect(&next);
    Ok(())
}

/// Ends the session: at the provider where it has a way to (Stytch revokes it; OpenID
/// Connect providers have a sign-out page the browser goes through), and in this browser.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let services = services()?;
    let to = crate::server::signin::sign_out(&services, &auth().await?).await;
    let cookies = cookies().await?;
    services.sessions.clear(&cookies);
    if !to.starts_with('/') {
        // Through the provider's sign-out page, which returns to the site's root: the
        // root then says "signed out" instead of sending the browser straight back.
        services.sessions.mark_signed_out(&cookies);
    }
    leptos_axum::redirect(&to);
    Ok(())
}

#[server(endpoint = "list_todos")]
pub async fn list_todos() -> Result<Vec<Todo>, AppError> {
    let (services, token) = insforge_access().await?;
    services
        .insforge
        .list_todos(&token)
        .await
        .map_err(|e| from_insforge("listing todos", e))
}

#[server(endpoint = "add_todo")]
pub async fn add_todo(title: String) -> Result<Todo, AppError> {
    let result = async {
        let clean = crate::todo::normalize_title(&title)?;
        let (services, token) = insforge_access().await?;
        services
            .insforge
            .create_todo(&token, &clean)
            .await
            .map_err(|e| from_insforge("adding a todo", e))
    }
    .await;
    finish_form(&result, "/", |e| todos_url(Some(e), None, Some(&title)));
    result
}

#[server(endpoint = "set_done")]
pub async fn set_done(id: Uuid, done: bool) -> Result<Todo, AppError> {
    let result = async {
        let (services, token) = insforge_access().await?;
        let patch = crate::todo::TodoPatch {
            title: None,
            is_complete: Some(done),
        };
        services
            .insforge
            .update_todo(&token, id, &patch)
            .await
            .map_err(|e| from_insforge("updating a todo", e))
    }
    .await;
    finish_form(&result, "/", |e| todos_url(Some(e), None, None));
    result
}

#[server(endpoint = "rename_todo")]
pub async fn rename_todo(id: Uuid, title: String) -> Result<Todo, AppError> {
    let result = async {
        let clean = crate::todo::normalize_title(&title)?;
        let (services, token) = insforge_access().await?;
        let patch = crate::todo::TodoPatch {
            title: Some(clean),
            is_complete: None,
        };
        services
            .insforge
            .update_todo(&token, id, &patch)
            .await
            .map_err(|e| from_insforge("renaming a todo", e))
    }
    .await;
    finish_form(&result, "/", |e| todos_url(Some(e), Some(id), Some(&title)));
    result
}

#[server(endpoint = "delete_todo")]
pub async fn delete_todo(id: Uuid) -> Result<(), AppError> {
    let result = async {
        let (services, token) = insforge_access().await?;
        services
            .insforge
            .delete_todo(&token, id)
            .await
            .map_err(|e| from_insforge("deleting a todo", e))
    }
    .await;
    finish_form(&result, "/", |e| todos_url(Some(e), None, None));
    result
}

/// Remembers the colour scheme in a cookie, so the server renders the page in it (no flash).
#[server(endpoint = "set_theme")]
pub async fn set_theme(theme: String, back: Option<String>) -> Result<(), AppError> {
    use crate::app::Theme;
    let theme = Theme::parse(&theme).unwrap_or(Theme::System);
    let mut cookie = tower_cookies::Cookie::new(crate::app::THEME_COOKIE, theme.as_str());
    cookie.set_path("/");
    cookie.set_same_site(tower_cookies::cookie::SameSite::Lax);
    cookie.set_max_age(time::Duration::days(365));
    cookies().await?.add(cookie);
    // Without JavaScript, back to the page the form was on (not the Referer, which browsers
    // may withhold).
    let back = back
        .as_deref()
        .and_then(crate::app::local_path)
        .unwrap_or("/");
    form_redirect(back);
    Ok(())
}

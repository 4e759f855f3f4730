//! The sign-in page's server functions. Their URLs are fixed (`/api/<name>`), so a form
//! rendered by one release still posts to the next. Without JavaScript they are plain form
//! posts, answered with a redirect to the page that shows the outcome.

use leptos::prelude::*;

use super::model::{SignInOption, User};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    paths::{Flash, HOME, SENT, SIGNED_OUT, local_path, sign_in_error_url},
    server::context::{
        Landing, auth, client_ip, cookies, respond, retry_after, services, set_status,
    },
    server::provider::Step,
    server::session::Auth,
};

#[server(endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<Vec<SignInOption>, AppError> {
    Ok(services()?.providers.options())
}

#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    match auth()? {
        Auth::SignedIn(user) => Ok(Some(User {
            email: user.email.clone(),
        })),
        Auth::SignedOut => Ok(None),
        Auth::Unavailable => Err(AppError::ProviderUnavailable),
    }
}

/// Emails a sign-in link. Returns the address it went to.
#[server(endpoint = "start_sign_in")]
pub async fn start_sign_in(email: String, next: Option<String>) -> Result<String, AppError> {
    let next = next.filter(|n| local_path(n).is_some());
    let work = async {
        let email = super::model::check_email(&email)?;
        let services = services()?;
        if let Err(wait) = services.limits.link(&email, client_ip()).await {
            tracing::warn!("too many sign-in links asked for one address or from one client");
            crate::server::metrics::limited("sign_in_link");
            retry_after(wait.seconds());
            return Err(AppError::TooManyLinks);
        }
        let provider = services
            .providers
            .by_email()
            .ok_or(AppError::SignInFailed)?;
        let cookies = cookies()?;
        let challenge = services
            .sessions
            .link_challenge(&cookies, services.link_minutes);
        provider
            .send_link(
                &email,
                &services.magic_link_url,
                services.link_minutes,
                &challenge,
            )
            .await
            .map_err(|e| e.to_user(provider.name(), Step::SendLink))?;
        if let Some(next) = &next {
            services.sessions.set_next(&cookies, next);
        }
        Ok(email)
    };
    let typed = Flash {
        email: Some(email.clone()),
        ..Flash::default()
    };
    respond(
        work,
        |_| Landing {
            to: SENT.into(),
            flash: typed.clone(),
        },
        |e| Landing {
            to: sign_in_error_url(e, next.as_deref()),
            flash: typed.clone(),
        },
    )
    .await
}

/// The emailed link's landing: exchanges its token for a session, sets the session cookie and
/// sends the browser on (to where it was going before signing in, or the todos).
///
/// Only the browser that asked for the link holds its PKCE verifier. Any other (a mail
/// scanner, or a victim's browser sent to an attacker's link) is told so without a call to
/// the provider, so the link stays unspent.
#[server(endpoint = "finish_sign_in")]
pub async fn finish_sign_in(token: String) -> Result<(), AppError> {
    let result = redeem(&token).await;
    if let Err(e) = &result {
        set_status(e);
    }
    result
}

#[cfg(feature = "ssr")]
async fn redeem(token: &str) -> Result<(), AppError> {
    let services = services()?;
    let provider = services.providers.by_email().ok_or(AppError::LinkUnknown)?;
    let cookies = cookies()?;
    let Some(verifier) = services.sessions.link_verifier(&cookies) else {
        tracing::info!("a magic link was opened in a browser that did not ask for one");
        return Err(AppError::LinkOtherBrowser);
    };
    let session = provider
        .redeem_link(token, services.session_minutes, &verifier)
        .await
        .map_err(|e| e.to_user(provider.name(), Step::RedeemLink))?;
    // A session this browser held (another user's, or another provider's) ends at its
    // provider too; only now, so a link that fails leaves it as it was.
    services.sessions.end(&cookies, &services.providers).await;
    services
        .sessions
        .write_signed_in(&cookies, provider.name(), &session);
    let next = services
        .sessions
        .take_next(&cookies)
        .unwrap_or_else(|| HOME.into());
    tracing::info!(provider = provider.name(), user = %session.user_id, "signed in");
    leptos_axum::redirect(&next);
    Ok(())
}

/// Ends the session: at the provider (revoked from the server where the provider allows, so a
/// copy of the cookie stops working too), in this browser, and at the provider's own site
/// where it has a sign-out page for the browser to go through.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let services = services()?;
    let cookies = cookies()?;
    let through = match services.sessions.end(&cookies, &services.providers).await {
        Some(ended) => {
            services
                .providers
                .logout_url(&ended.provider, &ended.state, &services.logout_return)
                .await
        }
        None => None,
    };
    match through {
        Some(url) => {
            // The provider's sign-out page returns to the site's root: the root then says
            // "signed out" instead of sending the browser straight back.
            services.sessions.mark_signed_out(&cookies);
            leptos_axum::redirect(url.as_str());
        }
        None => leptos_axum::redirect(SIGNED_OUT),
    }
    Ok(())
}

//! The one error type of the UI layer: what a server function can fail with, in words a user
//! can act on. Server-side errors are converted into it at the server-function boundary (and
//! logged there with their detail); nothing internal crosses to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::todos::model::{TITLE_MAX_CHARS, TitleError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Please sign in again.")]
    SignedOut,
    #[error("Enter your email address.")]
    EmailRequired,
    #[error("That doesn't look like an email address. Check it and try again.")]
    EmailInvalid,
    #[error("Title is required.")]
    TitleRequired,
    #[error("Title is too long: {TITLE_MAX_CHARS} characters at most.")]
    TitleTooLong,
    #[error("Titles can't contain control characters or text-direction overrides.")]
    TitleInvalid,
    #[error("This sign-in link has already been used or has expired. Ask for a new one.")]
    LinkUsed,
    #[error("This sign-in link is not valid. Ask for a new one.")]
    LinkUnknown,
    #[error(
        "Open this sign-in link in the browser where you asked for it. It was not used here, so it still works there."
    )]
    LinkOtherBrowser,
    #[error("This sign-in has expired or was already used. Please sign in again.")]
    SignInExpired,
    #[error("Sign-in was cancelled. You can try again whenever you like.")]
    SignInCancelled,
    #[error("We couldn't verify your sign-in with the provider. Please try again.")]
    SignInFailed,
    #[error("We couldn't reach the sign-in service. Please try again in a moment.")]
    ProviderUnavailable,
    #[error("Sign-in is not working right now: the app's sign-in settings were refused.")]
    ProviderMisconfigured,
    #[error("We couldn't reach your todos. Please try again in a moment.")]
    BackendUnavailable,
    #[error("That todo no longer exists. It may have been deleted elsewhere.")]
    TodoNotFound,
    #[error("Too many attempts. Wait a minute, then try again.")]
    TooManyRequests,
    #[error(
        "Too many sign-in links were asked for. Use the newest one in your inbox, or try again later."
    )]
    TooManyLinks,
    #[error("The app couldn't read that request. Reload the page and try again.")]
    BadRequest,
    #[error("That is more than the app accepts in one request.")]
    TooLarge,
    #[error("This request came from another site and was refused.")]
    CrossSite,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request itself failed (the app server is unreachable, a malformed form post).
    #[error("We couldn't reach the app. Check your connection and try again.")]
    Request(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        {
            // On the server: the request's arguments could not be read (a malformed id, a
            // form field missing, a streamed body cut off at the size limit), or our own
            // answer could not be written.
            match value {
                ServerFnErrorErr::Deserialization(why) if why.contains("length limit") => {
                    AppError::TooLarge
                }
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
                ServerFnErrorErr::Serialization(_) => AppError::Internal,
                other => AppError::Request(other.to_string()),
            }
        }
        // In the browser: the call failed, or its answer was not ours (a proxy's error page).
        #[cfg(not(feature = "ssr"))]
        AppError::Request(value.to_string())
    }
}

impl From<TitleError> for AppError {
    fn from(e: TitleError) -> Self {
        match e {
            TitleError::Blank => AppError::TitleRequired,
            TitleError::TooLong(_) => AppError::TitleTooLong,
            TitleError::Forbidden(_) => AppError::TitleInvalid,
        }
    }
}

impl AppError {
    /// A short stable name, used in the query string that carries an error back to a page
    /// after a form post without JavaScript.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::SignedOut => "signed_out",
            AppError::EmailRequired => "email_required",
            AppError::EmailInvalid => "email_invalid",
            AppError::TitleRequired => "title_required",
            AppError::TitleTooLong => "title_too_long",
            AppError::TitleInvalid => "title_invalid",
            AppError::LinkUsed => "link_used",
            AppError::LinkUnknown => "link_unknown",
            AppError::LinkOtherBrowser => "link_other_browser",
            AppError::SignInExpired => "sign_in_expired",
            AppError::SignInCancelled => "sign_in_cancelled",
            AppError::SignInFailed => "sign_in_failed",
            AppError::ProviderUnavailable => "provider_unavailable",
            AppError::ProviderMisconfigured => "provider_misconfigured",
            AppError::BackendUnavailable => "backend_unavailable",
            AppError::TodoNotFound => "todo_not_found",
            AppError::TooManyRequests => "too_many_requests",
            AppError::TooManyLinks => "too_many_links",
            AppError::BadRequest => "bad_request",
            AppError::TooLarge => "too_large",
            AppError::CrossSite => "cross_site",
            AppError::Internal | AppError::Request(_) => "internal",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "signed_out" => AppError::SignedOut,
            "email_required" => AppError::EmailRequired,
            "email_invalid" => AppError::EmailInvalid,
            "title_required" => AppError::TitleRequired,
            "title_too_long" => AppError::TitleTooLong,
            "title_invalid" => AppError::TitleInvalid,
            "link_used" => AppError::LinkUsed,
            "link_unknown" => AppError::LinkUnknown,
            "link_other_browser" => AppError::LinkOtherBrowser,
            "sign_in_expired" => AppError::SignInExpired,
            "sign_in_cancelled" => AppError::SignInCancelled,
            "sign_in_failed" => AppError::SignInFailed,
            "provider_unavailable" => AppError::ProviderUnavailable,
            "provider_misconfigured" => AppError::ProviderMisconfigured,
            "backend_unavailable" => AppError::BackendUnavailable,
            "todo_not_found" => AppError::TodoNotFound,
            "too_many_requests" => AppError::TooManyRequests,
            "too_many_links" => AppError::TooManyLinks,
            "bad_request" => AppError::BadRequest,
            "too_large" => AppError::TooLarge,
            "cross_site" => AppError::CrossSite,
            "internal" => AppError::Internal,
            _ => return None,
        })
    }

    /// The HTTP status a server function answers with when it fails with this error: the
    /// request's fault (4xx) told apart from an unreachable service (503) and our own (500).
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest | AppError::Request(_) => 400,
            AppError::SignedOut => 401,
            AppError::CrossSite | AppError::LinkOtherBrowser => 403,
            AppError::TodoNotFound | AppError::LinkUnknown => 404,
            AppError::LinkUsed | AppError::SignInExpired => 410,
            AppError::TooLarge => 413,
            AppError::EmailRequired
            | AppError::EmailInvalid
            | AppError::TitleRequired
            | AppError::TitleTooLong
            | AppError::TitleInvalid
            | AppError::SignInCancelled
            | AppError::SignInFailed => 422,
            AppError::TooManyRequests | AppError::TooManyLinks => 429,
            AppError::ProviderUnavailable | AppError::BackendUnavailable => 503,
            AppError::ProviderMisconfigured | AppError::Internal => 500,
        }
    }

    /// Worth offering "Try again" for: the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AppError::ProviderUnavailable
                | AppError::BackendUnavailable
                | AppError::TooManyRequests
                | AppError::Internal
                | AppError::Request(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for e in [
            AppError::SignedOut,
            AppError::EmailRequired,
            AppError::EmailInvalid,
            AppError::TitleRequired,
            AppError::TitleTooLong,
            AppError::TitleInvalid,
            AppError::LinkUsed,
            AppError::LinkUnknown,
            AppError::LinkOtherBrowser,
            AppError::SignInExpired,
            AppError::SignInCancelled,
            AppError::SignInFailed,
            AppError::ProviderUnavailable,
            AppError::ProviderMisconfigured,
            AppError::BackendUnavailable,
            AppError::TodoNotFound,
            AppError::TooManyRequests,
            AppError::TooManyLinks,
            AppError::BadRequest,
            AppError::TooLarge,
            AppError::CrossSite,
            AppError::Internal,
        ] {
            assert_eq!(AppError::from_code(e.code()), Some(e));
        }
        assert_eq!(AppError::from_code("<script>"), None);
    }
}

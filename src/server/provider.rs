//! What the app asks of a sign-in provider, and the provider-neutral types that pass between a
//! provider, the session layer and the sign-in routes. Each provider (`providers/<name>.rs`)
//! implements [`Provider`]; the registry (`providers/mod.rs`) is the one place that names them.
//!
//! A provider signs in either on its own hosted page (it has a callback path, and `begin` /
//! `finish` run the redirect flow) or by a link it emails (`send_link` / `redeem_link`). Every
//! request then asks it, through `check`, whether the session it started still stands, and
//! signing out (or signing in anew) ends that session at the provider through `revoke`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::jwks::JwksError;
use crate::error::AppError;

/// Serializable: replicas hand each other a refresh's answer (`shared/flight.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ProviderError {
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),
    /// The provider refused the code or refresh token (used, expired, revoked).
    #[error("the provider refused the grant: {0}")]
    Refused(String),
    /// The provider refused the app itself: client id or secret, callback URL, issuer.
    #[error("the provider refused the app's settings: {0}")]
    Misconfigured(String),
    #[error("the provider's token was rejected: {0}")]
    InvalidToken(String),
    #[error("unexpected answer from the provider: {0}")]
    Unexpected(String),
    #[error("the provider rejected the email address")]
    InvalidEmail,
    #[error("the sign-in link is unknown")]
    LinkUnknown,
    #[error("the sign-in link was already used or has expired")]
    LinkUsed,
    #[error("the sign-in link was asked for in another browser")]
    LinkOtherBrowser,
    #[error("the provider is limiting the app's requests")]
    Limited,
}

/// Keys that cannot be loaded: the provider cannot be asked now.
impl From<JwksError> for ProviderError {
    fn from(e: JwksError) -> Self {
        ProviderError::Unavailable(format!("signing keys: {e}"))
    }
}

/// What the user was doing when a provider failed: what they are told depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Leaving for a provider's hosted page.
    Start,
    /// Back at the callback, exchanging the code.
    Finish,
    /// Asking for an emailed sign-in link.
    SendLink,
    /// Opening an emailed sign-in link.
    RedeemLink,
}

impl Step {
    fn describe(self) -> &'static str {
        match self {
            Step::Start => "starting a sign-in",
            Step::Finish => "finishing a sign-in",
            Step::SendLink => "sending a sign-in link",
            Step::RedeemLink => "redeeming a sign-in link",
        }
    }
}

impl ProviderError {
    /// What the user is told, logged here with the detail they are not.
    pub fn to_user(&self, provider: &str, step: Step) -> AppError {
        let action = step.describe();
        match self {
            ProviderError::Unavailable(_) => {
                tracing::warn!(provider, "{action}: {self}");
                AppError::ProviderUnavailable
            }
            ProviderError::Refused(_) => {
                tracing::warn!(provider, "{action}: {self} (a replayed or expired code)");
                AppError::SignInExpired
            }
            ProviderError::InvalidToken(_) => {
                tracing::warn!(provider, "{action}: {self}");
                AppError::SignInFailed
            }
            ProviderError::Misconfigured(_) => {
                tracing::error!(
                    provider,
                    "{action}: {self} (check the provider's settings here and the callback URLs \
                     in its dashboard)"
                );
                AppError::ProviderMisconfigured
            }
            ProviderError::Unexpected(_) => {
                tracing::error!(provider, "{action}: {self}");
                match step {
                    // Nothing to verify yet: the fault is ours or the provider's.
                    Step::SendLink => AppError::Internal,
                    Step::Start | Step::Finish | Step::RedeemLink => AppError::SignInFailed,
                }
            }
            ProviderError::InvalidEmail => AppError::EmailInvalid,
            ProviderError::LinkUnknown => AppError::LinkUnknown,
            ProviderError::LinkUsed => AppError::LinkUsed,
            ProviderError::Limited => {
                tracing::warn!(provider, "{action}: {self}");
                AppError::TooManyRequests
            }
            ProviderError::LinkOtherBrowser => {
                tracing::info!(provider, "{action}: {self}");
                AppError::LinkOtherBrowser
            }
        }
    }
}

/// What a hosted sign-in must remember between leaving for the provider and coming back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInSecrets {
    pub state: String,
    /// OpenID Connect's; WorkOS has no ID token to carry one.
    #[serde(default)]
    pub nonce: Option<String>,
    pub pkce_verifier: String,
}

/// A verified sign-in or renewal: who, and what the session keeps to go on validating it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    pub user_id: String,
    pub email: Option<String>,
    /// The provider's own state (tokens, expiry), opaque to everything but that provider; the
    /// session cookie carries it sealed.
    pub state: Value,
    /// When the provider ends the session (Unix seconds); `None`: it lasts as long as the
    /// app's session (`SESSION_DURATION_MINUTES`).
    pub expires_at: Option<i64>,
}

/// A provider's word on a session, asked on every request.
#[derive(Debug)]
pub enum Check {
    /// Valid by what the session holds (a token verified locally, not yet expired).
    Valid,
    /// The provider was asked just now and says the session stands; nothing new to keep.
    Confirmed,
    /// Due to be asked, but the provider could not be reached, while the session's tokens
    /// still verify on their own: trusted on them a little longer, then asked again.
    Deferred,
    /// Still valid, with new tokens to keep.
    Renewed(SignedIn),
    /// Ended (revoked, expired, or not this user's): sign out.
    Over,
    /// The provider could not be asked right now.
    Unknown,
}

impl Check {
    /// The provider's answer to a check of a session whose tokens still verify on their own
    /// (`tokens_verify`: it was only due to be asked): a provider that cannot be reached defers
    /// it, rather than every signed-in user being told "unavailable" while it is down.
    pub fn or_deferred(self, provider: &str, tokens_verify: bool) -> Check {
        match self {
            Check::Unknown if tokens_verify => {
                tracing::warn!(
                    provider,
                    "cannot ask the provider about a session whose tokens still verify; \
                     trusting them a little longer"
                );
                Check::Deferred
            }
            other => other,
        }
    }

    /// A refresh's answer as a check: a refused or unverifiable refresh ends the session.
    pub fn from_refresh(provider: &str, answer: Result<SignedIn, ProviderError>) -> Check {
        match answer {
            Ok(fresh) => Check::Renewed(fresh),
            Err(ProviderError::Refused(why)) => {
                tracing::info!(
                    provider,
                    "session ended at the provider ({why}); signing out"
                );
                Check::Over
            }
            Err(ProviderError::InvalidToken(why)) => {
                tracing::warn!(provider, "refreshed token rejected ({why}); signing out");
                Check::Over
            }
            // An answer that asking again will not change: better a new sign-in than a
            // session stuck on "unavailable" until it expires.
            Err(ProviderError::Unexpected(why)) => {
                tracing::warn!(provider, "refresh failed ({why}); signing out");
                Check::Over
            }
            Err(e) => {
                tracing::warn!(provider, "cannot refresh a session: {e}");
                Check::Unknown
            }
        }
    }
}

/// The state a provider keeps in the session, read back; a state that does not parse (an
/// older app's, or another provider's) ends the session.
pub fn read_state<T: serde::de::DeserializeOwned>(provider: &str, state: &Value) -> Option<T> {
    let parsed = T::deserialize(state).ok();
    if parsed.is_none() {
        tracing::info!(
            provider,
            "a session whose state this provider cannot read; signing out"
        );
    }
    parsed
}

/// The state a provider keeps in the session, written.
pub fn write_state<T: Serialize>(state: &T) -> Result<Value, ProviderError> {
    serde_json::to_value(state)
        .map_err(|e| ProviderError::Unexpected(format!("session state: {e}")))
}

fn not_supported(provider: &str, what: &str) -> ProviderError {
    ProviderError::Misconfigured(format!("{provider} does not sign in {what}"))
}

/// One sign-in provider. Trait objects, so that the registry can hold any mix of them and a
/// new provider is one file and one line in the registry.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Its name in `AUTH_PROVIDERS`, the session cookie and the sign-in URL.
    fn name(&self) -> &str;

    /// What the sign-in page calls it.
    fn label(&self) -> &str;

    /// Its callback on this site, for a provider that signs in on its own hosted page; `None`
    /// for one that signs in by an emailed link.
    fn callback_url(&self) -> Option<&Url>;

    /// Where to send the browser to sign in, and what to remember until it comes back.
    async fn begin(&self) -> Result<(Url, SignInSecrets), ProviderError> {
        Err(not_supported(self.name(), "on a hosted page"))
    }

    /// Exchanges the callback's code (once) and verifies what it brings.
    async fn finish(
        &self,
        _code: &str,
        _secrets: &SignInSecrets,
    ) -> Result<SignedIn, ProviderError> {
        Err(not_supported(self.name(), "on a hosted page"))
    }

    /// Emails `email` a sign-in link leading to `landing`, valid for `minutes`, bound by
    /// PKCE (an S256 `code_challenge`) to the browser that asked for it.
    async fn send_link(
        &self,
        _email: &str,
        _landing: &Url,
        _minutes: u32,
        _code_challenge: &str,
    ) -> Result<(), ProviderError> {
        Err(not_supported(self.name(), "by email"))
    }

    /// Exchanges an emailed link's token (once), with the PKCE verifier of the browser that
    /// asked for it, for a session of `session_minutes`.
    async fn redeem_link(
        &self,
        _token: &str,
        _session_minutes: u32,
        _code_verifier: &str,
    ) -> Result<SignedIn, ProviderError> {
        Err(not_supported(self.name(), "by email"))
    }

    /// Whether the session of `user_id`, with the state this provider keeps, still stands;
    /// refreshes it when its tokens expired. With `ask`, the provider itself must answer (a
    /// refresh, or a call about the session), not what the cookie holds: the session layer
    /// asks so once the provider last vouched for the session longer ago than
    /// `SESSION_RECHECK_SECONDS`. Takes an `Arc` so a refresh can run in a task of its own
    /// (see `RefreshGate`).
    async fn check(self: Arc<Self>, user_id: &str, state: &Value, ask: bool) -> Check;

    /// Ends the session at the provider from the server (revokes it, or its refresh token),
    /// where the provider has a way to, so that a copy of the cookie stops working too.
    /// Failures are logged: the browser's cookie goes regardless.
    async fn revoke(&self, state: &Value);

    /// Whether what verifying a session needs loads now: the provider's published keys (and
    /// an OpenID Connect issuer's discovery document). For `/readyz` and `doctor`.
    async fn ready(&self) -> Result<(), ProviderError>;

    /// Where to send the browser to end its session at the provider's own site too (the
    /// provider's cookie, so the next sign-in asks again), coming back to `return_to`.
    /// `None`: nothing more for the browser to do.
    async fn logout_url(&self, _state: &Value, _return_to: &str) -> Option<Url> {
        None
    }
}

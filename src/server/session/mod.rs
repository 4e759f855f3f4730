//! The app's own session: an encrypted, authenticated cookie (tower-cookies' private jar) that
//! holds the provider session. Nothing is stored server-side, so any replica serves any request.
//!
//! Every request resolves the cookie once (`middleware::resolve_session`) into an [`Auth`] that
//! server functions and pages read, asking the provider that signed the user in whether the
//! session stands (each provider's `check`: local verification, and a refresh when its tokens
//! expire, written back here).

use std::sync::Arc;

use openidconnect::{PkceCodeChallenge, PkceCodeVerifier};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tower_cookies::cookie::SameSite;
use tower_cookies::{Cookie, Cookies, Key};

mod resolve;

use crate::paths::{Flash, local_path};
use crate::server::config::{ConfigError, Secret};
use crate::server::provider::{SignInSecrets, SignedIn};

pub const SESSION_COOKIE: &str = "ia_session";
/// Where to go after signing in, kept between the sign-in form and the magic link.
pub const NEXT_COOKIE: &str = "ia_next";
/// Set by signing out, so `/login` shows "signed out" instead of going straight back to the
/// only provider.
pub const SIGNED_OUT_COOKIE: &str = "ia_signed_out";
/// The PKCE verifier of the magic links this browser asked for: a link is exchanged only in
/// the browser that holds it.
pub const LINK_COOKIE: &str = "ia_link";
/// What a plain form post typed, back to the page it returns to (`paths::Flash`).
pub const FLASH_COOKIE: &str = "ia_flash";
/// A sign-in in progress at a provider: `ia_login.<state>`, one per attempt, so two tabs can
/// sign in at once.
const SIGN_IN_COOKIE_PREFIX: &str = "ia_login.";
/// How long a sign-in at a provider may take.
const SIGN_IN_MINUTES: i64 = 15;
/// Sign-ins a browser may have under way at once (tabs, retries); older ones are dropped, so
/// abandoned attempts never grow the Cookie header past what servers accept.
const MAX_PENDING_SIGN_INS: usize = 3;

/// Who is asking, as the session middleware found out. It travels in the request's
/// extensions, which are copied for the page's render and each extraction: the user is shared.
#[derive(Debug, Clone)]
pub enum Auth {
    SignedIn(Arc<SessionUser>),
    SignedOut,
    /// There is a session, but the provider could not be asked about it right now.
    Unavailable,
}

#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The provider's user id: the `sub` of the InsForge token.
    pub user_id: String,
    pub email: Option<String>,
    /// The provider that signed the user in (its name in `AUTH_PROVIDERS`).
    pub provider: String,
    /// What that provider keeps to go on validating the session (its own format).
    pub state: Value,
}

/// A session [`SessionCookies::end`] ended: who signed in, and the state the provider's
/// sign-out page needs.
pub struct Ended {
    pub provider: String,
    pub state: Value,
}

/// The version of the cookie's payload this app writes; version 1 (Stytch only) reads as
/// signed out.
const VERSION: u8 = 2;

/// The cookie's payload.
#[derive(Clone, Serialize, Deserialize)]
struct Stored {
    v: u8,
    provider: String,
    user_id: String,
    email: Option<String>,
    /// When the app's session ends (Unix seconds).
    exp: i64,
    /// When the provider itself last vouched for the session (Unix milliseconds): at sign-in,
    /// then at each refresh or call about it. An older cookie without it is asked at once.
    #[serde(default)]
    checked: i64,
    state: Value,
}

/// A sign-in that left for a provider, sealed in its own cookie until the callback.
#[derive(Serialize, Deserialize)]
pub struct PendingSignIn {
    pub provider: String,
    #[serde(rename = "login")]
    pub secrets: SignInSecrets,
    pub next: Option<String>,
    /// When it left (Unix milliseconds): the oldest go first when a browser holds too many.
    #[serde(default)]
    pub started: i64,
}

pub struct SessionCookies {
    key: Key,
    secure: bool,
    /// How long a sign-in at a redirect provider lasts.
    session_minutes: u32,
    /// How long a session is trusted on what its cookie holds before its provider is asked
    /// again (`SESSION_RECHECK_SECONDS`).
    recheck: std::time::Duration,
}

/// Unix milliseconds.
fn now_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// How soon a session whose provider could not be asked is asked again (`Check::Deferred`).
const RETRY_ASKING: std::time::Duration = std::time::Duration::from_secs(30);

/// `SESSION_RECHECK_SECONDS`' default: a session ended at its provider, or a cookie copied
/// before signing out, works at most this long.
pub const DEFAULT_RECHECK: std::time::Duration = std::time::Duration::from_secs(300);

const SECRET_EXPECTED: &str =
    "at least 32 random characters, such as the output of `openssl rand -base64 48`";

/// Browsers drop cookies over 4096 bytes; a session that big would sign nobody in.
const COOKIE_LIMIT: usize = 4000;

impl SessionCookies {
    /// `secure`: the site is served over https, so the cookies must never travel over http.
    pub fn new(secret: &Secret, secure: bool, session_minutes: u32) -> Result<Self, ConfigError> {
        if secret.expose().len() < 32 {
            return Err(ConfigError::Invalid {
                name: "SESSION_SECRET",
                problem: "it is shorter than 32 characters".into(),
                expected: SECRET_EXPECTED,
            });
        }
        Ok(SessionCookies {
            key: Key::derive_from(secret.expose().as_bytes()),
            secure,
            session_minutes,
            recheck: DEFAULT_RECHECK,
        })
    }

    /// How long a session is trusted before its provider is asked again.
    pub fn with_recheck(mut self, recheck: std::time::Duration) -> Self {
        self.recheck = recheck;
        self
    }

    /// A cookie's name as the browser sees it: over https with the `__Host-` prefix, which
    /// browsers keep only on a Secure, host-only cookie for the whole site (so no sibling
    /// subdomain or plain-http page can plant or shadow it).
    fn name(&self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    fn cookie(&self, name: impl Into<String>, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::new(self.name(&name.into()), value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(self.secure);
        cookie.set_path("/");
        cookie
    }

    fn write(&self, cookies: &Cookies, stored: &Stored) {
        let Ok(value) = serde_json::to_string(stored) else {
            tracing::error!("could not encode the session cookie");
            return;
        };
        let mut cookie = self.cookie(SESSION_COOKIE, value);
        cookie.set_expires(
            OffsetDateTime::from_unix_timestamp(stored.exp)
                .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        );
        cookies.private(&self.key).add(cookie);
        if let Some(sealed) = cookies.get(&self.name(SESSION_COOKIE))
            && sealed.value().len() > COOKIE_LIMIT
        {
            tracing::error!(
                provider = %stored.provider,
                "the session cookie is {} bytes, more than browsers keep; the user will not stay signed in",
                sealed.value().len()
            );
        }
        cookies.remove(self.cookie(SIGNED_OUT_COOKIE, String::new()));
    }

    /// Starts the session of a user `provider` signed in. It lasts as long as the provider's
    /// session where the provider says, else `SESSION_DURATION_MINUTES`, refreshing the
    /// provider's tokens as they expire.
    pub fn write_signed_in(&self, cookies: &Cookies, provider: &str, session: &SignedIn) {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let exp = session
            .expires_at
            .unwrap_or_else(|| now + i64::from(self.session_minutes) * 60);
        self.write(
            cookies,
            &Stored {
                v: VERSION,
                provider: provider.to_string(),
                user_id: session.user_id.clone(),
                email: session.email.clone(),
                exp,
                checked: now_ms(),
                state: session.state.clone(),
            },
        );
    }

    /// Ends the session in this browser.
    pub fn clear(&self, cookies: &Cookies) {
        cookies
            .private(&self.key)
            .remove(self.cookie(SESSION_COOKIE, String::new()));
    }

    /// Remembers for a minute that the user signed out on purpose.
    pub fn mark_signed_out(&self, cookies: &Cookies) {
        let mut flag = self.cookie(SIGNED_OUT_COOKIE, "1".into());
        flag.set_max_age(time::Duration::minutes(1));
        cookies.add(flag);
    }

    /// Whether the user signed out on purpose within the last minute.
    pub fn marked_signed_out(&self, cookies: &Cookies) -> bool {
        cookies.get(&self.name(SIGNED_OUT_COOKIE)).is_some()
    }

    /// The sign-in page has said so: from now on `/login` behaves as for any visitor.
    pub fn forget_signed_out(&self, cookies: &Cookies) {
        cookies.remove(self.cookie(SIGNED_OUT_COOKIE, String::new()));
    }

    /// Remembers a local path to return to after sign-in, for an hour.
    pub fn set_next(&self, cookies: &Cookies, path: &str) {
        let mut cookie = self.cookie(NEXT_COOKIE, path.to_string());
        cookie.set_max_age(time::Duration::hours(1));
        cookies.private(&self.key).add(cookie);
    }

    /// The remembered path (checked again: it must be local), forgetting it.
    pub fn take_next(&self, cookies: &Cookies) -> Option<String> {
        let next = self.take(cookies, NEXT_COOKIE)?;
        local_path(&next).map(str::to_string)
    }

    /// A sealed cookie's value, the cookie removed as it is read: what it carries is used once.
    fn take(&self, cookies: &Cookies, name: &str) -> Option<String> {
        let jar = cookies.private(&self.key);
        let value = jar.get(&self.name(name))?.value().to_string();
        jar.remove(self.cookie(name, String::new()));
        Some(value)
    }

    /// The PKCE challenge to send with a magic link asked for in this browser. Every link it
    /// asks for shares one verifier (kept sealed for as long as a link lives), so any of them
    /// works here and none works anywhere else. It outlives a used link, so opening that link
    /// again here says "already used" rather than "another browser".
    pub fn link_challenge(&self, cookies: &Cookies, link_minutes: u32) -> String {
        let verifier = self
            .link_verifier(cookies)
            .map(PkceCodeVerifier::new)
            .unwrap_or_else(|| PkceCodeChallenge::new_random_sha256().1);
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let mut cookie = self.cookie(LINK_COOKIE, verifier.into_secret());
        cookie.set_max_age(time::Duration::minutes(i64::from(link_minutes)));
        cookies.private(&self.key).add(cookie);
        challenge.as_str().to_string()
    }

    /// The verifier of the links this browser asked for, if it asked for any.
    pub fn link_verifier(&self, cookies: &Cookies) -> Option<String> {
        let verifier = cookies.private(&self.key).get(&self.name(LINK_COOKIE))?;
        Some(verifier.value().to_string()).filter(|v| !v.is_empty())
    }

    /// Hands `flash` to the next page this browser renders, sealed, for a minute.
    pub fn set_flash(&self, cookies: &Cookies, flash: &Flash) {
        let Ok(value) = serde_json::to_string(flash) else {
            return;
        };
        let mut cookie = self.cookie(FLASH_COOKIE, value);
        cookie.set_max_age(time::Duration::minutes(1));
        cookies.private(&self.key).add(cookie);
    }

    /// The flash a form post left for this page, forgotten as it is read.
    pub fn take_flash(&self, cookies: &Cookies) -> Option<Flash> {
        serde_json::from_str(&self.take(cookies, FLASH_COOKIE)?).ok()
    }

    /// Keeps a sign-in that is leaving for a provider, sealed, under its `state`.
    pub fn begin_sign_in(&self, cookies: &Cookies, pending: &PendingSignIn) {
        self.drop_oldest_sign_ins(cookies, MAX_PENDING_SIGN_INS - 1);
        let Ok(value) = serde_json::to_string(pending) else {
            tracing::error!("could not encode a pending sign-in");
            return;
        };
        let mut cookie = self.cookie(
            format!("{SIGN_IN_COOKIE_PREFIX}{}", pending.secrets.state),
            value,
        );
        cookie.set_max_age(time::Duration::minutes(SIGN_IN_MINUTES));
        cookies.private(&self.key).add(cookie);
    }

    /// Keeps the `keep` newest pending sign-ins of this browser, forgetting the others (and
    /// any that no longer open).
    fn drop_oldest_sign_ins(&self, cookies: &Cookies, keep: usize) {
        let prefix = self.name(SIGN_IN_COOKIE_PREFIX);
        let jar = cookies.private(&self.key);
        let mut pending: Vec<(i64, String)> = cookies
            .list()
            .into_iter()
            .filter(|c| c.name().starts_with(&prefix))
            .map(|c| {
                let started = jar
                    .get(c.name())
                    .and_then(|c| serde_json::from_str::<PendingSignIn>(c.value()).ok())
                    .map_or(i64::MIN, |p| p.started);
                (started, c.name().to_string())
            })
            .collect();
        pending.sort_unstable_by(|a, b| b.cmp(a));
        for (_, name) in pending.into_iter().skip(keep) {
            let base = name.strip_prefix("__Host-").unwrap_or(&name).to_string();
            cookies.remove(self.cookie(base, String::new()));
        }
    }

    /// The sign-in that sent the browser away with this `state`, forgotten as it is read: a
    /// callback works once.
    pub fn take_sign_in(&self, cookies: &Cookies, state: &str) -> Option<PendingSignIn> {
        let name = format!("{SIGN_IN_COOKIE_PREFIX}{state}");
        serde_json::from_str(&self.take(cookies, &name)?).ok()
    }

    fn read(&self, cookies: &Cookies) -> Option<Stored> {
        // A cookie that fails to decrypt (tampered, or sealed with an older secret) reads as
        // absent; the next sign-in replaces it.
        let cookie = cookies.private(&self.key).get(&self.name(SESSION_COOKIE))?;
        serde_json::from_str::<Stored>(cookie.value())
            .ok()
            .filter(|s| s.v == VERSION)
    }
}

#[cfg(test)]
mod tests;

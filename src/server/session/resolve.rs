//! Resolving a request's session cookie into an [`Auth`]: the provider that signed the user in
//! says whether the session stands (refreshing its tokens when they expire, and asked itself
//! once the cookie's word is older than `SESSION_RECHECK_SECONDS`), and what it renews is
//! written back; a session it ends loses its cookie. And ending a session: at the provider
//! too, on signing out or when a new sign-in replaces it.

use std::sync::Arc;

use time::OffsetDateTime;
use tower_cookies::Cookies;

use super::{
    Auth, Ended, RETRY_ASKING, SESSION_COOKIE, SessionCookies, SessionUser, Stored, now_ms,
};
use crate::server::provider::Check;
use crate::server::providers::Providers;

impl SessionCookies {
    /// Finds out who the request comes from, refreshing the provider session when its tokens
    /// have expired and dropping the cookie when the session is over.
    pub async fn resolve(&self, cookies: &Cookies, providers: &Providers) -> Auth {
        let Some(stored) = self.read(cookies) else {
            if cookies.get(&self.name(SESSION_COOKIE)).is_some() {
                self.clear(cookies);
            }
            return Auth::SignedOut;
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if stored.exp <= now {
            self.clear(cookies);
            return Auth::SignedOut;
        }
        let recheck = i64::try_from(self.recheck.as_millis()).unwrap_or(i64::MAX);
        let now_ms = now_ms();
        let ask = now_ms.saturating_sub(stored.checked) >= recheck;
        let stored = match providers
            .check(&stored.provider, &stored.user_id, &stored.state, ask)
            .await
        {
            Check::Valid => stored,
            Check::Confirmed => {
                let confirmed = Stored {
                    checked: now_ms,
                    ..stored
                };
                self.write(cookies, &confirmed);
                confirmed
            }
            Check::Deferred => {
                // Asked again once RETRY_ASKING has passed, not at every request meanwhile.
                let retry =
                    i64::try_from(RETRY_ASKING.min(self.recheck).as_millis()).unwrap_or(i64::MAX);
                let deferred = Stored {
                    checked: now_ms.saturating_sub(recheck).saturating_add(retry),
                    ..stored
                };
                self.write(cookies, &deferred);
                deferred
            }
            Check::Renewed(fresh) => {
                let renewed = Stored {
                    email: fresh.email.or(stored.email),
                    exp: fresh.expires_at.unwrap_or(stored.exp),
                    checked: now_ms,
                    state: fresh.state,
                    ..stored
                };
                self.write(cookies, &renewed);
                renewed
            }
            Check::Over => {
                self.clear(cookies);
                return Auth::SignedOut;
            }
            Check::Unknown => return Auth::Unavailable,
        };
        Auth::SignedIn(Arc::new(SessionUser {
            user_id: stored.user_id,
            email: stored.email,
            provider: stored.provider,
            state: stored.state,
        }))
    }

    /// Ends the session this browser holds, if any: its cookie, and the session at the
    /// provider (so a copy of the cookie stops working too). Returns who ended, and the state
    /// the provider's sign-out page needs.
    pub async fn end(&self, cookies: &Cookies, providers: &Providers) -> Option<Ended> {
        let stored = self.read(cookies)?;
        self.clear(cookies);
        providers.revoke(&stored.provider, &stored.state).await;
        tracing::info!(provider = %stored.provider, user = %stored.user_id, "session ended");
        Some(Ended {
            provider: stored.provider,
            state: stored.state,
        })
    }
}

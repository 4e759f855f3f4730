//! Resolving a request's session cookie into an [`Auth`]: the provider that signed the user in
//! says whether the session stands (refreshing its tokens when they expire), and what it
//! renews is written back; a session it ends loses its cookie.

use time::OffsetDateTime;
use tower_cookies::Cookies;

use super::{Auth, SESSION_COOKIE, SessionCookies, SessionUser, Stored};
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
        if stored.exp <= OffsetDateTime::now_utc().unix_timestamp() {
            self.clear(cookies);
            return Auth::SignedOut;
        }
        let stored = match providers
            .check(&stored.provider, &stored.user_id, &stored.state)
            .await
        {
            Check::Valid => stored,
            Check::Renewed(fresh) => {
                let renewed = Stored {
                    email: fresh.email.or(stored.email),
                    exp: fresh.expires_at.unwrap_or(stored.exp),
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
        Auth::SignedIn(SessionUser {
            user_id: stored.user_id,
            email: stored.email,
            provider: stored.provider,
            state: stored.state,
        })
    }
}

//! Resolving a request's session cookie into an [`Auth`]: verifying the provider's tokens
//! locally, refreshing them when they expire, and ending the session when the provider says
//! it is over.

use time::OffsetDateTime;
use tower_cookies::Cookies;

use super::{Auth, ProviderState, SESSION_COOKIE, SessionCookies, SessionUser, Stored};
use crate::server::jwks::JwtProblem;
use crate::server::providers::Providers;
use crate::server::redirect::{ProviderError, RedirectProvider};
use crate::server::stytch::StytchError;

impl SessionCookies {
    /// Finds out who the request comes from, refreshing the provider session when its tokens
    /// have expired and dropping the cookie when the session is over.
    pub async fn resolve(&self, cookies: &Cookies, providers: &Providers) -> Auth {
        let Some(stored) = self.read(cookies) else {
            if cookies.get(SESSION_COOKIE).is_some() {
                self.clear(cookies);
            }
            return Auth::SignedOut;
        };
        if stored.exp <= OffsetDateTime::now_utc().unix_timestamp() {
            self.clear(cookies);
            return Auth::SignedOut;
        }
        let outcome = match &stored.state {
            ProviderState::Stytch { token, jwt } => {
                self.resolve_stytch(cookies, providers, &stored, token, jwt)
                    .await
            }
            ProviderState::Oidc {
                refresh,
                fresh_until,
            } => {
                // The sealed cookie is the proof of sign-in until the provider's tokens
                // expire; then the refresh token asks the provider whether the session still
                // stands. Without one, the session lasts as the app's own.
                match refresh {
                    Some(refresh) if *fresh_until <= OffsetDateTime::now_utc().unix_timestamp() => {
                        self.refresh(cookies, providers, &stored, refresh).await
                    }
                    _ => match providers.redirect(&stored.provider) {
                        Some(RedirectProvider::Oidc(_)) => Resolved::Valid(stored.clone()),
                        _ => not_enabled(&stored),
                    },
                }
            }
            ProviderState::WorkOs {
                access_token,
                refresh_token,
                session_id,
            } => {
                self.resolve_workos(
                    cookies,
                    providers,
                    &stored,
                    access_token,
                    refresh_token,
                    session_id,
                )
                .await
            }
        };
        match outcome {
            Resolved::Valid(stored) => Auth::SignedIn(SessionUser {
                user_id: stored.user_id,
                email: stored.email,
                provider: stored.provider,
                state: stored.state,
            }),
            Resolved::Over => {
                self.clear(cookies);
                Auth::SignedOut
            }
            Resolved::Unknown => Auth::Unavailable,
        }
    }

    async fn resolve_stytch(
        &self,
        cookies: &Cookies,
        providers: &Providers,
        stored: &Stored,
        token: &str,
        jwt: &str,
    ) -> Resolved {
        let Some(stytch) = providers.stytch().filter(|_| stored.provider == "stytch") else {
            tracing::info!("a Stytch session, but Stytch is not enabled any more; signing out");
            return Resolved::Over;
        };
        match stytch.verify_session_jwt(jwt).await {
            Ok(verified) if verified.user_id == stored.user_id => {
                return Resolved::Valid(stored.clone());
            }
            Ok(_) => {
                tracing::warn!("session JWT names another user than its cookie; signing out");
                return Resolved::Over;
            }
            Err(JwtProblem::Keys(e)) => {
                tracing::warn!("cannot verify a session locally ({e}); asking Stytch");
            }
            Err(JwtProblem::Expired) => {}
            Err(JwtProblem::Invalid(why)) => {
                tracing::info!("session JWT rejected ({why}); asking Stytch about the session");
            }
        }
        match stytch.authenticate_session(token).await {
            Ok(fresh) if fresh.user_id == stored.user_id => {
                if let Err(JwtProblem::Invalid(why)) =
                    stytch.verify_session_jwt(&fresh.session_jwt).await
                {
                    // Not a user's problem but the app's: every request will call Stytch.
                    tracing::error!(
                        "a session JWT fresh from Stytch does not verify ({why}); \
                         check STYTCH_PROJECT_ID and STYTCH_API_URL (a custom domain's issuer)"
                    );
                }
                self.write_stytch(cookies, &fresh);
                Resolved::Valid(Stored {
                    email: fresh.email.clone().or(stored.email.clone()),
                    state: ProviderState::Stytch {
                        token: fresh.session_token,
                        jwt: fresh.session_jwt,
                    },
                    ..stored.clone()
                })
            }
            Ok(_) => {
                tracing::warn!("Stytch returned another user for a session; signing out");
                Resolved::Over
            }
            Err(StytchError::SessionNotFound) => {
                tracing::info!("Stytch session ended (revoked or expired); signing out");
                Resolved::Over
            }
            Err(e) => {
                tracing::warn!("cannot refresh a Stytch session: {e}");
                Resolved::Unknown
            }
        }
    }

    /// WorkOS: the access token is verified locally on each request (no call to WorkOS);
    /// once it expires, or stops verifying (a retired key), the refresh token asks WorkOS.
    async fn resolve_workos(
        &self,
        cookies: &Cookies,
        providers: &Providers,
        stored: &Stored,
        access_token: &str,
        refresh_token: &str,
        session_id: &str,
    ) -> Resolved {
        let Some(RedirectProvider::WorkOs(workos)) = providers.redirect(&stored.provider) else {
            return not_enabled(stored);
        };
        match workos.verify(access_token).await {
            Ok(claims) if claims.sub == stored.user_id && claims.sid == session_id => {
                return Resolved::Valid(stored.clone());
            }
            Ok(_) => {
                tracing::warn!(
                    "WorkOS access token names another user or session than its cookie; signing out"
                );
                return Resolved::Over;
            }
            Err(JwtProblem::Expired) => {}
            // Nothing is known about the token: refreshing would spend the refresh token on a
            // session that may well be valid, and could not verify the new one either.
            Err(JwtProblem::Keys(e)) => {
                tracing::warn!("cannot verify a WorkOS access token: {e}");
                return Resolved::Unknown;
            }
            Err(e) => tracing::info!("WorkOS access token not accepted ({e}); refreshing"),
        }
        self.refresh(cookies, providers, stored, refresh_token)
            .await
    }

    /// Asks the provider for new tokens (once for all concurrent requests with this refresh
    /// token) and writes them back; a refused refresh ends the session.
    async fn refresh(
        &self,
        cookies: &Cookies,
        providers: &Providers,
        stored: &Stored,
        refresh_token: &str,
    ) -> Resolved {
        if providers.redirect(&stored.provider).is_none() {
            return not_enabled(stored);
        }
        match providers
            .refresh(&stored.provider, refresh_token, &stored.user_id)
            .await
        {
            Ok(fresh) => {
                let renewed = Stored {
                    email: fresh.email.or(stored.email.clone()),
                    state: fresh.state,
                    ..stored.clone()
                };
                self.write(cookies, &renewed);
                Resolved::Valid(renewed)
            }
            Err(ProviderError::Refused(why)) => {
                tracing::info!(provider = %stored.provider, "session ended at the provider ({why}); signing out");
                Resolved::Over
            }
            Err(ProviderError::InvalidToken(why)) => {
                tracing::warn!(provider = %stored.provider, "refreshed token rejected ({why}); signing out");
                Resolved::Over
            }
            // An answer that asking again will not change: better a new sign-in than a
            // session stuck on "unavailable" until it expires.
            Err(ProviderError::Unexpected(why)) => {
                tracing::warn!(provider = %stored.provider, "refresh failed ({why}); signing out");
                Resolved::Over
            }
            Err(e) => {
                tracing::warn!(provider = %stored.provider, "cannot refresh a session: {e}");
                Resolved::Unknown
            }
        }
    }
}

fn not_enabled(stored: &Stored) -> Resolved {
    tracing::info!(provider = %stored.provider, "a session of a provider that is not enabled; signing out");
    Resolved::Over
}

enum Resolved {
    Valid(Stored),
    /// Ended (revoked, expired, or not this app's any more): sign out.
    Over,
    /// The provider could not be asked.
    Unknown,
}

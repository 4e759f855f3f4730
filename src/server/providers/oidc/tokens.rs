//! What the provider's token answers mean: the verified address, how long the tokens last, and
//! a refused grant as a `ProviderError`.

use std::time::Duration;

use openidconnect::OAuth2TokenResponse;
use openidconnect::RequestTokenError;
use openidconnect::core::{CoreErrorResponseType, CoreIdTokenClaims, CoreTokenResponse};

use crate::server::http::HttpError;
use crate::server::provider::ProviderError;

/// Assumed when a token response has no `expires_in`.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The address the ID token names, only when the provider says it verified it (an unverified
/// one is anybody's to claim).
pub(super) fn verified_email(claims: &CoreIdTokenClaims) -> Option<String> {
    claims
        .email()
        .filter(|_| claims.email_verified() == Some(true))
        .map(|e| e.to_string())
}

/// When the tokens of `response` expire (Unix seconds): the next refresh is due then.
pub(super) fn fresh_until(response: &CoreTokenResponse) -> i64 {
    let lifetime = response.expires_in().unwrap_or(DEFAULT_TOKEN_LIFETIME);
    time::OffsetDateTime::now_utc().unix_timestamp()
        + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2)
}

/// What a refused token request means for the app.
pub(super) fn token_error(
    e: RequestTokenError<HttpError, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
) -> ProviderError {
    match e {
        RequestTokenError::ServerResponse(answer) => {
            let detail = match answer.error_description() {
                Some(d) => format!("{}: {d}", answer.error()),
                None => answer.error().to_string(),
            };
            match answer.error() {
                CoreErrorResponseType::InvalidGrant => ProviderError::Refused(detail),
                CoreErrorResponseType::InvalidClient
                | CoreErrorResponseType::UnauthorizedClient
                | CoreErrorResponseType::InvalidScope
                | CoreErrorResponseType::UnsupportedGrantType => {
                    ProviderError::Misconfigured(detail)
                }
                // Auth0 answers a wrong client secret with `access_denied`.
                CoreErrorResponseType::Extension(other) if other == "access_denied" => {
                    ProviderError::Misconfigured(detail)
                }
                _ => ProviderError::Unexpected(detail),
            }
        }
        RequestTokenError::Request(e) => ProviderError::Unavailable(e.to_string()),
        RequestTokenError::Parse(e, _) => ProviderError::Unexpected(format!("token response: {e}")),
        RequestTokenError::Other(e) => ProviderError::Unexpected(e),
    }
}

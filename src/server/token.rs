//! The short-lived InsForge token the server mints for a user whose provider session it has
//! verified. InsForge checks it with the project's JWT secret (HS256), reads `sub`, `email` and
//! `role`, and hands them to PostgreSQL, where `requesting_user_id()` returns `sub`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::Serialize;

use super::config::Secret;

/// InsForge's docs ask third-party tokens to carry this audience; InsForge does not check it.
pub const AUDIENCE: &str = "insforge-api";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the InsForge JWT secret is empty; set INSFORGE_JWT_SECRET")]
    EmptySecret,
    #[error("a token needs the user's id, and it is empty")]
    EmptySubject,
    #[error("token lifetime must be positive")]
    ZeroLifetime,
    #[error("the system clock is before 1970")]
    Clock,
    #[error("signing the token failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    role: &'static str,
    aud: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    iat: u64,
    exp: u64,
}

pub struct TokenMinter {
    key: EncodingKey,
    lifetime: Duration,
}

impl std::fmt::Debug for TokenMinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenMinter")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl TokenMinter {
    /// Refuses an empty secret: a token signed with it would be forgeable by anyone.
    pub fn new(secret: &Secret, lifetime: Duration) -> Result<Self, TokenError> {
        if secret.expose().is_empty() {
            return Err(TokenError::EmptySecret);
        }
        if lifetime.is_zero() {
            return Err(TokenError::ZeroLifetime);
        }
        Ok(TokenMinter {
            key: EncodingKey::from_secret(secret.expose().as_bytes()),
            lifetime,
        })
    }

    /// A token for the provider's user id `sub`, unchanged, as text.
    pub fn mint(&self, sub: &str, email: Option<&str>) -> Result<String, TokenError> {
        if sub.is_empty() {
            return Err(TokenError::EmptySubject);
        }
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| TokenError::Clock)?
            .as_secs();
        let claims = Claims {
            sub,
            role: "authenticated",
            aud: AUDIENCE,
            email: email.filter(|e| !e.is_empty()),
            iat,
            exp: iat + self.lifetime.as_secs(),
        };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, &self.key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    #[test]
    fn mints_what_insforge_expects() {
        let secret = Secret::new("test-secret");
        let minter = TokenMinter::new(&secret, Duration::from_secs(600)).expect("minter");
        let token = minter
            .mint("auth0|abc", Some("a@example.com"))
            .expect("token");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        let claims = decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"test-secret"),
            &validation,
        )
        .expect("valid HS256 token")
        .claims;
        assert_eq!(claims["sub"], "auth0|abc");
        assert_eq!(claims["role"], "authenticated");
        assert_eq!(claims["email"], "a@example.com");
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap_or(0),
            claims["exp"].as_u64().unwrap_or(0),
        );
        assert_eq!(exp - iat, 600);
    }

    #[test]
    fn refuses_empty_secret_and_subject() {
        assert!(matches!(
            TokenMinter::new(&Secret::new(""), Duration::from_secs(60)),
            Err(TokenError::EmptySecret)
        ));
        let minter = TokenMinter::new(&Secret::new("s"), Duration::from_secs(60)).expect("minter");
        assert!(matches!(
            minter.mint("", None),
            Err(TokenError::EmptySubject)
        ));
        let token = minter.mint("kp_1", None).expect("token");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        let claims =
            decode::<serde_json::Value>(&token, &DecodingKey::from_secret(b"s"), &validation)
                .expect("valid")
                .claims;
        assert_eq!(claims["sub"], "kp_1");
        assert!(
            claims.get("email").is_none(),
            "no email claim when none is known"
        );
    }
}

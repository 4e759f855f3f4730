//! Verifying an OpenID Connect provider's ID tokens.

use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, ClientId, ClientSecret, IssuerUrl, Nonce, OAuth2TokenResponse,
};

use std::time::Duration;

use super::flavors::OidcConfig;
use crate::server::jwks::{JwksCache, JwksError};
use crate::server::provider::ProviderError;

/// Tolerated clock difference with the provider on the ID token's `exp`.
const LEEWAY: Duration = Duration::from_secs(30);

/// The algorithms an ID token may be signed with: those the issuer's discovery announces,
/// but never `none` nor a MAC keyed with the client secret (HS256/384/512), which anyone who
/// holds that secret could forge; RS256 when it announces none of the others.
pub(super) fn signing_algs(announced: &[CoreJwsSigningAlgorithm]) -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm as A;
    let algs: Vec<_> = announced
        .iter()
        .filter(|alg| {
            matches!(
                alg,
                A::RsaSsaPkcs1V15Sha256
                    | A::RsaSsaPkcs1V15Sha384
                    | A::RsaSsaPkcs1V15Sha512
                    | A::RsaSsaPssSha256
                    | A::RsaSsaPssSha384
                    | A::RsaSsaPssSha512
                    | A::EcdsaP256Sha256
                    | A::EcdsaP384Sha384
                    | A::EdDsa
            )
        })
        .cloned()
        .collect();
    if algs.is_empty() {
        vec![A::RsaSsaPkcs1V15Sha256]
    } else {
        algs
    }
}

/// Signature (against the provider's published keys, fetched again for a new `kid`),
/// issuer, audience, expiry, nonce (at sign-in) and the access token's hash.
pub(super) async fn verify(
    config: &OidcConfig,
    jwks: &JwksCache,
    algs: &[CoreJwsSigningAlgorithm],
    id_token: &CoreIdToken,
    nonce: Option<&Nonce>,
    response: Option<&CoreTokenResponse>,
) -> Result<CoreIdTokenClaims, ProviderError> {
    let raw = id_token.to_string();
    let header = jsonwebtoken::decode_header(&raw)
        .map_err(|e| ProviderError::InvalidToken(format!("header: {e}")))?;
    // Without a `kid`, `openidconnect` takes the set's one key of the token's algorithm, and
    // refuses when there are several (OIDC Core 10.1).
    let keys = match &header.kid {
        Some(kid) => jwks.set_with(kid).await,
        None => jwks.set().await,
    };
    let unusable = |e: JwksError| match e {
        JwksError::UnknownKey(_) => ProviderError::InvalidToken(e.to_string()),
        JwksError::Unavailable { .. } => ProviderError::Unavailable(e.to_string()),
    };
    let keys = keys.map_err(unusable)?;
    let verified = verify_with(config, keys, algs, id_token, nonce, response);
    match verified {
        // A kid-less token the cached set does not verify: the issuer may have replaced its
        // one key since (a token with a `kid` refetches by that `kid` instead).
        Err(ProviderError::InvalidToken(_)) if header.kid.is_none() => {
            let keys = jwks.refetched_set().await.map_err(unusable)?;
            verify_with(config, keys, algs, id_token, nonce, response)
        }
        verified => verified,
    }
}

fn verify_with(
    config: &OidcConfig,
    keys: Vec<serde_json::Value>,
    algs: &[CoreJwsSigningAlgorithm],
    id_token: &CoreIdToken,
    nonce: Option<&Nonce>,
    response: Option<&CoreTokenResponse>,
) -> Result<CoreIdTokenClaims, ProviderError> {
    let keys: CoreJsonWebKeySet = serde_json::from_value(serde_json::json!({ "keys": keys }))
        .map_err(|e| ProviderError::Unexpected(format!("signing keys: {e}")))?;
    let issuer = IssuerUrl::new(config.issuer.clone())
        .map_err(|e| ProviderError::Misconfigured(format!("issuer: {e}")))?;
    let mut verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(config.client_id.clone()),
        ClientSecret::new(config.client_secret.expose().to_string()),
        issuer,
        keys,
    )
    .set_time_fn(|| chrono::Utc::now() - LEEWAY)
    .set_allowed_algs(algs.iter().cloned());
    if config.flavor.quirks().other_audiences {
        // `openidconnect` still requires `azp` to name this client when there are several.
        verifier = verifier.set_other_audience_verifier_fn(|_| true);
    }
    let claims = match nonce {
        Some(nonce) => id_token.claims(&verifier, nonce),
        // Refreshed ID tokens carry no nonce of ours (OIDC Core 12.2).
        None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
    }
    .map_err(|e| ProviderError::InvalidToken(e.to_string()))?
    .clone();
    if let (Some(expected), Some(response)) = (claims.access_token_hash(), response) {
        let alg = id_token
            .signing_alg()
            .map_err(|e| ProviderError::InvalidToken(e.to_string()))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| ProviderError::InvalidToken(e.to_string()))?;
        let actual = AccessTokenHash::from_token(response.access_token(), alg, key)
            .map_err(|e| ProviderError::InvalidToken(e.to_string()))?;
        if actual != *expected {
            return Err(ProviderError::InvalidToken(
                "at_hash does not match the access token".into(),
            ));
        }
    }
    Ok(claims)
}

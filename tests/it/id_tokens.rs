//! Which ID tokens an OpenID Connect provider's sign-in accepts: the asymmetric algorithms the
//! issuer's discovery announces (ES256 and PS256 too), a token without `kid` when the key set
//! has one key; never `alg: none`, nor HS256 keyed with the client secret.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use devstack::oidc::Flavor;
use insforge_auth::server::provider::ProviderError;
use serde_json::{Value, json};

use crate::oidc::{dev, emulator, provider, raw_id_token};

fn header(jwt: &str) -> jsonwebtoken::Header {
    jsonwebtoken::decode_header(jwt).expect("header")
}

#[tokio::test]
async fn es256_and_ps256_tokens_verify_when_the_issuer_announces_them() {
    let f = emulator(Flavor::Generic, Duration::from_secs(3600)).await;
    let p = provider(&f);
    for alg in ["ES256", "PS256", "RS256"] {
        assert!(
            dev(&f, "keys/rotate", json!({ "alg": alg }))
                .await
                .is_success()
        );
        let token = raw_id_token(&f, &p, "ada@example.com").await;
        assert_eq!(format!("{:?}", header(&token).alg), alg);
        p.verify_id_token(&token, None)
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

#[tokio::test]
async fn an_algorithm_the_issuer_does_not_announce_is_refused() {
    // Kinde announces RS256 only.
    let f = emulator(Flavor::Kinde, Duration::from_secs(3600)).await;
    let p = provider(&f);
    assert!(
        dev(&f, "keys/rotate", json!({"alg": "ES256"}))
            .await
            .is_success()
    );
    let token = raw_id_token(&f, &p, "bea@example.com").await;
    let refused = p.verify_id_token(&token, None).await;
    assert!(
        matches!(refused, Err(ProviderError::InvalidToken(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_token_without_kid_verifies_against_a_single_key_only() {
    let f = emulator(Flavor::Generic, Duration::from_secs(3600)).await;
    let p = provider(&f);
    assert!(
        dev(&f, "keys/rotate", json!({"kid": false}))
            .await
            .is_success()
    );
    assert!(dev(&f, "keys/retire", json!({})).await.is_success());
    let token = raw_id_token(&f, &p, "cyd@example.com").await;
    assert_eq!(header(&token).kid, None);
    p.verify_id_token(&token, None)
        .await
        .expect("the set's one key");
    // The issuer replaces its one key (still without an id): the cached set is fetched again.
    assert!(
        dev(&f, "keys/rotate", json!({"kid": false}))
            .await
            .is_success()
    );
    assert!(dev(&f, "keys/retire", json!({})).await.is_success());
    let token = raw_id_token(&f, &p, "cyd@example.com").await;
    p.verify_id_token(&token, None)
        .await
        .expect("the replaced key is fetched");

    // Two keys without ids, each fit for RS256: which one signed is anybody's guess.
    let f = emulator(Flavor::Generic, Duration::from_secs(3600)).await;
    let p = provider(&f);
    for _ in 0..2 {
        assert!(
            dev(&f, "keys/rotate", json!({"kid": false}))
                .await
                .is_success()
        );
    }
    let token = raw_id_token(&f, &p, "cyd@example.com").await;
    let refused = p.verify_id_token(&token, None).await;
    assert!(
        matches!(refused, Err(ProviderError::InvalidToken(_))),
        "{refused:?}"
    );
}

/// A real token's claims, signed again as an attacker who knows the client secret (or nothing).
fn forge(real: &str, alg: &str, secret: &str) -> String {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(real).expect("claims");
    let head = |alg: &str| URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    match alg {
        "none" => format!("{}.{body}.", head("none")),
        _ => jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign"),
    }
}

#[tokio::test]
async fn alg_none_and_hs256_with_the_client_secret_are_refused() {
    // Auth0 announces HS256 (keyed with the client secret): the app still refuses it.
    let f = emulator(Flavor::Auth0, Duration::from_secs(3600)).await;
    let p = provider(&f);
    let real = raw_id_token(&f, &p, "dee@example.com").await;
    p.verify_id_token(&real, None).await.expect("the real one");
    for alg in ["none", "HS256"] {
        let forged = forge(&real, alg, f.emulator.client_secret());
        let refused = p.verify_id_token(&forged, None).await;
        assert!(
            matches!(refused, Err(ProviderError::InvalidToken(_))),
            "{alg}: {refused:?}"
        );
    }
}

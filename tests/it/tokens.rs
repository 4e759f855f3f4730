//! Every kind of bad credential gets the status and body real InsForge gives it
//! (`backend/src/api/middlewares/auth.ts`, `infra/security/token.manager.ts`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

const INVALID_TOKEN: &str =
    r#"{"error":"AUTH_UNAUTHORIZED","message":"Invalid token","statusCode":401}"#;
const NO_TOKEN: &str = r#"{"error":"AUTH_INVALID_CREDENTIALS","message":"No token provided","statusCode":401,"nextActions":"Check the token is valid or login to get a new token."}"#;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sign(secret: &str, claims: &Value) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

/// `(status, body)` of a GET on the todos with this Authorization header (or none).
async fn get_with(authorization: Option<&str>) -> (u16, String) {
    let mut req = http().get(records_url(project(), "todos"));
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

#[tokio::test]
async fn a_minted_token_is_accepted() {
    let token = token_for(project(), &new_user());
    assert_eq!(
        get_with(Some(&format!("Bearer {token}"))).await,
        (200, "[]".to_string())
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let secret = &project().keys.jwt_secret;
    let token = sign(
        secret,
        &json!({"sub": new_user(), "role": "authenticated", "exp": now() - 5}),
    );
    assert_eq!(
        get_with(Some(&format!("Bearer {token}"))).await,
        (401, INVALID_TOKEN.to_string())
    );
}

#[tokio::test]
async fn a_token_without_exp_never_expires_as_on_insforge() {
    let secret = &project().keys.jwt_secret;
    let token = sign(secret, &json!({"sub": new_user(), "role": "authenticated"}));
    assert_eq!(get_with(Some(&format!("Bearer {token}"))).await.0, 200);
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let token = sign(
        "not-the-project-secret",
        &json!({"sub": new_user(), "role": "authenticated", "exp": now() + 60}),
    );
    assert_eq!(
        get_with(Some(&format!("Bearer {token}"))).await,
        (401, INVALID_TOKEN.to_string())
    );
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let header = B64.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = B64
        .encode(json!({"sub": new_user(), "role": "authenticated", "exp": now() + 60}).to_string());
    let token = format!("{header}.{payload}.");
    assert_eq!(
        get_with(Some(&format!("Bearer {token}"))).await,
        (401, INVALID_TOKEN.to_string())
    );
}

#[tokio::test]
async fn a_token_without_sub_is_refused() {
    let secret = &project().keys.jwt_secret;
    for claims in [
        json!({"role": "authenticated", "exp": now() + 60}),
        json!({"sub": "", "exp": now() + 60}),
    ] {
        let token = sign(secret, &claims);
        assert_eq!(
            get_with(Some(&format!("Bearer {token}"))).await,
            (401, r#"{"error":"AUTH_UNAUTHORIZED","message":"Invalid token subject","statusCode":401}"#.to_string()),
            "{claims}"
        );
    }
}

#[tokio::test]
async fn a_role_other_than_authenticated_is_forbidden() {
    let secret = &project().keys.jwt_secret;
    let token = sign(
        secret,
        &json!({"sub": new_user(), "role": "service_role", "exp": now() + 60}),
    );
    assert_eq!(
        get_with(Some(&format!("Bearer {token}"))).await,
        (
            403,
            r#"{"error":"AUTH_UNAUTHORIZED","message":"Invalid user role claim","statusCode":403}"#
                .to_string()
        )
    );
}

#[tokio::test]
async fn garbage_and_missing_credentials_are_refused() {
    assert_eq!(
        get_with(Some("Bearer not.a.jwt")).await,
        (401, INVALID_TOKEN.to_string())
    );
    assert_eq!(
        get_with(Some("Bearer garbage")).await,
        (401, INVALID_TOKEN.to_string())
    );
    assert_eq!(get_with(None).await, (401, NO_TOKEN.to_string()));
    // Not "Bearer " exactly: treated as no token at all.
    assert_eq!(
        get_with(Some("Basic dXNlcjpwYXNz")).await,
        (401, NO_TOKEN.to_string())
    );
    assert_eq!(
        get_with(Some("bearer abc")).await,
        (401, NO_TOKEN.to_string())
    );
}

#[tokio::test]
async fn unknown_keys_are_refused_by_shape() {
    assert_eq!(
        get_with(Some("Bearer anon_0000")).await,
        (401, r#"{"error":"AUTH_INVALID_CREDENTIALS","message":"Invalid anon key","statusCode":401,"nextActions":"Check the token is valid or login to get a new token."}"#.to_string())
    );
    assert_eq!(
        get_with(Some("Bearer ik_0000")).await,
        (401, r#"{"error":"AUTH_INVALID_API_KEY","message":"Invalid API key","statusCode":401,"nextActions":"Check the API key is valid or generate a new API key."}"#.to_string())
    );
}

#[tokio::test]
async fn only_sub_email_and_role_reach_postgres() {
    // A custom claim is dropped by InsForge's gateway: rows are owned by `sub` and nothing else.
    let project = project();
    let sub = new_user();
    let token = sign(
        &project.keys.jwt_secret,
        &json!({"sub": sub, "role": "authenticated", "user_id": "someone-else", "exp": now() + 60}),
    );
    let res = http()
        .post(records_url(project, "todos"))
        .bearer_auth(&token)
        .header("prefer", "return=representation")
        .json(&json!({"title": "claims"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let rows: Value = res.json().await.expect("json");
    assert_eq!(rows[0]["user_id"], json!(sub));
}

//! What the emulated provider signs: the token response (access token, ID token, and a
//! refresh token when the scope asks), and the ID token each flavour writes, the standard
//! claims plus the provider's own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::flavor::Flavor;
use super::state::{Access, Data, Emulator, Grant, Login, User};
use crate::jwk::SigningKey;
use crate::keys::random_token;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The token response: access token, ID token, and a refresh token when the scope asked.
pub(crate) fn tokens(
    emu: &Emulator,
    data: &mut Data,
    user: &User,
    scope: &str,
    nonce: Option<&str>,
    login: &Login,
) -> Result<Value, String> {
    let flavor = emu.config.flavor;
    let lifetime = emu.config.client.token_lifetime.as_secs() as i64;
    let iat = now().unix_timestamp();
    let access_token = match flavor {
        // Kinde's access tokens are JWTs; the others' (without an API audience) are opaque.
        Flavor::Kinde => emu
            .core
            .keys
            .sign(&json!({
                "aud": [], "azp": emu.client_id(), "exp": iat + lifetime, "iat": iat,
                "iss": emu.issuer(), "jti": uuid::Uuid::new_v4().to_string(),
                "scp": scope.split(' ').collect::<Vec<_>>(), "sub": user.sub,
                "org_code": "org_0123456789a", "permissions": [], "feature_flags": {},
            }))
            .map_err(|e| e.to_string())?,
        _ => random_token(32),
    };
    data.access.insert(
        access_token.clone(),
        Access {
            user: user.clone(),
            expires_at: now() + time::Duration::seconds(lifetime),
        },
    );
    let id_token = id_token(emu, data, user, nonce, login, &access_token, lifetime)?;
    let mut answer = json!({
        "access_token": access_token,
        "id_token": id_token,
        "scope": scope,
        "expires_in": lifetime,
        "token_type": "Bearer",
    });
    if scope.split(' ').any(|s| s == flavor.refresh_scope())
        && let Value::Object(map) = &mut answer
    {
        let refresh = random_token(32);
        data.refresh.insert(
            refresh.clone(),
            Grant {
                user: user.clone(),
                client_id: emu.client_id().to_string(),
                scope: scope.to_string(),
                login: login.clone(),
                spent: false,
            },
        );
        map.insert("refresh_token".into(), json!(refresh));
    }
    Ok(answer)
}

/// OIDC's `at_hash`: the left half of the access token's SHA-256, base64url.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

fn id_token(
    emu: &Emulator,
    data: &mut Data,
    user: &User,
    nonce: Option<&str>,
    login: &Login,
    access_token: &str,
    lifetime: i64,
) -> Result<String, String> {
    let flavor = emu.config.flavor;
    let iat = OffsetDateTime::now_utc().unix_timestamp();
    let client_id = emu.client_id();
    let name = user.email.split('@').next().unwrap_or_default();
    let mut claims = json!({
        "iss": emu.issuer(),
        "sub": user.sub,
        "aud": client_id,
        "iat": iat,
        "exp": iat + lifetime,
        "email": user.email,
        "email_verified": true,
        "name": name,
        "at_hash": at_hash(access_token),
        "sid": login.sid,
    });
    let Value::Object(map) = &mut claims else {
        return Err("claims are not an object".into());
    };
    if let Some(nonce) = nonce {
        map.insert("nonce".into(), json!(nonce));
    }
    match flavor {
        Flavor::Auth0 => {
            map.insert("nickname".into(), json!(name));
            map.insert("picture".into(), json!(""));
            map.insert(
                "updated_at".into(),
                json!(
                    OffsetDateTime::now_utc()
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                ),
            );
        }
        Flavor::Kinde => {
            // Kinde lists the requested API audience next to the client: several audiences,
            // with `azp` naming the client.
            map.insert(
                "aud".into(),
                json!([format!("{}/api", emu.issuer()), client_id]),
            );
            map.insert("azp".into(), json!(client_id));
            map.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
            map.insert("auth_time".into(), json!(login.auth_time));
            map.insert("given_name".into(), json!(name));
            map.insert("family_name".into(), Value::Null);
            map.insert("picture".into(), Value::Null);
            map.insert("updated_at".into(), json!(iat));
            map.insert("org_codes".into(), json!(["org_0123456789a"]));
        }
        Flavor::Clerk => {
            map.insert("azp".into(), json!(client_id));
            map.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
            map.insert("nbf".into(), json!(iat - 10));
        }
        Flavor::Generic => {}
    }
    let tamper = data.tamper.take().unwrap_or_default();
    if let Some(verified) = tamper.email_verified {
        map.insert("email_verified".into(), json!(verified));
    }
    if let Some(nonce) = tamper.nonce {
        map.insert("nonce".into(), json!(nonce));
    }
    if let Some(iss) = tamper.iss {
        map.insert("iss".into(), json!(iss));
    }
    if let Some(aud) = tamper.aud {
        map.insert("aud".into(), json!(aud));
    }
    if let Some(exp_in) = tamper.exp_in {
        map.insert("exp".into(), json!(iat + exp_in));
        map.insert("iat".into(), json!(iat + exp_in.min(0) - 60));
    }
    if tamper.unknown_key {
        let stranger = SigningKey::generate(flavor.new_kid()).map_err(|e| e.to_string())?;
        return stranger.sign(&claims).map_err(|e| e.to_string());
    }
    emu.core.keys.sign(&claims).map_err(|e| e.to_string())
}

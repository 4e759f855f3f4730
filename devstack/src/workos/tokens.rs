//! What the WorkOS emulator signs: RS256 access tokens with WorkOS' claims.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::state::{Data, Emulator, User, new_id};
use crate::jwk::SigningKey;

/// An RS256 access token with WorkOS' claims (no `aud`, no email: those need a JWT template).
pub(crate) fn access_token(
    emu: &Emulator,
    data: &mut Data,
    user: &User,
    session_id: &str,
) -> Result<String, String> {
    let iat = OffsetDateTime::now_utc().unix_timestamp();
    let lifetime = i64::try_from(emu.config.client.token_lifetime.as_secs()).unwrap_or(300);
    let mut claims = json!({
        "iss": emu.issuer(),
        "sub": user.id,
        "sid": session_id,
        "jti": new_id("jti").replacen("jti_", "", 1),
        "exp": iat + lifetime,
        "iat": iat,
    });
    let tamper = data.tamper.take().unwrap_or_default();
    if let Value::Object(map) = &mut claims {
        if let Some(exp_in) = tamper.exp_in {
            map.insert("exp".into(), json!(iat + exp_in));
            map.insert("iat".into(), json!(iat + exp_in.min(0) - 60));
        }
        if let Some(sub) = tamper.sub {
            map.insert("sub".into(), json!(sub));
        }
    }
    if tamper.unknown_key {
        let stranger =
            SigningKey::generate(new_id("sso_oidc_key_pair")).map_err(|e| e.to_string())?;
        return stranger.sign(&claims).map_err(|e| e.to_string());
    }
    emu.core.keys.sign(&claims).map_err(|e| e.to_string())
}

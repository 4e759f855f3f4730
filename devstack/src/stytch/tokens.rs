//! What the Stytch emulator writes and signs: the JSON shapes of Stytch's answers (user,
//! session) and its session JWT.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::state::{Emulator, Session, User};

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn factor(session: &Session, user: &User) -> Value {
    json!({
        "type": "magic_link",
        "delivery_method": "email",
        "last_authenticated_at": rfc3339(session.authenticated_at),
        "created_at": rfc3339(session.authenticated_at),
        "updated_at": rfc3339(session.authenticated_at),
        "email_factor": { "email_id": user.email_id, "email_address": user.email },
    })
}

pub(crate) fn session_json(session: &Session, user: &User) -> Value {
    json!({
        "session_id": session.session_id,
        "user_id": session.user_id,
        "started_at": rfc3339(session.started_at),
        "last_accessed_at": rfc3339(session.last_accessed_at),
        "expires_at": rfc3339(session.expires_at),
        "attributes": { "ip_address": "", "user_agent": "" },
        "authentication_factors": [factor(session, user)],
        "custom_claims": {},
        "roles": ["stytch_user"],
    })
}

pub(crate) fn user_json(user: &User) -> Value {
    json!({
        "user_id": user.user_id,
        "created_at": rfc3339(user.created_at),
        "status": if user.active { "active" } else { "pending" },
        "name": { "first_name": "", "middle_name": "", "last_name": "" },
        "emails": [{ "email_id": user.email_id, "email": user.email, "verified": user.active }],
        "phone_numbers": [],
        "webauthn_registrations": [],
        "providers": [],
        "totps": [],
        "crypto_wallets": [],
        "biometric_registrations": [],
        "is_locked": false,
        "roles": ["stytch_user"],
        "trusted_metadata": {},
        "untrusted_metadata": {},
        "external_id": null,
        "password": null,
    })
}

/// The session as the JWT carries it: the API's session object, `id` for `session_id`, without
/// the user id (that is `sub`) and custom claims (those go top-level).
fn session_claim(session: &Session, user: &User) -> Value {
    let mut claim = session_json(session, user);
    if let Value::Object(map) = &mut claim {
        if let Some(id) = map.remove("session_id") {
            map.insert("id".into(), id);
        }
        map.remove("user_id");
        map.remove("custom_claims");
    }
    claim
}

/// Stytch's session JWT: RS256, `aud` = [project id], `iss` = `stytch.com/<project id>`,
/// a fixed short lifetime, and the session itself under `https://stytch.com/session`.
pub(crate) fn session_jwt(
    emu: &Emulator,
    session: &Session,
    user: &User,
) -> Result<String, String> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let lifetime = i64::try_from(emu.config.session_jwt_lifetime.as_secs()).unwrap_or(300);
    let claims = json!({
        "aud": [emu.config.project_id],
        "iss": format!("stytch.com/{}", emu.config.project_id),
        "sub": session.user_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "https://stytch.com/session": session_claim(session, user),
    });
    emu.keys.sign(&claims).map_err(|e| e.to_string())
}

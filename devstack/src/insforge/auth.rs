//! InsForge's `verifyUser` / `verifyAdmin` (`backend/src/api/middlewares/auth.ts`): the
//! credential's shape picks the path, and a failed path is never retried as another.

use axum::http::{HeaderMap, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::{Map, Value};

use super::error::InsForgeError;

/// Who a records request acts as once its credential is accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// Admin API key, or a JWT with role `project_admin`: RLS bypassed.
    Admin,
    Anon,
    User {
        sub: String,
        email: Option<String>,
    },
}

impl Caller {
    pub fn db_role(&self) -> &'static str {
        match self {
            Caller::Admin => "project_admin",
            Caller::Anon => "anon",
            Caller::User { .. } => "authenticated",
        }
    }

    /// The claims InsForge's gateway puts in the token it forwards to PostgREST, which PostgREST
    /// then exposes as `request.jwt.claims`: `{sub, email, role, iat, exp}` for a user (a fresh
    /// 5-minute token), `{role}` for anon and admin. The caller's other claims never reach SQL.
    pub fn claims(&self, now: u64) -> Value {
        let mut m = Map::new();
        if let Caller::User { sub, email } = self {
            m.insert("sub".into(), Value::String(sub.clone()));
            if let Some(email) = email {
                m.insert("email".into(), Value::String(email.clone()));
            }
        }
        m.insert("role".into(), Value::String(self.db_role().into()));
        if matches!(self, Caller::User { .. }) {
            m.insert("iat".into(), now.into());
            m.insert("exp".into(), (now + 300).into());
        }
        Value::Object(m)
    }
}

/// A verified JWT's `{sub, email, role}`, as `tokenManager.verifyToken` returns them.
struct TokenPayload {
    sub: String,
    email: Option<String>,
    role: String,
}

pub struct Credentials {
    jwt_key: DecodingKey,
    api_key: String,
    anon_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

/// Compares without an early exit, so timing says nothing about where keys differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `extractBearerToken`: case-sensitive `Bearer ` prefix; an empty token counts as none.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").filter(|t| !t.is_empty())
}

impl Credentials {
    pub fn new(jwt_secret: &str, api_key: &str, anon_key: &str) -> Self {
        Credentials {
            jwt_key: DecodingKey::from_secret(jwt_secret.as_bytes()),
            api_key: api_key.into(),
            anon_key: anon_key.into(),
        }
    }

    /// `extractApiKey`: a Bearer `ik_…` token first, else a non-empty `x-api-key` header.
    fn api_key(headers: &HeaderMap) -> Option<&str> {
        if let Some(token) = bearer(headers).filter(|t| t.starts_with("ik_")) {
            return Some(token);
        }
        headers
            .get("x-api-key")
            .map(|v| v.to_str().unwrap_or("\u{0}"))
            .filter(|k| !k.is_empty())
    }

    fn check_api_key(&self, key: &str) -> Result<(), InsForgeError> {
        if same(key, &self.api_key) {
            Ok(())
        } else {
            Err(InsForgeError::invalid_api_key())
        }
    }

    /// `verifyAdmin`, for the migrations API.
    pub fn admin(&self, headers: &HeaderMap) -> Result<(), InsForgeError> {
        if let Some(key) = Self::api_key(headers) {
            return self.check_api_key(key);
        }
        let token = bearer(headers).ok_or_else(InsForgeError::no_admin_token)?;
        match self.verify_jwt(token)?.role.as_str() {
            "project_admin" => Ok(()),
            _ => Err(InsForgeError::admin_required()),
        }
    }

    /// `verifyUser`, then the records route's dispatch by role
    /// (`forwardAsAdmin` / `forwardAsUser` / `forwardAsAnon`).
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, InsForgeError> {
        if let Some(key) = Self::api_key(headers) {
            return self.check_api_key(key).map(|()| Caller::Admin);
        }
        let token = bearer(headers).ok_or_else(InsForgeError::no_token)?;
        if token.starts_with("anon_") {
            return if same(token, &self.anon_key) {
                Ok(Caller::Anon)
            } else {
                Err(InsForgeError::invalid_anon_key())
            };
        }
        let payload = self.verify_jwt(token)?;
        match payload.role.as_str() {
            "project_admin" => Ok(Caller::Admin),
            "anon" => Ok(Caller::Anon),
            "authenticated" => Ok(Caller::User {
                sub: payload.sub,
                email: payload.email,
            }),
            _ => Err(InsForgeError::invalid_role()),
        }
    }

    /// Node's `jwt.verify(token, secret, {algorithms: ['HS256']})`: `exp`/`nbf` only when
    /// present, no clock tolerance, `aud` and `iss` ignored; then the `sub` check.
    fn verify_jwt(&self, token: &str) -> Result<TokenPayload, InsForgeError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        let claims = decode::<Map<String, Value>>(token, &self.jwt_key, &validation)
            .map_err(|_| InsForgeError::invalid_token())?
            .claims;
        // JS truthiness of `decoded.sub`.
        let sub = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) if n.as_f64() != Some(0.0) => n.to_string(),
            Some(Value::Bool(true)) => "true".into(),
            Some(v @ (Value::Array(_) | Value::Object(_))) => v.to_string(),
            _ => return Err(InsForgeError::invalid_subject()),
        };
        let email = claims
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_string);
        let role = claims
            .get("role")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .unwrap_or("authenticated")
            .to_string();
        Ok(TokenPayload { sub, email, role })
    }
}

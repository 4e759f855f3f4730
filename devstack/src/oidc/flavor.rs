//! What differs between the emulated providers: paths, issuer form, id shapes, error statuses.

use std::time::Duration;

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::keys::random_token;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Auth0,
    Kinde,
    Clerk,
    /// Any standard OpenID Connect issuer.
    Generic,
}

pub(crate) struct Paths {
    pub authorize: &'static str,
    pub token: &'static str,
    pub userinfo: &'static str,
    pub jwks: &'static str,
    /// RFC 7009's revocation endpoint, which discovery advertises.
    pub revoke: &'static str,
    /// The first is the one discovery advertises as `end_session_endpoint` (when the flavour
    /// advertises one); Auth0 also has its older `/v2/logout`.
    pub logout: &'static [&'static str],
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn alnum(bytes: &[u8], len: usize) -> String {
    bytes
        .iter()
        .cycle()
        .take(len)
        .map(|b| ALNUM[usize::from(*b) % ALNUM.len()] as char)
        .collect()
}

fn hex(bytes: &[u8], len: usize) -> String {
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(len)
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
        .collect()
}

fn random_bytes(n: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    buf
}

impl Flavor {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "auth0" => Some(Flavor::Auth0),
            "kinde" => Some(Flavor::Kinde),
            "clerk" => Some(Flavor::Clerk),
            "oidc" | "generic" => Some(Flavor::Generic),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Auth0 => "auth0",
            Flavor::Kinde => "kinde",
            Flavor::Clerk => "clerk",
            Flavor::Generic => "oidc",
        }
    }

    pub(crate) fn emulator_name(self) -> &'static str {
        match self {
            Flavor::Auth0 => "Auth0 emulator",
            Flavor::Kinde => "Kinde emulator",
            Flavor::Clerk => "Clerk emulator",
            Flavor::Generic => "OIDC emulator",
        }
    }

    pub(crate) fn display(self) -> &'static str {
        match self {
            Flavor::Auth0 => "Auth0",
            Flavor::Kinde => "Kinde",
            Flavor::Clerk => "Clerk",
            Flavor::Generic => "OpenID Connect",
        }
    }

    pub(crate) fn paths(self) -> Paths {
        match self {
            Flavor::Auth0 => Paths {
                authorize: "/authorize",
                token: "/oauth/token",
                userinfo: "/userinfo",
                jwks: "/.well-known/jwks.json",
                revoke: "/oauth/revoke",
                logout: &["/oidc/logout", "/v2/logout"],
            },
            Flavor::Kinde => Paths {
                authorize: "/oauth2/auth",
                token: "/oauth2/token",
                userinfo: "/oauth2/v2/user_profile",
                jwks: "/.well-known/jwks.json",
                revoke: "/oauth2/revoke",
                logout: &["/logout"],
            },
            // Clerk's Frontend API, where its OAuth applications' endpoints live.
            Flavor::Clerk => Paths {
                authorize: "/oauth/authorize",
                token: "/oauth/token",
                userinfo: "/oauth/userinfo",
                jwks: "/.well-known/jwks.json",
                revoke: "/oauth/token/revoke",
                logout: &[],
            },
            Flavor::Generic => Paths {
                authorize: "/authorize",
                token: "/token",
                userinfo: "/userinfo",
                jwks: "/jwks",
                revoke: "/revoke",
                logout: &["/logout"],
            },
        }
    }

    /// Whether discovery advertises `end_session_endpoint`. Auth0 does only when the tenant
    /// turned on RP-initiated logout; the emulator models a tenant that has not, so apps fall
    /// back to `/v2/logout` as Auth0's SDK does.
    pub(crate) fn advertises_end_session(self) -> bool {
        matches!(self, Flavor::Kinde | Flavor::Generic)
    }

    /// Auth0 writes its issuer with a trailing slash; the others without.
    pub fn issuer(self, base: &str) -> String {
        let base = base.trim_end_matches('/');
        match self {
            Flavor::Auth0 => format!("{base}/"),
            _ => base.to_string(),
        }
    }

    /// A stable user id for an email address, in the provider's shape.
    pub fn user_id(self, email: &str) -> String {
        let digest = Sha256::digest(format!("{}:{}", self.name(), email.to_lowercase()));
        match self {
            Flavor::Auth0 => format!("auth0|{}", hex(&digest, 24)),
            Flavor::Kinde => format!("kp_{}", hex(&digest, 32)),
            Flavor::Clerk => format!("user_2{}", alnum(&digest, 26)),
            Flavor::Generic => {
                let h = hex(&digest, 32);
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                )
            }
        }
    }

    /// A client id and secret in the shapes the provider's dashboard hands out.
    pub(crate) fn new_credentials(self) -> (String, String) {
        let b = random_bytes(64);
        match self {
            Flavor::Auth0 => (alnum(&b[..32], 32), random_token(48)),
            Flavor::Kinde => (hex(&b[..16], 32), alnum(&b[16..], 48)),
            Flavor::Clerk => (alnum(&b[..16], 16), alnum(&b[16..48], 32)),
            Flavor::Generic => (format!("app-{}", hex(&b[..8], 16)), random_token(32)),
        }
    }

    pub(crate) fn new_kid(self) -> String {
        let b = random_bytes(24);
        match self {
            Flavor::Clerk => format!("ins_2{}", alnum(&b, 26)),
            Flavor::Kinde => hex(&b, 40),
            _ => alnum(&b, 22),
        }
    }

    /// The provider's default access-token lifetime.
    pub(crate) fn token_lifetime(self) -> Duration {
        Duration::from_secs(match self {
            Flavor::Auth0 => 86_400,
            Flavor::Kinde => 86_399,
            Flavor::Clerk => 86_400,
            Flavor::Generic => 3_600,
        })
    }

    /// Auth0 answers a refused grant with 403; the others follow RFC 6749 (400).
    pub(crate) fn grant_error_status(self) -> StatusCode {
        match self {
            Flavor::Auth0 => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Scopes the provider publishes; `offline` (Kinde) or `offline_access` (the others)
    /// asks for a refresh token.
    /// What discovery announces for ID tokens: Auth0's own list (its HS256 is keyed with the
    /// client secret, which the app refuses); a plain issuer announces the asymmetric ones the
    /// emulator can sign with (`/dev/keys/rotate {"alg": …}`).
    pub(crate) fn signing_algs(self) -> &'static [&'static str] {
        match self {
            Flavor::Auth0 => &["HS256", "RS256", "PS256"],
            Flavor::Kinde | Flavor::Clerk => &["RS256"],
            Flavor::Generic => &["RS256", "PS256", "ES256"],
        }
    }

    pub(crate) fn scopes(self) -> &'static [&'static str] {
        match self {
            Flavor::Kinde => &["openid", "profile", "email", "offline"],
            _ => &["openid", "profile", "email", "offline_access"],
        }
    }

    pub(crate) fn refresh_scope(self) -> &'static str {
        match self {
            Flavor::Kinde => "offline",
            _ => "offline_access",
        }
    }
}

//! RSA signing keys for the provider emulators, published as a JWKS the way the providers
//! publish theirs, with rotation so clients can be tested against a key they have not seen.

use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation: {0}")]
    Generate(#[from] rsa::Error),
    #[error("RSA key encoding: {0}")]
    Encode(#[from] rsa::pkcs1::Error),
    #[error("signing: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

pub struct SigningKey {
    pub kid: String,
    encoding: EncodingKey,
    /// The public half as a JWK (`kty`, `use`, `alg`, `kid`, `n`, `e`).
    pub jwk: Value,
}

impl SigningKey {
    /// A fresh 2048-bit RSA key. The `rsa` crate is built optimised even in debug builds
    /// (see the workspace profile), so this takes well under a second.
    pub fn generate(kid: String) -> Result<Self, KeyError> {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)?;
        let der = private.to_pkcs1_der()?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
        let jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "key_ops": ["verify"],
            "n": b64(private.n()),
            "e": b64(private.e()),
            // Stytch's JWKS carries these too and its Rust SDK requires them.
            "x5c": [],
            "x5tS256": "",
        });
        Ok(SigningKey { kid, encoding, jwk })
    }

    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }
}

/// The keys an emulator publishes; the newest signs.
pub struct KeyRing {
    keys: RwLock<Vec<SigningKey>>,
    new_kid: Box<dyn Fn() -> String + Send + Sync>,
}

impl KeyRing {
    pub fn new(new_kid: impl Fn() -> String + Send + Sync + 'static) -> Result<Self, KeyError> {
        let first = SigningKey::generate(new_kid())?;
        Ok(KeyRing {
            keys: RwLock::new(vec![first]),
            new_kid: Box::new(new_kid),
        })
    }

    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, KeyError> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        match keys.last() {
            Some(key) => key.sign(claims),
            None => Err(KeyError::Generate(rsa::Error::Internal)),
        }
    }

    /// Every published public key, oldest first.
    pub fn jwks(&self) -> Vec<Value> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.iter().map(|k| k.jwk.clone()).collect()
    }

    /// The published keys without `fields` (each provider publishes its own set of them).
    pub fn jwks_without(&self, fields: &[&str]) -> Vec<Value> {
        let mut keys = self.jwks();
        for key in &mut keys {
            if let Value::Object(map) = key {
                for field in fields {
                    map.remove(*field);
                }
            }
        }
        keys
    }

    /// Adds a new signing key; the old ones stay published (as providers do during rotation).
    /// Returns the new `kid`.
    pub fn rotate(&self) -> Result<String, KeyError> {
        let key = SigningKey::generate((self.new_kid)())?;
        let kid = key.kid.clone();
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
        Ok(kid)
    }

    /// Stops publishing every key but the newest, as at the end of a rotation.
    pub fn retire_old(&self) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        let keep = keys.len().saturating_sub(1);
        keys.drain(..keep);
    }
}

//! Signing keys for the provider emulators (RSA by default; RSA-PSS and P-256 ECDSA on request,
//! as issuers may announce), published as a JWKS the way the providers publish theirs, with
//! rotation so clients can be tested against a key they have not seen.

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
    #[error("EC key encoding: {0}")]
    Ec(String),
}

/// The algorithms a key can sign with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub enum KeyAlg {
    #[default]
    RS256,
    PS256,
    ES256,
}

pub struct SigningKey {
    /// `None`: published and used without a key id (OIDC allows it when the set has one key).
    pub kid: Option<String>,
    alg: Algorithm,
    encoding: EncodingKey,
    /// The public half as a JWK (`kty`, `use`, `alg`, `kid`, `n`, `e`).
    pub jwk: Value,
}

impl SigningKey {
    /// A fresh 2048-bit RSA key. The `rsa` crate is built optimised even in debug builds
    /// (see the workspace profile), so this takes well under a second.
    pub fn generate(kid: String) -> Result<Self, KeyError> {
        Self::generate_as(Some(kid), KeyAlg::RS256)
    }

    pub fn generate_as(kid: Option<String>, alg: KeyAlg) -> Result<Self, KeyError> {
        let (encoding, mut jwk, alg) = match alg {
            KeyAlg::RS256 => {
                let (encoding, jwk) = rsa_key("RS256")?;
                (encoding, jwk, Algorithm::RS256)
            }
            KeyAlg::PS256 => {
                let (encoding, jwk) = rsa_key("PS256")?;
                (encoding, jwk, Algorithm::PS256)
            }
            KeyAlg::ES256 => {
                let (encoding, jwk) = ec_key()?;
                (encoding, jwk, Algorithm::ES256)
            }
        };
        if let (Some(kid), Value::Object(map)) = (&kid, &mut jwk) {
            map.insert("kid".into(), json!(kid));
        }
        Ok(SigningKey {
            kid,
            alg,
            encoding,
            jwk,
        })
    }

    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, KeyError> {
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        header.typ = Some("JWT".into());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }
}

/// A fresh 2048-bit RSA key. The `rsa` crate is built optimised even in debug builds (see the
/// workspace profile), so this takes well under a second.
fn rsa_key(alg: &str) -> Result<(EncodingKey, Value), KeyError> {
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)?;
    let der = private.to_pkcs1_der()?;
    let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    let jwk = json!({
        "kty": "RSA",
        "use": "sig",
        "alg": alg,
        "key_ops": ["verify"],
        "n": b64(private.n()),
        "e": b64(private.e()),
        // Stytch's JWKS carries these too and its Rust SDK requires them.
        "x5c": [],
        "x5tS256": "",
    });
    Ok((EncodingKey::from_rsa_der(der.as_bytes()), jwk))
}

/// A fresh P-256 key, for ES256.
fn ec_key() -> Result<(EncodingKey, Value), KeyError> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::EncodePrivateKey;
    let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    let der = secret
        .to_pkcs8_der()
        .map_err(|e| KeyError::Ec(e.to_string()))?;
    let point = secret.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(KeyError::Ec(
            "an uncompressed point without coordinates".into(),
        ));
    };
    let jwk = json!({
        "kty": "EC",
        "use": "sig",
        "alg": "ES256",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(x),
        "y": URL_SAFE_NO_PAD.encode(y),
    });
    Ok((EncodingKey::from_ec_der(der.as_bytes()), jwk))
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
        self.rotate_to(KeyAlg::RS256, true)
            .map(Option::unwrap_or_default)
    }

    /// Adds a new signing key of `alg`, with a key id or (`with_kid: false`) without one.
    pub fn rotate_to(&self, alg: KeyAlg, with_kid: bool) -> Result<Option<String>, KeyError> {
        let key = SigningKey::generate_as(with_kid.then(|| (self.new_kid)()), alg)?;
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

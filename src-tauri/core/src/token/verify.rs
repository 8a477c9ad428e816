//! Signature verification of any JWT against its issuer's JWKS (RFC 7515 §5.2), for IAS and XSUAA tokens
//! and the decoder. The Entra ID token goes through `openidconnect`'s full ID-token verifier instead.
//!
//! Only asymmetric algorithms are accepted: `none` and HS* would let anyone who knows a public key or a
//! client id mint tokens.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::decode::decode;

/// Algorithms a token from Entra, IAS or XSUAA may carry.
pub const ALLOWED_ALGS: [Algorithm; 6] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::ES256, Algorithm::ES384];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the token cannot be decoded: {0}")]
    Decode(String),
    /// `alg` is `none`, HS*, or unknown.
    #[error("the token is signed with `{alg}`, which TokenHop never accepts from an identity provider")]
    DisallowedAlg { alg: String },
    /// The token names a `kid` the issuer does not publish (yet, or any more).
    #[error("the issuer publishes no key with kid `{kid}`")]
    UnknownKid { kid: String },
    /// No `kid` and several candidate keys.
    #[error("the token has no kid and the issuer publishes {count} keys, so the key is ambiguous")]
    AmbiguousKey { count: usize },
    #[error("the issuer publishes no usable key")]
    NoKeys,
    /// The signature does not match the key.
    #[error("the signature does not match the issuer's key `{kid}`")]
    BadSignature { kid: String },
}

/// Verifies `raw` against the keys of `jwks` (the JSON document). Returns `(alg, kid)` of the key used.
pub fn verify_signature(raw: &str, jwks: &Value) -> Result<(String, Option<String>), VerifyError> {
    let jwt = decode(raw).map_err(|e| VerifyError::Decode(e.to_string()))?;
    let alg_name = jwt.alg().unwrap_or("none").to_owned();
    let alg: Algorithm = alg_name.parse().map_err(|_| VerifyError::DisallowedAlg { alg: alg_name.clone() })?;
    if !ALLOWED_ALGS.contains(&alg) {
        return Err(VerifyError::DisallowedAlg { alg: alg_name });
    }
    let keys = usable_keys(jwks);
    let jwk = match jwt.kid() {
        Some(kid) => keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .ok_or_else(|| VerifyError::UnknownKid { kid: kid.to_owned() })?,
        None => match keys.as_slice() {
            [] => return Err(VerifyError::NoKeys),
            [only] => only,
            many => return Err(VerifyError::AmbiguousKey { count: many.len() }),
        },
    };
    let kid = jwk.common.key_id.clone();
    let shown_kid = kid.clone().unwrap_or_else(|| "(none)".into());
    let key = DecodingKey::from_jwk(jwk).map_err(|_| VerifyError::NoKeys)?;
    let (message, signature) = raw.trim().rsplit_once('.').expect("decode checked three parts");
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, alg) {
        Ok(true) => Ok((alg_name, kid)),
        _ => Err(VerifyError::BadSignature { kid: shown_kid }),
    }
}

/// The keys of a JWKS that parse; one odd key (an unsupported `kty`) must not hide the others.
fn usable_keys(jwks: &Value) -> Vec<Jwk> {
    jwks.get("keys")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(|k| serde_json::from_value(k.clone()).ok()).collect())
        .unwrap_or_default()
}

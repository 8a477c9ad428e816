//! Signature verification of any JWT against its issuer's JWKS (RFC 7515 §5.2), for IAS and XSUAA tokens
//! and the decoder, through `jsonwebtoken`. The Entra ID token goes through `openidconnect`'s full ID-token
//! verifier instead; both honour a key's `use` and `alg` (RFC 7517 §4.2, §4.4).
//!
//! Only asymmetric algorithms are accepted: `none` and HS* would let anyone who knows a public key or a
//! client id mint tokens.

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::decode::decode_header;
use crate::oidc::KeySet;

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
    /// The key the token names is published for encryption, or for another algorithm.
    #[error("the issuer's key `{kid}` may not verify this token: {reason}")]
    UnsuitableKey { kid: String, reason: String },
    /// No `kid` and several candidate keys.
    #[error("the token has no kid and the issuer publishes {count} keys, so the key is ambiguous")]
    AmbiguousKey { count: usize },
    #[error("the issuer publishes no usable key")]
    NoKeys,
    /// The signature does not match the key.
    #[error("the signature does not match the issuer's key `{kid}`")]
    BadSignature { kid: String },
}

/// Verifies the signature of `raw` against the issuer's `keys`. Returns `(alg, kid)` of the key used. Only the
/// header is read: the claims are the caller's to decode and check.
pub fn verify_signature(raw: &str, keys: &KeySet) -> Result<(String, Option<String>), VerifyError> {
    let header = decode_header(raw).map_err(|e| VerifyError::Decode(e.to_string()))?;
    let header_str = |name: &str| header.get(name).and_then(Value::as_str);
    let alg_name = header_str("alg").unwrap_or("none").to_owned();
    let alg: Algorithm = alg_name.parse().map_err(|_| VerifyError::DisallowedAlg { alg: alg_name.clone() })?;
    if !ALLOWED_ALGS.contains(&alg) {
        return Err(VerifyError::DisallowedAlg { alg: alg_name });
    }
    let jwk = match header_str("kid") {
        Some(kid) => {
            let named: Vec<&Jwk> = keys.jwks.iter().filter(|k| k.common.key_id.as_deref() == Some(kid)).collect();
            let Some(first) = named.first() else {
                return Err(VerifyError::UnknownKid { kid: kid.to_owned() });
            };
            match named.iter().find(|k| unsuitable(k, alg).is_none()) {
                Some(k) => *k,
                None => {
                    let reason = unsuitable(first, alg).unwrap_or_default();
                    return Err(VerifyError::UnsuitableKey { kid: kid.to_owned(), reason });
                }
            }
        }
        None => match keys.jwks.iter().filter(|k| unsuitable(k, alg).is_none()).collect::<Vec<_>>().as_slice() {
            [] => return Err(VerifyError::NoKeys),
            [only] => *only,
            many => return Err(VerifyError::AmbiguousKey { count: many.len() }),
        },
    };
    let kid = jwk.common.key_id.clone();
    let shown_kid = kid.clone().unwrap_or_else(|| "(none)".into());
    let Some((message, signature)) = raw.trim().rsplit_once('.') else {
        return Err(VerifyError::Decode("the token has no signature part".into()));
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|_| VerifyError::NoKeys)?;
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, alg) {
        Ok(true) => Ok((alg_name, kid)),
        _ => Err(VerifyError::BadSignature { kid: shown_kid }),
    }
}

/// Why `jwk` may not verify a token signed with `alg`, if it may not: a key published for encryption
/// (`use` other than `sig`, RFC 7517 §4.2) or for another algorithm (`alg`, §4.4).
fn unsuitable(jwk: &Jwk, alg: Algorithm) -> Option<String> {
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(PublicKeyUse::Encryption) => return Some("it is published for encryption (use=enc)".into()),
        Some(PublicKeyUse::Other(other)) => return Some(format!("it is published for `{other}`, not signatures")),
    }
    match jwk.common.key_algorithm {
        Some(own) if own.to_string() != format!("{alg:?}") => {
            Some(format!("it is published for {own}, and the token is signed with {alg:?}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    use rsa::RsaPrivateKey;
    use serde_json::json;

    struct Key {
        private: RsaPrivateKey,
        kid: &'static str,
    }

    impl Key {
        fn new(bits: usize, kid: &'static str) -> Key {
            Key { private: RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("an RSA key"), kid }
        }

        fn jwks(&self) -> Value {
            let b64 = |v: Vec<u8>| URL_SAFE_NO_PAD.encode(v);
            let public = self.private.to_public_key();
            json!({ "keys": [{
                "kty": "RSA", "use": "sig", "kid": self.kid,
                "n": b64(public.n().to_bytes_be()), "e": b64(public.e().to_bytes_be()),
            }] })
        }

        fn keys(&self) -> KeySet {
            KeySet::from_document(&self.jwks())
        }

        fn sign(&self, alg: Algorithm, claims: &Value) -> String {
            let der = self.private.to_pkcs1_der().expect("PKCS#1 DER");
            let header = Header { kid: Some(self.kid.into()), ..Header::new(alg) };
            encode(&header, claims, &EncodingKey::from_rsa_der(der.as_bytes())).expect("a signed token")
        }
    }

    fn claims() -> Value {
        json!({ "iss": "https://tenant.accounts.ondemand.com", "sub": "alice", "exp": 4_000_000_000u64 })
    }

    #[test]
    fn rsa_signatures_are_verified_for_every_accepted_algorithm() {
        let key = Key::new(2048, "k1");
        for alg in [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
            let token = key.sign(alg, &claims());
            assert_eq!(verify_signature(&token, &key.keys()), Ok((format!("{alg:?}"), Some("k1".into()))));
        }
    }

    #[test]
    fn a_changed_payload_or_another_key_fails() {
        let (key, other) = (Key::new(2048, "k1"), Key::new(2048, "k1"));
        let token = key.sign(Algorithm::RS256, &claims());
        let bad = |reason: &str, r| assert_eq!(r, Err(VerifyError::BadSignature { kid: "k1".into() }), "{reason}");
        bad("signed by another key with the same kid", verify_signature(&token, &other.keys()));

        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(json!({ "iss": "x", "sub": "mallory", "exp": 4_000_000_000u64 }).to_string());
        bad("payload swapped under the old signature", verify_signature(&parts.join("."), &key.keys()));
    }

    #[test]
    fn a_key_of_a_type_tokenhop_cannot_read_does_not_hide_the_others() {
        let key = Key::new(2048, "k1");
        let mut document = key.jwks();
        document["keys"].as_array_mut().unwrap().insert(0, json!({ "kty": "XYZ", "kid": "odd" }));
        let keys = KeySet::from_document(&document);
        let token = key.sign(Algorithm::RS256, &claims());
        assert_eq!(verify_signature(&token, &keys), Ok(("RS256".into(), Some("k1".into()))));
        assert_eq!(keys.for_openidconnect().keys().len(), 1, "the ID-token verifier keeps the RSA key alone");
    }

    #[test]
    fn a_key_published_for_encryption_or_another_algorithm_is_not_used() {
        let key = Key::new(2048, "k1");
        let token = key.sign(Algorithm::RS256, &claims());
        let cases = [("use", json!("enc"), "encryption"), ("alg", json!("PS256"), "PS256")];
        for (field, value, named) in cases {
            let mut document = key.jwks();
            document["keys"][0][field] = value;
            match verify_signature(&token, &KeySet::from_document(&document)) {
                Err(VerifyError::UnsuitableKey { kid, reason }) => {
                    assert_eq!(kid, "k1");
                    assert!(reason.contains(named), "{field}: {reason}");
                }
                other => panic!("a key with {field} {named} must not verify an RS256 signature: {other:?}"),
            }
        }
        let mut document = key.jwks();
        document["keys"][0]["alg"] = json!("RS256");
        assert!(verify_signature(&token, &KeySet::from_document(&document)).is_ok(), "alg RS256 fits an RS256 token");
    }

    #[test]
    fn without_a_kid_only_signing_keys_are_candidates() {
        let key = Key::new(2048, "k1");
        let claims = claims();
        let der = key.private.to_pkcs1_der().unwrap();
        let token =
            encode(&Header::new(Algorithm::RS256), &claims, &EncodingKey::from_rsa_der(der.as_bytes())).unwrap();
        let mut document = key.jwks();
        let mut encryption = document["keys"][0].clone();
        encryption["use"] = json!("enc");
        encryption["kid"] = json!("e1");
        document["keys"].as_array_mut().unwrap().push(encryption);
        assert_eq!(
            verify_signature(&token, &KeySet::from_document(&document)),
            Ok(("RS256".into(), Some("k1".into())))
        );
    }

    #[test]
    fn a_small_rsa_key_still_gets_a_verdict() {
        let small = Key::new(1024, "small");
        let token = small.sign(Algorithm::RS256, &claims());
        assert_eq!(verify_signature(&token, &small.keys()), Ok(("RS256".into(), Some("small".into()))));
    }

    #[test]
    fn a_modulus_with_a_leading_zero_byte_is_accepted() {
        let key = Key::new(2048, "k1");
        let token = key.sign(Algorithm::RS256, &claims());
        let mut jwks = key.jwks();
        let n = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["n"].as_str().unwrap()).unwrap();
        jwks["keys"][0]["n"] = json!(URL_SAFE_NO_PAD.encode([&[0u8][..], &n].concat()));
        assert!(verify_signature(&token, &KeySet::from_document(&jwks)).is_ok());
    }
}

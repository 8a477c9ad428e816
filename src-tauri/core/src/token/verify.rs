//! Signature verification of any JWT against its issuer's JWKS (RFC 7515 §5.2), for IAS and XSUAA tokens
//! and the decoder. The Entra ID token goes through `openidconnect`'s full ID-token verifier instead.
//!
//! Only asymmetric algorithms are accepted: `none` and HS* would let anyone who knows a public key or a
//! client id mint tokens.
//!
//! RSA signatures are checked with `ring` first: every token of a run is checked on the way from the
//! sign-in callback to the API response, and ring takes about 30 µs per 2048-bit signature where
//! `jsonwebtoken`'s RustCrypto backend takes 350 µs (`cargo xtask bench`). Whatever ring does not accept
//! (EC keys, keys under 2048 bits, a signature that does not match) gets `jsonwebtoken`'s verdict, so the
//! answer never depends on which library looked first.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use ring::signature::{self as ring_sig, RsaPublicKeyComponents};
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
    let keys = &keys.jwks;
    let jwk = match header_str("kid") {
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
    let (message, signature) = raw.trim().rsplit_once('.').expect("decode checked three parts");
    if rsa_signature_matches(jwk, alg, message.as_bytes(), signature) {
        return Ok((alg_name, kid));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| VerifyError::NoKeys)?;
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, alg) {
        Ok(true) => Ok((alg_name, kid)),
        _ => Err(VerifyError::BadSignature { kid: shown_kid }),
    }
}

/// `true` when `jwk` is an RSA key of 2048 bits or more and ring finds `signature` (base64url) valid for
/// `message` under `alg`; `false` for anything else, which the caller then checks the slow way.
fn rsa_signature_matches(jwk: &Jwk, alg: Algorithm, message: &[u8], signature: &str) -> bool {
    let params: &ring_sig::RsaParameters = match alg {
        Algorithm::RS256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
        _ => return false,
    };
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else { return false };
    let (Ok(n), Ok(e), Ok(signature)) =
        (URL_SAFE_NO_PAD.decode(&rsa.n), URL_SAFE_NO_PAD.decode(&rsa.e), URL_SAFE_NO_PAD.decode(signature))
    else {
        return false;
    };
    ring_rsa_matches(params, &n, &e, message, &signature)
}

/// ring's verdict on an RSA signature under the public key (`n`, `e`), both big-endian bytes.
pub(crate) fn ring_rsa_matches(
    params: &'static ring_sig::RsaParameters,
    n: &[u8],
    e: &[u8],
    message: &[u8],
    signature: &[u8],
) -> bool {
    // ring wants the modulus without the leading zero byte some publishers add.
    let n = n.iter().position(|b| *b != 0).map_or(&n[..0], |i| &n[i..]);
    RsaPublicKeyComponents { n, e }.verify(params, message, signature).is_ok()
}

/// Has ring detect the CPU's features now rather than in the first signature check after the sign-in
/// callback: its first use does it, and on a virtual machine each CPUID traps to the hypervisor (about
/// 80 µs in `perf` on the bench machine).
pub fn prepare() {
    let _ = ring::digest::digest(&ring::digest::SHA256, &[]);
}

#[cfg(test)]
mod tests {
    use super::*;
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
            let (message, signature) = token.rsplit_once('.').unwrap();
            let jwk: Jwk = serde_json::from_value(key.jwks()["keys"][0].clone()).unwrap();
            assert!(rsa_signature_matches(&jwk, alg, message.as_bytes(), signature), "ring checks {alg:?} itself");
        }
    }

    #[test]
    fn a_changed_payload_or_another_key_fails_on_both_paths() {
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
    fn a_key_ring_refuses_still_gets_a_verdict() {
        // ring refuses keys under 2048 bits; jsonwebtoken decides instead of "bad signature".
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
        let jwk: Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
        let (message, signature) = token.rsplit_once('.').unwrap();
        assert!(rsa_signature_matches(&jwk, Algorithm::RS256, message.as_bytes(), signature));
    }
}

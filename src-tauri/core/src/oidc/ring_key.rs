//! The tenant's signing key for `openidconnect`'s ID-token verifier, with RSA signatures checked by `ring`.
//!
//! `openidconnect` checks RSA with the `rsa` crate, about ten times slower than ring (0.3–0.6 ms per
//! 2048-bit signature here, on the way from the sign-in callback to the first IAS request). Everything else —
//! the allowed algorithms, key selection by `kid`, the claims — stays `openidconnect`'s. A signature ring does
//! not accept (a key under 2048 bits, or one that does not match) goes to `openidconnect`'s own check, so the
//! verdict never depends on which library looked first: the same rule as [`crate::token::verify`].

use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeyType, CoreJwsSigningAlgorithm as Alg};
use openidconnect::{
    JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, JsonWebKeyUse, JwsSigningAlgorithm, SignatureVerificationError,
};
use ring::signature::{self as ring_sig, RsaParameters};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::token::verify::ring_rsa_matches;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingJsonWebKey {
    key: CoreJsonWebKey,
    /// The RSA modulus and exponent, big-endian, when the key is RSA.
    rsa: Option<(Vec<u8>, Vec<u8>)>,
}

impl RingJsonWebKey {
    /// What `openidconnect` requires of a key before it checks a signature with it.
    fn suits(&self, alg: &Alg) -> bool {
        let usable = self.key.key_use().is_none_or(|u| u.allows_signature());
        let typed = alg.key_type().as_ref() == Some(self.key.key_type());
        let allowed = match self.key.signing_alg() {
            JsonWebKeyAlgorithm::Unspecified => true,
            JsonWebKeyAlgorithm::Algorithm(own) => own == alg,
            JsonWebKeyAlgorithm::Unsupported => false,
        };
        usable && typed && allowed
    }
}

fn ring_params(alg: &Alg) -> Option<&'static RsaParameters> {
    Some(match alg {
        Alg::RsaSsaPkcs1V15Sha256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
        Alg::RsaSsaPkcs1V15Sha384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
        Alg::RsaSsaPkcs1V15Sha512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
        Alg::RsaSsaPssSha256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
        Alg::RsaSsaPssSha384 => &ring_sig::RSA_PSS_2048_8192_SHA384,
        Alg::RsaSsaPssSha512 => &ring_sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

impl JsonWebKey for RingJsonWebKey {
    type KeyUse = <CoreJsonWebKey as JsonWebKey>::KeyUse;
    type SigningAlgorithm = Alg;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.key.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.key.key_type()
    }

    fn key_use(&self) -> Option<&Self::KeyUse> {
        self.key.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&Alg> {
        self.key.signing_alg()
    }

    fn new_symmetric(key: Vec<u8>) -> Self {
        Self { key: CoreJsonWebKey::new_symmetric(key), rsa: None }
    }

    fn verify_signature(&self, alg: &Alg, message: &[u8], signature: &[u8]) -> Result<(), SignatureVerificationError> {
        if let (Some((n, e)), Some(params)) = (&self.rsa, ring_params(alg)) {
            if self.suits(alg) && ring_rsa_matches(params, n, e, message, signature) {
                return Ok(());
            }
        }
        self.key.verify_signature(alg, message, signature)
    }

    fn hash_bytes(&self, bytes: &[u8], alg: &Alg) -> Result<Vec<u8>, String> {
        self.key.hash_bytes(bytes, alg)
    }
}

impl<'de> Deserialize<'de> for RingJsonWebKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;

        let value = serde_json::Value::deserialize(deserializer)?;
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
        let rsa = match (value.get("kty").and_then(|v| v.as_str()), field("n"), field("e")) {
            (Some("RSA"), Some(n), Some(e)) => Some((n, e)),
            _ => None,
        };
        let key = CoreJsonWebKey::deserialize(value).map_err(serde::de::Error::custom)?;
        Ok(Self { key, rsa })
    }
}

impl Serialize for RingJsonWebKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.key.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::core::CoreRsaPrivateSigningKey;
    use openidconnect::PrivateSigningKey;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::LineEnding;

    fn signing_key(bits: usize) -> CoreRsaPrivateSigningKey {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("an RSA key");
        let pem = private.to_pkcs1_pem(LineEnding::LF).expect("PEM");
        CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new("k1".into()))).expect("a signing key")
    }

    fn ring_key(signer: &CoreRsaPrivateSigningKey) -> RingJsonWebKey {
        serde_json::from_value(serde_json::to_value(signer.as_verification_key()).unwrap()).unwrap()
    }

    #[test]
    fn every_rsa_algorithm_verifies_and_a_changed_message_fails() {
        let signer = signing_key(2048);
        let key = ring_key(&signer);
        let (n, e) = key.rsa.as_ref().expect("the RSA parts were read");
        for alg in [Alg::RsaSsaPkcs1V15Sha256, Alg::RsaSsaPkcs1V15Sha384, Alg::RsaSsaPssSha256, Alg::RsaSsaPssSha512] {
            let signature = signer.sign(&alg, b"header.payload").unwrap();
            assert_eq!(key.verify_signature(&alg, b"header.payload", &signature), Ok(()), "{alg:?}");
            let params = ring_params(&alg).unwrap();
            assert!(ring_rsa_matches(params, n, e, b"header.payload", &signature), "ring itself accepts {alg:?}");
            assert!(key.verify_signature(&alg, b"header.payloaD", &signature).is_err(), "{alg:?} on a changed message");
        }
    }

    #[test]
    fn a_key_ring_refuses_still_gets_openidconnects_verdict() {
        let signer = signing_key(1024);
        let key = ring_key(&signer);
        let signature = signer.sign(&Alg::RsaSsaPkcs1V15Sha256, b"m").unwrap();
        let (n, e) = key.rsa.as_ref().unwrap();
        assert!(
            !ring_rsa_matches(&ring_sig::RSA_PKCS1_2048_8192_SHA256, n, e, b"m", &signature),
            "ring refuses 1024 bits"
        );
        assert_eq!(key.verify_signature(&Alg::RsaSsaPkcs1V15Sha256, b"m", &signature), Ok(()));
    }

    #[test]
    fn a_key_for_another_algorithm_or_for_encryption_is_not_used() {
        let signer = signing_key(2048);
        let signature = signer.sign(&Alg::RsaSsaPkcs1V15Sha256, b"m").unwrap();
        let mut jwk = serde_json::to_value(signer.as_verification_key()).unwrap();
        jwk["alg"] = "PS256".into();
        let pinned: RingJsonWebKey = serde_json::from_value(jwk.clone()).unwrap();
        assert!(pinned.verify_signature(&Alg::RsaSsaPkcs1V15Sha256, b"m", &signature).is_err(), "alg pinned to PS256");
        jwk["alg"] = serde_json::Value::Null;
        jwk["use"] = "enc".into();
        let encryption: RingJsonWebKey = serde_json::from_value(jwk).unwrap();
        assert!(encryption.verify_signature(&Alg::RsaSsaPkcs1V15Sha256, b"m", &signature).is_err(), "use=enc");
    }
}

//! Compact JWS (RFC 7515 §7.1) written and read by hand, so that faults can produce exactly the broken
//! tokens real services sometimes send (`alg: none`, an HS256 header, no `kid`), and so that the
//! sandbox's checks do not share a JWT library with the engine they test. Signing uses `ring` (speed: five
//! signatures per chain run); checking uses the `rsa` crate, another implementation than the engine's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::RSA_PKCS1_SHA256;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::keys::Key;

/// base64url without padding (RFC 7515 §2).
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload` of a compact JWS.
pub(crate) fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64(header.to_string()), b64(claims.to_string()))
}

/// RSASSA-PKCS1-v1_5 with SHA-256 (RS256, RFC 7518 §3.3).
pub(crate) fn rs256(key: &Key, input: &[u8]) -> Vec<u8> {
    let mut signature = vec![0; key.signer.public().modulus_len()];
    key.signer
        .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input, &mut signature)
        .expect("RS256 signing with a valid key into a modulus-sized buffer");
    signature
}

/// HMAC-SHA-256 (RFC 2104), for the HS256 key-confusion fault.
pub(crate) fn hs256(secret: &[u8], input: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut key = if secret.len() > BLOCK { Sha256::digest(secret).to_vec() } else { secret.to_vec() };
    key.resize(BLOCK, 0);
    let pad = |byte: u8| key.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(input).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

/// A compact JWS split into its parts (not verified).
pub(crate) struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// Parses `header.payload.signature`; `None` if it is not a JWS with JSON objects inside.
    pub fn parse(token: &str) -> Option<Jwt> {
        let mut parts = token.trim().split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let object = |part: &str| -> Option<Map<String, Value>> {
            serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()?.as_object().cloned()
        };
        Some(Jwt {
            header: object(h)?,
            claims: object(p)?,
            signing_input: format!("{h}.{p}"),
            signature: URL_SAFE_NO_PAD.decode(s).ok()?,
        })
    }

    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `aud` as a list, whether the token carries a string or an array.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Verifies an RS256 signature against a published key set: the key named by `kid`, or the only key
    /// when there is no `kid`. Any other `alg` fails (no `none`, no HMAC with a public key).
    pub fn verify_rs256(&self, keys: &[&Key]) -> Result<(), SignatureProblem> {
        if self.alg() != "RS256" {
            return Err(SignatureProblem::Algorithm(self.alg().to_string()));
        }
        let key = match self.header.get("kid").and_then(Value::as_str) {
            Some(kid) => keys.iter().find(|k| k.kid == kid).ok_or(SignatureProblem::UnknownKid)?,
            None if keys.len() == 1 => &keys[0],
            None => return Err(SignatureProblem::AmbiguousKey),
        };
        let signature = Signature::try_from(self.signature.as_slice()).map_err(|_| SignatureProblem::Invalid)?;
        VerifyingKey::<Sha256>::new(key.public.clone())
            .verify(self.signing_input.as_bytes(), &signature)
            .map_err(|_| SignatureProblem::Invalid)
    }
}

impl Jwt {
    /// Verifies a client assertion's signature with one RSA public key: RS256 (RFC 7518 §3.3) or PS256 (§3.5,
    /// salt length 32 as RFC 7518 requires). Any other `alg` fails.
    pub fn verify_rsa(&self, public: &rsa::RsaPublicKey) -> Result<(), SignatureProblem> {
        match self.alg() {
            "RS256" => {
                let signature =
                    Signature::try_from(self.signature.as_slice()).map_err(|_| SignatureProblem::Invalid)?;
                VerifyingKey::<Sha256>::new(public.clone())
                    .verify(self.signing_input.as_bytes(), &signature)
                    .map_err(|_| SignatureProblem::Invalid)
            }
            "PS256" => {
                let signature =
                    rsa::pss::Signature::try_from(self.signature.as_slice()).map_err(|_| SignatureProblem::Invalid)?;
                rsa::pss::VerifyingKey::<Sha256>::new(public.clone())
                    .verify(self.signing_input.as_bytes(), &signature)
                    .map_err(|_| SignatureProblem::Invalid)
            }
            other => Err(SignatureProblem::Algorithm(other.to_string())),
        }
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

/// Why a signature did not verify.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SignatureProblem {
    Algorithm(String),
    UnknownKid,
    AmbiguousKey,
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hs256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn parse_rejects_tokens_without_three_parts() {
        assert!(Jwt::parse("a.b").is_none(), "two parts is not a JWS");
        assert!(Jwt::parse("a.b.c.d").is_none(), "four parts is not a compact JWS");
    }
}

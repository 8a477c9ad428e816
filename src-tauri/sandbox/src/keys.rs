//! RSA signing keys of the simulated services.
//!
//! Keys are generated in memory, never written anywhere, and only ever used by sandboxes. RSA-2048
//! generation is slow in debug builds, so the five keys are generated once per process, in parallel,
//! and shared by every sandbox started in it (tests start many). A sandbox's issuers differ by port, so
//! sharing keys does not let one sandbox's tokens pass at another's services. A sandbox may serve before
//! they exist (`Sandbox::start_before_keys`): each request then waits for them.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::RsaKeyPair;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One RSA key pair with the public parts a JWKS publishes.
pub(crate) struct Key {
    /// The private key in `ring`, which signs about five times faster than `rsa` (see [`crate::jwt::rs256`]).
    pub signer: RsaKeyPair,
    pub public: RsaPublicKey,
    /// Key id: base64url of the first 20 bytes of SHA-256 over the modulus (looks like Entra's).
    pub kid: String,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

impl Key {
    fn generate() -> Key {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key generation");
        let public = private.to_public_key();
        let n_bytes = public.n().to_bytes_be();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&n_bytes)[..20]);
        let der = private.to_pkcs1_der().expect("PKCS#1 encoding of an RSA private key");
        let signer = RsaKeyPair::from_der(der.as_bytes()).expect("ring accepts a fresh 2048-bit RSA key");
        Key {
            n: URL_SAFE_NO_PAD.encode(&n_bytes),
            e: URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            kid,
            signer,
            public,
        }
    }

    /// The public key as a JWK (RFC 7517 §4), with `kty`, `use`, `kid`, `n`, `e`.
    pub fn jwk(&self) -> Value {
        json!({ "kty": "RSA", "use": "sig", "kid": self.kid, "n": self.n, "e": self.e })
    }

    /// The public key as SubjectPublicKeyInfo PEM (XSUAA's `value` field).
    pub fn public_pem(&self) -> String {
        self.public.to_public_key_pem(LineEnding::LF).expect("PEM encoding of an RSA public key")
    }
}

/// Every key a sandbox uses.
pub(crate) struct KeyRing {
    /// Entra's signing key.
    pub entra: Key,
    /// The key Entra rotates to (and the second key of "two keys, no kid").
    pub entra_next: Key,
    pub ias: Key,
    pub xsuaa: Key,
    /// A key no service publishes: "signed with the wrong key".
    pub rogue: Key,
}

static RING: OnceLock<KeyRing> = OnceLock::new();

/// The process's key ring once it exists, generating it on a blocking thread if need be. `None` only if
/// generation panicked.
pub(crate) async fn ready() -> Option<&'static KeyRing> {
    match RING.get() {
        Some(ring) => Some(ring),
        None => tokio::task::spawn_blocking(ring).await.ok(),
    }
}

/// The process's key ring, generated on first use (blocking: call from `spawn_blocking`).
pub(crate) fn ring() -> &'static KeyRing {
    RING.get_or_init(|| {
        let mut keys: Vec<Key> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..5).map(|_| scope.spawn(Key::generate)).collect();
            handles.into_iter().map(|h| h.join().expect("key generation thread")).collect()
        });
        let rogue = keys.pop().expect("five keys");
        let xsuaa = keys.pop().expect("five keys");
        let ias = keys.pop().expect("five keys");
        let entra_next = keys.pop().expect("five keys");
        let entra = keys.pop().expect("five keys");
        KeyRing { entra, entra_next, ias, xsuaa, rogue }
    })
}

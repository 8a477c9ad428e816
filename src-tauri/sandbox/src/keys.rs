//! RSA signing keys of the simulated services.
//!
//! Keys are generated in memory, never written anywhere, and only ever used by sandboxes. RSA-2048
//! generation is slow in debug builds, so the six keys are generated once per process, in parallel,
//! and shared by every sandbox started in it (tests start many). A sandbox's issuers differ by port, so
//! sharing keys does not let one sandbox's tokens pass at another's services. A sandbox may serve before
//! they exist (`Sandbox::start_before_keys`): each request then waits for them.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::RsaKeyPair;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
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
    /// The private key, PKCS#8 PEM: handed out only for the demo clients' keys (`client`, `rogue`).
    pub private_pem: String,
}

impl Key {
    fn generate() -> Key {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key generation");
        let public = private.to_public_key();
        let n_bytes = public.n().to_bytes_be();
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&n_bytes)[..20]);
        let der = private.to_pkcs1_der().expect("PKCS#1 encoding of an RSA private key");
        let signer = RsaKeyPair::from_der(der.as_bytes()).expect("ring accepts a fresh 2048-bit RSA key");
        let private_pem = private.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 encoding of an RSA key").to_string();
        Key {
            private_pem,
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
    /// The demo clients' key for client assertions (`private_key_jwt`): the Entra app has its certificate
    /// registered, the IAS application trusts it by JSON Web Key Set.
    pub client: Key,
    /// `client`'s self-signed certificate, as uploaded to the Entra app registration (PEM).
    pub client_certificate: String,
    /// `rogue`'s self-signed certificate, registered nowhere (PEM).
    pub rogue_certificate: String,
}

/// A self-signed certificate for `key` (an app registration takes any certificate: Microsoft "Microsoft identity
/// platform application authentication certificate credentials", *Register your certificate*).
fn self_signed(key: &Key, cn: &str) -> String {
    let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key.private_pem, &rcgen::PKCS_RSA_SHA256)
        .expect("rcgen takes an RSA PKCS#8 key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("certificate parameters");
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(86_400)).into();
    params.not_after = (now + std::time::Duration::from_secs(365 * 86_400)).into();
    params.self_signed(&pair).expect("a self-signed certificate").pem()
}

impl KeyRing {
    /// The base64url SHA-256 thumbprint (`x5t#S256`) and SHA-1 thumbprint (legacy `x5t`) of `client_certificate`.
    pub fn client_thumbprints(&self) -> (String, String) {
        let der = pem_der(&self.client_certificate);
        (
            URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
            URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der)),
        )
    }
}

/// The DER inside a single-certificate PEM.
fn pem_der(pem: &str) -> Vec<u8> {
    use base64::engine::general_purpose::STANDARD;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("a PEM this sandbox wrote")
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
            let handles: Vec<_> = (0..6).map(|_| scope.spawn(Key::generate)).collect();
            handles.into_iter().map(|h| h.join().expect("key generation thread")).collect()
        });
        let client = keys.pop().expect("six keys");
        let rogue = keys.pop().expect("five keys");
        let xsuaa = keys.pop().expect("five keys");
        let ias = keys.pop().expect("five keys");
        let entra_next = keys.pop().expect("five keys");
        let entra = keys.pop().expect("five keys");
        let client_certificate = self_signed(&client, "TokenHop Sandbox demo client");
        let rogue_certificate = self_signed(&rogue, "A certificate no app registered");
        KeyRing { entra, entra_next, ias, xsuaa, rogue, client, client_certificate, rogue_certificate }
    })
}

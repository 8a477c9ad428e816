//! Client certificates of X.509 bindings (`client_auth = "x509"`): the PEM certificate chain and private key from
//! the keychain, checked before anything is sent — a key that is a key, not encrypted, that belongs to the
//! certificate, and a certificate that is valid now — and the public facts the UI shows in place of a secret.
//!
//! Parsing is `rustls-pki-types` (PEM) and `x509-parser` (the certificate); the key is loaded by rustls's ring
//! provider, whose public key is compared with the certificate's SubjectPublicKeyInfo. The key stays in
//! [`Secret`]s; nothing here writes anything anywhere. It does not check revocation (neither does XSUAA: SAP Help
//! "Implementing Custom Token Retrieval … with mTLS") nor build a path to a CA: the server does that.

use std::time::SystemTime;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::Zeroizing;

use crate::diagnose::{code, Diagnose, Diagnosis};
use crate::secrets::Secret;

/// Days before `notAfter` from which a certificate is reported as expiring soon; for a certificate that lives no
/// longer than that, half its lifetime instead. BTP issues its managed certificates for 7 days by default (SAP Help,
/// see docs/fidelity.md): a 14-day warning would be on from the moment one is issued, and a warning that is always on
/// is not read.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// What the UI shows where a secret field would be: only public facts of the leaf certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CertificateFacts {
    /// RFC 4514 distinguished name, as `x509-parser` prints it (`CN=…, OU=…`).
    pub subject: String,
    pub issuer: String,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Whole days from now to `notAfter` (negative once expired).
    #[ts(type = "number")]
    pub days_left: i64,
    /// Within [`EXPIRY_WARNING_DAYS`] of `notAfter` (or the last half of a shorter lifetime): renew it soon.
    pub expires_soon: bool,
    /// SHA-256 over the DER certificate, upper-case hex with colons (as the BTP cockpit and browsers show it).
    pub sha256_thumbprint: String,
}

impl CertificateFacts {
    /// `valid until …, N days left`, with a warning close to the end.
    pub fn validity_sentence(&self) -> String {
        let warning = if self.expires_soon {
            ": renew it soon, then store the new one with `tokenhop-cli profile key`"
        } else {
            ""
        };
        format!("{} valid until {} ({} days left){warning}", self.subject, self.not_after, self.days_left)
    }
}

/// Why a certificate credential cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// No `CERTIFICATE` block in the certificate text.
    #[error("the {what} holds no PEM certificate")]
    NoCertificate { what: &'static str },
    /// The certificate's DER does not parse.
    #[error("the {what} is not a readable X.509 certificate: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// No private-key block in the key text.
    #[error("the {what} is not a PEM private key{found}")]
    NotAKey { what: &'static str, found: String },
    /// A password-protected key (`ENCRYPTED PRIVATE KEY`, or a legacy `Proc-Type: 4,ENCRYPTED` header).
    #[error("the {what} is encrypted with a password")]
    EncryptedKey { what: &'static str },
    /// A key rustls cannot sign with (not RSA, ECDSA P-256/P-384 or Ed25519).
    #[error("the {what} is of a kind TLS clients cannot use: {reason}")]
    UnsupportedKey { what: &'static str, reason: String },
    /// The key's public half is not the certificate's public key.
    #[error("the private key does not belong to the certificate {subject}")]
    KeyMismatch { subject: String },
    /// `notAfter` has passed.
    #[error("the certificate {subject} expired on {not_after}")]
    Expired { subject: String, not_after: String },
    /// `notBefore` lies ahead.
    #[error("the certificate {subject} is not valid before {not_before}")]
    NotYetValid { subject: String, not_before: String },
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

impl Diagnose for CertificateError {
    /// The error for people: a stable code, what happened, and what to do.
    fn diagnosis(&self) -> Diagnosis {
        let (code, hint) = match self {
            Self::NoCertificate { .. } | Self::Malformed { .. } => (
                code::CERTIFICATE_NOT_A_CERTIFICATE,
                "Store the binding's `certificate` field as it is, from -----BEGIN CERTIFICATE----- to the last -----END CERTIFICATE----- \
                 (`tokenhop-cli profile key` does this from the service key).",
            ),
            Self::NotAKey { .. } => (
                code::CERTIFICATE_NOT_A_KEY,
                "Store the binding's `key` field, from -----BEGIN … PRIVATE KEY----- to its END line; a certificate is not a key.",
            ),
            Self::EncryptedKey { .. } => (
                code::CERTIFICATE_ENCRYPTED_KEY,
                "TokenHop needs the key without a password, as BTP hands it out. Decrypt it once, e.g. \
                 `openssl pkey -in key.pem -out plain.pem`, store plain.pem, then delete it.",
            ),
            Self::UnsupportedKey { .. } => {
                (
                code::CERTIFICATE_UNSUPPORTED_KEY,
                "For mutual TLS use an RSA, ECDSA (P-256, P-384) or Ed25519 key, as BTP issues them; for \
                 `private-key-jwt` an RSA key.",
            )
            }
            Self::KeyMismatch { .. } => (
                code::CERTIFICATE_KEY_MISMATCH,
                "The certificate and the key come from different bindings (or a renewal replaced one of them). Apply the \
                 whole service key again with `tokenhop-cli profile key`, which stores both together.",
            ),
            Self::Expired { .. } => (
                code::CERTIFICATE_EXPIRED,
                "Create a new service key (BTP-managed certificates live 7 days by default) and apply it with \
                 `tokenhop-cli profile key`.",
            ),
            Self::NotYetValid { .. } => (
                code::CERTIFICATE_NOT_YET_VALID,
                "Check this computer's clock; otherwise wait until the certificate becomes valid.",
            ),
        };
        Diagnosis::new(code, capitalize(&self.to_string()), hint)
    }
}

/// A checked certificate credential: the chain and key as PEM, ready for a TLS client.
pub struct ClientIdentity {
    /// The certificate chain, leaf first (public).
    pub certificate_pem: String,
    /// The private key, PEM.
    pub key_pem: Secret,
    pub facts: CertificateFacts,
}

impl ClientIdentity {
    /// Certificate chain and key in one PEM buffer, what `reqwest::Identity::from_pem` reads. Zeroized on drop.
    pub fn combined_pem(&self) -> Zeroizing<Vec<u8>> {
        let mut buf =
            Zeroizing::new(Vec::with_capacity(self.certificate_pem.len() + self.key_pem.expose_secret().len() + 1));
        buf.extend_from_slice(self.certificate_pem.as_bytes());
        buf.push(b'\n');
        buf.extend_from_slice(self.key_pem.expose_secret().as_bytes());
        buf
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity").field("facts", &self.facts).field("key_pem", &self.key_pem).finish()
    }
}

/// Public facts of the first certificate in `pem` at `now`. Only the certificate is read.
pub fn facts(pem: &str, now: SystemTime) -> Result<CertificateFacts, CertificateError> {
    let der = leaf(pem, "certificate")?;
    let (_, cert) = parse(&der, "certificate")?;
    Ok(facts_of(&cert, &der, now))
}

/// Checks a certificate credential: the key is a usable private key that belongs to the leaf certificate, and the
/// certificate is valid at `now`. The caller names the service in messages.
pub fn load_identity(
    certificate_pem: &str,
    key_pem: &Secret,
    now: SystemTime,
) -> Result<ClientIdentity, CertificateError> {
    let facts = check_pair(certificate_pem, key_pem, now)?;
    Ok(ClientIdentity { certificate_pem: certificate_pem.trim().to_owned(), key_pem: key_pem.clone(), facts })
}

/// A checked key for signing client assertions (`private_key_jwt`): an RSA private key, and when a certificate
/// is given, the facts and `x5t#S256` of the certificate it belongs to.
pub struct SigningKey {
    /// The private key, PEM (PKCS#1 or PKCS#8).
    pub key_pem: Secret,
    /// The certificate's facts, when one was given.
    pub facts: Option<CertificateFacts>,
    /// JWS `x5t#S256` of the certificate (RFC 7515 §4.1.8), when one was given.
    pub x5t_s256: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("facts", &self.facts).field("key_pem", &self.key_pem).finish()
    }
}

/// Checks a key for client assertions with the checks of [`load_identity`] (a key, not encrypted, of the
/// certificate, which is valid now), plus: the key is RSA, as the RS256 and PS256 signatures need (RFC 7518
/// §3.3, §3.5). Without a certificate only the key itself is checked.
pub fn load_signing_key(
    key_pem: &Secret,
    certificate_pem: Option<&str>,
    now: SystemTime,
) -> Result<SigningKey, CertificateError> {
    let (facts, x5t) = match certificate_pem {
        Some(cert) => (Some(check_pair(cert, key_pem, now)?), Some(x5t_s256(cert)?)),
        None => {
            let key = private_key(key_pem.expose_secret())?;
            rustls::crypto::ring::sign::any_supported_type(&key)
                .map_err(|e| CertificateError::UnsupportedKey { what: "private key", reason: e.to_string() })?;
            (None, None)
        }
    };
    let key = private_key(key_pem.expose_secret())?;
    let rsa = rustls::crypto::ring::sign::any_supported_type(&key)
        .map(|k| k.algorithm() == rustls::SignatureAlgorithm::RSA)
        .unwrap_or(false);
    if !rsa {
        return Err(CertificateError::UnsupportedKey {
            what: "private key",
            reason: "client assertions are signed with RS256 or PS256, which need an RSA key".into(),
        });
    }
    Ok(SigningKey { key_pem: key_pem.clone(), facts, x5t_s256: x5t })
}

/// The checks both uses share: a usable key that belongs to the leaf certificate, which is valid at `now`.
fn check_pair(certificate_pem: &str, key_pem: &Secret, now: SystemTime) -> Result<CertificateFacts, CertificateError> {
    let der = leaf(certificate_pem, "client certificate")?;
    let (_, cert) = parse(&der, "client certificate")?;
    let facts = facts_of(&cert, &der, now);
    let key = private_key(key_pem.expose_secret())?;
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| CertificateError::UnsupportedKey { what: "private key", reason: e.to_string() })?;
    let key_spki = signing_key
        .public_key()
        .ok_or_else(|| CertificateError::UnsupportedKey { what: "private key", reason: "no public key".into() })?;
    let same = SubjectPublicKeyInfo::from_der(&key_spki)
        .map(|(_, spki)| spki.subject_public_key.data == cert.public_key().subject_public_key.data)
        .unwrap_or(false);
    if !same {
        return Err(CertificateError::KeyMismatch { subject: facts.subject.clone() });
    }
    let now_s = unix(now);
    if cert.validity().not_after.timestamp() < now_s {
        return Err(CertificateError::Expired { subject: facts.subject.clone(), not_after: facts.not_after.clone() });
    }
    if cert.validity().not_before.timestamp() > now_s {
        return Err(CertificateError::NotYetValid {
            subject: facts.subject.clone(),
            not_before: facts.not_before.clone(),
        });
    }
    Ok(facts)
}

/// Base64url SHA-256 thumbprint of the leaf certificate's DER: JWS `x5t#S256` (RFC 7515 §4.1.8).
pub fn x5t_s256(certificate_pem: &str) -> Result<String, CertificateError> {
    use base64::Engine as _;
    let der = leaf(certificate_pem, "certificate")?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&der)))
}

fn leaf(pem: &str, what: &'static str) -> Result<CertificateDer<'static>, CertificateError> {
    match CertificateDer::pem_slice_iter(pem.as_bytes()).next() {
        Some(Ok(der)) => Ok(der),
        Some(Err(e)) => Err(CertificateError::Malformed { what, reason: e.to_string() }),
        None => Err(CertificateError::NoCertificate { what }),
    }
}

fn parse<'a>(
    der: &'a CertificateDer<'_>,
    what: &'static str,
) -> Result<(&'a [u8], X509Certificate<'a>), CertificateError> {
    X509Certificate::from_der(der).map_err(|e| CertificateError::Malformed { what, reason: e.to_string() })
}

fn private_key(pem: &str) -> Result<PrivateKeyDer<'static>, CertificateError> {
    const WHAT: &str = "private key";
    if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(CertificateError::EncryptedKey { what: WHAT });
    }
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
        let found = if pem.contains("-----BEGIN CERTIFICATE-----") {
            " (it holds a certificate)".to_owned()
        } else if pem.contains("-----BEGIN") {
            String::new()
        } else {
            " (no -----BEGIN line)".to_owned()
        };
        CertificateError::NotAKey { what: WHAT, found }
    })
}

fn facts_of(cert: &X509Certificate<'_>, der: &[u8], now: SystemTime) -> CertificateFacts {
    let rfc3339 = |t: x509_parser::time::ASN1Time| {
        t.to_datetime().format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
    };
    let (not_before, not_after) = (cert.validity().not_before, cert.validity().not_after);
    let seconds_left = not_after.timestamp() - unix(now);
    let lifetime = not_after.timestamp() - not_before.timestamp();
    let warning_days = EXPIRY_WARNING_DAYS * 86_400;
    let warning_window = if lifetime > warning_days { warning_days } else { lifetime / 2 };
    CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        days_left: seconds_left.div_euclid(86_400),
        expires_soon: seconds_left < warning_window,
        sha256_thumbprint: Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"),
    }
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

#[cfg(test)]
mod tests;

//! Client assertions: `private_key_jwt` client authentication (OpenID Connect Core 1.0 §9, RFC 7523 §2.2 and §3),
//! a JWT the client signs with its own key in place of a client secret.
//!
//! One assertion per request: `jti` is a fresh UUID, `iat` and `nbf` are now, `exp` five minutes later
//! (Microsoft "Microsoft identity platform application authentication certificate credentials": "keep it short -
//! 5-10 minutes after `nbf` at most"; OIDC Core §9: "These tokens MUST only be used once"). `iss` and `sub` are
//! the client ID, `aud` is the token endpoint the request goes to (Microsoft's page; OIDC Core §9 "SHOULD be the
//! URL of the Authorization Server's Token Endpoint").
//!
//! The header differs by service:
//! - Entra: `alg` PS256 and `x5t#S256`, the base64url SHA-256 thumbprint of the certificate registered on the app
//!   (Microsoft's page; an older version said RS256 and a SHA-1 `x5t`);
//! - IAS: `alg` RS256, the algorithm every OpenID provider supports (IAS documents none for client assertions;
//!   its discovery lists only RS256 for its own tokens), `x5t#S256` when the certificate is stored, and `kid` when
//!   the profile names one (`[ias] assertion_kid`). IAS verifies the signature with the keys of the JSON Web Key Set
//!   URI its application trusts (SAP Help "Configure JWT for OAuth Client Authentication", *Configure Trust by
//!   URI*); it does not document how it picks the key, and OpenID Connect Core §10.1 requires a `kid` when the set
//!   holds several.
//!
//! The key stays in [`Secret`]s and the assertion is one too: it is never logged, and the recorded request shows
//! `***` for it ([`crate::token_response::record`]). Signing is `jsonwebtoken`; its `EncodingKey` lives only for
//! one signature.

use crate::diagnose::code;
use std::time::{Duration, SystemTime};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::certificate::SigningKey;
use crate::diagnose::Diagnosis;
use crate::secrets::Secret;
use crate::Clock;

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: Microsoft asks for "5-10 minutes after `nbf` at most".
pub const LIFETIME: Duration = Duration::from_secs(300);

/// The header each service wants (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// PS256 with `x5t#S256` (required).
    Entra,
    /// RS256, `x5t#S256` when a certificate is stored.
    Ias,
}

/// Signs client assertions for one client with one checked key.
pub struct AssertionSigner {
    key: SigningKey,
    client_id: String,
    flavor: Flavor,
    /// The `kid` header, when the profile names the key.
    kid: Option<String>,
    clock: Clock,
}

impl std::fmt::Debug for AssertionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionSigner")
            .field("client_id", &self.client_id)
            .field("flavor", &self.flavor)
            .field("kid", &self.kid)
            .field("key", &self.key)
            .finish()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    nbf: u64,
    exp: u64,
}

impl AssertionSigner {
    /// A signer for `client_id`. Entra needs the certificate's thumbprint: without a certificate the key is
    /// refused here, before anything is sent.
    pub fn new(key: SigningKey, client_id: &str, flavor: Flavor, clock: Clock) -> Result<Self, Diagnosis> {
        if flavor == Flavor::Entra && key.x5t_s256.is_none() {
            return Err(Diagnosis::new(
                code::CERTIFICATE_THUMBPRINT_MISSING,
                "Entra's client assertions name the certificate by its SHA-256 thumbprint (x5t#S256), and no certificate \
                 is stored beside the key.",
                "Store the certificate registered on the app (Certificates & secrets) as entra-client-certificate, \
                 beside its key entra-client-key.",
            ));
        }
        Ok(Self { key, client_id: client_id.to_owned(), flavor, kid: None, clock })
    }

    /// Names the signing key by `kid` in the header too (the key's ID in the JSON Web Key Set the service trusts).
    pub fn with_kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(str::to_owned);
        self
    }

    /// The public facts of the certificate, when one is stored (the UI shows them, the run checks them).
    pub fn certificate(&self) -> Option<&crate::certificate::CertificateFacts> {
        self.key.facts.as_ref()
    }

    /// A fresh assertion for a request to `token_endpoint`.
    pub fn sign(&self, token_endpoint: &str) -> Result<Secret, Diagnosis> {
        let now = (self.clock)().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut header = Header::new(match self.flavor {
            Flavor::Entra => Algorithm::PS256,
            Flavor::Ias => Algorithm::RS256,
        });
        header.typ = Some("JWT".into());
        header.x5t_s256 = self.key.x5t_s256.clone();
        header.kid = self.kid.clone();
        let claims = Claims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: token_endpoint,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            nbf: now,
            exp: now + LIFETIME.as_secs(),
        };
        let failed = |e: jsonwebtoken::errors::Error| {
            Diagnosis::new(
                code::CERTIFICATE_SIGNING_FAILED,
                format!("The client assertion could not be signed: {e}"),
                "Store the RSA private key again (PEM, without a password).",
            )
        };
        let key = EncodingKey::from_rsa_pem(self.key.key_pem.expose_secret().as_bytes()).map_err(failed)?;
        jsonwebtoken::encode(&header, &claims, &key).map(Secret::new).map_err(failed)
    }
}

/// The form fields a client authenticates with: `client_secret`, or a fresh `client_assertion_type` and
/// `client_assertion` for `token_endpoint`. (The signer, with its key and certificate facts, is boxed: it is the
/// rarer and much larger of the two.)
pub enum ClientCredential {
    Secret(Secret),
    Assertion(Box<AssertionSigner>),
}

impl ClientCredential {
    pub fn form_fields(&self, token_endpoint: &str) -> Result<Vec<(&'static str, Secret)>, Diagnosis> {
        Ok(match self {
            Self::Secret(s) => vec![("client_secret", s.clone())],
            Self::Assertion(signer) => vec![
                ("client_assertion_type", Secret::new(CLIENT_ASSERTION_TYPE)),
                ("client_assertion", signer.sign(token_endpoint)?),
            ],
        })
    }
}

#[cfg(test)]
mod tests;

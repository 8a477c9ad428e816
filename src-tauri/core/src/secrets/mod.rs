//! Client secrets, passwords and cached sign-ins: the OS keychain, environment overrides, and an in-memory
//! store (DESIGN §3 "Secrets"). Nothing here ever writes a secret to a file.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::diagnose::{code, Diagnose, Diagnosis};

pub mod env;
pub mod keychain;
pub mod layered;
pub mod memory;
mod secret;

pub use env::EnvOverrides;
pub use keychain::{Keychain, KeychainStatus, UNAVAILABLE_MESSAGE};
pub use layered::{Layered, SecretSource};
pub use memory::MemoryStore;
pub use secret::Secret;

/// The service name of every keychain entry; the account is `<profile slug>/<kind>`.
pub const KEYCHAIN_SERVICE: &str = "tokenhop";

/// Which secret of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    EntraClientSecret,
    IasClientSecret,
    XsuaaClientSecret,
    EntraPassword,
    /// The cached Entra sign-in: the refresh token and who it signed in ([`crate::entra::cache`]).
    EntraRefreshToken,
    /// IAS's refresh token, kept only when the profile opts in (`keep_refresh_tokens`).
    IasRefreshToken,
    /// XSUAA's refresh token, kept only when the profile opts in (`keep_refresh_tokens`).
    XsuaaRefreshToken,
    // Certificate credentials (`client_auth = "x509"`): the PEM certificate chain and its private key.
    IasClientCertificate,
    IasClientKey,
    XsuaaClientCertificate,
    XsuaaClientKey,
    // The Entra app's certificate credential (`[entra] client_auth = "private-key-jwt"`): the certificate registered
    // on the app registration (for its `x5t#S256` thumbprint) and the private key that signs client assertions.
    EntraClientCertificate,
    EntraClientKey,
}

impl SecretKind {
    pub const ALL: [SecretKind; 13] = [
        Self::EntraClientSecret,
        Self::IasClientSecret,
        Self::XsuaaClientSecret,
        Self::EntraPassword,
        Self::EntraRefreshToken,
        Self::IasRefreshToken,
        Self::XsuaaRefreshToken,
        Self::IasClientCertificate,
        Self::IasClientKey,
        Self::XsuaaClientCertificate,
        Self::XsuaaClientKey,
        Self::EntraClientCertificate,
        Self::EntraClientKey,
    ];

    /// What the user configures (as opposed to what a sign-in leaves behind).
    pub const CREDENTIALS: [SecretKind; 10] = [
        Self::EntraClientSecret,
        Self::IasClientSecret,
        Self::XsuaaClientSecret,
        Self::EntraPassword,
        Self::IasClientCertificate,
        Self::IasClientKey,
        Self::XsuaaClientCertificate,
        Self::XsuaaClientKey,
        Self::EntraClientCertificate,
        Self::EntraClientKey,
    ];

    /// What a sign-in leaves behind: forgotten by `profile sign-out`, never copied to a duplicate.
    pub const SIGN_IN: [SecretKind; 3] = [Self::EntraRefreshToken, Self::IasRefreshToken, Self::XsuaaRefreshToken];

    /// The kebab-case name used in keychain accounts and on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EntraClientSecret => "entra-client-secret",
            Self::IasClientSecret => "ias-client-secret",
            Self::XsuaaClientSecret => "xsuaa-client-secret",
            Self::EntraPassword => "entra-password",
            Self::EntraRefreshToken => "entra-refresh-token",
            Self::IasRefreshToken => "ias-refresh-token",
            Self::XsuaaRefreshToken => "xsuaa-refresh-token",
            Self::IasClientCertificate => "ias-client-certificate",
            Self::IasClientKey => "ias-client-key",
            Self::XsuaaClientCertificate => "xsuaa-client-certificate",
            Self::XsuaaClientKey => "xsuaa-client-key",
            Self::EntraClientCertificate => "entra-client-certificate",
            Self::EntraClientKey => "entra-client-key",
        }
    }

    /// The environment variable that overrides the keychain, for CI pipelines.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::EntraClientSecret => "TOKENHOP_ENTRA_CLIENT_SECRET",
            Self::IasClientSecret => "TOKENHOP_IAS_CLIENT_SECRET",
            Self::XsuaaClientSecret => "TOKENHOP_XSUAA_CLIENT_SECRET",
            Self::EntraPassword => "TOKENHOP_ENTRA_PASSWORD",
            Self::EntraRefreshToken => "TOKENHOP_ENTRA_REFRESH_TOKEN",
            Self::IasRefreshToken => "TOKENHOP_IAS_REFRESH_TOKEN",
            Self::XsuaaRefreshToken => "TOKENHOP_XSUAA_REFRESH_TOKEN",
            Self::IasClientCertificate => "TOKENHOP_IAS_CLIENT_CERTIFICATE",
            Self::IasClientKey => "TOKENHOP_IAS_CLIENT_KEY",
            Self::XsuaaClientCertificate => "TOKENHOP_XSUAA_CLIENT_CERTIFICATE",
            Self::XsuaaClientKey => "TOKENHOP_XSUAA_CLIENT_KEY",
            Self::EntraClientCertificate => "TOKENHOP_ENTRA_CLIENT_CERTIFICATE",
            Self::EntraClientKey => "TOKENHOP_ENTRA_CLIENT_KEY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where secrets live. `profile` is the profile's slug (its file stem).
pub trait SecretStore: Send + Sync {
    /// The secret, or `Ok(None)` when none is stored.
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError>;
    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError>;
    /// Deleting a missing secret is not an error.
    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError>;
    /// Whether an environment variable supplies this kind, so that a stored value would never be read.
    fn overridden(&self, _kind: SecretKind) -> bool {
        false
    }
}

/// Why a secret could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// No OS keychain could be reached (no Secret Service, no session bus, locked collection).
    #[error("no keychain available: {reason}")]
    Unavailable { reason: String },
    /// The keychain answered with an error.
    #[error("the keychain refused to {action} the {kind} of profile {profile}: {reason}")]
    Keychain { action: &'static str, profile: String, kind: SecretKind, reason: String },
}

/// After a rename: moves every secret of profile `from` to `to` in `store` (existing ones of `to` are replaced).
pub fn move_profile_secrets(store: &dyn SecretStore, from: &str, to: &str) -> Result<(), SecretError> {
    if from == to {
        return Ok(());
    }
    copy_kinds(store, from, to, &SecretKind::ALL)?;
    delete_profile_secrets(store, from)
}

impl Diagnose for SecretError {
    /// The error for people: a stable code, what happened, and what to do.
    fn diagnosis(&self) -> Diagnosis {
        match self {
            Self::Unavailable { .. } => Diagnosis::new(
                code::SECRETS_UNAVAILABLE,
                format!("{UNAVAILABLE_MESSAGE} ({self})"),
                "Unlock your keyring or start a Secret Service (GNOME Keyring, KeePassXC), or set the \
                 TOKENHOP_* environment variables; TokenHop never writes secrets to files.",
            ),
            Self::Keychain { .. } => Diagnosis::new(
                code::SECRETS_KEYCHAIN,
                self.to_string(),
                "Check that the keychain is unlocked and that TokenHop may use it, then try again.",
            ),
        }
    }
}

/// After a duplicate the user wants with secrets: copies the credentials of `from` to `to` in `store`. The
/// cached sign-in stays with `from`: the duplicate signs in on its first run.
pub fn copy_profile_secrets(store: &dyn SecretStore, from: &str, to: &str) -> Result<(), SecretError> {
    copy_kinds(store, from, to, &SecretKind::CREDENTIALS)
}

fn copy_kinds(store: &dyn SecretStore, from: &str, to: &str, kinds: &[SecretKind]) -> Result<(), SecretError> {
    for &kind in kinds {
        if let Some(value) = store.get(from, kind)? {
            store.set(to, kind, &value)?;
        }
    }
    Ok(())
}

/// `profile sign-out`: forgets the cached Entra sign-in and any kept IAS and XSUAA refresh tokens.
pub fn delete_sign_in(store: &dyn SecretStore, profile: &str) -> Result<(), SecretError> {
    for kind in SecretKind::SIGN_IN {
        store.delete(profile, kind)?;
    }
    Ok(())
}

/// After a delete: removes every secret of `profile` from `store`.
pub fn delete_profile_secrets(store: &dyn SecretStore, profile: &str) -> Result<(), SecretError> {
    for kind in SecretKind::ALL {
        store.delete(profile, kind)?;
    }
    Ok(())
}

//! Client secrets and passwords: the OS keychain, environment overrides, and an in-memory store
//! (DESIGN §3 "Secrets"). Nothing here ever writes a secret to a file.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::secret::Secret;

/// The service name of every keychain entry; the account is `<profile slug>/<kind>`.
pub const KEYCHAIN_SERVICE: &str = "tokenhop";

/// Which secret of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SecretKind {
    EntraClientSecret,
    IasClientSecret,
    XsuaaClientSecret,
    EntraPassword,
}

impl SecretKind {
    pub const ALL: [SecretKind; 4] =
        [Self::EntraClientSecret, Self::IasClientSecret, Self::XsuaaClientSecret, Self::EntraPassword];

    /// The kebab-case name used in keychain accounts and on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EntraClientSecret => "entra-client-secret",
            Self::IasClientSecret => "ias-client-secret",
            Self::XsuaaClientSecret => "xsuaa-client-secret",
            Self::EntraPassword => "entra-password",
        }
    }

    /// The environment variable that overrides the keychain, for CI pipelines.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::EntraClientSecret => "TOKENHOP_ENTRA_CLIENT_SECRET",
            Self::IasClientSecret => "TOKENHOP_IAS_CLIENT_SECRET",
            Self::XsuaaClientSecret => "TOKENHOP_XSUAA_CLIENT_SECRET",
            Self::EntraPassword => "TOKENHOP_ENTRA_PASSWORD",
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

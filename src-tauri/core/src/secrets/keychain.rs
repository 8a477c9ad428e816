//! `Keychain`: the OS credential store through `keyring` 4 (macOS Keychain, Windows Credential Manager,
//! the Secret Service on Linux). Entries are service `tokenhop`, account `<profile slug>/<kind>`.
//!
//! Every access goes through one process-wide mutex (the Secret Service dislikes concurrent calls). When no
//! store can be reached this says so (`SecretError::Unavailable`, [`Keychain::status`]); it never falls back
//! to a file or to an in-memory mock.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use ts_rs::TS;

use crate::secrets::Secret;

use super::{SecretError, SecretKind, SecretStore, KEYCHAIN_SERVICE};

/// What the app tells the user, once, when there is no keychain.
pub const UNAVAILABLE_MESSAGE: &str = "No keychain available: secrets will be asked for each run and never stored";

static KEYCHAIN_LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    KEYCHAIN_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether secrets can be kept in the OS keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeychainStatus {
    pub available: bool,
    /// For people, when unavailable: [`UNAVAILABLE_MESSAGE`].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// The technical cause, when unavailable ("no session bus", "the default collection is locked", …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
}

impl KeychainStatus {
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self { available: false, reason: Some(UNAVAILABLE_MESSAGE.to_owned()), detail: Some(detail.into()) }
    }
}

/// The OS keychain as a [`SecretStore`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

impl Keychain {
    pub fn new() -> Self {
        Self
    }

    /// The keychain, if [`Keychain::status`] says it is usable.
    pub fn detect() -> (Option<Self>, KeychainStatus) {
        let status = Self::status();
        (status.available.then_some(Self), status)
    }

    /// Probes the store without reading or writing any entry (and without opening an unlock prompt).
    pub fn status() -> KeychainStatus {
        let _guard = lock();
        if let Err(e) = keyring::Entry::store_status() {
            return KeychainStatus::unavailable(format!("the credential store could not be opened: {e}"));
        }
        match platform_probe() {
            Ok(()) => KeychainStatus { available: true, reason: None, detail: None },
            Err(detail) => KeychainStatus::unavailable(detail),
        }
    }

    fn entry(profile: &str, kind: SecretKind) -> Result<keyring::Entry, keyring::Error> {
        keyring::Entry::new(KEYCHAIN_SERVICE, &account(profile, kind))
    }
}

/// The keychain account of a secret: `<profile slug>/<kind>`.
pub fn account(profile: &str, kind: SecretKind) -> String {
    format!("{profile}/{}", kind.as_str())
}

impl SecretStore for Keychain {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        let _guard = lock();
        match Self::entry(profile, kind).and_then(|e| e.get_password()) {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e, "read", profile, kind)),
        }
    }

    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
        let _guard = lock();
        Self::entry(profile, kind)
            .and_then(|e| e.set_password(value.expose_secret()))
            .map_err(|e| map_error(e, "store", profile, kind))
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        let _guard = lock();
        match Self::entry(profile, kind).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e, "delete", profile, kind)),
        }
    }
}

/// `NoDefaultStore` and `NoStorageAccess` mean "no usable keychain"; the rest are the keychain's refusals.
/// The messages of `keyring` errors carry no secret values (only `BadEncoding`'s bytes, which are not shown).
fn map_error(e: keyring::Error, action: &'static str, profile: &str, kind: SecretKind) -> SecretError {
    match e {
        keyring::Error::NoDefaultStore => SecretError::Unavailable {
            reason: match keyring::Entry::store_status() {
                Err(cause) => format!("the credential store could not be opened: {cause}"),
                Ok(()) => "no credential store is set".to_owned(),
            },
        },
        keyring::Error::NoStorageAccess(cause) => {
            SecretError::Unavailable { reason: format!("the keychain is locked or refused access: {cause}") }
        }
        keyring::Error::BadEncoding(_) => SecretError::Keychain {
            action,
            profile: profile.to_owned(),
            kind,
            reason: "the stored value is not UTF-8 text".to_owned(),
        },
        other => SecretError::Keychain { action, profile: profile.to_owned(), kind, reason: other.to_string() },
    }
}

/// On Linux: is there a default Secret Service collection, and is it unlocked? Asked without prompting.
#[cfg(target_os = "linux")]
fn platform_probe() -> Result<(), String> {
    use secret_service::blocking::SecretService;
    use secret_service::EncryptionType;

    let ss = SecretService::connect(EncryptionType::Plain)
        .map_err(|e| format!("no Secret Service on the session bus: {e}"))?;
    let collection =
        ss.get_default_collection().map_err(|e| format!("the Secret Service has no default collection: {e}"))?;
    match collection.is_locked() {
        Ok(false) => Ok(()),
        Ok(true) => Err("the default keyring collection is locked".to_owned()),
        Err(e) => Err(format!("the default collection could not be inspected: {e}")),
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_probe() -> Result<(), String> {
    Ok(())
}

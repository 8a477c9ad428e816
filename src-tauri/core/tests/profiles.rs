//! `Profiles`: a profile's file, keychain entries and run history change together, and a keychain that
//! refuses leaves the profile as it was.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokenhop_core::diagnose::Diagnose;
use tokenhop_core::history::{HistoryStore, RunRecord};
use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::{Profile, ProfileStore};
use tokenhop_core::profiles::Profiles;
use tokenhop_core::report::RunReport;
use tokenhop_core::secrets::{EnvOverrides, Layered, MemoryStore, Secret, SecretError, SecretKind, SecretStore};

fn profile(name: &str) -> Profile {
    let text = format!(
        r#"
name = "{name}"
[entra]
tenant = "contoso.onmicrosoft.com"
client_id = "00000000-0000-0000-0000-000000000001"
flow = "device-code"
[ias]
url = "https://acme.accounts.ondemand.com"
client_id = "ias-client"
"#
    );
    parse_profile(&text, Path::new("t.toml")).unwrap()
}

/// A keychain that works until told to refuse every change (a locked collection does this).
#[derive(Clone, Default)]
struct Keychain {
    entries: Arc<MemoryStore>,
    refusing: Arc<AtomicBool>,
}

impl SecretStore for Keychain {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        self.entries.get(profile, kind)
    }
    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
        self.refuse("store", profile, kind)?;
        self.entries.set(profile, kind, value)
    }
    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        self.refuse("delete", profile, kind)?;
        self.entries.delete(profile, kind)
    }
}

impl Keychain {
    fn refuse(&self, action: &'static str, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        if self.refusing.load(Ordering::SeqCst) {
            let reason = "the collection is locked".into();
            return Err(SecretError::Keychain { action, profile: profile.into(), kind, reason });
        }
        Ok(())
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    store: ProfileStore,
    keychain: Keychain,
    secrets: Layered,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::open(dir.path()).unwrap();
    let keychain = Keychain::default();
    let secrets = Layered::new(EnvOverrides::default(), Some(Box::new(keychain.clone())));
    Fixture { dir, store, keychain, secrets }
}

impl Fixture {
    fn profiles(&self) -> Profiles<'_> {
        Profiles::new(&self.store, &self.secrets)
    }
    fn history(&self) -> HistoryStore {
        HistoryStore::new(self.dir.path())
    }
    fn stored(&self, slug: &str, kind: SecretKind) -> Option<String> {
        self.keychain.entries.get(slug, kind).unwrap().map(|s| s.expose_secret().to_owned())
    }
    /// A saved profile `dev` with a client secret, a cached sign-in and one run in its history.
    fn dev(&self) -> String {
        let slug = self.profiles().save(None, &profile("dev"), None).unwrap();
        self.secrets.set(&slug, SecretKind::IasClientSecret, &Secret::new("s3cret")).unwrap();
        self.secrets.set(&slug, SecretKind::EntraRefreshToken, &Secret::new("rt")).unwrap();
        let report =
            RunReport { ok: true, profile: "dev".into(), steps: vec![], started_at: "2026-12-02T10:00:00Z".into() };
        self.history().append(&RunRecord::of(format!("{slug}@1"), &slug, &report)).unwrap();
        slug
    }
}

#[test]
fn a_rename_moves_the_file_the_secrets_and_the_history_together() {
    let f = fixture();
    let dev = f.dev();
    let new = f.profiles().rename(&dev, "Dev EU").unwrap();
    assert_eq!(new, "dev-eu");
    assert!(f.store.get(&dev).is_err(), "the old file is gone");
    assert_eq!(f.store.get(&new).unwrap().name, "Dev EU");
    assert_eq!(f.stored(&new, SecretKind::IasClientSecret).as_deref(), Some("s3cret"));
    assert_eq!(f.stored(&new, SecretKind::EntraRefreshToken).as_deref(), Some("rt"), "the sign-in follows");
    assert_eq!(f.stored(&dev, SecretKind::IasClientSecret), None, "nothing is left under the old name");
    let runs = f.history().list(&new).unwrap();
    assert_eq!(runs.len(), 1, "the history follows");
    assert_eq!(runs[0].slug, new);
    assert!(f.history().list(&dev).unwrap().is_empty());
}

#[test]
fn saving_under_a_new_name_is_a_rename() {
    let f = fixture();
    let dev = f.dev();
    let new = f.profiles().save(Some(&dev), &profile("Test"), None).unwrap();
    assert_eq!(new, "test");
    assert!(f.store.get(&dev).is_err());
    assert_eq!(f.stored(&new, SecretKind::IasClientSecret).as_deref(), Some("s3cret"));
    assert_eq!(f.history().list(&new).unwrap().len(), 1);
}

#[test]
fn a_duplicate_gets_the_credentials_only_when_asked_and_never_the_sign_in() {
    let f = fixture();
    let dev = f.dev();
    let bare = f.profiles().duplicate(&dev, "bare", false).unwrap();
    assert_eq!(f.stored(&bare, SecretKind::IasClientSecret), None);
    let copy = f.profiles().duplicate(&dev, "copy", true).unwrap();
    assert_eq!(f.stored(&copy, SecretKind::IasClientSecret).as_deref(), Some("s3cret"));
    assert_eq!(f.stored(&copy, SecretKind::EntraRefreshToken), None, "the copy signs in on its own");
    assert_eq!(f.stored(&dev, SecretKind::IasClientSecret).as_deref(), Some("s3cret"), "the original keeps its own");
    assert!(f.history().list(&copy).unwrap().is_empty(), "a copy has no runs yet");
}

#[test]
fn a_delete_removes_the_file_the_secrets_and_the_history() {
    let f = fixture();
    let dev = f.dev();
    f.profiles().delete(&dev).unwrap();
    assert!(f.store.get(&dev).is_err());
    assert_eq!(f.stored(&dev, SecretKind::IasClientSecret), None);
    assert_eq!(f.stored(&dev, SecretKind::EntraRefreshToken), None);
    assert!(f.history().list(&dev).unwrap().is_empty());
}

#[test]
fn when_the_keychain_refuses_nothing_is_deleted_renamed_or_duplicated() {
    let f = fixture();
    let dev = f.dev();
    f.keychain.refusing.store(true, Ordering::SeqCst);

    let err = f.profiles().delete(&dev).unwrap_err();
    let d = err.diagnosis();
    assert_eq!(d.code, "secrets.unavailable");
    assert!(d.message.contains("left as it was"), "{}", d.message);
    assert!(f.store.get(&dev).is_ok(), "the file stays");
    assert_eq!(f.stored(&dev, SecretKind::IasClientSecret).as_deref(), Some("s3cret"), "the secret stays");

    let err = f.profiles().rename(&dev, "Dev EU").unwrap_err();
    assert!(err.diagnosis().message.contains("could not be moved"), "{}", err.diagnosis().message);
    assert!(f.store.get(&dev).is_ok(), "the rename was undone");
    assert!(f.store.get("dev-eu").is_err());
    assert_eq!(f.history().list(&dev).unwrap().len(), 1, "the history did not move");

    f.profiles().duplicate(&dev, "copy", true).unwrap_err();
    assert!(f.store.get("copy").is_err(), "no half-made duplicate");

    f.keychain.refusing.store(false, Ordering::SeqCst);
    f.profiles().delete(&dev).unwrap();
    assert!(f.store.get(&dev).is_err(), "with the keychain back, the delete goes through");
}

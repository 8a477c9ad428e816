//! `Layered`: the store the app and the CLI use. Reading asks the environment, then this session's memory,
//! then the keychain; writing goes to the keychain when there is one, else to the session (never a file).
//! [`Layered::source`] tells a write-only UI where a secret would come from without reading it back.

use serde::Serialize;
use ts_rs::TS;

use crate::secrets::Secret;

use super::env::EnvOverrides;
use super::keychain::{Keychain, KeychainStatus};
use super::memory::MemoryStore;
use super::{
    copy_profile_secrets, delete_profile_secrets, delete_sign_in, move_profile_secrets, SecretError, SecretKind,
    SecretStore,
};

/// Where a secret comes from (or would go to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SecretSource {
    /// A `TOKENHOP_*` environment variable (it wins over everything).
    Env,
    /// This run's memory only; forgotten when the app quits.
    Session,
    /// The OS keychain.
    Keychain,
    /// Not set anywhere: it will be asked for.
    Missing,
}

/// Environment → session → keychain.
pub struct Layered {
    env: EnvOverrides,
    session: MemoryStore,
    keychain: Option<Box<dyn SecretStore>>,
}

impl Layered {
    /// `keychain` is `None` when [`Keychain::status`] said there is none; tests may pass any store.
    pub fn new(env: EnvOverrides, keychain: Option<Box<dyn SecretStore>>) -> Self {
        Self { env, session: MemoryStore::new(), keychain }
    }

    /// `env` (the CLI passes the process environment, the app none) and the OS keychain if it is usable,
    /// with the status to show once.
    pub fn detect(env: EnvOverrides) -> (Self, KeychainStatus) {
        let (keychain, status) = Keychain::detect();
        let keychain = keychain.map(|k| Box::new(k) as Box<dyn SecretStore>);
        (Self::new(env, keychain), status)
    }

    pub fn has_keychain(&self) -> bool {
        self.keychain.is_some()
    }

    /// The value to use: environment, then session, then keychain.
    pub fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        if let Some(value) = self.env.get(kind) {
            return Ok(Some(value));
        }
        self.get_stored(profile, kind)
    }

    /// Stores the value in the keychain if there is one, else in the session; says which.
    pub fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<SecretSource, SecretError> {
        match &self.keychain {
            Some(keychain) => {
                keychain.set(profile, kind, value)?;
                // A stale session value must not shadow what was just saved.
                self.session.delete(profile, kind)?;
                Ok(SecretSource::Keychain)
            }
            None => {
                self.session.set(profile, kind, value)?;
                Ok(SecretSource::Session)
            }
        }
    }

    /// Keeps a value for this session only (a secret typed in for one run).
    pub fn set_for_session(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
        self.session.set(profile, kind, value)
    }

    /// Forgets a value kept for this session only; the keychain's stays.
    pub fn forget_for_session(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        self.session.delete(profile, kind)
    }

    /// Forgets the value in the session and the keychain (the environment is not ours to change).
    pub fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        self.session.delete(profile, kind)?;
        if let Some(keychain) = &self.keychain {
            keychain.delete(profile, kind)?;
        }
        Ok(())
    }

    /// Where [`Layered::get`] would find the secret, without handing out its value.
    pub fn source(&self, profile: &str, kind: SecretKind) -> Result<SecretSource, SecretError> {
        if self.env.contains(kind) {
            return Ok(SecretSource::Env);
        }
        if self.session.get(profile, kind)?.is_some() {
            return Ok(SecretSource::Session);
        }
        if let Some(keychain) = &self.keychain {
            if keychain.get(profile, kind)?.is_some() {
                return Ok(SecretSource::Keychain);
            }
        }
        Ok(SecretSource::Missing)
    }

    /// After a profile rename: move its stored secrets (session and keychain; never the environment's).
    pub fn move_profile(&self, from: &str, to: &str) -> Result<(), SecretError> {
        self.each_layer(|store| move_profile_secrets(store, from, to))
    }

    /// After duplicating a profile, when the user chose to copy its secrets.
    pub fn copy_profile(&self, from: &str, to: &str) -> Result<(), SecretError> {
        self.each_layer(|store| copy_profile_secrets(store, from, to))
    }

    /// After deleting a profile.
    pub fn delete_profile(&self, profile: &str) -> Result<(), SecretError> {
        self.each_layer(|store| delete_profile_secrets(store, profile))
    }

    /// Forgets the profile's cached sign-in (session and keychain; an environment value stays in force).
    pub fn sign_out(&self, profile: &str) -> Result<(), SecretError> {
        self.each_layer(|store| delete_sign_in(store, profile))
    }

    fn get_stored(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        if let Some(value) = self.session.get(profile, kind)? {
            return Ok(Some(value));
        }
        match &self.keychain {
            Some(keychain) => keychain.get(profile, kind),
            None => Ok(None),
        }
    }

    fn each_layer(&self, f: impl Fn(&dyn SecretStore) -> Result<(), SecretError>) -> Result<(), SecretError> {
        f(&self.session)?;
        if let Some(keychain) = &self.keychain {
            f(keychain.as_ref())?;
        }
        Ok(())
    }
}

impl SecretStore for Layered {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        Layered::get(self, profile, kind)
    }

    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
        Layered::set(self, profile, kind, value).map(|_| ())
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        Layered::delete(self, profile, kind)
    }

    fn overridden(&self, kind: SecretKind) -> bool {
        self.env.contains(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: SecretKind = SecretKind::IasClientSecret;

    fn with_keychain(env: EnvOverrides) -> Layered {
        Layered::new(env, Some(Box::new(MemoryStore::new())))
    }

    #[test]
    fn environment_wins_over_session_and_keychain() {
        let store = with_keychain(EnvOverrides::from_lookup(|n| (n == KIND.env_var()).then(|| "ci".to_owned())));
        store.set("dev", KIND, &Secret::new("kept")).unwrap();
        assert_eq!(store.get("dev", KIND).unwrap().unwrap().expose_secret(), "ci", "CI variables must win");
        assert_eq!(store.source("dev", KIND).unwrap(), SecretSource::Env);
    }

    #[test]
    fn set_goes_to_the_keychain_when_there_is_one_and_to_the_session_otherwise() {
        let with = with_keychain(EnvOverrides::none());
        assert_eq!(with.set("dev", KIND, &Secret::new("a")).unwrap(), SecretSource::Keychain);
        assert_eq!(with.source("dev", KIND).unwrap(), SecretSource::Keychain);

        let without = Layered::new(EnvOverrides::none(), None);
        assert_eq!(without.set("dev", KIND, &Secret::new("b")).unwrap(), SecretSource::Session);
        assert_eq!(without.source("dev", KIND).unwrap(), SecretSource::Session);
        assert_eq!(without.get("dev", KIND).unwrap().unwrap().expose_secret(), "b");
        assert_eq!(without.source("dev", SecretKind::EntraPassword).unwrap(), SecretSource::Missing);
    }

    #[test]
    fn session_value_shadows_the_keychain_until_a_new_value_is_saved() {
        let store = with_keychain(EnvOverrides::none());
        store.set("dev", KIND, &Secret::new("saved")).unwrap();
        store.set_for_session("dev", KIND, &Secret::new("typed")).unwrap();
        assert_eq!(store.get("dev", KIND).unwrap().unwrap().expose_secret(), "typed");
        store.set("dev", KIND, &Secret::new("saved2")).unwrap();
        assert_eq!(
            store.get("dev", KIND).unwrap().unwrap().expose_secret(),
            "saved2",
            "a save clears the session value"
        );
    }

    #[test]
    fn rename_moves_and_duplicate_copies_and_delete_removes_every_kind_but_never_env() {
        let store = with_keychain(EnvOverrides::from_lookup(|n| {
            (n == SecretKind::EntraPassword.env_var()).then(|| "env-pw".to_owned())
        }));
        store.set("old", SecretKind::IasClientSecret, &Secret::new("ias")).unwrap();
        store.set("old", SecretKind::XsuaaClientSecret, &Secret::new("xsuaa")).unwrap();
        store.move_profile("old", "new").unwrap();
        assert_eq!(store.source("old", SecretKind::IasClientSecret).unwrap(), SecretSource::Missing);
        assert_eq!(store.get("new", SecretKind::XsuaaClientSecret).unwrap().unwrap().expose_secret(), "xsuaa");
        assert_eq!(
            store.get_stored("new", SecretKind::EntraPassword).unwrap(),
            None,
            "an environment value must never be persisted by a move"
        );
        store.copy_profile("new", "copy").unwrap();
        assert_eq!(store.source("copy", SecretKind::IasClientSecret).unwrap(), SecretSource::Keychain);
        assert_eq!(store.source("new", SecretKind::IasClientSecret).unwrap(), SecretSource::Keychain);
        store.delete_profile("new").unwrap();
        assert_eq!(store.source("new", SecretKind::IasClientSecret).unwrap(), SecretSource::Missing);
        assert_eq!(store.source("copy", SecretKind::IasClientSecret).unwrap(), SecretSource::Keychain);
    }
}

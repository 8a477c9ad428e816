//! `MemoryStore`: secrets held in this process only — for unit tests, and as the app's per-session store
//! when no keychain exists. It never touches a file; its values vanish (zeroized) when it is dropped.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::secrets::Secret;

use super::{SecretError, SecretKind, SecretStore};

#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<(String, SecretKind), Secret>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn values(&self) -> std::sync::MutexGuard<'_, HashMap<(String, SecretKind), Secret>> {
        // A panic while holding the lock cannot leave the map half-updated: recover it.
        self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        Ok(self.values().get(&(profile.to_owned(), kind)).cloned())
    }

    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
        self.values().insert((profile.to_owned(), kind), value.clone());
        Ok(())
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        self.values().remove(&(profile.to_owned(), kind));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_keeps_values_per_profile_and_kind() {
        let store = MemoryStore::new();
        store.set("dev", SecretKind::IasClientSecret, &Secret::new("s1")).unwrap();
        assert_eq!(store.get("dev", SecretKind::IasClientSecret).unwrap().unwrap().expose_secret(), "s1");
        assert!(store.get("dev", SecretKind::XsuaaClientSecret).unwrap().is_none(), "other kind is separate");
        assert!(store.get("prod", SecretKind::IasClientSecret).unwrap().is_none(), "other profile is separate");
        store.delete("dev", SecretKind::IasClientSecret).unwrap();
        store.delete("dev", SecretKind::IasClientSecret).unwrap();
        assert!(store.get("dev", SecretKind::IasClientSecret).unwrap().is_none(), "deleted, twice without error");
    }
}

//! `Profiles`: the profile files together with their keychain entries and their run history. Every change
//! that names a profile (save under a new name, rename, duplicate, delete) moves all three, so the app and the
//! CLI cannot disagree on what a rename or a delete does.
//!
//! The policy when the keychain fails: the change stops and the profile stays as it was (files and secrets),
//! with a diagnosis saying so; unlock the keychain and try again. No file is removed while its secrets could
//! not be, so no secret is left behind under a name nothing points to. The history on disk is a convenience:
//! a history file that cannot be moved or removed is logged, not fatal.

use crate::diagnose::{code, Diagnose, Diagnosis};
use crate::history::HistoryStore;
use crate::secrets::{Layered, SecretError};

use crate::profile::{slugify, Profile, ProfileError, ProfileStore};

/// A change to the profiles that could not be made; nothing of it was kept.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The keychain refused; the profile is as it was.
    #[error("the secrets of profile {slug} could not be {action}: {source}")]
    Secrets {
        slug: String,
        action: &'static str,
        #[source]
        source: SecretError,
    },
}

impl Diagnose for ChangeError {
    fn diagnosis(&self) -> Diagnosis {
        match self {
            Self::Profile(e) => e.diagnosis(),
            Self::Secrets { slug, action, source } => {
                let cause = source.diagnosis();
                Diagnosis::new(
                    code::SECRETS_UNAVAILABLE,
                    format!("The secrets of profile {slug} could not be {action}, so the profile was left as it was: {source}"),
                    format!("{} Then try again.", cause.hint.trim_end_matches('.')),
                )
            }
        }
    }
}

/// The profiles of one config dir with their secrets and history.
pub struct Profiles<'a> {
    store: &'a ProfileStore,
    secrets: &'a Layered,
    history: HistoryStore,
}

impl<'a> Profiles<'a> {
    pub fn new(store: &'a ProfileStore, secrets: &'a Layered) -> Self {
        Self { store, secrets, history: HistoryStore::new(store.config_dir()) }
    }

    /// Saves `profile`: as a new profile (`slug: None`), over its old self, or, when its name changed, under the
    /// new name with its secrets and history. A new profile takes the secrets held for `draft` (the wizard's).
    pub fn save(&self, slug: Option<&str>, profile: &Profile, draft: Option<&str>) -> Result<String, ChangeError> {
        match slug {
            None => {
                let new = self.store.create(profile)?;
                if let Some(draft) = draft {
                    // The profile is saved either way; a failed move only means the secrets must be typed again.
                    if let Err(e) = self.secrets.move_profile(draft, &new) {
                        tracing::warn!(error = %e, "could not move the draft's secrets to the new profile");
                    }
                }
                Ok(new)
            }
            Some(slug) if slugify(&profile.name) == slug => {
                Ok(self.store.update(slug, profile).map(|()| slug.to_owned())?)
            }
            Some(slug) => {
                self.store.existing(slug)?;
                let new = self.store.create(profile)?;
                self.move_or_undo(slug, &new, || self.store.delete(&new))?;
                self.store.delete(slug)?;
                self.move_history(slug, &new);
                Ok(new)
            }
        }
    }

    /// Renames the profile; its secrets and history follow. Returns the new slug.
    pub fn rename(&self, slug: &str, new_name: &str) -> Result<String, ChangeError> {
        let old_name = self.store.get(slug)?.name;
        let new = self.store.rename(slug, new_name)?;
        if new != slug {
            self.move_or_undo(slug, &new, || self.store.rename(&new, &old_name).map(drop))?;
            self.move_history(slug, &new);
        }
        Ok(new)
    }

    /// Copies the profile under a new name, with its credentials if `copy_secrets` (never its sign-in or history).
    pub fn duplicate(&self, slug: &str, new_name: &str, copy_secrets: bool) -> Result<String, ChangeError> {
        let new = self.store.duplicate(slug, new_name)?;
        if copy_secrets {
            if let Err(source) = self.secrets.copy_profile(slug, &new) {
                let _ = self.secrets.delete_profile(&new);
                self.undo(self.store.delete(&new));
                return Err(ChangeError::Secrets { slug: slug.to_owned(), action: "copied", source });
            }
        }
        Ok(new)
    }

    /// Deletes the profile's secrets, then its file and its history.
    pub fn delete(&self, slug: &str) -> Result<(), ChangeError> {
        self.store.existing(slug)?;
        self.secrets.delete_profile(slug).map_err(|source| ChangeError::Secrets {
            slug: slug.to_owned(),
            action: "deleted",
            source,
        })?;
        self.store.delete(slug)?;
        if let Err(e) = self.history.delete(slug) {
            tracing::warn!(error = %e, "could not delete the profile's run history");
        }
        Ok(())
    }

    /// Moves the secrets of `from` to `to`; when the keychain refuses, `undo` puts the files back as they were.
    fn move_or_undo(
        &self,
        from: &str,
        to: &str,
        undo: impl FnOnce() -> Result<(), ProfileError>,
    ) -> Result<(), ChangeError> {
        match self.secrets.move_profile(from, to) {
            Ok(()) => Ok(()),
            Err(source) => {
                self.undo(undo());
                Err(ChangeError::Secrets { slug: from.to_owned(), action: "moved", source })
            }
        }
    }

    fn undo(&self, result: Result<(), ProfileError>) {
        if let Err(e) = result {
            tracing::error!(error = %e, "could not undo a profile change after the keychain refused");
        }
    }

    fn move_history(&self, from: &str, to: &str) {
        if let Err(e) = self.history.rename(from, to) {
            tracing::warn!(error = %e, "could not move the profile's run history");
        }
    }
}

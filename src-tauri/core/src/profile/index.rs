//! The in-memory index behind `ProfileStore::list`: each file's summary (or load error), keyed by the file's
//! stamp (modification time, length and, on Unix, inode). An atomic write replaces the inode, so a changed
//! file is always re-read; an unchanged one is not parsed again. Files are the truth; this is only a cache.

use std::collections::{HashMap, HashSet};
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::store::{ProfileLoadError, ProfileSummary};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    pub(crate) fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self { modified: meta.modified().ok(), len: meta.len(), inode }
    }
}

pub(crate) type Loaded = Result<ProfileSummary, ProfileLoadError>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    entries: Arc<Mutex<HashMap<PathBuf, (Stamp, Loaded)>>>,
}

impl Index {
    /// The cached result for `path` if its stamp is unchanged, else `load()`'s (which is then cached).
    pub(crate) fn get_or_load(&self, path: &Path, stamp: Stamp, load: impl FnOnce() -> Loaded) -> Loaded {
        if let Some((cached, loaded)) = self.lock().get(path) {
            if *cached == stamp {
                return loaded.clone();
            }
        }
        let loaded = load();
        self.lock().insert(path.to_owned(), (stamp, loaded.clone()));
        loaded
    }

    /// Forgets the files that are gone.
    pub(crate) fn retain(&self, seen: &HashSet<PathBuf>) {
        self.lock().retain(|path, _| seen.contains(path));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (Stamp, Loaded)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

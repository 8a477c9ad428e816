//! The in-memory index behind `ProfileStore::list`: each file's summary (or load error) and its search text,
//! keyed by the file's stamp (modification time, length and, on Unix, inode). An atomic write replaces the
//! inode, so a changed file is always re-read; an unchanged one is not parsed again. Files are the truth;
//! this is only a cache.
//!
//! Parsing is most of a cold list's cost (about 40 µs a file), so files that need it are parsed on every
//! core at once.

use std::collections::{HashMap, HashSet};
use std::fs::Metadata;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::summary::{ProfileLoadError, ProfileSummary};

/// Below this many files to parse, threads cost more than they save.
const PARALLEL_FROM: usize = 32;

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

/// A profile file as found in the directory.
#[derive(Debug)]
pub(crate) struct FileRef {
    pub slug: String,
    pub path: PathBuf,
    pub stamp: Stamp,
}

/// What the index keeps of one file.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Loaded {
        summary: ProfileSummary,
        /// The searchable fields, lower-cased once, one per line.
        search_text: String,
    },
    Failed(ProfileLoadError),
}

impl Entry {
    pub(crate) fn new(loaded: Result<ProfileSummary, ProfileLoadError>) -> Self {
        match loaded {
            Ok(summary) => Entry::Loaded { search_text: summary.search_text(), summary },
            Err(error) => Entry::Failed(error),
        }
    }
}

type Entries = HashMap<PathBuf, (Stamp, Arc<Entry>)>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    entries: Arc<Mutex<Entries>>,
}

impl Index {
    /// The entries of `files`, in order: cached where the stamp is unchanged, else from `load` (run on
    /// several threads when there are many). Files not in `files` are forgotten.
    pub(crate) fn refresh(&self, files: &[FileRef], load: impl Fn(&FileRef) -> Entry + Sync) -> Vec<Arc<Entry>> {
        let mut out: Vec<Option<Arc<Entry>>> = {
            let entries = self.lock();
            files
                .iter()
                .map(|f| entries.get(&f.path).filter(|(stamp, _)| *stamp == f.stamp).map(|(_, e)| e.clone()))
                .collect()
        };
        let stale: Vec<usize> = (0..files.len()).filter(|&i| out[i].is_none()).collect();
        let loaded = load_all(&stale, |i| Arc::new(load(&files[i])));

        let mut entries = self.lock();
        for (i, entry) in stale.into_iter().zip(loaded) {
            entries.insert(files[i].path.clone(), (files[i].stamp, entry.clone()));
            out[i] = Some(entry);
        }
        if entries.len() > files.len() {
            let seen: HashSet<&PathBuf> = files.iter().map(|f| &f.path).collect();
            entries.retain(|path, _| seen.contains(path));
        }
        out.into_iter().map(|e| e.expect("every file was cached or loaded")).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `load` of every index, in order, split over the available cores.
fn load_all<T: Send>(indices: &[usize], load: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(indices.len() / PARALLEL_FROM).max(1);
    if threads == 1 {
        return indices.iter().map(|&i| load(i)).collect();
    }
    let chunk = indices.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let load = &load;
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|&i| load(i)).collect::<Vec<T>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

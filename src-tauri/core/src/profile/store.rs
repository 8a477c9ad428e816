//! `ProfileStore`: the profile files in `<config dir>/profiles/<slug>.toml` (DESIGN §3 "Profile files").
//!
//! Lists, searches, creates, updates, renames, duplicates, deletes, imports and exports profiles. A corrupt
//! file is reported by name with line and column and left untouched; the others still load. The store knows
//! nothing of secrets: [`crate::profiles::Profiles`] moves them, and the history, with the files.

use std::ffi::OsStr;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::error::ProfileError;
use super::file::{parse_profile, read_profile_file, to_toml, write_atomic, Overwrite};
use super::index::{Entry, FileRef, Index, Stamp};
use super::model::{slugify, Profile};
use super::summary::{ProfileList, ProfileLoadError, ProfileSummary};
use super::validate::validate;

/// The app identifier (tauri.conf.json); the default config dir is named after it.
pub const APP_IDENTIFIER: &str = "app.tokenhop.desktop";
/// Overrides the config dir, for tests, CI and portable set-ups.
pub const CONFIG_DIR_ENV: &str = "TOKENHOP_CONFIG_DIR";

/// The profiles of one config dir.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
    index: Index,
}

impl ProfileStore {
    /// Opens (creating if needed) `<config_dir>/profiles`.
    pub fn open(config_dir: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let dir = config_dir.as_ref().join("profiles");
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|e| ProfileError::io(&dir, e))?;
        remove_stale_temp_files(&dir);
        Ok(Self { dir, index: Index::default() })
    }

    /// `$TOKENHOP_CONFIG_DIR`, else the OS config dir for [`APP_IDENTIFIER`] (as Tauri's `app_config_dir`).
    pub fn default_dir() -> Result<PathBuf, ProfileError> {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        let base = directories::BaseDirs::new().ok_or(ProfileError::NoConfigDir)?;
        Ok(base.config_dir().join(APP_IDENTIFIER))
    }

    /// The store of `config_dir`, or of the default config dir ([`Self::default_dir`]): what the CLI's
    /// `--config-dir` and the app open.
    pub fn open_or_default(config_dir: Option<&Path>) -> Result<Self, ProfileError> {
        let dir: PathBuf = match config_dir {
            Some(dir) => dir.to_owned(),
            None => Self::default_dir()?,
        };
        Self::open(dir)
    }

    /// The `profiles` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The config dir the store was opened in (the `profiles` directory's parent).
    pub fn config_dir(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    /// `Ok` when a profile file exists under `slug`, else [`ProfileError::NotFound`].
    pub fn existing(&self, slug: &str) -> Result<(), ProfileError> {
        self.existing_path(slug).map(drop)
    }

    /// The file of a slug.
    pub fn path_of(&self, slug: &str) -> PathBuf {
        self.dir.join(format!("{slug}.toml"))
    }

    /// Every profile sorted by name (then slug), filtered by `query`, plus the files that failed to load.
    pub fn list(&self, query: Option<&str>) -> Result<ProfileList, ProfileError> {
        let query = query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_lowercase);
        let files = self.files()?;
        let entries = self.index.refresh(&files, |file| {
            Entry::new(match self.load(&file.path) {
                Ok(profile) => Ok(ProfileSummary::new(file.slug.clone(), profile)),
                Err(e) => Err(load_error(&file.path, e)),
            })
        });
        let mut list = ProfileList::default();
        for entry in &entries {
            match &**entry {
                Entry::Loaded { summary, search_text } if query.as_deref().is_none_or(|q| search_text.contains(q)) => {
                    list.profiles.push(summary.clone())
                }
                Entry::Loaded { .. } => {}
                Entry::Failed(error) => list.errors.push(error.clone()),
            }
        }
        // Cached keys: comparing by `to_lowercase` allocated two strings per comparison.
        list.profiles.sort_by_cached_key(|p| (p.name.to_lowercase(), p.slug.clone()));
        list.errors.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(list)
    }

    /// The profile files in the directory, with their stamps.
    fn files(&self) -> Result<Vec<FileRef>, ProfileError> {
        let mut files = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| ProfileError::io(&self.dir, e))? {
            let entry = entry.map_err(|e| ProfileError::io(&self.dir, e))?;
            let path = entry.path();
            let Some(slug) = profile_slug(&path) else { continue };
            // Relative to the open directory (no path walk per file); a symlink is followed, as a read would.
            let meta = match entry.file_type() {
                Ok(t) if t.is_symlink() => fs::metadata(&path),
                _ => entry.metadata(),
            };
            let Ok(meta) = meta else { continue }; // deleted meanwhile
            files.push(FileRef { slug, path, stamp: Stamp::of(&meta) });
        }
        Ok(files)
    }

    /// The profile stored under `slug`.
    pub fn get(&self, slug: &str) -> Result<Profile, ProfileError> {
        let path = self.existing_path(slug)?;
        self.load(&path)
    }

    /// The slug of a profile given by slug or by name (exact, then case-insensitive).
    pub fn resolve(&self, name_or_slug: &str) -> Result<String, ProfileError> {
        if slugify(name_or_slug) == name_or_slug && self.path_of(name_or_slug).is_file() {
            return Ok(name_or_slug.to_owned());
        }
        let slug = slugify(name_or_slug);
        if !slug.is_empty() && self.path_of(&slug).is_file() {
            return Ok(slug);
        }
        let list = self.list(None)?;
        list.profiles
            .iter()
            .find(|p| p.name == name_or_slug)
            .or_else(|| list.profiles.iter().find(|p| p.name.eq_ignore_ascii_case(name_or_slug)))
            .map(|p| p.slug.clone())
            .ok_or_else(|| ProfileError::NotFound { name: name_or_slug.to_owned() })
    }

    /// Writes a new profile; refuses when its slug is taken. Returns the slug.
    pub fn create(&self, profile: &Profile) -> Result<String, ProfileError> {
        let slug = checked_slug(profile)?;
        self.write(&slug, profile, Overwrite::Refuse)?;
        Ok(slug)
    }

    /// Replaces the profile under `slug`; its name must keep the slug (use [`Self::rename`] otherwise).
    pub fn update(&self, slug: &str, profile: &Profile) -> Result<(), ProfileError> {
        self.existing_path(slug)?;
        let new_slug = checked_slug(profile)?;
        if new_slug != slug {
            return Err(ProfileError::NameChanged { slug: slug.to_owned(), new_name: profile.name.clone() });
        }
        self.write(slug, profile, Overwrite::Replace)
    }

    /// Gives the profile a new name (and file); returns the new slug. Move its secrets with the result.
    pub fn rename(&self, slug: &str, new_name: &str) -> Result<String, ProfileError> {
        let mut profile = self.get(slug)?;
        profile.name = new_name.trim().to_owned();
        let new_slug = checked_slug(&profile)?;
        if new_slug == slug {
            self.write(slug, &profile, Overwrite::Replace)?;
        } else {
            self.write(&new_slug, &profile, Overwrite::Refuse)?;
            self.delete(slug)?;
        }
        Ok(new_slug)
    }

    /// Copies the profile under a new name; returns the new slug. Secrets are copied only if the caller asks.
    pub fn duplicate(&self, slug: &str, new_name: &str) -> Result<String, ProfileError> {
        let mut profile = self.get(slug)?;
        profile.name = new_name.trim().to_owned();
        self.create(&profile)
    }

    /// Removes the profile's file. Delete its secrets too.
    pub fn delete(&self, slug: &str) -> Result<(), ProfileError> {
        let path = self.existing_path(slug)?;
        fs::remove_file(&path).map_err(|e| ProfileError::io(&path, e))?;
        super::file::sync_dir(&self.dir).map_err(|e| ProfileError::io(&self.dir, e))
    }

    /// Adds a profile file exported elsewhere; validates it and refuses a name that is taken.
    pub fn import(&self, path: &Path) -> Result<String, ProfileError> {
        let profile = self.load(path)?;
        self.create(&profile)
    }

    /// Writes the profile to `path` (a file anywhere), atomically, replacing it.
    pub fn export(&self, slug: &str, path: &Path) -> Result<(), ProfileError> {
        let profile = self.get(slug)?;
        write_atomic(path, to_toml(&profile).as_bytes(), Overwrite::Replace).map_err(|e| ProfileError::io(path, e))
    }

    fn load(&self, path: &Path) -> Result<Profile, ProfileError> {
        let text = read_profile_file(path)?;
        parse_profile(&text, path)
    }

    fn write(&self, slug: &str, profile: &Profile, overwrite: Overwrite) -> Result<(), ProfileError> {
        let path = self.path_of(slug);
        write_atomic(&path, to_toml(profile).as_bytes(), overwrite).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => {
                ProfileError::AlreadyExists { slug: slug.to_owned(), name: profile.name.clone() }
            }
            _ => ProfileError::io(&path, e),
        })
    }

    /// The file of `slug`, refusing anything that is not a slug (no path tricks such as `../x`).
    fn existing_path(&self, slug: &str) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(slug);
        if slug.is_empty() || slugify(slug) != slug || !path.is_file() {
            return Err(ProfileError::NotFound { name: slug.to_owned() });
        }
        Ok(path)
    }
}

/// Validates the profile and returns its slug.
fn checked_slug(profile: &Profile) -> Result<String, ProfileError> {
    let errors = validate(profile);
    if !errors.is_empty() {
        return Err(ProfileError::Invalid(errors));
    }
    Ok(slugify(&profile.name))
}

/// The slug of a `*.toml` profile file; temp files (`.…tmp`) and anything else are skipped.
fn profile_slug(path: &Path) -> Option<String> {
    if path.extension() != Some(OsStr::new("toml")) {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    (!stem.starts_with('.')).then(|| stem.to_owned())
}

/// Temp files left by a writer that was killed mid-write; anything younger may belong to a live writer.
fn remove_stale_temp_files(dir: &Path) {
    const STALE: std::time::Duration = std::time::Duration::from_secs(600);
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_temp = name.starts_with('.') && name.ends_with(".tmp");
        let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if is_temp && age.is_some_and(|age| age > STALE) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn load_error(path: &Path, error: ProfileError) -> ProfileLoadError {
    let file = path.display().to_string();
    match error {
        ProfileError::Parse { line, column, message, .. } => ProfileLoadError { file, message, line, column },
        other => ProfileLoadError { file, message: other.to_string(), line: None, column: None },
    }
}

//! One profile file: parsing with the parser's line and column, schema migration, and atomic writes.
//!
//! A write goes to a temp file in the same directory, is fsynced, then renamed over (or hard-linked to) the
//! target, and the directory is fsynced: a reader, or a writer killed mid-write, sees the old file or the new
//! one, never half of one. Files are created 0600 on Unix. Nothing here knows where profiles live.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::ProfileError;
use super::model::{Profile, SCHEMA_VERSION};

/// A profile file is a few hundred bytes: anything larger than this is not one, and is not read. (The
/// atomic-write test writes 1.5 MB profiles; the cap stays well above them.)
pub const MAX_PROFILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a profile file: a regular file (never a FIFO or a device, which could block or never end) of at
/// most [`MAX_PROFILE_BYTES`].
pub fn read_profile_file(path: &Path) -> Result<String, ProfileError> {
    let io = |e: io::Error| match e.kind() {
        ErrorKind::NotFound => ProfileError::NotFound { name: path.display().to_string() },
        _ => ProfileError::io(path, e),
    };
    // Checked before opening: opening a FIFO for reading blocks until someone writes to it.
    if !fs::metadata(path).map_err(io)?.is_file() {
        return Err(ProfileError::NotAFile { path: path.to_owned() });
    }
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ProfileError::NotAFile { path: path.to_owned() });
    }
    let mut bytes = Vec::new();
    file.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Err(ProfileError::TooLarge { path: path.to_owned(), limit: MAX_PROFILE_BYTES });
    }
    String::from_utf8(bytes).map_err(|e| ProfileError::io(path, io::Error::new(ErrorKind::InvalidData, e)))
}

/// Parses a profile file's text; `file` only names it in errors.
pub fn parse_profile(text: &str, file: &Path) -> Result<Profile, ProfileError> {
    // Fast path: one parse of the text itself, so that serde's errors keep their spans.
    let direct = toml::from_str::<Profile>(text);
    if let Ok(profile) = &direct {
        if profile.schema_version == SCHEMA_VERSION {
            return direct.map_err(|e| parse_error(&e, text, file));
        }
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| parse_error(&e, text, file))?;
    let version = match table.get("schema_version") {
        None => SCHEMA_VERSION,
        Some(toml::Value::Integer(v)) => u32::try_from(*v).unwrap_or(u32::MAX),
        Some(_) => SCHEMA_VERSION, // a type error, reported by serde below
    };
    if version > SCHEMA_VERSION {
        return Err(ProfileError::UnsupportedVersion {
            file: file.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < SCHEMA_VERSION {
        let migrated = migrate(table, version);
        return Profile::deserialize(toml::Value::Table(migrated)).map_err(|e| parse_error(&e, text, file));
    }
    direct.map_err(|e| parse_error(&e, text, file))
}

/// Brings a file of an older schema to [`SCHEMA_VERSION`]. Version 1 is the first, so this only stamps
/// the version; later schema changes add their steps here, one `from` at a time.
pub fn migrate(mut table: toml::Table, from: u32) -> toml::Table {
    let _ = from;
    table.insert("schema_version".into(), toml::Value::Integer(i64::from(SCHEMA_VERSION)));
    table
}

/// The file text of a profile, always stamped with the current schema version.
pub fn to_toml(profile: &Profile) -> String {
    let mut profile = profile.clone();
    profile.schema_version = SCHEMA_VERSION;
    toml::to_string_pretty(&profile).expect("a profile always serializes to TOML")
}

fn parse_error(e: &toml::de::Error, text: &str, file: &Path) -> ProfileError {
    let (line, column) = match e.span() {
        Some(span) => {
            let (l, c) = line_column(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    ProfileError::Parse { file: file.to_owned(), line, column, message: e.message().trim().to_owned() }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// How [`write_atomic`] treats an existing target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    Replace,
    /// Fail with `AlreadyExists` when the target exists, atomically (a hard link never replaces).
    Refuse,
}

/// Writes `bytes` to `path` atomically: temp file in the same dir, fsync, rename (or link), fsync the dir.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: Overwrite) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = temp_path(dir, path);
    let result = write_then_publish(&tmp, path, bytes, overwrite);
    if result.is_err() || overwrite == Overwrite::Refuse {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

fn write_then_publish(tmp: &Path, path: &Path, bytes: &[u8], overwrite: Overwrite) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    match overwrite {
        Overwrite::Replace => fs::rename(tmp, path),
        Overwrite::Refuse => fs::hard_link(tmp, path),
    }
}

fn temp_path(dir: &Path, target: &Path) -> PathBuf {
    let stem = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nonce: u64 = rand::random();
    dir.join(format!(".{stem}.{}.{nonce:016x}.tmp", std::process::id()))
}

/// Makes a rename durable: fsync the directory that holds it (a no-op where directories cannot be opened).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

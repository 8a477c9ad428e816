//! Writing export files with the profile store's [`write_atomic`]: each one atomically (a temporary file
//! of an unpredictable name created new in the same directory, so a planted symlink is never followed;
//! fsync; rename), so that a crash never leaves half a token file, and readable by the owner only (0600 on
//! Unix), because exports hold live tokens. An existing file of the same name is replaced.

use std::path::{Path, PathBuf};

use super::{ExportError, ExportFile};
use crate::profile::file::{write_atomic, Overwrite};

/// Writes `files` into `dir` (which must exist) and returns their paths, in order.
pub fn write_files(files: &[ExportFile], dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        let name = Path::new(&file.file_name);
        let plain = name.file_name().is_some_and(|n| n == name.as_os_str()) && !file.file_name.starts_with('.');
        if !plain {
            return Err(ExportError::InvalidFileName(file.file_name.clone()));
        }
        let target = dir.join(name);
        write_atomic(&target, file.contents.as_bytes(), Overwrite::Replace)
            .map_err(|source| ExportError::Io { path: target.clone(), source })?;
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn file(name: &str, contents: &str) -> ExportFile {
        ExportFile { file_name: name.into(), contents: contents.into(), contains_tokens: true }
    }

    #[test]
    fn files_are_written_whole_and_replace_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.env"), "OLD=1\n").unwrap();
        let paths = write_files(&[file("a.env", "NEW=2\n"), file("b.sh", "echo\n")], dir.path()).unwrap();
        assert_eq!(paths, vec![dir.path().join("a.env"), dir.path().join("b.sh")]);
        assert_eq!(fs::read_to_string(&paths[0]).unwrap(), "NEW=2\n");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file may remain");
    }

    #[cfg(unix)]
    #[test]
    fn files_with_tokens_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("t.env"), "").unwrap();
        fs::set_permissions(dir.path().join("t.env"), fs::Permissions::from_mode(0o644)).unwrap();
        let paths = write_files(&[file("t.env", "IAS_ID_TOKEN=x\n")], dir.path()).unwrap();
        let mode = fs::metadata(&paths[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "tokens must not be readable by other users");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious\n").unwrap();
        // The temporary name an earlier version used: predictable from the file name and the process id.
        let planted = dir.path().join(format!(".t.env.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();

        let paths = write_files(&[file("t.env", "IAS_ID_TOKEN=secret\n")], dir.path()).unwrap();

        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n", "the symlink's target must stay untouched");
        assert_eq!(fs::read_to_string(&paths[0]).unwrap(), "IAS_ID_TOKEN=secret\n");
        assert!(!fs::symlink_metadata(&paths[0]).unwrap().file_type().is_symlink(), "the export is a plain file");
    }

    #[test]
    fn names_with_a_directory_part_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x.env", "sub/x.env", "", ".hidden", "/etc/passwd"] {
            let err = write_files(&[file(bad, "x")], dir.path()).unwrap_err();
            assert!(matches!(err, ExportError::InvalidFileName(_)), "{bad:?} must be refused, got {err:?}");
        }
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = write_files(&[file("a.env", "x")], &missing).unwrap_err();
        match err {
            ExportError::Io { path, .. } => assert_eq!(path, missing.join("a.env")),
            other => panic!("expected Io, got {other:?}"),
        }
    }
}

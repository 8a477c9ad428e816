//! What can go wrong with profile files, typed inside and explained as a [`Diagnosis`] at the edge.

use std::path::PathBuf;

use crate::diagnose::{code, Diagnose, Diagnosis};

use super::validate::FieldError;

/// Why a profile could not be read, written or found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No profile file has this name or slug.
    #[error("there is no profile {name:?}")]
    NotFound { name: String },
    /// A profile with the same slug (file name) exists already.
    #[error("a profile named {name:?} already exists (file {slug}.toml)")]
    AlreadyExists { slug: String, name: String },
    /// The file is not valid TOML or does not have the profile shape.
    #[error("{file}{}: {message}", location(*line, *column))]
    Parse { file: PathBuf, line: Option<usize>, column: Option<usize>, message: String },
    /// The file was written by a newer TokenHop.
    #[error("{file} has schema_version {found}, newer than the supported {supported}")]
    UnsupportedVersion { file: PathBuf, found: u32, supported: u32 },
    /// The profile parsed but some fields are wrong.
    #[error("the profile is not valid: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// `update` was given a profile whose name maps to another file; renames go through `rename`.
    #[error("the new name {new_name:?} would move profile {slug} to another file")]
    NameChanged { slug: String, new_name: String },
    /// No configuration directory could be determined for this user.
    #[error("no configuration directory could be determined (no home directory?)")]
    NoConfigDir,
    /// The path names a FIFO, a device or a directory, not a profile file.
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    /// The file is far larger than any profile.
    #[error("{path} is larger than {limit} bytes, so it is no profile")]
    TooLarge { path: PathBuf, limit: u64 },
    /// Reading or writing a file failed.
    #[error("could not access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" line {l}, column {c}"),
        (Some(l), None) => format!(" line {l}"),
        _ => String::new(),
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl ProfileError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}

impl Diagnose for ProfileError {
    /// The error for people: a stable code, what happened, and what to do.
    fn diagnosis(&self) -> Diagnosis {
        let message = self.to_string();
        let (code, hint) = match self {
            Self::NotFound { .. } => (
                code::PROFILE_NOT_FOUND,
                "Check the spelling; `tokenhop-cli profile list` shows the profiles by name and slug.".to_owned(),
            ),
            Self::AlreadyExists { .. } => (
                code::PROFILE_ALREADY_EXISTS,
                "Choose another name, or rename or delete the existing profile first.".to_owned(),
            ),
            Self::Parse { .. } => (
                code::PROFILE_PARSE,
                "Fix the file at the position shown (unknown keys and misspelt values are errors), or delete it; \
                 TokenHop leaves it untouched."
                    .to_owned(),
            ),
            Self::UnsupportedVersion { .. } => (
                code::PROFILE_UNSUPPORTED_VERSION,
                "This profile was written by a newer TokenHop: update TokenHop to open it.".to_owned(),
            ),
            Self::Invalid(errors) => (
                code::PROFILE_INVALID,
                errors.iter().map(|e| format!("{}: {}", e.field, e.hint)).collect::<Vec<_>>().join(" "),
            ),
            Self::NameChanged { .. } => (
                code::PROFILE_NAME_CHANGED,
                "Rename the profile instead, so that its file and keychain entries move with it.".to_owned(),
            ),
            Self::NoConfigDir => (
                code::PROFILE_NO_CONFIG_DIR,
                "Set TOKENHOP_CONFIG_DIR (or pass --config-dir) to a directory TokenHop may write.".to_owned(),
            ),
            Self::NotAFile { .. } | Self::TooLarge { .. } => {
                (code::PROFILE_NOT_A_PROFILE, "Choose a TokenHop profile file (a small .toml file).".to_owned())
            }
            Self::Io { .. } => (
                code::PROFILE_IO,
                "Check that the directory exists and that you may read and write it, and that the disk is not full."
                    .to_owned(),
            ),
        };
        Diagnosis::new(code, message, hint)
    }
}

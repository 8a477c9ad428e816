//! Exports of a run: Postman collection and environment, curl script, `.http` file, `.env` (DESIGN §3
//! "Exports"), so that a user can keep working with the tokens — or replay the chain — without TokenHop.
//!
//! [`render`] is pure: it turns a profile and a [`RunReport`] into file contents, with the clock and the
//! id source injected so that the same run renders byte for byte the same. [`write_files`] puts them on
//! disk atomically and readable by the owner only. Client secrets are never part of an export unless the
//! caller passes them in [`ExportOptions::secrets`] (an explicit opt-in in the UI and the CLI).
//!
//! Not here: running the chain, choosing a directory, or reading secrets from the keychain.

mod curl;
mod dotenv;
mod http_file;
mod postman;
mod vars;
mod write;

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::diagnose::{code, sentence, Diagnose, Diagnosis};
use crate::profile::Profile;
use crate::report::RunReport;
use crate::secrets::Secret;

pub use write::write_files;

/// The export formats of DESIGN §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A Postman collection v2.1.0 replaying the chain, plus a Postman environment with the tokens.
    Postman,
    /// A bash script with one curl command per step.
    Curl,
    /// A `.http` file for the VS Code REST Client and the JetBrains HTTP Client.
    Http,
    /// `KEY=value` lines, tokens only.
    Env,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [Self::Postman, Self::Curl, Self::Http, Self::Env];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postman => "postman",
            Self::Curl => "curl",
            Self::Http => "http",
            Self::Env => "env",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ExportError::UnknownFormat(s.to_owned()))
    }
}

/// Client secrets to write into the export. Only ever set on the user's explicit opt-in.
#[derive(Debug, Clone, Default)]
pub struct ExportSecrets {
    pub entra: Option<Secret>,
    pub ias: Option<Secret>,
    pub xsuaa: Option<Secret>,
}

/// A certificate client's certificate and private key, to write beside a curl script. Only ever set on the user's
/// explicit request (`run --export curl --write-client-certs`): TokenHop otherwise never writes a key.
#[derive(Debug, Clone)]
pub struct ExportCertificate {
    /// The certificate chain, PEM (public).
    pub certificate: String,
    /// The private key, PEM.
    pub key: Secret,
}

/// The certificate clients' files for the curl export, by service.
#[derive(Debug, Clone, Default)]
pub struct ExportCertificates {
    pub ias: Option<ExportCertificate>,
    pub xsuaa: Option<ExportCertificate>,
}

impl ExportCertificates {
    /// The stored certificate and key of each section of `profile` that authenticates with `client_auth = "x509"`.
    pub fn from_store(
        store: &dyn crate::secrets::SecretStore,
        slug: &str,
        profile: &Profile,
    ) -> Result<Self, crate::secrets::SecretError> {
        use crate::secrets::SecretKind as K;
        let pair = |uses: bool, cert: K, key: K| -> Result<Option<ExportCertificate>, crate::secrets::SecretError> {
            if !uses {
                return Ok(None);
            }
            Ok(store
                .get(slug, cert)?
                .zip(store.get(slug, key)?)
                .map(|(c, k)| ExportCertificate { certificate: c.expose_secret().to_owned(), key: k }))
        };
        Ok(Self {
            ias: pair(
                profile.ias.as_ref().is_some_and(|i| i.client_auth.uses_certificate()),
                K::IasClientCertificate,
                K::IasClientKey,
            )?,
            xsuaa: pair(
                profile.xsuaa.as_ref().is_some_and(|x| x.client_auth.uses_certificate()),
                K::XsuaaClientCertificate,
                K::XsuaaClientKey,
            )?,
        })
    }
}

/// Where the ids of Postman files come from: random in the product, a seed in tests so that golden
/// files stay stable.
#[derive(Debug)]
pub struct IdSource {
    seed: Option<u64>,
    counter: AtomicU64,
}

impl IdSource {
    /// Random version-4 UUIDs.
    pub fn random() -> Self {
        Self { seed: None, counter: AtomicU64::new(0) }
    }

    /// A reproducible sequence of version-4-shaped UUIDs derived from `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self { seed: Some(seed), counter: AtomicU64::new(0) }
    }

    pub fn next_uuid(&self) -> Uuid {
        match self.seed {
            None => Uuid::new_v4(),
            Some(seed) => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                let hi = splitmix64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let lo = splitmix64(hi ^ n);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&hi.to_be_bytes());
                bytes[8..].copy_from_slice(&lo.to_be_bytes());
                uuid::Builder::from_random_bytes(bytes).into_uuid()
            }
        }
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What an export needs besides the run: the time it is made, an id source, and opted-in secrets.
#[derive(Debug)]
pub struct ExportOptions {
    pub now: time::OffsetDateTime,
    pub ids: IdSource,
    /// `None` unless the user opted in to writing client secrets.
    pub secrets: Option<ExportSecrets>,
    /// `None` unless the user asked for the client certificates and keys to be written beside the curl script.
    pub client_certificates: Option<ExportCertificates>,
}

impl ExportOptions {
    /// Now, random ids, no secrets: what the app and the CLI use unless the user opts in.
    pub fn new(now: time::OffsetDateTime) -> Self {
        Self { now, ids: IdSource::random(), secrets: None, client_certificates: None }
    }
}

/// One file of an export, not yet on disk.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// A bare file name (no directory), named after the profile and the time.
    pub file_name: String,
    pub contents: String,
    /// True when `contents` holds live tokens or client secrets: the UI says so, and it is written 0600.
    pub contains_tokens: bool,
}

impl fmt::Debug for ExportFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportFile")
            .field("file_name", &self.file_name)
            .field("contents", &format_args!("[{} bytes]", self.contents.len()))
            .field("contains_tokens", &self.contains_tokens)
            .finish()
    }
}

/// Why an export could not be made or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The format name is not one of `postman`, `curl`, `http`, `env`.
    #[error("unknown export format \"{0}\": use postman, curl, http or env")]
    UnknownFormat(String),
    /// A `.env` holds tokens only, and the run produced none.
    #[error("the run produced no tokens to export")]
    NoTokens,
    /// A file name with a directory part or nothing in it.
    #[error("\"{0}\" is not a plain file name")]
    InvalidFileName(String),
    /// The target directory or a file in it could not be written.
    #[error("could not write {path}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Postman document could not be serialized (a bug).
    #[error("could not serialize the Postman export")]
    Json(#[from] serde_json::Error),
}

impl Diagnose for ExportError {
    fn diagnosis(&self) -> Diagnosis {
        Diagnosis::new(self.code(), sentence(&self.to_string()), self.hint())
    }
}

impl ExportError {
    /// A stable code for the `{code, message, hint}` the UI and CLI show.
    fn code(&self) -> code::Code {
        match self {
            Self::UnknownFormat(_) => code::EXPORT_UNKNOWN_FORMAT,
            Self::NoTokens => code::EXPORT_NO_TOKENS,
            Self::InvalidFileName(_) => code::EXPORT_INVALID_FILE_NAME,
            Self::Io { .. } => code::EXPORT_IO,
            Self::Json(_) => code::EXPORT_SERIALIZE,
        }
    }

    /// What the user can do about it.
    fn hint(&self) -> &'static str {
        match self {
            Self::UnknownFormat(_) => "Pick one of postman, curl, http or env.",
            Self::NoTokens => "Run the chain until at least one step succeeds, then export again.",
            Self::InvalidFileName(_) => "This is a bug in TokenHop; please report it.",
            Self::Io { .. } => "Check that the folder exists and that you may write to it.",
            Self::Json(_) => "This is a bug in TokenHop; please report it.",
        }
    }
}

/// Renders `report` of `profile` in `format`: two files for Postman (collection, environment), one otherwise.
pub fn render(
    format: ExportFormat,
    profile: &Profile,
    report: &RunReport,
    options: &ExportOptions,
) -> Result<Vec<ExportFile>, ExportError> {
    let vars = vars::Vars::collect(profile, report, options);
    match format {
        ExportFormat::Postman => postman::render(&vars, options),
        ExportFormat::Curl => Ok(curl::render(&vars, options.client_certificates.as_ref())),
        ExportFormat::Http => Ok(vec![http_file::render(&vars)]),
        ExportFormat::Env => dotenv::render(&vars).map(|f| vec![f]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_through_from_str_and_serde() {
        for format in ExportFormat::ALL {
            assert_eq!(format.as_str().parse::<ExportFormat>().unwrap(), format);
            assert_eq!(serde_json::to_string(&format).unwrap(), format!("\"{format}\""));
        }
        assert_eq!("Postman".parse::<ExportFormat>().unwrap(), ExportFormat::Postman, "case does not matter");
        let err = "har".parse::<ExportFormat>().unwrap_err();
        assert_eq!(err.code(), "export.unknown_format");
        assert!(err.to_string().contains("postman, curl, http or env"), "the message lists the choices");
    }

    #[test]
    fn seeded_ids_are_reproducible_and_distinct() {
        let a = IdSource::seeded(7);
        let b = IdSource::seeded(7);
        let first = a.next_uuid();
        assert_eq!(first, b.next_uuid(), "same seed, same sequence");
        assert_ne!(first, a.next_uuid(), "each call gives a new id");
        assert_eq!(first.get_version_num(), 4, "ids look like the v4 UUIDs Postman writes");
        assert_ne!(IdSource::random().next_uuid(), IdSource::random().next_uuid());
    }

    #[test]
    fn export_file_debug_does_not_show_contents() {
        let file =
            ExportFile { file_name: "x.env".into(), contents: "IAS_ID_TOKEN=eyJsecret".into(), contains_tokens: true };
        let debug = format!("{file:?}");
        assert!(!debug.contains("eyJsecret"), "Debug must not print tokens: {debug}");
    }
}

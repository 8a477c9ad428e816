//! `tokenhop-cli profile list | show NAME | import FILE | export NAME [--out FILE] | rm NAME | sign-out NAME` and
//! `profile key NAME (--ias|--xsuaa) FILE|-` (DESIGN §3 "CLI").
//!
//! NAME is a profile name or its slug. Errors print message and hint, never a Rust debug dump. `rm` also
//! deletes the profile's keychain entries, its cached sign-in included; `sign-out` forgets only the sign-in. Values of secrets are never printed: `show` says only where each
//! one would come from.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use std::time::SystemTime;
use tokenhop_core::diagnose::{code, Diagnose};
use tokenhop_core::entra::cache;
use tokenhop_core::profile::file::to_toml;

use tokenhop_core::certificate::load_identity;
use tokenhop_core::profile::{apply_service_key, parse_service_key, Credential, ProfileList, ProfileStore, ServiceKey};
use tokenhop_core::profiles::Profiles;
use tokenhop_core::secrets::{EnvOverrides, Layered, SecretKind, SecretSource};
use tokenhop_core::Diagnosis;

#[derive(Debug, Clone, Subcommand)]
pub enum ProfileCmd {
    /// List the profiles, sorted by name; QUERY filters by name, environment, tenant, client IDs and URLs.
    List {
        query: Option<String>,
        /// Print `{"profiles": [...], "errors": [...]}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a profile's TOML and where each of its secrets would come from.
    Show { name: String },
    /// Add a profile from a TOML file (for example one exported by a colleague).
    Import { file: PathBuf },
    /// Write a profile's TOML to FILE, or to standard output. Secrets are never part of it.
    Export {
        name: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete a profile and its keychain entries (its cached sign-in too).
    Rm { name: String },
    /// Forget the profile's cached sign-in: the next run signs in through the browser again.
    SignOut { name: String },
    /// Apply a BTP service key or binding to the profile's [ias] or [xsuaa] section: url, client_id, client_auth
    /// (post for a secret, x509 for a certificate), cert_url; the secret, or certificate and key, go to the keychain.
    /// FILE may be `cf service-key` output, the cockpit's JSON, {"credentials": …} or the bare credentials; `-` reads
    /// standard input.
    Key {
        name: String,
        /// The key is the IAS application's binding.
        #[arg(long, conflicts_with = "xsuaa", required_unless_present = "xsuaa")]
        ias: bool,
        /// The key is the XSUAA instance's service key.
        #[arg(long)]
        xsuaa: bool,
        file: PathBuf,
    },
}

/// Runs `cmd` against the profiles of `config_dir` (default: `$TOKENHOP_CONFIG_DIR` or the OS config dir).
pub fn run(cmd: ProfileCmd, config_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (secrets, _status) = Layered::detect(EnvOverrides::from_process());
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    execute(cmd, config_dir, &secrets, &mut stdout.lock(), &mut stderr.lock())
}

/// [`run`] with the secret store and the output streams given (for tests).
pub fn execute(
    cmd: ProfileCmd,
    config_dir: Option<PathBuf>,
    secrets: &Layered,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match dispatch(cmd, config_dir, secrets, out, err) {
        Ok(code) => Ok(code),
        Err(diagnosis) => {
            print_diagnosis(err, &diagnosis)?;
            Ok(ExitCode::FAILURE)
        }
    }
}

fn dispatch(
    cmd: ProfileCmd,
    config_dir: Option<PathBuf>,
    secrets: &Layered,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Diagnosis> {
    let store = open_store(config_dir)?;
    match cmd {
        ProfileCmd::List { query, json } => {
            let list = store.list(query.as_deref()).map_err(|e| e.diagnosis())?;
            if json {
                let text = serde_json::to_string_pretty(&list).expect("the list serializes");
                writeln!(out, "{text}").map_err(io)?;
            } else {
                print_list(&list, out, err).map_err(io)?;
            }
        }
        ProfileCmd::SignOut { name } => {
            let slug = store.resolve(&name).map_err(|e| e.diagnosis())?;
            let user = cache::signed_in_user(secrets, &slug).map_err(|e| e.diagnosis())?;
            secrets.sign_out(&slug).map_err(|e| e.diagnosis())?;
            match user.and_then(|u| u.username) {
                Some(who) => writeln!(out, "signed {who} out of profile {slug}").map_err(io)?,
                None => writeln!(out, "profile {slug} has no cached sign-in now").map_err(io)?,
            }
            if secrets.source(&slug, SecretKind::EntraRefreshToken).map_err(|e| e.diagnosis())? == SecretSource::Env {
                let var = SecretKind::EntraRefreshToken.env_var();
                writeln!(err, "warning: {var} is set, so runs still sign in with the refresh token it holds")
                    .map_err(io)?;
            }
        }
        ProfileCmd::Show { name } => {
            let slug = store.resolve(&name).map_err(|e| e.diagnosis())?;
            let profile = store.get(&slug).map_err(|e| e.diagnosis())?;
            writeln!(out, "# {}", store.path_of(&slug).display()).map_err(io)?;
            write!(out, "{}", to_toml(&profile)).map_err(io)?;
            if let Some(user) = cache::signed_in_user(secrets, &slug).map_err(|e| e.diagnosis())? {
                let who = user.username.as_deref().unwrap_or(&user.sub);
                let until = time::OffsetDateTime::from_unix_timestamp(user.kept_until())
                    .map(|t| t.date().to_string())
                    .unwrap_or_default();
                writeln!(out, "\n# signed in as {who} (until {until}, unless Entra revokes it sooner)").map_err(io)?;
            }
            writeln!(out, "\n# secrets (values are never shown)").map_err(io)?;
            for kind in SecretKind::ALL {
                let source = secrets.source(&slug, kind).map_err(|e| e.diagnosis())?;
                let source = serde_json::to_value(source).expect("a source serializes");
                writeln!(out, "#   {kind}: {}", source.as_str().unwrap_or_default()).map_err(io)?;
            }
        }
        ProfileCmd::Import { file } => {
            let slug = store.import(&file).map_err(|e| e.diagnosis())?;
            writeln!(out, "imported {} as profile {slug}", file.display()).map_err(io)?;
        }
        ProfileCmd::Export { name, out: file } => {
            let slug = store.resolve(&name).map_err(|e| e.diagnosis())?;
            match file {
                Some(file) => {
                    store.export(&slug, &file).map_err(|e| e.diagnosis())?;
                    writeln!(err, "exported profile {slug} to {}", file.display()).map_err(io)?;
                }
                None => {
                    let profile = store.get(&slug).map_err(|e| e.diagnosis())?;
                    write!(out, "{}", to_toml(&profile)).map_err(io)?;
                }
            }
        }
        ProfileCmd::Key { name, ias, xsuaa: _, file } => {
            let slug = store.resolve(&name).map_err(|e| e.diagnosis())?;
            let mut profile = store.get(&slug).map_err(|e| e.diagnosis())?;
            let text = read_key(&file)?;
            let key = parse_service_key(&text).map_err(|e| e.diagnosis())?;
            let wanted = if ias { "IAS" } else { "XSUAA" };
            if key.label() != wanted {
                return Err(Diagnosis::new(
                    code::CLI_KEY_KIND,
                    format!("{} holds an {} key, not an {wanted} one.", file.display(), key.label()),
                    format!("Use --{} for this key, or give the {wanted} key.", key.label().to_lowercase()),
                ));
            }
            check_certificate(&key, out)?;
            let applied = apply_service_key(&mut profile, key);
            store.update(&slug, &profile).map_err(|e| e.diagnosis())?;
            for change in &applied.changes {
                writeln!(out, "{slug}: {change}").map_err(io)?;
            }
            if applied.changes.is_empty() {
                writeln!(out, "{slug}: the profile already had these values").map_err(io)?;
            }
            for (kind, value) in &applied.secrets {
                match secrets.set(&slug, *kind, value).map_err(|e| e.diagnosis())? {
                    SecretSource::Keychain => writeln!(out, "{slug}: stored the {kind} in the keychain").map_err(io)?,
                    _ => {
                        return Err(Diagnosis::new(
                            code::SECRETS_UNAVAILABLE,
                            format!("There is no keychain to keep the {kind} in; the profile was updated, the credential was not stored."),
                            format!("Unlock or start a Secret Service, or set {} for each run.", kind.env_var()),
                        ))
                    }
                }
            }
        }
        ProfileCmd::Rm { name } => {
            let slug = store.resolve(&name).map_err(|e| e.diagnosis())?;
            Profiles::new(&store, secrets).delete(&slug).map_err(|e| e.diagnosis())?;
            writeln!(out, "deleted profile {slug}").map_err(io)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The key's text from FILE, or standard input for `-`.
fn read_key(file: &std::path::Path) -> Result<String, Diagnosis> {
    let read =
        if file.as_os_str() == "-" { std::io::read_to_string(std::io::stdin()) } else { std::fs::read_to_string(file) };
    read.map_err(|e| {
        Diagnosis::new(
            code::CLI_READ_KEY,
            format!("could not read {}: {e}", file.display()),
            "Give the path of the key's JSON, or - to read it from standard input.",
        )
    })
}

/// A certificate key must pass the checks a run makes (a key that belongs to a valid certificate) before it is
/// stored; its public facts are shown.
fn check_certificate(key: &ServiceKey, out: &mut dyn Write) -> Result<(), Diagnosis> {
    let credential = match key {
        ServiceKey::Xsuaa { credential, .. } | ServiceKey::Ias { credential, .. } => credential,
    };
    let Credential::Certificate { certificate, key: private_key } = credential else { return Ok(()) };
    let identity =
        load_identity(certificate.expose_secret(), private_key, SystemTime::now()).map_err(|e| e.diagnosis())?;
    let facts = &identity.facts;
    writeln!(
        out,
        "certificate: {}\n  issuer: {}\n  not after: {} ({} days left)\n  SHA-256: {}",
        facts.subject, facts.issuer, facts.not_after, facts.days_left, facts.sha256_thumbprint
    )
    .map_err(io)?;
    if facts.expires_soon {
        writeln!(
            out,
            "warning: the certificate expires in {} days; create a new service key before then",
            facts.days_left
        )
        .map_err(io)?;
    }
    Ok(())
}

/// Opens the profile store of `config_dir`, or of the default config dir.
pub fn open_store(config_dir: Option<PathBuf>) -> Result<ProfileStore, Diagnosis> {
    ProfileStore::open_or_default(config_dir.as_deref()).map_err(|e| e.diagnosis())
}

fn print_list(list: &ProfileList, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<()> {
    let width = list.profiles.iter().map(|p| p.slug.chars().count()).max().unwrap_or(4).max(4);
    if !list.profiles.is_empty() {
        writeln!(out, "{:width$}  NAME  [ENV]  TENANT  IAS", "SLUG")?;
    }
    for p in &list.profiles {
        let env = p.environment.as_deref().map(|e| format!(" [{e}]")).unwrap_or_default();
        let ias = p.ias_url.as_deref().unwrap_or("-");
        writeln!(out, "{:width$}  {}{env}  {}  {ias}", p.slug, p.name, p.tenant)?;
    }
    for e in &list.errors {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(":{l}:{c}"),
            _ => String::new(),
        };
        writeln!(err, "warning: {}{at}: {} (file left untouched)", e.file, e.message)?;
    }
    Ok(())
}

/// `error: <message>` and `  hint: <hint>`, for people.
pub fn print_diagnosis(err: &mut dyn Write, d: &Diagnosis) -> std::io::Result<()> {
    writeln!(err, "error: {}", d.message)?;
    writeln!(err, "  hint: {}", d.hint)
}

fn io(e: std::io::Error) -> Diagnosis {
    Diagnosis::new(
        code::CLI_OUTPUT,
        format!("could not write the output: {e}"),
        "Check the pipe or file the output goes to.",
    )
}

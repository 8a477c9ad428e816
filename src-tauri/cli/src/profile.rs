//! `tokenhop-cli profile list | show NAME | import FILE | export NAME [--out FILE] | rm NAME | sign-out NAME`
//! (DESIGN §3 "CLI").
//!
//! NAME is a profile name or its slug. Errors print message and hint, never a Rust debug dump. `rm` also
//! deletes the profile's keychain entries, its cached sign-in included; `sign-out` forgets only the sign-in. Values of secrets are never printed: `show` says only where each
//! one would come from.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use tokenhop_core::entra::cache;
use tokenhop_core::profile::file::to_toml;
use tokenhop_core::profile::{ProfileList, ProfileStore};
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
        ProfileCmd::Rm { name } => {
            let slug = store.resolve(&name).map_err(|e| e.diagnosis())?;
            store.delete(&slug).map_err(|e| e.diagnosis())?;
            writeln!(out, "deleted profile {slug}").map_err(io)?;
            if let Err(e) = secrets.delete_profile(&slug) {
                let d = e.diagnosis();
                writeln!(err, "warning: the profile's secrets could not be deleted: {}\n  hint: {}", d.message, d.hint)
                    .map_err(io)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the profile store of `config_dir`, or of the default config dir.
pub fn open_store(config_dir: Option<PathBuf>) -> Result<ProfileStore, Diagnosis> {
    let dir = match config_dir {
        Some(dir) => dir,
        None => ProfileStore::default_dir().map_err(|e| e.diagnosis())?,
    };
    ProfileStore::open(&dir).map_err(|e| e.diagnosis())
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
    Diagnosis::new("cli.output", format!("could not write the output: {e}"), "Check the pipe or file the output goes to.")
}

//! `tokenhop-cli secret set NAME KIND` (value on stdin, no echo on a terminal) and `secret rm NAME KIND`
//! (DESIGN §3 "Secrets"). Secrets go to the OS keychain only; with no keychain this says so and points to the
//! `TOKENHOP_*` environment variables instead of writing anything to a file. Values are never printed.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use tokenhop_core::diagnose::{code, Diagnose};
use tokenhop_core::secrets::{Keychain, SecretError, SecretKind, SecretStore};
use tokenhop_core::{Diagnosis, Secret};

use crate::profile::{open_store, print_diagnosis};

#[derive(Debug, Clone, Subcommand)]
pub enum SecretCmd {
    /// Store a secret of profile NAME in the OS keychain, reading the value from standard input.
    Set {
        name: String,
        /// entra-client-secret | ias-client-secret | xsuaa-client-secret | entra-password | a certificate or key (PEM)
        #[arg(value_parser = parse_kind)]
        kind: SecretKind,
    },
    /// Delete a secret of profile NAME from the OS keychain.
    Rm {
        name: String,
        #[arg(value_parser = parse_kind)]
        kind: SecretKind,
    },
}

fn parse_kind(s: &str) -> Result<SecretKind, String> {
    SecretKind::parse(s).ok_or_else(|| {
        let kinds: Vec<&str> = SecretKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown secret kind {s:?}; use one of {}", kinds.join(", "))
    })
}

/// Runs `cmd` with the OS keychain and this process's stdin.
pub fn run(cmd: SecretCmd, config_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (keychain, status) = Keychain::detect();
    let keychain: Result<&dyn SecretStore, SecretError> = match &keychain {
        Some(k) => Ok(k),
        None => Err(SecretError::Unavailable { reason: status.detail.unwrap_or_else(|| "no credential store".into()) }),
    };
    let stdin = std::io::stdin();
    let is_tty = stdin.is_terminal();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    execute(cmd, config_dir, keychain, &mut stdin.lock(), is_tty, &mut stdout.lock(), &mut stderr.lock())
}

/// [`run`] with the store (or why there is none), the input and the output streams given (for tests).
/// `input_is_tty`: prompt without echo instead of reading `input`.
pub fn execute(
    cmd: SecretCmd,
    config_dir: Option<PathBuf>,
    keychain: Result<&dyn SecretStore, SecretError>,
    input: &mut dyn Read,
    input_is_tty: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match dispatch(cmd, config_dir, keychain, input, input_is_tty, out, err) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(diagnosis) => {
            print_diagnosis(err, &diagnosis)?;
            Ok(ExitCode::FAILURE)
        }
    }
}

fn dispatch(
    cmd: SecretCmd,
    config_dir: Option<PathBuf>,
    keychain: Result<&dyn SecretStore, SecretError>,
    input: &mut dyn Read,
    input_is_tty: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Diagnosis> {
    let (SecretCmd::Set { name, kind } | SecretCmd::Rm { name, kind }) = &cmd;
    let store = open_store(config_dir)?;
    let slug = store.resolve(name).map_err(|e| e.diagnosis())?;
    let keychain = keychain.map_err(|e| no_keychain(&e, *kind))?;
    let io = |e: std::io::Error| {
        Diagnosis::new(
            code::CLI_OUTPUT,
            format!("could not write the output: {e}"),
            "Check the pipe the output goes to.",
        )
    };
    match cmd {
        SecretCmd::Set { kind, .. } => {
            let value = read_value(input, input_is_tty, &slug, kind)?;
            keychain.set(&slug, kind, &value).map_err(|e| e.diagnosis())?;
            writeln!(out, "stored the {kind} of profile {slug} in the keychain").map_err(io)?;
            if std::env::var_os(kind.env_var()).is_some_and(|v| !v.is_empty()) {
                writeln!(err, "note: {} is set and wins over the keychain", kind.env_var()).map_err(io)?;
            }
        }
        SecretCmd::Rm { kind, .. } => {
            keychain.delete(&slug, kind).map_err(|e| e.diagnosis())?;
            writeln!(out, "deleted the {kind} of profile {slug} from the keychain").map_err(io)?;
        }
    }
    Ok(())
}

/// The value: typed without echo on a terminal, else all of `input` minus one trailing newline.
fn read_value(input: &mut dyn Read, is_tty: bool, slug: &str, kind: SecretKind) -> Result<Secret, Diagnosis> {
    let read_failed = |e: std::io::Error| {
        Diagnosis::new(
            code::CLI_STDIN,
            format!("could not read the secret from standard input: {e}"),
            "Pipe the value in, or type it at the prompt.",
        )
    };
    let mut value = if is_tty {
        rpassword::prompt_password(format!("{kind} for profile {slug} (not shown): ")).map_err(read_failed)?
    } else {
        let mut buf = String::new();
        input.read_to_string(&mut buf).map_err(read_failed)?;
        if buf.ends_with('\n') {
            buf.pop();
            if buf.ends_with('\r') {
                buf.pop();
            }
        }
        buf
    };
    if value.is_empty() {
        value.clear();
        return Err(Diagnosis::new(
            code::CLI_EMPTY_SECRET,
            format!("no value was given for the {kind}"),
            format!("Pipe the value in, for example: printf %s \"$SECRET\" | tokenhop-cli secret set {slug} {kind}"),
        ));
    }
    Ok(Secret::new(value))
}

fn no_keychain(e: &SecretError, kind: SecretKind) -> Diagnosis {
    let mut d = e.diagnosis();
    d.hint = format!("{} For CI, set {} instead.", d.hint, kind.env_var());
    d
}

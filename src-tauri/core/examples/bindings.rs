//! The one generator of the UI's TypeScript types (`ui/src/lib/bindings/`): writes, with `ts-rs`, every type
//! that crosses to the UI into the directory given as the only argument.
//!
//! `cargo xtask bindings` runs it into the UI; `cargo xtask test` runs it into a scratch directory and fails when
//! the result differs from the committed files. The roots below are the types the shell's commands take and
//! answer, and the events they stream; `ts-rs` writes every type they contain along with them, so a new
//! field's type needs no line here, only a new command's.
//! It is an example, not a test, so that the bindings are written once, on purpose, and never count as tests.

use std::path::PathBuf;
use std::process::ExitCode;

use tokenhop_core::app_info::{AppInfo, SandboxCredentials};
use tokenhop_core::certificate::CertificateFacts;
use tokenhop_core::compare::RunComparison;
use tokenhop_core::entra::cache::SignedInUser;
use tokenhop_core::export::ExportFormat;
use tokenhop_core::history::{HistoryList, RunRecord};
use tokenhop_core::matrix::MatrixEvent;
use tokenhop_core::profile::{FieldError, Profile, ProfileList, ProfileSummary, ServiceKeyView};
use tokenhop_core::report::{Progress, RunReport, Step, StepOutcome, TokenView};
use tokenhop_core::secrets::{KeychainStatus, SecretKind, SecretSource};
use ts_rs::{Config, ExportError, TS};

fn export_all(dir: PathBuf) -> Result<(), ExportError> {
    let cfg = Config::new().with_out_dir(dir);
    // app
    AppInfo::export_all(&cfg)?;
    SandboxCredentials::export_all(&cfg)?;
    KeychainStatus::export_all(&cfg)?;
    // profiles and secrets
    ProfileList::export_all(&cfg)?;
    ProfileSummary::export_all(&cfg)?;
    Profile::export_all(&cfg)?;
    FieldError::export_all(&cfg)?;
    SignedInUser::export_all(&cfg)?;
    ServiceKeyView::export_all(&cfg)?;
    SecretKind::export_all(&cfg)?;
    SecretSource::export_all(&cfg)?;
    CertificateFacts::export_all(&cfg)?;
    // a run, the matrix, the history
    Step::export_all(&cfg)?;
    Progress::export_all(&cfg)?;
    RunReport::export_all(&cfg)?;
    StepOutcome::export_all(&cfg)?;
    MatrixEvent::export_all(&cfg)?;
    RunRecord::export_all(&cfg)?;
    HistoryList::export_all(&cfg)?;
    RunComparison::export_all(&cfg)?;
    // tokens and exports
    TokenView::export_all(&cfg)?;
    ExportFormat::export_all(&cfg)?;
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: bindings DIR   (writes the TypeScript bindings into DIR)");
        return ExitCode::from(2);
    };
    match export_all(PathBuf::from(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bindings: could not export the TypeScript bindings: {err}");
            ExitCode::FAILURE
        }
    }
}

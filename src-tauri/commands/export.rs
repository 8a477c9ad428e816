//! Exports of the last run (Postman, curl, `.http`, `.env`). Client secrets are read from the secret store
//! only when the user ticked "Include client secrets".

use std::path::{Path, PathBuf};

use serde::Serialize;
use tauri::State;
use tokenhop_core::export::{self, ExportFile, ExportFormat, ExportOptions, ExportSecrets};
use tokenhop_core::secrets::{Layered, SecretKind};

use crate::state::{AppState, LastRun};
use crate::AppError;

/// The export as text (Postman's collection and environment one after the other), for the clipboard.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_render(
    state: State<'_, AppState>,
    format: ExportFormat,
    include_secrets: bool,
) -> Result<String, AppError> {
    let files = render(&state, state.secrets().await, format, include_secrets)?;
    Ok(files.into_iter().map(|f| f.contents).collect::<Vec<_>>().join("\n"))
}

#[derive(Debug, Serialize)]
pub struct Saved {
    files: Vec<PathBuf>,
}

/// Writes the export to the path the user chose (0600); Postman's environment goes next to the collection.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_save(
    state: State<'_, AppState>,
    format: ExportFormat,
    path: PathBuf,
    include_secrets: bool,
) -> Result<Saved, AppError> {
    let mut files = render(&state, state.secrets().await, format, include_secrets)?;
    let (dir, name) = split(&path)?;
    files[0].file_name = name;
    Ok(Saved { files: export::write_files(&files, dir)? })
}

fn render(
    state: &AppState,
    secrets: &Layered,
    format: ExportFormat,
    include_secrets: bool,
) -> Result<Vec<ExportFile>, AppError> {
    let last = state.last_run.lock().unwrap_or_else(|p| p.into_inner());
    let Some(LastRun { profile, slug, report }) = last.as_ref() else {
        return Err(AppError::new(
            "export.no_run",
            "There is no run to export yet.",
            "Run the chain, then export its tokens.",
        ));
    };
    let mut options = ExportOptions::new(time::OffsetDateTime::now_utc());
    if include_secrets {
        let get = |kind| secrets.get(slug, kind);
        options.secrets = Some(ExportSecrets {
            entra: get(SecretKind::EntraClientSecret)?,
            ias: get(SecretKind::IasClientSecret)?,
            xsuaa: get(SecretKind::XsuaaClientSecret)?,
        });
    }
    Ok(export::render(format, profile, report, &options)?)
}

/// The directory and the plain file name of a chosen save path.
fn split(path: &Path) -> Result<(&Path, String), AppError> {
    match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(dir), Some(name)) if !name.starts_with('.') => {
            Ok((if dir.as_os_str().is_empty() { Path::new(".") } else { dir }, name.to_owned()))
        }
        _ => Err(AppError::new(
            "export.invalid_path",
            format!("{} is not a file path to save to.", path.display()),
            "Choose a file name in the save dialog.",
        )),
    }
}

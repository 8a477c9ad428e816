//! Exports of the last run (Postman, curl, `.http`, `.env`). Client secrets are read from the secret store
//! only when the user ticked "Include client secrets", and then never cross to the webview: files and the
//! clipboard are written from here, and only a text without secrets is returned to JavaScript.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tauri::{State, WebviewWindow};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokenhop_core::diagnose::code;
use tokenhop_core::export::{self, ExportFile, ExportFormat, ExportOptions, ExportSecrets};
use tokenhop_core::secrets::{Layered, SecretKind};

use crate::dialogs;
use crate::state::{AppState, LastRun};
use crate::AppError;

/// The export as text without client secrets (Postman's collection and environment one after the other).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_render(state: State<'_, AppState>, format: ExportFormat) -> Result<String, AppError> {
    Ok(joined(render(&state, state.secrets().await, format, false)?))
}

/// Puts the export on the clipboard, with the client secrets if asked for; they stay on this side.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_copy(
    window: WebviewWindow,
    state: State<'_, AppState>,
    format: ExportFormat,
    include_secrets: bool,
) -> Result<(), AppError> {
    let text = joined(render(&state, state.secrets().await, format, include_secrets)?);
    window.clipboard().write_text(text).map_err(|e| {
        AppError::new(
            code::EXPORT_CLIPBOARD,
            format!("The export could not be copied: {e}"),
            "Save it to a file instead.",
        )
    })
}

#[derive(Debug, Serialize)]
pub struct Saved {
    files: Vec<PathBuf>,
}

/// Asks where to save (a native dialog), then writes the export there (0600); Postman's environment goes next
/// to the collection. `None` when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_save(
    window: WebviewWindow,
    state: State<'_, AppState>,
    format: ExportFormat,
    include_secrets: bool,
) -> Result<Option<Saved>, AppError> {
    let mut files = render(&state, state.secrets().await, format, include_secrets)?;
    let extension = Path::new(&files[0].file_name).extension().and_then(|e| e.to_str()).unwrap_or("txt").to_owned();
    let Some(path) = dialogs::save_path(&window, "Export the tokens", &files[0].file_name, &extension).await else {
        return Ok(None);
    };
    let (dir, name) = split(&path)?;
    files[0].file_name = name;
    Ok(Some(Saved { files: export::write_files(&files, dir)? }))
}

fn joined(files: Vec<ExportFile>) -> String {
    files.into_iter().map(|f| f.contents).collect::<Vec<_>>().join("\n")
}

fn render(
    state: &AppState,
    secrets: &Layered,
    format: ExportFormat,
    include_secrets: bool,
) -> Result<Vec<ExportFile>, AppError> {
    let last = state.last_run.lock().unwrap_or_else(|p| p.into_inner());
    let Some(LastRun { profile, slug, secret_kinds, report }) = last.as_ref() else {
        return Err(AppError::new(
            code::EXPORT_NO_RUN,
            "There is no run to export yet.",
            "Run the chain, then export its tokens.",
        ));
    };
    let mut options = ExportOptions::new(time::OffsetDateTime::now_utc());
    if include_secrets {
        // Only the secrets the run itself could use: a draft's export gets no secret it was not given.
        let get = |kind| match secret_kinds.contains(&kind) {
            true => secrets.get(slug, kind),
            false => Ok(None),
        };
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
            code::EXPORT_INVALID_PATH,
            format!("{} is not a file path to save to.", path.display()),
            "Choose a file name in the save dialog.",
        )),
    }
}

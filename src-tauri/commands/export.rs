//! Exports of the last run (Postman, curl, `.http`, `.env`). Client secrets are read from the secret store
//! only when the user ticked "Include client secrets", and then never cross to the webview: files and the
//! clipboard are written from here, and only a text without secrets is returned to JavaScript. Likewise a
//! certificate client's certificate and private key are written beside a saved curl script only when the user
//! ticked "Write the client certificates" (curl reads them from files; nothing else ever writes a key).

use std::path::{Path, PathBuf};

use serde::Serialize;
use tauri::{State, WebviewWindow};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokenhop_core::diagnose::code;
use tokenhop_core::draft_secrets::OnlyKinds;
use tokenhop_core::export::{self, ExportCertificates, ExportFile, ExportFormat, ExportOptions, ExportSecrets};
use tokenhop_core::secrets::{Layered, SecretKind};

use crate::dialogs;
use crate::state::{AppState, LastRun};
use crate::AppError;

/// The export as text without client secrets (Postman's collection and environment one after the other).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_render(state: State<'_, AppState>, format: ExportFormat) -> Result<String, AppError> {
    Ok(joined(render(&state, state.secrets().await, format, Include::default())?))
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
    let include = Include { secrets: include_secrets, client_certificates: false };
    let text = joined(render(&state, state.secrets().await, format, include)?);
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
/// to the collection, a curl script's client certificates and keys (when asked for) beside the script. `None`
/// when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn export_save(
    window: WebviewWindow,
    state: State<'_, AppState>,
    format: ExportFormat,
    include_secrets: bool,
    write_client_certs: bool,
) -> Result<Option<Saved>, AppError> {
    let include = Include { secrets: include_secrets, client_certificates: write_client_certs };
    let mut files = render(&state, state.secrets().await, format, include)?;
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

/// What an export takes from the secret store besides the run: each only on the user's explicit request.
#[derive(Debug, Default, Clone, Copy)]
struct Include {
    secrets: bool,
    client_certificates: bool,
}

fn render(
    state: &AppState,
    secrets: &Layered,
    format: ExportFormat,
    include: Include,
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
    if include.secrets {
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
    if include.client_certificates {
        if format != ExportFormat::Curl {
            return Err(AppError::new(
                code::EXPORT_CLIENT_CERTS_CURL_ONLY,
                "Only the curl export writes client certificates: its script passes them to --cert and --key.",
                "Choose curl, or leave \"Write the client certificates\" off; Postman and .http clients keep certificates in their own settings.",
            ));
        }
        // As with secrets: only the certificates the run itself could use.
        let store = OnlyKinds::new(secrets, secret_kinds.clone());
        options.client_certificates = Some(ExportCertificates::from_store(&store, slug, profile)?);
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

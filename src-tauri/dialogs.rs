//! The native file dialogs, opened from Rust: the webview never names a path. A command that reads or
//! writes a file the user chooses asks here, and only the path the dialog returns is used.

use std::path::PathBuf;

use tauri::{Runtime, WebviewWindow};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tokio::sync::oneshot;

/// Where to write: a save dialog over `window` proposing `file_name`; `None` when the user cancelled.
pub async fn save_path<R: Runtime>(
    window: &WebviewWindow<R>,
    title: &str,
    file_name: &str,
    extension: &str,
) -> Option<PathBuf> {
    let builder = dialog(window, title, extension).set_file_name(file_name);
    let (tx, rx) = oneshot::channel();
    builder.save_file(move |path| drop(tx.send(path)));
    local(rx.await.ok().flatten())
}

/// What to read: an open dialog over `window` for one file; `None` when the user cancelled.
pub async fn open_path<R: Runtime>(window: &WebviewWindow<R>, title: &str, extension: &str) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    dialog(window, title, extension).pick_file(move |path| drop(tx.send(path)));
    local(rx.await.ok().flatten())
}

fn dialog<R: Runtime>(window: &WebviewWindow<R>, title: &str, extension: &str) -> FileDialogBuilder<R> {
    window.dialog().file().set_parent(window).set_title(title).add_filter(extension, &[extension])
}

/// Desktop dialogs return file paths; anything else (a URL) is not one the user can have meant.
fn local(path: Option<FilePath>) -> Option<PathBuf> {
    path.and_then(|p| p.into_path().ok())
}

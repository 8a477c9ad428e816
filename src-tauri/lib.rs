//! The Tauri shell: the builder, its plugins and the managed state. Commands live in `commands/`, the
//! state that outlives them in `state.rs`.

mod commands;
mod error;
mod state;

use std::io::IsTerminal;

use tauri::Manager;

pub use error::AppError;
use state::AppState;

pub fn run() {
    commands::app::mark_process_start();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tokenhop=info,tokenhop_app=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            // The keychain, the engine and the sandbox come once the UI is interactive (app_ready), or earlier
            // when a command needs them.
            app.manage(AppState::new()?);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::app_ready,
            commands::app::keychain_status,
            commands::profiles::profiles_list,
            commands::profiles::profiles_get,
            commands::profiles::profiles_validate,
            commands::profiles::profiles_save,
            commands::profiles::profiles_rename,
            commands::profiles::profiles_duplicate,
            commands::profiles::profiles_delete,
            commands::profiles::profiles_import,
            commands::profiles::profiles_export,
            commands::profiles::service_key_parse,
            commands::secrets::secrets_set,
            commands::secrets::secrets_delete,
            commands::secrets::secrets_status,
            commands::chain::chain_run,
            commands::chain::chain_cancel,
            commands::tokens::tokens_decode,
            commands::export::export_render,
            commands::export::export_save,
        ])
        .run(tauri::generate_context!())
        .expect("error while running TokenHop");
}

//! The Tauri shell: the builder, its plugins and the managed state. Commands live in `commands/`, the
//! state that outlives them in `state.rs`.

mod commands;
mod dialogs;
mod error;
mod state;

use std::io::IsTerminal;

use tauri::Manager;

pub use error::AppError;
use state::AppState;

/// The window's background until the page paints: the page's own (`--bg` in ui/src/app.css), so the first frame
/// is the colour the last one will be. Light (`#ffffff`) is `backgroundColor` in tauri.conf.json, so the window is
/// created with it; dark is set here when the system is dark.
const BACKGROUND_DARK: tauri::window::Color = tauri::window::Color(0x1b, 0x1b, 0x1e, 0xff);

pub fn run() {
    commands::app::mark_process_start();
    #[cfg(target_os = "linux")]
    webkit_defaults();
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
        .on_page_load(|_, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started {
                commands::app::mark_page_load_started();
            }
        })
        .setup(|app| {
            commands::app::mark_setup();
            // The window is shown as Tauri creates it, just before this (tauri.conf.json), in the page's light
            // background colour, or in the dark one set here before anything is drawn. The page's first frame is a
            // skeleton of the layout that needs no file but index.html (ui/index.html). That is also what keeps
            // WebKitGTK from stalling: without GPU compositing, it paints a visible view by first waiting, on the UI
            // thread and for up to 500 ms, for the web process to draw, and a web process that needed a second
            // file to draw anything would wait on that same thread, which serves the files (docs/benchmarks.md).
            if let Some(window) = app.get_webview_window("main") {
                let dark = window.theme().is_ok_and(|theme| theme == tauri::Theme::Dark);
                if dark {
                    let _ = window.set_background_color(Some(BACKGROUND_DARK));
                }
            }
            // The keychain, the engine and the sandbox come once the UI is interactive (app_ready), or earlier
            // when a command needs them.
            app.manage(AppState::new()?);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::app_ready,
            commands::app::keychain_status,
            commands::app::sandbox_set_credentials,
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
            commands::secrets::secrets_certificate,
            commands::chain::chain_run,
            commands::chain::chain_cancel,
            commands::chain::chain_refresh,
            commands::profiles::profiles_sign_in,
            commands::profiles::profiles_sign_out,
            commands::tokens::tokens_decode,
            commands::export::export_render,
            commands::export::export_copy,
            commands::export::export_save,
            commands::matrix::matrix_run,
            commands::matrix::matrix_cancel,
            commands::history::history_list,
            commands::history::history_get,
            commands::history::history_compare,
            commands::history::history_set_enabled,
            commands::history::history_clear,
        ])
        .run(tauri::generate_context!())
        .expect("error while running TokenHop");
}

/// Two WebKitGTK defaults for this UI (forms and tables, two small spinners), each measured with
/// `cargo xtask bench` and each only a default: a variable already set is left alone.
/// - No accelerated compositing: the UI draws just as well without it and holds far less memory: under Xvfb
///   the app's processes idle at about 215 MiB instead of 300, and after ten runs at about 245 instead of 385.
///   Evolution and Eclipse make the same choice on GTK 3. `WEBKIT_DISABLE_COMPOSITING_MODE=0` turns it back on.
/// - No JavaScript JIT (`JSC_useJIT=0`): layout and painting, not script, are what a run costs the web process
///   (about 130 ms of CPU with the JIT, 145 without), while the JIT's compiled code grew the process by about
///   6 MiB over ten runs. Without it the page also has no writable executable memory, the hardening Safari's
///   Lockdown Mode applies. `JSC_useJIT=1` turns it back on.
#[cfg(target_os = "linux")]
fn webkit_defaults() {
    const COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    const JIT: &str = "JSC_useJIT";
    // Still single-threaded: nothing (Tauri, GTK, a runtime) has started yet.
    match std::env::var_os(COMPOSITING) {
        None => std::env::set_var(COMPOSITING, "1"),
        // WebKit turns compositing off whenever the variable exists, whatever its value.
        Some(value) if value == "0" => std::env::remove_var(COMPOSITING),
        Some(_) => {}
    }
    if std::env::var_os(JIT).is_none() {
        std::env::set_var(JIT, "0");
    }
}

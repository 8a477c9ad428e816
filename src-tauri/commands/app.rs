//! The app itself: its version, whether the keychain works, the sandbox profile and its credentials, and the
//! "ready" mark the start-up benchmark reads.

use std::sync::OnceLock;
use std::time::Instant;

use serde::Deserialize;
use tauri::{AppHandle, Manager, State};
use tokenhop_core::app_info::{AppInfo, SandboxCredentials, SandboxInfo};
use tokenhop_core::profile::Profile;
use tokenhop_core::secrets::KeychainStatus;

use crate::state::AppState;
use crate::AppError;

/// When the process started (as near as `main` can tell); set once by [`mark_process_start`].
static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Called first thing in `run()`.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Milliseconds since [`mark_process_start`].
fn since_start() -> u128 {
    PROCESS_START.get().map_or(0, |t| t.elapsed().as_millis())
}

/// Milestones before the page runs, for the ready line: when Tauri ran the app's setup (GTK and the event loop
/// are up), and when the web view began loading the page.
static SETUP_AT: OnceLock<u128> = OnceLock::new();
static PAGE_LOAD_AT: OnceLock<u128> = OnceLock::new();

pub fn mark_setup() {
    SETUP_AT.get_or_init(since_start);
}

pub fn mark_page_load_started() {
    PAGE_LOAD_AT.get_or_init(since_start);
}

/// Where the page's start went, in milliseconds since it began loading (the UI's `performance.now()`).
#[derive(Debug, Deserialize)]
pub struct StartTimings {
    /// The bundle started running.
    script: f64,
    /// The app info and the profile list arrived.
    data: f64,
    /// The list is in the DOM.
    rendered: f64,
}

/// Answers at once: the sandbox may still be starting (commands that need it wait for it), and the keychain
/// has its own command.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    let sandbox = state.sandbox_slug().map(|slug| SandboxInfo { profile: slug.to_owned() });
    Ok(AppInfo { version: env!("CARGO_PKG_VERSION").to_owned(), sandbox })
}

/// Whether the OS keychain works; waits for the probe that starts with the app.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn keychain_status(state: State<'_, AppState>) -> Result<KeychainStatus, AppError> {
    Ok(state.keychain().await.clone())
}

/// Switches the Sandbox profile between client secrets, client certificates (mutual TLS, XSUAA at its certificate
/// host) and client assertions; answers the profile as it now is. The demo certificates and keys stay in Rust.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn sandbox_set_credentials(
    state: State<'_, AppState>,
    credentials: SandboxCredentials,
) -> Result<Profile, AppError> {
    let slug = state.set_sandbox_credentials(credentials).await?;
    Ok(state.profiles.get(&slug)?)
}

/// The UI is interactive: logs the time since the process started (the start-up benchmark greps stderr),
/// then probes the keychain, builds the engine and warms up the sandbox. The sandbox's RSA key generation
/// takes up to seconds of CPU; alongside the first paint it delayed the window by as much.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn app_ready(app: AppHandle, timings: Option<StartTimings>) {
    let ms = since_start();
    let (setup, load) = (SETUP_AT.get().copied(), PAGE_LOAD_AT.get().copied());
    let shown = |at: Option<u128>| at.map_or("?".to_owned(), |ms| ms.to_string());
    let before = format!("setup at {} ms, page load began at {} ms", shown(setup), shown(load));
    match timings {
        Some(StartTimings { script, data, rendered }) => {
            tracing::info!(
                ms,
                setup_ms = setup,
                page_load_ms = load,
                page_script_ms = script,
                page_data_ms = data,
                page_rendered_ms = rendered,
                "ready"
            );
            eprintln!(
                "tokenhop: ready after {ms} ms ({before}; page: script ran at {script:.0} ms, data at {data:.0} ms, rendered at {rendered:.0} ms)"
            );
        }
        None => eprintln!("tokenhop: ready after {ms} ms ({before})"),
    }
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        state.probe_keychain().await;
        let _ = state.engine().await;
        state.warm_up_sandbox().await;
    });
}

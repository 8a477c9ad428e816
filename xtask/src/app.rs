//! Building the UI and the desktop app with the UI embedded, and `cargo xtask run`.
//!
//! The app is built with the `custom-protocol` feature: without it a Tauri binary loads the Vite dev server
//! (`devUrl`) and shows an empty window. The app itself starts the sandbox; this module only builds and launches.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::setup;
use crate::step::{self, Step};
use crate::Workspace;

/// `npm run build` in ui/ (Vite writes ui/dist, which the app embeds).
pub fn build_ui(ws: &Workspace) -> Result<()> {
    let step = Step::start("build: UI (vite)");
    step::run(&mut step::command(setup::npm_program(), &["run", "build"], &ws.ui()))?;
    step.finish("ok");
    Ok(())
}

/// `cargo build -p tokenhop --features custom-protocol`, for `cargo xtask run`: only the app's own dependencies,
/// the quickest first start. (The suites build the whole workspace in one feature set instead, see
/// `suites::WORKSPACE`; the two builds share little.) Returns the binary's path.
pub fn build_app(ws: &Workspace) -> Result<PathBuf> {
    let step = Step::start("build: app with embedded UI");
    step::run(&mut step::command(
        step::cargo(),
        &["build", "-p", "tokenhop", "--features", "custom-protocol"],
        &ws.root,
    ))?;
    let binary = ws.app_binary();
    if !binary.is_file() {
        bail!("cargo build succeeded but {} does not exist", binary.display());
    }
    step.finish(&format!("ok: {}", binary.display()));
    Ok(binary)
}

/// `cargo xtask run`: set-up, build, then the app in the foreground until its window is closed.
pub fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    setup::run(ws, false)?;
    build_ui(ws)?;
    let binary = build_app(ws)?;
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        bail!(
            "there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). \
             On a headless machine try: xvfb-run -a cargo xtask run"
        );
    }
    let step = Step::start("run: TokenHop");
    step::run(&mut step::command(&binary, args, &ws.root))?;
    step.finish("closed");
    Ok(())
}

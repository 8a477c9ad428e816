//! Release builds for the benchmark: the UI, the app with embedded assets, the CLI, and the floor app.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{floor, BenchDirs};
use crate::step::{self, Step};
use crate::Workspace;

/// The binaries the measurements run.
pub struct Built {
    pub app: PathBuf,
    pub cli: PathBuf,
    pub floor: PathBuf,
}

/// Builds everything (cargo skips what is up to date).
pub fn all(ws: &Workspace, dirs: &BenchDirs) -> Result<Built> {
    crate::app::build_ui(ws)?;
    let step = Step::start("bench: release build of the app (custom-protocol) and the CLI");
    step::run(&mut step::command(
        step::cargo(),
        &["build", "--release", "-p", "tokenhop", "--features", "custom-protocol", "-p", "tokenhop-cli"],
        &ws.root,
    ))?;
    step.finish("ok");

    let step = Step::start("bench: floor app (bare Tauri 2 window)");
    let lock = std::fs::read_to_string(ws.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let tauri = floor::locked_version(&lock, "tauri").context("tauri is not in Cargo.lock")?;
    let tauri_build = floor::locked_version(&lock, "tauri-build").context("tauri-build is not in Cargo.lock")?;
    floor::generate(&ws.root, &dirs.floor_src(), &tauri, &tauri_build)?;
    step::note(format!("tauri {tauri}, tauri-build {tauri_build} (from our Cargo.lock)"));
    let manifest = dirs.floor_src().join("Cargo.toml");
    let mut cmd = step::command(
        step::cargo(),
        &["build", "--release", "--features", "custom-protocol", "--manifest-path"],
        &dirs.floor_src(),
    );
    cmd.arg(&manifest).env("CARGO_TARGET_DIR", dirs.floor_target());
    step::run(&mut cmd)?;
    step.finish("ok");
    existing(ws, dirs)
}

/// The binaries as they are in target/ (a missing one fails the measurement that needs it).
pub fn existing(ws: &Workspace, dirs: &BenchDirs) -> Result<Built> {
    let built = Built {
        app: ws.target.join("release/tokenhop"),
        cli: ws.target.join("release/tokenhop-cli"),
        floor: dirs.floor_target().join("release/tokenhop-floor"),
    };
    for p in [&built.app, &built.cli, &built.floor] {
        if !p.is_file() {
            crate::step::note(format!("missing: {} (run without --no-build)", p.display()));
        }
    }
    Ok(built)
}

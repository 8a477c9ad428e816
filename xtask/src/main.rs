//! `cargo xtask setup|run|test|e2e|bindings|bench|bundle|fuzz`: the project's own set-up, test runner and packager.
//!
//! One command brings a fresh Debian/Ubuntu machine (root or passwordless sudo, with Rust, Node 20 and git) to a
//! state where the app builds and every test suite runs. Set-up is idempotent: a second run checks and installs
//! nothing. This crate deliberately knows nothing about TokenHop's code; it only drives `apt-get`, `npm` and `cargo`.

mod app;
mod bench;
mod bindings;
mod bundle;
mod counts;
mod setup;
mod step;
mod suites;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Set up, run and test TokenHop", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing: system packages, `npm ci` in ui/, and (unless --app-only) the test tools.
    Setup {
        /// Only what building and running the app needs; skip Xvfb, tauri-driver, Chromium, newman.
        #[arg(long)]
        app_only: bool,
    },
    /// Set up, build the UI and the app with embedded assets, and open the app window.
    Run {
        /// Arguments passed on to the app.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Regenerate the UI's TypeScript types (`ui/src/lib/bindings/`) from the Rust types; commit the result.
    Bindings {
        /// Write nothing; fail and name each file that differs (the check `cargo xtask test` runs).
        #[arg(long)]
        check: bool,
    },
    /// Set up, then run every suite (Rust, bindings, Vitest, svelte-check, accessibility, end-to-end); non-zero exit on any failure.
    Test,
    /// Only the end-to-end suite: the real window under Xvfb through tauri-driver.
    E2e {
        /// Arguments passed on to `cargo test` before `--`: a test name filter, or `--test NAME` for one e2e target.
        filter: Vec<String>,
    },
    /// Benchmarks: start-up, memory, chain latency, profile store and size against their floors.
    Bench(bench::Args),
    /// Release packages with Tauri's bundler (Linux: .deb and .rpm, the CLI included); prints their paths and sizes.
    Bundle {
        /// Then install the .deb, run its CLI and app, and remove it again (needs root or passwordless sudo).
        #[arg(long)]
        check: bool,
    },
    /// The parser property tests (10,000 cases each in `test`), round after round for much longer.
    Fuzz {
        /// How long to keep generating inputs.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Setup { app_only } => setup::run(&Workspace::locate(), !app_only),
        Command::Run { args } => app::run(&Workspace::locate(), &args),
        Command::Bindings { check: false } => bindings::write(&Workspace::locate()),
        Command::Bindings { check: true } => bindings::check_only(&Workspace::locate()),
        Command::Test => suites::test_all(&Workspace::locate()),
        Command::E2e { filter } => suites::e2e_only(&Workspace::locate(), &filter),
        Command::Bench(args) => bench::run(&Workspace::locate(), &args),
        Command::Bundle { check } => bundle::run(&Workspace::locate(), check),
        Command::Fuzz { minutes } => suites::fuzz(&Workspace::locate(), minutes),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<Reported>() => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A failure that has already been explained on stdout (the test summary); `main` only sets the exit status.
#[derive(Debug, thiserror::Error)]
#[error("failures were reported above")]
pub struct Reported;

/// Where things are: the repository root and cargo's target directory (honours `CARGO_TARGET_DIR`).
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Workspace {
    fn locate() -> Self {
        // `cargo xtask` sets CARGO_MANIFEST_DIR for the run as well: that names this checkout even when the binary
        // was built from another one sharing the target dir (a CI cache), whose path the compiled-in value keeps.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
        let root = PathBuf::from(manifest_dir)
            .parent()
            .expect("xtask lives one level below the repository root")
            .to_path_buf();
        let target = target_dir(&root).unwrap_or_else(|| root.join("target"));
        Workspace { root, target }
    }

    pub fn ui(&self) -> PathBuf {
        self.root.join("ui")
    }

    /// Tools the tests need that are built from source (tauri-driver), cached next to the build output.
    pub fn tools(&self) -> PathBuf {
        self.target.join("tools")
    }

    /// The app binary that `cargo build -p tokenhop` produces.
    pub fn app_binary(&self) -> PathBuf {
        self.target.join("debug").join(format!("tokenhop{}", std::env::consts::EXE_SUFFIX))
    }
}

/// Asks cargo itself, so `CARGO_TARGET_DIR` and `build.target-dir` are honoured.
fn target_dir(root: &std::path::Path) -> Option<PathBuf> {
    let output = std::process::Command::new(step::cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .output()
        .ok()?;
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    meta.get("target_directory")?.as_str().map(PathBuf::from)
}

//! `cargo xtask bundle [--check]`: the release packages, built by Tauri's bundler, and a smoke test of them.
//!
//! On Linux it makes a `.deb` and an `.rpm` (the AppImage needs tools the bundler downloads while it runs, so it
//! is built only by the release workflow, `.github/workflows/release.yml`). The CLI ships inside the packages as
//! a Tauri external binary ("sidecar", `bundle.externalBin`): the bundler puts it in `/usr/bin` on Linux,
//! beside the app in `TokenHop.app/Contents/MacOS` on macOS and in the install directory on Windows. It is
//! declared in `tauri.release.conf.json`, which release builds merge with `--config`, rather than in
//! `tauri.conf.json`: `tauri-build` requires every external binary to exist whenever the app is compiled, and
//! the debug builds and tests of the app must not wait for a release build of the CLI. Both this command and
//! the release workflow stage the CLI where that file says, `target/sidecar/tokenhop-cli-<target triple>` in
//! the repository (whatever `CARGO_TARGET_DIR` is).
//!
//! `--check` installs the `.deb`, uses what it installed and removes it again: see [`check`].

mod check;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

use crate::setup;
use crate::step::{self, note, Step};
use crate::Workspace;

/// The packages this machine can make; the release workflow adds the AppImage, `.dmg`, `.msi` and NSIS `.exe`.
const LINUX_BUNDLES: &str = "deb,rpm";

/// The configuration release builds add to `tauri.conf.json`, and where it expects the CLI (plus the triple).
const RELEASE_CONFIG: &str = "tauri.release.conf.json";
const SIDECAR: &str = "target/sidecar/tokenhop-cli";

/// One package the bundler wrote.
pub struct Package {
    pub path: PathBuf,
    pub bytes: u64,
}

pub fn run(ws: &Workspace, with_check: bool) -> Result<()> {
    if !cfg!(target_os = "linux") {
        bail!("`cargo xtask bundle` makes the Linux packages; the release workflow builds those of macOS and Windows");
    }
    setup::for_bundle(ws, with_check)?;
    let started = SystemTime::now();
    build_cli(ws)?;
    build_packages(ws)?;

    let step = Step::start("bundle: packages");
    let deb = newest(&ws.target.join("release/bundle/deb"), "deb", started)?;
    let rpm = newest(&ws.target.join("release/bundle/rpm"), "rpm", started)?;
    for package in [&deb, &rpm] {
        note(format!("{}  {}", package.path.display(), size(package.bytes)));
    }
    step.finish("ok");

    if with_check {
        check::run(ws, &deb, &rpm)?;
    }
    Ok(())
}

/// Builds the CLI in release mode and stages a copy where the bundler looks for the external binary.
fn build_cli(ws: &Workspace) -> Result<()> {
    let step = Step::start("bundle: release build of the CLI");
    step::run(&mut step::command(step::cargo(), &["build", "--release", "-p", "tokenhop-cli"], &ws.root))?;
    let exe = std::env::consts::EXE_SUFFIX;
    let built = ws.target.join("release").join(format!("tokenhop-cli{exe}"));
    let staged = ws.root.join(format!("{SIDECAR}-{}{exe}", host_triple()?));
    std::fs::create_dir_all(staged.parent().expect("the sidecar path has a parent"))?;
    std::fs::copy(&built, &staged).with_context(|| format!("copying {} to {}", built.display(), staged.display()))?;
    step.finish(&format!("ok: {}", staged.display()));
    Ok(())
}

/// `rustc -vV`'s host triple, the suffix Tauri expects on an external binary built for this machine.
fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = std::process::Command::new(rustc).arg("-vV").output().context("running rustc -vV")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV printed no host triple")
}

/// `tauri build --bundles deb,rpm --config tauri.release.conf.json`: the UI (`beforeBuildCommand`), the app in
/// release mode with the UI embedded, then the packages, with the staged CLI in them.
fn build_packages(ws: &Workspace) -> Result<()> {
    let step = Step::start(format!("bundle: tauri build --bundles {LINUX_BUNDLES}"));
    let tauri = ws.ui().join("node_modules/.bin/tauri");
    let args = ["build", "--bundles", LINUX_BUNDLES, "--config", RELEASE_CONFIG];
    step::run(&mut step::command(&tauri, &args, &ws.root))?;
    step.finish("ok");
    Ok(())
}

/// The newest `*.<extension>` in `dir`, which must have been written after `since`.
fn newest(dir: &Path, extension: &str, since: SystemTime) -> Result<Package> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let (path, modified, bytes) = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == extension))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.modified().ok()?, meta.len()))
        })
        .max_by_key(|(_, modified, _)| *modified)
        .with_context(|| format!("the bundler wrote no .{extension} into {}", dir.display()))?;
    if modified < since {
        bail!("{} is older than this build: the bundler did not write a new .{extension}", path.display());
    }
    Ok(Package { path, bytes })
}

fn size(bytes: u64) -> String {
    format!("{:.1} MiB ({bytes} bytes)", bytes as f64 / (1024.0 * 1024.0))
}

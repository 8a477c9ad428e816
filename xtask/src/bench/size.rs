//! Size: the stripped release binaries (app and floor) and the `.deb` the Tauri bundler makes.
//!
//! The release profile already strips; `strip` is run on a copy anyway so the number holds if that changes.
//! The `.deb` comes from `tauri bundle --bundles deb` over the release binary the bench built (`tauri build`
//! would link it again, minutes of LTO for the same bytes), given ten minutes at most.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::build::Built;
use crate::step::{self, note, Step};
use crate::Workspace;

#[derive(Debug, Default)]
pub struct SizeResult {
    pub app_bytes: u64,
    pub floor_bytes: u64,
    pub deb_bytes: Option<u64>,
    /// Why there is no `.deb` number, when there is none.
    pub deb_note: Option<String>,
}

fn stripped_size(binary: &Path, scratch: &Path) -> Result<u64> {
    std::fs::create_dir_all(scratch)?;
    let copy = scratch.join(format!("{}.stripped", binary.file_name().unwrap_or_default().to_string_lossy()));
    let status = Command::new("strip").arg("-o").arg(&copy).arg(binary).status().context("running strip")?;
    if !status.success() {
        bail!("strip {} failed", binary.display());
    }
    Ok(std::fs::metadata(&copy)?.len())
}

fn deb(ws: &Workspace) -> Result<u64> {
    let tauri = ws.ui().join("node_modules/.bin/tauri");
    let args = ["bundle", "--bundles", "deb", "--features", "custom-protocol"];
    let mut cmd = step::command(&tauri, &args, &ws.root);
    let run = step::run_captured(&mut cmd, Duration::from_secs(10 * 60))?;
    if run.timed_out {
        bail!("`tauri bundle --bundles deb` took over 10 minutes and was stopped");
    }
    if !run.status.success() {
        bail!("`tauri bundle --bundles deb` failed ({})", run.status);
    }
    let dir = ws.target.join("release/bundle/deb");
    let newest = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "deb"))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .context("the bundler wrote no .deb")?;
    note(format!("{}", newest.path().display()));
    Ok(newest.metadata()?.len())
}

pub fn measure(ws: &Workspace, built: &Built, with_deb: bool) -> Result<SizeResult> {
    let step = Step::start("bench: size");
    let scratch = ws.target.join("bench/scratch/size");
    let mut result = SizeResult {
        app_bytes: stripped_size(&built.app, &scratch)?,
        floor_bytes: stripped_size(&built.floor, &scratch)?,
        ..SizeResult::default()
    };
    if with_deb {
        match deb(ws) {
            Ok(bytes) => result.deb_bytes = Some(bytes),
            Err(e) => result.deb_note = Some(format!("{e:#}")),
        }
    } else {
        result.deb_note = Some("skipped (--no-deb)".into());
    }
    step.finish(&format!("app {:.1} MiB", result.app_bytes as f64 / 1048576.0));
    Ok(result)
}

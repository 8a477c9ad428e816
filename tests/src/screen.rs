//! Screenshots of the app's window as the X server shows it, the way a screen-capture tool takes them.
//!
//! WebKitWebDriver's own screenshot command waits for a compositing frame; with accelerated compositing off
//! (the app's default on Linux) that frame never comes and the command hangs. Reading the window's pixels
//! from the display does not depend on how WebKit paints, and shows exactly what a person would see.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The title of the app's main window (`tauri.conf.json`).
const WINDOW_TITLE: &str = "^TokenHop$";

/// Writes a PNG of the app's main window to `path`, with whatever sits on top of it (a dialog, a drop-down
/// list), as a person sees it.
pub fn capture_window(path: &Path) -> Result<()> {
    // GTK maps more windows with this title (a 1×1 helper, the pop-up of a <datalist>): the main one is the
    // largest.
    let ids = output(Command::new("xdotool").args(["search", "--onlyvisible", "--name", WINDOW_TITLE]))?;
    let mut main: Option<Geometry> = None;
    for id in ids.lines() {
        let geometry = Geometry::of(id)?;
        if main.as_ref().is_none_or(|m| geometry.area() > m.area()) {
            main = Some(geometry);
        }
    }
    let Geometry { x, y, width, height } = main.context("no visible TokenHop window on the display")?;
    let crop = format!("{width}x{height}+{x}+{y}");
    output(
        Command::new("import")
            .args(["-window", "root", "-crop", &crop, "+repage"])
            .arg(format!("png:{}", path.display())),
    )?;
    Ok(())
}

/// Where a window sits on the screen.
struct Geometry {
    x: i64,
    y: i64,
    width: u64,
    height: u64,
}

impl Geometry {
    fn of(id: &str) -> Result<Geometry> {
        let shell = output(Command::new("xdotool").args(["getwindowgeometry", "--shell", id]))?;
        let field = |name: &str| -> Result<&str> {
            shell
                .lines()
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                .with_context(|| format!("xdotool printed no {name} for window {id}: {shell}"))
        };
        Ok(Geometry {
            x: field("X")?.parse()?,
            y: field("Y")?.parse()?,
            width: field("WIDTH")?.parse()?,
            height: field("HEIGHT")?.parse()?,
        })
    }

    fn area(&self) -> u64 {
        self.width * self.height
    }
}

fn output(cmd: &mut Command) -> Result<String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().with_context(|| format!("running {program} (cargo xtask setup installs it)"))?;
    if !out.status.success() {
        bail!("{program} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

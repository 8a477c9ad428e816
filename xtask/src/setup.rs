//! Set-up: install what is missing, and nothing else.
//!
//! Every check is cheap (`dpkg-query`, a file's existence or age), so a second run installs nothing and takes
//! about a second. System packages come from apt only; on a machine without apt (or without root or sudo) it
//! prints exactly what to install and fails, rather than half-installing. It never installs anything globally
//! with npm, and never touches the Rust toolchain.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::step::{self, note, Step};
use crate::Workspace;

/// What Tauri 2 needs to build and run on Debian/Ubuntu (see Tauri's "Prerequisites" page).
const APP_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "curl",
    "wget",
    "file",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "pkg-config",
];

/// What the test suites and benchmarks need: a virtual display, the WebKit WebDriver, a session bus, a
/// Secret Service, xdotool (the memory benchmark presses the Run shortcut in the real window; the e2e tests
/// find the window with it), ImageMagick's `import` (the e2e screenshots read the window from the display) and
/// `xmllint` (libxml2-utils: the CLI tests validate `run --junit` reports against the JUnit schema).
const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "jq",
    "xdotool",
    "imagemagick",
    "libxml2-utils",
];

/// What `cargo xtask bundle --check` needs beyond the app's packages: a virtual display, a session bus and a
/// Secret Service to start the installed app in, `rpm` to read the `.rpm`'s file list and requirements, and
/// `desktop-file-validate` for the desktop entry.
pub const BUNDLE_CHECK_PACKAGES: &[&str] = &["xvfb", "xauth", "dbus-x11", "gnome-keyring", "rpm", "desktop-file-utils"];

/// The "system browser" the e2e tests hand to the app, and the browser of the accessibility suite. Ubuntu ships
/// Chromium only as a snap, so there the tests use whatever Chromium or Chrome is on `PATH` instead (GitHub's
/// runners have Chrome).
const BROWSER_PACKAGE: &str = "chromium";

/// The Chromium the accessibility suite drives: Debian's package, or whichever Chromium or Chrome is on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].into_iter().find_map(step::which)
}

/// tauri-driver is built from source; pinned so every machine drives the window the same way.
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn run(ws: &Workspace, with_tests: bool) -> Result<()> {
    let mut wanted: Vec<&str> = APP_PACKAGES.to_vec();
    if with_tests {
        wanted.extend_from_slice(TEST_PACKAGES);
        if !distro_is("ubuntu") {
            wanted.push(BROWSER_PACKAGE);
        }
    }
    system_packages(&wanted, with_tests)?;
    node()?;
    npm_ci(&ws.ui())?;
    if with_tests {
        tauri_driver(ws)?;
        let newman = ws.root.join("tests").join("newman");
        if newman.join("package.json").is_file() {
            npm_ci(&newman)?;
        }
    }
    Ok(())
}

/// Set-up for `cargo xtask bundle`: the app's packages (and, for `--check`, what the smoke test runs), Node and
/// the UI's npm packages, which hold the Tauri CLI.
pub fn for_bundle(ws: &Workspace, check: bool) -> Result<()> {
    let mut wanted: Vec<&str> = APP_PACKAGES.to_vec();
    if check {
        wanted.extend_from_slice(BUNDLE_CHECK_PACKAGES);
    }
    system_packages(&wanted, false)?;
    node()?;
    npm_ci(&ws.ui())
}

/// Installs the Debian packages of `wanted` that are missing; `needs_linux` fails on other systems.
fn system_packages(wanted: &[&str], needs_linux: bool) -> Result<()> {
    let step = Step::start("set-up: system packages");
    if !cfg!(target_os = "linux") {
        if needs_linux {
            bail!("the end-to-end suite needs Linux (tauri-driver has no WebDriver for this OS's webview)");
        }
        note("nothing to install here: Tauri needs only the OS webview and the platform's C toolchain");
        step.finish("ok");
        return Ok(());
    }
    if !step::on_path("dpkg-query") || !step::on_path("apt-get") {
        bail!(
            "this system has no apt. Install the equivalents of these Debian packages with your package manager, \
             then run this again:\n    {}",
            wanted.join(" ")
        );
    }
    let missing = missing_packages(wanted)?;
    if missing.is_empty() {
        note(format!("all {} packages present", wanted.len()));
        step.finish("ok");
        return Ok(());
    }
    note(format!("missing: {}", missing.join(" ")));
    if !can_act_as_root() {
        bail!(
            "installing system packages needs root. Run this, then run the xtask again:\n    \
             sudo apt-get update && sudo apt-get install -y {}",
            missing.join(" ")
        );
    }
    let apt =
        |args: &[&str]| -> Result<()> { step::run(as_root("apt-get", args).env("DEBIAN_FRONTEND", "noninteractive")) };
    apt(&["update"])?;
    apt(&[&["install", "-y"], missing.as_slice()].concat())?;
    step.finish("installed");
    Ok(())
}

/// The packages of `wanted` that dpkg does not report as installed.
fn missing_packages<'a>(wanted: &[&'a str]) -> Result<Vec<&'a str>> {
    // Unknown packages make dpkg-query exit 1 and say so on stderr; what is installed is on stdout either way.
    let output = Command::new("dpkg-query")
        .args(["-W", "-f=${Package} ${Status}\n"])
        .args(wanted)
        .output()
        .context("could not run dpkg-query")?;
    let listing = String::from_utf8_lossy(&output.stdout);
    let installed: Vec<&str> = listing
        .lines()
        .filter(|line| line.ends_with(" install ok installed"))
        .filter_map(|line| line.split_whitespace().next())
        .map(|name| name.split(':').next().unwrap_or(name))
        .collect();
    Ok(wanted.iter().copied().filter(|p| !installed.contains(p)).collect())
}

fn distro_is(id: &str) -> bool {
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    release.lines().any(|line| {
        line.strip_prefix("ID=").is_some_and(|v| v.trim_matches('"') == id)
            || line.strip_prefix("ID_LIKE=").is_some_and(|v| v.trim_matches('"').split(' ').any(|v| v == id))
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// True when we are root or may use `sudo` without a password.
pub fn can_act_as_root() -> bool {
    is_root() || Command::new("sudo").args(["-n", "true"]).status().is_ok_and(|s| s.success())
}

/// `program args…` run as root: directly when we are root, through `sudo -n` otherwise (see [`can_act_as_root`]).
pub fn as_root(program: &str, args: &[&str]) -> Command {
    if is_root() {
        step::command(program, args, Path::new("/"))
    } else {
        step::command("sudo", &[&["-n", program], args].concat(), Path::new("/"))
    }
}

/// Node 20 or newer must already be there: Debian's own `nodejs` package is too old for the UI's tooling.
fn node() -> Result<()> {
    let step = Step::start("set-up: Node.js");
    let version = Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string());
    let Some(version) = version else {
        bail!("Node.js is not installed. Install Node 20 or newer (https://nodejs.org or your package manager)");
    };
    let major: u32 = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        bail!("Node.js {version} is too old; the UI's tooling needs Node 20 or newer");
    }
    step.finish(&format!("{version} present"));
    Ok(())
}

/// `npm ci` in `dir` when `node_modules` is missing or older than `package-lock.json`.
pub fn npm_ci(dir: &Path) -> Result<()> {
    let step = Step::start(format!("set-up: npm packages in {}", dir.display()));
    let lock = dir.join("package-lock.json");
    // npm rewrites node_modules/.package-lock.json on every install: its age is the age of the install.
    let installed = dir.join("node_modules").join(".package-lock.json");
    if modified(&installed).is_some_and(|done| modified(&lock).is_some_and(|lock| done >= lock)) {
        note("node_modules is up to date with package-lock.json");
        step.finish("ok");
        return Ok(());
    }
    step::run(&mut step::command(npm_program(), &["ci", "--no-audit", "--no-fund"], dir))?;
    step.finish("installed");
    Ok(())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `npm` is a `.cmd` script on Windows, which `Command` does not find by its bare name.
pub fn npm_program() -> String {
    if cfg!(windows) {
        "npm.cmd".into()
    } else {
        "npm".into()
    }
}

/// tauri-driver from the tools cache or `PATH`; built with `cargo install --locked` into the cache otherwise.
pub fn tauri_driver(ws: &Workspace) -> Result<PathBuf> {
    let step = Step::start("set-up: tauri-driver");
    if let Some(found) = find_tauri_driver(ws) {
        note(format!("present: {}", found.display()));
        step.finish("ok");
        return Ok(found);
    }
    let tools = ws.tools();
    let (root, build) = (tools.to_string_lossy().into_owned(), tools.join("build").to_string_lossy().into_owned());
    step::run(&mut step::command(
        step::cargo(),
        &[
            "install",
            "tauri-driver",
            "--locked",
            "--version",
            TAURI_DRIVER_VERSION,
            "--root",
            &root,
            "--target-dir",
            &build,
        ],
        &ws.root,
    ))?;
    let installed =
        find_tauri_driver(ws).context("cargo install finished but tauri-driver is not in the tools cache")?;
    step.finish("installed");
    Ok(installed)
}

pub fn find_tauri_driver(ws: &Workspace) -> Option<PathBuf> {
    let cached = ws.tools().join("bin").join(format!("tauri-driver{}", std::env::consts::EXE_SUFFIX));
    if cached.is_file() {
        Some(cached)
    } else {
        step::which("tauri-driver")
    }
}

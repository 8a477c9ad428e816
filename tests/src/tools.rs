//! Finding what an e2e test needs: the app binary, tauri-driver, WebKitWebDriver, an X display, Chromium.
//!
//! Every lookup panics with a message saying how to get the missing piece: in CI a missing tool is a failure,
//! never a silent skip. `cargo xtask e2e` sets the `TOKENHOP_E2E_*` variables; run directly, the harness finds
//! the tools itself and builds the app once per test process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

/// Fails the test unless an X display is there (the xtask runs the suite under `xvfb-run`).
pub fn require_display() {
    if std::env::var_os("DISPLAY").is_none() {
        panic!(
            "no X display: the e2e tests need one. Run them with `cargo xtask e2e` (which starts Xvfb, a \
             session bus and an unlocked keyring), or under `xvfb-run -a dbus-run-session -- env NO_AT_BRIDGE=1 \
             cargo test -p tokenhop-e2e`"
        );
    }
}

/// The app binary with the UI embedded: `$TOKENHOP_E2E_APP`, or built here once.
pub fn app_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("TOKENHOP_E2E_APP") {
                let path = PathBuf::from(path);
                assert!(path.is_file(), "TOKENHOP_E2E_APP points at {}, which does not exist", path.display());
                return std::path::absolute(&path).expect("absolute path of the app binary");
            }
            build_app()
        })
        .clone()
}

/// `npm run build` in ui/, then `cargo build -p tokenhop --features custom-protocol` (without that feature the
/// window would load the Vite dev server and show nothing).
fn build_app() -> PathBuf {
    let root = repo_root();
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    run(Command::new(npm).args(["run", "build"]).current_dir(root.join("ui")), "building the UI");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(
        Command::new(cargo).args(["build", "-p", "tokenhop", "--features", "custom-protocol"]).current_dir(&root),
        "building the app",
    );
    let binary = target_dir().join("debug").join(format!("tokenhop{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "the app built but {} is missing", binary.display());
    binary
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{what}: could not start {cmd:?}: {e}"));
    assert!(status.success(), "{what}: {cmd:?} failed ({status})");
}

/// tauri-driver: `$TOKENHOP_E2E_TAURI_DRIVER`, the xtask's tools cache, or `PATH`.
pub fn tauri_driver() -> PathBuf {
    let cached = target_dir().join("tools").join("bin").join(format!("tauri-driver{}", std::env::consts::EXE_SUFFIX));
    std::env::var_os("TOKENHOP_E2E_TAURI_DRIVER")
        .map(PathBuf::from)
        .or_else(|| cached.is_file().then_some(cached))
        .or_else(|| which("tauri-driver"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| panic!("tauri-driver is not installed: run `cargo xtask setup`"))
}

/// WebKitGTK's WebDriver (Debian/Ubuntu package `webkit2gtk-driver`).
pub fn native_driver() -> PathBuf {
    std::env::var_os("TOKENHOP_E2E_NATIVE_DRIVER")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/WebKitWebDriver")).filter(|p| p.is_file()))
        .or_else(|| which("WebKitWebDriver"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| panic!("WebKitWebDriver is not installed: `apt-get install webkit2gtk-driver`"))
}

/// Chromium or Chrome for the headless "system browser": `$TOKENHOP_E2E_CHROMIUM` or the first on `PATH`.
pub fn chromium() -> PathBuf {
    std::env::var_os("TOKENHOP_E2E_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].into_iter().find_map(which)
        })
        .filter(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("no Chromium or Chrome found: `apt-get install chromium` (or set TOKENHOP_E2E_CHROMIUM)")
        })
}

/// newman from `tests/newman/node_modules` (the xtask runs `npm ci` there).
pub fn newman() -> PathBuf {
    let local = repo_root().join("tests").join("newman").join("node_modules").join(".bin").join("newman");
    assert!(local.is_file(), "newman is not installed in tests/newman: run `cargo xtask setup`");
    local
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("binding a free loopback port");
    listener.local_addr().expect("local address of a bound listener").port()
}

//! A "system browser" for the app under test: headless Chromium, started by a small script.
//!
//! The app opens authorization URLs by running `$TOKENHOP_BROWSER <url>`. [`HeadlessBrowser::command`] is such a
//! program: it starts Chromium in the background with a fresh profile and returns at once (as `xdg-open` would),
//! so Chromium lives long enough to load the sandbox sign-in page, which can auto-submit and redirect to the
//! app's loopback listener. Every Chromium it started is killed when the `HeadlessBrowser` is dropped.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::tools;

pub struct HeadlessBrowser {
    dir: tempfile::TempDir,
}

impl HeadlessBrowser {
    /// Writes the script into a fresh temp dir; fails the test if no Chromium is installed.
    pub fn new() -> HeadlessBrowser {
        let chromium = tools::chromium();
        let dir = tempfile::Builder::new().prefix("tokenhop-browser-").tempdir().expect("a temp dir for the browser");
        let script = format!(
            r#"#!/bin/sh
# Opens "$1" in headless Chromium with a throwaway profile, in the background, and returns at once.
# --password-store=basic: under dbus-run-session Chromium would otherwise wait on a keyring unlock prompt.
here='{here}'
profile=$(mktemp -d "$here/profile.XXXXXX")
'{chromium}' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --password-store=basic \
  --user-data-dir="$profile" "$1" >>"$here/chromium.log" 2>&1 </dev/null &
echo $! >>"$here/pids"
echo "$1" >>"$here/opened"
"#,
            here = dir.path().display(),
            chromium = chromium.display(),
        );
        let path = dir.path().join("open-in-headless-chromium");
        std::fs::write(&path, script).expect("writing the browser script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("making the script executable");
        HeadlessBrowser { dir }
    }

    /// The program to put in `TOKENHOP_BROWSER` (or pass as `--browser`).
    pub fn command(&self) -> PathBuf {
        self.dir.path().join("open-in-headless-chromium")
    }

    /// Every URL the app asked this browser to open, in order.
    pub fn opened(&self) -> Vec<String> {
        read_lines(&self.dir.path().join("opened"))
    }

    /// Chromium's own output, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromium.log")).unwrap_or_default()
    }
}

impl Default for HeadlessBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for HeadlessBrowser {
    fn drop(&mut self) {
        for pid in read_lines(&self.dir.path().join("pids")) {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
        }
    }
}

/// A "system browser" that must not be asked: it notes the URL and fails, so that a test can assert a run
/// opened no browser (a silent sign-in) and a wrong run ends quickly instead of waiting for a sign-in.
pub struct ForbiddenBrowser {
    dir: tempfile::TempDir,
}

impl ForbiddenBrowser {
    pub fn new() -> ForbiddenBrowser {
        let dir =
            tempfile::Builder::new().prefix("tokenhop-no-browser-").tempdir().expect("a temp dir for the browser");
        let script = format!("#!/bin/sh\necho \"$1\" >>'{}/opened'\nexit 1\n", dir.path().display());
        let path = dir.path().join("forbidden-browser");
        std::fs::write(&path, script).expect("writing the browser script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("making the script executable");
        ForbiddenBrowser { dir }
    }

    /// The program to pass as `--browser` (or put in `TOKENHOP_BROWSER`).
    pub fn command(&self) -> PathBuf {
        self.dir.path().join("forbidden-browser")
    }

    /// Every URL someone tried to open with it: the test fails if this is not empty.
    pub fn opened(&self) -> Vec<String> {
        read_lines(&self.dir.path().join("opened"))
    }
}

impl Default for ForbiddenBrowser {
    fn default() -> Self {
        Self::new()
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(String::from).collect()
}

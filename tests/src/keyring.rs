//! A real, unlocked Secret Service for tests whose processes share the keychain (the CLI's cached sign-in).
//!
//! [`in_throwaway_keyring`] re-runs the calling test (this test binary, `--exact`) inside `dbus-run-session`
//! with `gnome-keyring-daemon --unlock` and a throwaway `HOME`, unless it already runs in one. Missing tools
//! fail the test rather than skip it.

use std::process::Command;

/// Set in the child that runs inside the throwaway session.
const INSIDE: &str = "TOKENHOP_TEST_THROWAWAY_KEYRING";

/// True when the caller should run the test body here; otherwise it ran (and passed) in a child.
pub fn in_throwaway_keyring(test: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found =
            Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing: install gnome-keyring and dbus (dbus-run-session) to run the keychain tests"
        );
    }
    let home = tempfile::tempdir().expect("a throwaway HOME");
    let runtime = tempfile::tempdir().expect("a throwaway XDG_RUNTIME_DIR");
    #[cfg(unix)]
    std::fs::set_permissions(runtime.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let output = Command::new("dbus-run-session")
        .args(["--", "sh", "-c"])
        .arg(r#"printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null; exec "$@""#)
        .arg("sh")
        .arg(std::env::current_exe().expect("the test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(INSIDE, "1")
        .output()
        .unwrap_or_else(|e| panic!("could not start {test} in a throwaway keyring: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{test} failed in its throwaway keyring ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("1 passed"), "{test} did not run in its throwaway keyring:\n{stdout}\n{stderr}");
    false
}

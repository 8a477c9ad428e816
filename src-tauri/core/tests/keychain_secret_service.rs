//! The keychain against a REAL Secret Service, and the no-keychain path.
//!
//! Each test re-runs itself (this binary, `--exact`) inside `dbus-run-session` with a `gnome-keyring-daemon
//! --unlock` and a throwaway HOME: always on a private bus, so no test ever writes to the developer's own
//! keychain, even when one is unlocked. Missing tools fail the test rather than skip it (`secret-tool`, only
//! a cross-check, may be missing outside CI; with `CI` set it must be there). Children are recognised by the
//! variables below.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tokenhop_core::diagnose::Diagnose;
use tokenhop_core::profile::{ProfileStore, SCHEMA_VERSION};
use tokenhop_core::secrets::{
    EnvOverrides, Keychain, Layered, SecretError, SecretKind, SecretSource, SecretStore, UNAVAILABLE_MESSAGE,
};
use tokenhop_core::{profile, Secret};

/// Set in a child that runs inside the throwaway Secret Service session.
const SANDBOXED: &str = "TOKENHOP_TEST_KEYRING_SANDBOXED";
/// Set in the fresh-process reader: `<slug>` to read; the expected value comes in `EXPECT`.
const READ_SLUG: &str = "TOKENHOP_TEST_KEYRING_READ";
const EXPECT: &str = "TOKENHOP_TEST_KEYRING_EXPECT";
/// Set in the child that runs with no session bus.
const NO_BUS: &str = "TOKENHOP_TEST_KEYRING_NO_BUS";

/// Runs `name` of this binary in a child process and fails with its output unless it passed.
fn run_child(name: &str, command: &mut Command) -> Output {
    let output = command
        .arg(name)
        .args(["--exact", "--nocapture", "--test-threads=1"])
        .output()
        .unwrap_or_else(|e| panic!("could not start the child for {name}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child {name} failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("1 passed"), "child {name} did not run the test:\n{stdout}\n{stderr}");
    output
}

/// True when the caller should run the test body here; otherwise it ran in a sandboxed child.
fn in_real_secret_service(name: &str) -> bool {
    if std::env::var_os(SANDBOXED).is_some() {
        let status = Keychain::status();
        assert!(status.available, "the sandboxed Secret Service must be usable: {status:?}");
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
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(runtime.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut command = Command::new("dbus-run-session");
    command
        .args(["--", "sh", "-c"])
        .arg(r#"printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null; exec "$@""#)
        .arg("sh")
        .arg(std::env::current_exe().unwrap())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env(SANDBOXED, "1");
    run_child(name, &mut command);
    false
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{:x}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
}

#[test]
fn keychain_set_is_readable_from_a_fresh_process_then_delete_removes_it() {
    if !in_real_secret_service("keychain_set_is_readable_from_a_fresh_process_then_delete_removes_it") {
        return;
    }
    let keychain = Keychain::new();
    let slug = unique("kc-test");
    let value = Secret::new("s3cr+t/with=padding==");
    keychain.set(&slug, SecretKind::IasClientSecret, &value).unwrap();

    // A fresh process (same session bus) reads it back through the OS store, not through our memory.
    let mut reader = Command::new(std::env::current_exe().unwrap());
    reader.env(READ_SLUG, &slug).env(EXPECT, value.expose_secret());
    run_child("keychain_reader_child", &mut reader);

    // The item is really in the Secret Service, under the documented service and account.
    let account = format!("{slug}/ias-client-secret");
    match Command::new("secret-tool").args(["lookup", "service", "tokenhop", "username", &account]).output() {
        Ok(lookup) => {
            assert_eq!(
                String::from_utf8_lossy(&lookup.stdout),
                value.expose_secret(),
                "secret-tool must find the entry"
            )
        }
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("secret-tool is missing in CI (install libsecret-tools): {e}")
        }
        Err(e) => eprintln!("NOT CHECKED: secret-tool is missing ({e}); install libsecret-tools for the cross-check"),
    }

    keychain.delete(&slug, SecretKind::IasClientSecret).unwrap();
    assert!(keychain.get(&slug, SecretKind::IasClientSecret).unwrap().is_none(), "deleted secrets must be gone");
    keychain.delete(&slug, SecretKind::IasClientSecret).expect("deleting a missing secret is not an error");
    assert!(keychain.get(&slug, SecretKind::XsuaaClientSecret).unwrap().is_none(), "missing must be Ok(None)");
}

/// Only does something when started by the test above.
#[test]
fn keychain_reader_child() {
    let (Some(slug), Some(expected)) = (std::env::var_os(READ_SLUG), std::env::var_os(EXPECT)) else { return };
    let got = Keychain::new().get(slug.to_str().unwrap(), SecretKind::IasClientSecret).unwrap();
    assert!(got.is_some(), "the secret stored by the parent must be readable here");
    assert!(got.unwrap().expose_secret() == expected.to_str().unwrap(), "the value read must equal the one stored");
}

#[test]
fn keychain_is_reported_unavailable_without_a_session_bus() {
    if std::env::var_os(NO_BUS).is_none() {
        let runtime = tempfile::tempdir().unwrap();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(NO_BUS, "1")
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", runtime.path().join("no-bus").display()))
            .env("XDG_RUNTIME_DIR", runtime.path());
        run_child("keychain_is_reported_unavailable_without_a_session_bus", &mut command);
        return;
    }
    let status = Keychain::status();
    assert!(!status.available, "no session bus must mean no keychain: {status:?}");
    assert_eq!(status.reason.as_deref(), Some(UNAVAILABLE_MESSAGE), "the user sees the documented sentence");

    let err = Keychain::new().set("dev", SecretKind::IasClientSecret, &Secret::new("x")).unwrap_err();
    assert!(matches!(err, SecretError::Unavailable { .. }), "NoDefaultStore must map to Unavailable, got {err:?}");
    assert_eq!(err.diagnosis().code, "secrets.unavailable");
    let err = Keychain::new().get("dev", SecretKind::IasClientSecret).unwrap_err();
    assert!(matches!(err, SecretError::Unavailable { .. }), "reads fail the same way, got {err:?}");

    // The app still works: secrets live in the session only.
    let (layered, status) = Layered::detect(EnvOverrides::from_process());
    assert!(!status.available && !layered.has_keychain());
    assert_eq!(layered.set("dev", SecretKind::IasClientSecret, &Secret::new("typed")).unwrap(), SecretSource::Session);
}

#[test]
fn keychain_secrets_follow_rename_and_delete_and_never_reach_a_file() {
    if !in_real_secret_service("keychain_secrets_follow_rename_and_delete_and_never_reach_a_file") {
        return;
    }
    let config = tempfile::tempdir().unwrap();
    let store = ProfileStore::open(config.path()).unwrap();
    let secrets = Layered::new(EnvOverrides::none(), Some(Box::new(Keychain::new())));
    let name = unique("Scan test");
    let slug = store.create(&sample(&name)).unwrap();
    let values: Vec<(SecretKind, Secret)> =
        SecretKind::ALL.iter().map(|k| (*k, Secret::new(format!("VALUE-{}-{}", k.as_str(), rand_suffix())))).collect();
    for (kind, value) in &values {
        assert_eq!(secrets.set(&slug, *kind, value).unwrap(), SecretSource::Keychain);
        assert!(secrets.get(&slug, *kind).unwrap().is_some());
    }

    let new_slug = store.rename(&slug, &format!("{name} renamed")).unwrap();
    secrets.move_profile(&slug, &new_slug).unwrap();
    for (kind, value) in &values {
        assert!(secrets.get(&slug, *kind).unwrap().is_none(), "rename must move, not copy, {kind}");
        assert_eq!(secrets.get(&new_slug, *kind).unwrap().unwrap().expose_secret(), value.expose_secret());
    }
    let export = config.path().join("exported.toml");
    store.export(&new_slug, &export).unwrap();
    let copy = store.duplicate(&new_slug, &format!("{name} copy")).unwrap();

    assert_no_secret_in_files(config.path(), &values);

    for slug in [&new_slug, &copy] {
        store.delete(slug).unwrap();
        secrets.delete_profile(slug).unwrap();
    }
    for (kind, _) in &values {
        assert_eq!(secrets.source(&new_slug, *kind).unwrap(), SecretSource::Missing, "delete must remove {kind}");
    }
    assert_no_secret_in_files(config.path(), &values);
}

fn assert_no_secret_in_files(dir: &Path, values: &[(SecretKind, Secret)]) {
    let files = all_files(dir);
    assert!(!files.is_empty(), "the scan must look at something");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for (kind, value) in values {
            let needle = value.expose_secret().as_bytes();
            let found = bytes.windows(needle.len()).any(|w| w == needle);
            assert!(!found, "the {kind} value was written to {}", file.display());
        }
    }
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn sample(name: &str) -> profile::Profile {
    let text = format!(
        r#"
schema_version = {SCHEMA_VERSION}
name = "{name}"
[entra]
tenant = "contoso.onmicrosoft.com"
client_id = "11111111-2222-3333-4444-555555555555"
confidential = true
[ias]
url = "https://acme.accounts.ondemand.com"
client_id = "ias-client"
[xsuaa]
url = "https://acme-dev.authentication.eu10.hana.ondemand.com"
client_id = "sb-app!t1"
"#
    );
    profile::file::parse_profile(&text, Path::new("sample.toml")).unwrap()
}

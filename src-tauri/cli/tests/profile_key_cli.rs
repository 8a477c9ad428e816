//! `tokenhop-cli profile key` with a REAL Secret Service (a throwaway `gnome-keyring-daemon` under
//! `dbus-run-session`, as in core's keychain tests): an X.509 service key of the sandbox, read from stdin, switches
//! the profile's section to `x509` and puts certificate and private key into the keychain — and the key into no
//! file. Missing tools fail the test rather than skip it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use tokenhop_sandbox::{Sandbox, SandboxConfig};

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return hits };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)) {
            hits.push(path.display().to_string());
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread")]
async fn an_x509_key_goes_to_the_keychain_and_its_private_key_into_no_file() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        let found =
            Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
        assert!(found, "{tool} is missing: install gnome-keyring, libsecret-tools and dbus to run this test");
    }
    let sandbox = Sandbox::start(SandboxConfig { x509: true, ..SandboxConfig::default() }).await.unwrap();
    let xsuaa_id = sandbox.config().xsuaa_client_id.clone();
    let key = sandbox.x509_service_key(&xsuaa_id).unwrap();
    let private_key = key["credentials"]["key"].as_str().unwrap().to_owned();
    // The PEM body, not the armour: what would betray a copy of the key anywhere.
    let key_body = private_key.lines().nth(1).unwrap().to_owned();
    let cf_output = format!(
        "Getting key demo for service instance xsuaa as alice...\n\n{}",
        serde_json::to_string_pretty(&key).unwrap()
    );

    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(runtime.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let config = home.path().join("config");
    let profile_file = home.path().join("sandbox.toml");
    std::fs::write(&profile_file, sandbox.profile_toml("Sandbox")).unwrap();
    let cli = Command::cargo_bin("tokenhop-cli").unwrap().get_program().to_owned();

    let script = r#"printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
"$CLI" --config-dir "$CONFIG" profile import "$PROFILE" >/dev/null || exit 10
"$CLI" --config-dir "$CONFIG" profile key Sandbox --xsuaa - || exit 11
echo "--- keychain"
secret-tool lookup service tokenhop username sandbox/xsuaa-client-key || exit 12
echo
secret-tool lookup service tokenhop username sandbox/xsuaa-client-certificate >/dev/null || exit 13"#;
    let mut child = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .env("CLI", &cli)
        .env("CONFIG", &config)
        .env("PROFILE", &profile_file)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("TOKENHOP_XSUAA_CLIENT_KEY")
        .env_remove("TOKENHOP_XSUAA_CLIENT_CERTIFICATE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(cf_output.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the session failed ({}):\n{stdout}\n{stderr}", out.status);

    let (cli_out, keychain) = stdout.split_once("--- keychain").unwrap();
    assert!(keychain.contains(&key_body), "the private key is in the keychain");
    assert!(
        !cli_out.contains(&key_body) && !cli_out.contains("PRIVATE KEY"),
        "the CLI never prints key material:\n{cli_out}"
    );
    assert!(!stderr.contains(&key_body), "nor on stderr");
    assert!(cli_out.contains("xsuaa.client_auth: post → x509"), "it says what changed:\n{cli_out}");
    assert!(cli_out.contains("xsuaa.cert_url: (none) → https://127.0.0.1:"), "{cli_out}");
    assert!(cli_out.contains("stored the xsuaa-client-key in the keychain"), "{cli_out}");
    assert!(
        cli_out.contains("not after:") && cli_out.contains("SHA-256:"),
        "public certificate facts are shown:\n{cli_out}"
    );

    let toml = std::fs::read_to_string(config.join("profiles/sandbox.toml")).unwrap();
    assert!(toml.contains("client_auth = \"x509\"") && toml.contains("cert_url"), "{toml}");
    // gnome-keyring's own store is encrypted; no other file — profile, config, cache — holds the key.
    let leaks = files_containing(home.path(), key_body.as_bytes());
    assert!(leaks.is_empty(), "the private key must be in no file: {leaks:?}");
    sandbox.shutdown().await;
}

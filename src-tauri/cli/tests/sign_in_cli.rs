//! One-click re-runs from the CLI: the Entra sign-in kept in a real Secret Service (a throwaway, unlocked
//! gnome-keyring per test) and redeemed silently by the next `run`, against a real sandbox. Interactive
//! sign-ins go through headless Chromium; a run that must stay silent gets a browser that records any
//! attempt to open it and fails.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use tokenhop_e2e::keyring::in_throwaway_keyring;
use tokenhop_e2e::{ForbiddenBrowser, HeadlessBrowser};
use tokenhop_sandbox::{Fault, RefreshRefusal, Sandbox, SandboxConfig};

const USER: &str = "alice@sandbox.onmicrosoft.com";
const SLUG: &str = "sandbox";

struct Cli {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

impl Cli {
    /// A sandbox that signs Alice in by itself, and its profile imported into a fresh config dir.
    async fn start() -> Cli {
        let sandbox = Sandbox::start(SandboxConfig { auto_sign_in: Some(USER.into()), ..SandboxConfig::default() })
            .await
            .unwrap();
        let cli = Cli { sandbox, dir: tempfile::tempdir().unwrap() };
        let file = cli.dir.path().join("sandbox.toml");
        std::fs::write(&file, cli.sandbox.profile_toml("Sandbox")).unwrap();
        let import = cli.command().args(["profile", "import"]).arg(&file).output().unwrap();
        assert!(import.status.success(), "import: {}", String::from_utf8_lossy(&import.stderr));
        cli
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("config")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::cargo_bin("tokenhop-cli").unwrap();
        cmd.arg("--config-dir")
            .arg(self.config())
            .env("TOKENHOP_IAS_CLIENT_SECRET", &self.sandbox.config().ias_client_secret)
            .env("TOKENHOP_XSUAA_CLIENT_SECRET", &self.sandbox.config().xsuaa_client_secret)
            .env_remove("TOKENHOP_BROWSER")
            .env_remove("TOKENHOP_ENTRA_REFRESH_TOKEN");
        cmd
    }

    /// `run Sandbox --json --browser BROWSER` plus `args`, off the runtime the sandbox serves on.
    async fn run(&self, browser: &Path, args: &[&str]) -> (Output, Value) {
        let mut cmd = self.command();
        cmd.args(["run", "Sandbox", "--json", "--timeout", "30", "--browser"]).arg(browser).args(args);
        let output = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("stdout is one JSON object ({e}); stderr:\n{}", String::from_utf8_lossy(&output.stderr))
        });
        (output, report)
    }
}

/// The Entra step's `sign_in.method`.
fn method(report: &Value) -> &str {
    report["steps"][0]["sign_in"]["method"].as_str().unwrap_or("(none)")
}

/// What `secret-tool` finds for the profile's cached sign-in: the keychain entry's JSON.
fn keychain_entry() -> Option<Value> {
    let account = format!("{SLUG}/entra-refresh-token");
    let out =
        Command::new("secret-tool").args(["lookup", "service", "tokenhop", "username", &account]).output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

/// Fails if any file under `dir` holds `needle`.
fn assert_in_no_file(dir: &Path, needle: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_in_no_file(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "the refresh token was written to {}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_second_run_is_silent_fresh_sign_in_opens_the_browser_and_sign_out_forgets() {
    if !in_throwaway_keyring("the_second_run_is_silent_fresh_sign_in_opens_the_browser_and_sign_out_forgets") {
        return;
    }
    let cli = Cli::start().await;
    let chromium = HeadlessBrowser::new();

    let (first, report) = cli.run(&chromium.command(), &[]).await;
    assert!(first.status.success(), "first run: {}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(method(&report), "browser", "nothing cached yet: the browser signs in");
    assert_eq!(chromium.opened().len(), 1);
    let issued = report["steps"][0]["tokens"]["refresh_token"].as_str().expect("Entra returned a refresh token");
    let entry =
        keychain_entry().expect("the sign-in is in the Secret Service under tokenhop / sandbox/entra-refresh-token");
    assert_eq!(entry["refresh_token"], issued, "the keychain holds the refresh token of this sign-in");
    assert_eq!(entry["sub"], report["steps"][0]["claims"]["id_token"]["sub"], "beside the user it signed in");
    assert_in_no_file(&cli.config(), issued);
    // HOME holds the throwaway keyring's own file, which gnome-keyring encrypts.
    assert_in_no_file(Path::new(&std::env::var("HOME").unwrap()), issued);

    let forbidden = ForbiddenBrowser::new();
    let (second, report) = cli.run(&forbidden.command(), &[]).await;
    assert!(second.status.success(), "silent run: {}", String::from_utf8_lossy(&second.stderr));
    assert!(forbidden.opened().is_empty(), "a silent run opens no browser, yet it opened {:?}", forbidden.opened());
    assert_eq!(method(&report), "silent");
    assert!(report["steps"].as_array().unwrap().iter().all(|s| s["ok"] == true), "every hop succeeds: {report}");
    let checks: Vec<&str> =
        report["steps"][0]["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    for name in ["signature", "iss", "aud", "exp", "nonce", "ver", "tid", "email", "original_sub", "original_tid"] {
        assert!(checks.contains(&name), "the silent run checks {name}: {checks:?}");
    }
    let rotated = report["steps"][0]["tokens"]["refresh_token"].as_str().unwrap();
    assert_ne!(rotated, issued, "Entra rotated the refresh token");
    assert_eq!(keychain_entry().unwrap()["refresh_token"], rotated, "the rotated token replaced the stored one");

    let (third, report) = cli.run(&chromium.command(), &["--fresh-sign-in"]).await;
    assert!(third.status.success(), "fresh sign-in: {}", String::from_utf8_lossy(&third.stderr));
    assert_eq!(method(&report), "browser", "--fresh-sign-in ignores the cache");
    assert_eq!(chromium.opened().len(), 2, "--fresh-sign-in opens the browser");

    let out = cli.command().args(["profile", "sign-out", "Sandbox"]).output().unwrap();
    assert!(out.status.success(), "sign-out: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(USER), "sign-out names who was signed out");
    assert!(keychain_entry().is_none(), "sign-out removes the keychain entry");

    let (fourth, report) = cli.run(&forbidden.command(), &["--no-browser"]).await;
    assert!(!fourth.status.success(), "--no-browser without a cached sign-in must fail");
    assert!(forbidden.opened().is_empty(), "--no-browser opens nothing");
    let error = &report["steps"][0]["error"];
    assert_eq!(error["code"], "entra.sign_in_required", "{report}");
    assert!(error["hint"].as_str().unwrap().contains("without --no-browser"), "the hint says what to do: {error}");
    assert_eq!(report["steps"].as_array().unwrap().len(), 1, "nothing runs after the Entra step");
    cli.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_or_refused_sign_in_falls_back_to_the_browser_and_says_why() {
    if !in_throwaway_keyring("a_revoked_or_refused_sign_in_falls_back_to_the_browser_and_says_why") {
        return;
    }
    let cli = Cli::start().await;
    let chromium = HeadlessBrowser::new();
    let forbidden = ForbiddenBrowser::new();
    let (first, _) = cli.run(&chromium.command(), &[]).await;
    assert!(first.status.success(), "first run: {}", String::from_utf8_lossy(&first.stderr));

    // An administrator revokes Alice's sessions: Entra answers invalid_grant, AADSTS50173.
    assert!(cli.sandbox.revoke_sign_ins(USER));
    let (second, report) = cli.run(&chromium.command(), &[]).await;
    assert!(second.status.success(), "the fallback sign-in succeeds: {}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(method(&report), "browser", "a refused refresh token falls back to the browser");
    assert_eq!(chromium.opened().len(), 2);
    let reason = report["steps"][0]["sign_in"]["fallback_reason"].as_str().expect("the run says why");
    assert!(reason.starts_with("AADSTS50173"), "Entra's reason is shown: {reason}");
    assert!(String::from_utf8_lossy(&second.stderr).contains("AADSTS50173"), "and said while it happens");

    // The new sign-in is cached again; with consent withdrawn, --no-browser fails and names Entra's answer.
    cli.sandbox.faults().set(Fault::EntraRefreshRefused { reason: RefreshRefusal::ConsentRequired });
    let (third, report) = cli.run(&forbidden.command(), &["--no-browser"]).await;
    assert!(!third.status.success());
    assert!(forbidden.opened().is_empty());
    let error = &report["steps"][0]["error"];
    assert_eq!(error["code"], "entra.sign_in_required");
    assert!(error["message"].as_str().unwrap().contains("AADSTS65001"), "the message says why: {error}");
    assert!(keychain_entry().is_none(), "a refused sign-in is forgotten");
    cli.sandbox.shutdown().await;
}

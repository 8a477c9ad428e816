//! `tokenhop-cli run` and `decode` as a CI pipeline uses them: the real binary, a real sandbox, and headless
//! Chromium as the system browser completing the sandbox's sign-in page.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use tokenhop_e2e::browser::HeadlessBrowser;
use tokenhop_sandbox::{Sandbox, SandboxConfig};

const USER: &str = "alice@sandbox.onmicrosoft.com";

fn cli(config: &Path, sandbox: &Sandbox) -> Command {
    let mut cmd = Command::cargo_bin("tokenhop-cli").unwrap();
    cmd.arg("--config-dir")
        .arg(config)
        .env("TOKENHOP_IAS_CLIENT_SECRET", &sandbox.config().ias_client_secret)
        .env("TOKENHOP_XSUAA_CLIENT_SECRET", &sandbox.config().xsuaa_client_secret)
        .env_remove("TOKENHOP_BROWSER");
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn run_json_reaches_the_api_with_headless_chromium_as_the_browser() {
    let sandbox =
        Sandbox::start(SandboxConfig { auto_sign_in: Some(USER.into()), ..SandboxConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("sandbox.toml");
    std::fs::write(&profile, sandbox.profile_toml("Sandbox")).unwrap();
    let config = dir.path().join("config");
    let browser = HeadlessBrowser::new();

    let import = cli(&config, &sandbox).args(["profile", "import"]).arg(&profile).output().unwrap();
    assert!(import.status.success(), "import: {}", String::from_utf8_lossy(&import.stderr));

    let run = tokio::task::spawn_blocking({
        let mut cmd = cli(&config, &sandbox);
        cmd.args(["run", "Sandbox", "--json", "--timeout", "60", "--browser"]).arg(browser.command());
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "run must exit 0 when every step succeeds; stderr:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("stdout is one JSON object");
    assert_eq!(report["ok"], true);
    assert_eq!(report["profile"], "Sandbox");
    let steps: Vec<&str> = report["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["entra", "ias", "xsuaa", "api"]);
    for step in report["steps"].as_array().unwrap() {
        assert_eq!(step["ok"], true, "{step}");
        assert!(step["elapsed_ms"].is_u64());
        assert!(step["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true), "every check passes: {step}");
    }
    assert_eq!(report["steps"][0]["claims"]["id_token"]["preferred_username"], USER);
    assert!(report["steps"][2]["tokens"]["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(!stderr.contains(&sandbox.config().ias_client_secret), "no secret in the CLI's output");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn run_stops_at_until_and_exits_nonzero_with_a_diagnosis_when_a_step_fails() {
    let sandbox =
        Sandbox::start(SandboxConfig { auto_sign_in: Some(USER.into()), ..SandboxConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("sandbox.toml");
    std::fs::write(&profile, sandbox.profile_toml("Sandbox")).unwrap();
    let config = dir.path().join("config");
    let browser = HeadlessBrowser::new();
    assert!(cli(&config, &sandbox).args(["profile", "import"]).arg(&profile).status().unwrap().success());

    let run = tokio::task::spawn_blocking({
        let mut cmd = cli(&config, &sandbox);
        cmd.env("TOKENHOP_IAS_CLIENT_SECRET", "wrong")
            .args(["run", "sandbox", "--until", "xsuaa", "--timeout", "60", "--browser"])
            .arg(browser.command());
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success(), "a failed IAS step must give a non-zero exit");
    assert!(stdout.contains("✓ entra") && stdout.contains("✗ ias"), "summary shows where it broke:\n{stdout}");
    assert!(stdout.contains("hint:"), "the diagnosis hint is printed:\n{stdout}");
    assert!(!stdout.contains("xsuaa "), "nothing runs after the failed step:\n{stdout}");
    sandbox.shutdown().await;
}

#[test]
fn decode_prints_claims_and_rejects_garbage_with_a_hint() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let token =
        format!("{}.{}.c2ln", b64(r#"{"alg":"RS256","kid":"k"}"#), b64(r#"{"iss":"https://x.example","aud":"a"}"#));
    let out = Command::cargo_bin("tokenhop-cli").unwrap().args(["decode", &token]).output().unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["claims"]["aud"], "a");
    assert_eq!(json["header"]["kid"], "k");

    let bad = Command::cargo_bin("tokenhop-cli").unwrap().args(["decode", "not-a-token"]).output().unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("not a JWT") && err.contains("hint:"), "{err}");
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["decode", "--help"],
        vec!["sandbox", "--help"],
        vec!["profile", "--help"],
        vec!["secret", "--help"],
    ] {
        let out = Command::cargo_bin("tokenhop-cli").unwrap().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

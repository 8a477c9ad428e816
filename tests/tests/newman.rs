//! TokenHop's exports replayed against the sandbox by the tools users run them with: newman runs the
//! exported Postman collection with the exported environment (Basic and post client authentication),
//! bash runs the exported curl script, and a `.env` is sourced to call the API.
//!
//! The run being exported is real: the engine signs in at the sandbox (its sign-in page driven by
//! `tokenhop_sandbox::browser`), exchanges at IAS and XSUAA and calls the API. No display is needed.
//! A missing `node` or newman FAILS these tests: `cargo xtask test` installs newman with `npm ci` in
//! `tests/newman`.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tokenhop_core::browser::Browser;
use tokenhop_core::chain;
use tokenhop_core::export::{render, write_files, ExportFormat, ExportOptions, ExportSecrets, IdSource};
use tokenhop_core::http::{HttpClient, HttpConfig};
use tokenhop_core::profile::{ClientAuth, Profile};
use tokenhop_core::secrets::{MemoryStore, SecretKind, SecretStore};
use tokenhop_core::{Engine, RunRequest};
use tokenhop_core::{RunReport, Secret};
use tokenhop_sandbox::{Sandbox, SandboxConfig};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

const SLUG: &str = "sandbox-newman";

/// The "system browser" of these tests: completes the sandbox sign-in page as one of its users.
struct SandboxBrowser {
    runtime: tokio::runtime::Handle,
    username: String,
}

impl Browser for SandboxBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let (url, username) = (url.to_owned(), self.username.clone());
        self.runtime.spawn(async move {
            if let Err(e) = tokenhop_sandbox::browser::complete_sign_in(&url, &username).await {
                eprintln!("sandbox sign-in failed: {e}");
            }
        });
        Ok(())
    }
}

/// The sandbox's own profile, with the client authentication under test.
fn profile(sandbox: &Sandbox, auth: ClientAuth) -> Profile {
    let mut profile: Profile =
        toml::from_str(&sandbox.profile_toml("Sandbox newman")).expect("the sandbox profile parses");
    profile.ias.as_mut().expect("the sandbox profile has IAS").client_auth = auth;
    profile.xsuaa.as_mut().expect("the sandbox profile has XSUAA").client_auth = auth;
    profile
}

fn client_secrets(config: &SandboxConfig) -> ExportSecrets {
    ExportSecrets {
        entra: None,
        ias: Some(Secret::new(config.ias_client_secret.clone())),
        xsuaa: Some(Secret::new(config.xsuaa_client_secret.clone())),
    }
}

/// Runs the whole chain with the engine, as the app and CLI do.
async fn real_run(sandbox: &Sandbox, profile: &Profile) -> RunReport {
    let config = sandbox.config();
    let secrets = MemoryStore::new();
    secrets.set(SLUG, SecretKind::IasClientSecret, &Secret::new(config.ias_client_secret.clone())).unwrap();
    secrets.set(SLUG, SecretKind::XsuaaClientSecret, &Secret::new(config.xsuaa_client_secret.clone())).unwrap();
    let browser =
        SandboxBrowser { runtime: tokio::runtime::Handle::current(), username: config.users[0].username.clone() };
    let engine = Engine::new(HttpClient::new(HttpConfig::default()).unwrap(), Box::new(browser));
    let request =
        RunRequest { profile, slug: SLUG, until: None, secrets: &secrets, sign_in: Default::default(), refresh: false };
    let report = chain::run(&engine, request, &|_| {}, CancellationToken::new()).await;
    let failed: Vec<_> = report.steps.iter().filter(|s| !s.ok).map(|s| (s.step, s.error.clone())).collect();
    assert!(report.ok, "the run to export must succeed: {failed:?}");
    report
}

fn newman_js() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("newman/node_modules/newman/bin/newman.js")
}

/// Fails (never skips) when node or newman is missing.
async fn require_newman() {
    let node = Command::new("node").arg("--version").output().await;
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is required for the newman tests (install Node.js 18+): {node:?}"
    );
    assert!(
        newman_js().is_file(),
        "newman is not installed at {}: run `npm ci` in tests/newman (cargo xtask test does)",
        newman_js().display()
    );
}

fn show(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Exports `report` as Postman files into `dir`; returns (collection, environment).
fn export_postman(
    profile: &Profile,
    report: &RunReport,
    secrets: Option<ExportSecrets>,
    dir: &Path,
) -> (PathBuf, PathBuf) {
    let options = ExportOptions {
        now: time::OffsetDateTime::now_utc(),
        ids: IdSource::random(),
        secrets,
        client_certificates: None,
    };
    let files = render(ExportFormat::Postman, profile, report, &options).unwrap();
    let paths = write_files(&files, dir).unwrap();
    (paths[0].clone(), paths[1].clone())
}

/// `newman run` with the JSON reporter; returns the report's `run` object and the exported environment.
async fn newman(dir: &Path, collection: &Path, environment: &Path, extra: &[&str]) -> (Value, Value) {
    let report = dir.join("newman-report.json");
    let env_out = dir.join("newman-environment.json");
    let output = Command::new("node")
        .arg(newman_js())
        .args(["run".as_ref(), collection.as_os_str(), "-e".as_ref(), environment.as_os_str()])
        .args(["--reporters", "cli,json", "--reporter-json-export"])
        .arg(&report)
        .arg("--export-environment")
        .arg(&env_out)
        .args(["--timeout-request", "15000", "--disable-unicode", "--color", "off"])
        .args(extra)
        .output()
        .await
        .expect("node runs");
    let json = |p: &Path| -> Value {
        let text = std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("newman wrote no {} ({e}):\n{}", p.display(), show(&output)));
        serde_json::from_str(&text).unwrap()
    };
    let run = json(&report)["run"].clone();
    assert!(output.status.success(), "newman failed:\n{}", show(&output));
    (run, json(&env_out))
}

fn env_value<'a>(env: &'a Value, key: &str) -> Option<&'a str> {
    env["values"].as_array()?.iter().find(|v| v["key"] == key)?["value"].as_str()
}

/// Every request answered 200 and every assertion passed.
fn assert_all_passed(run: &Value, case: &str) {
    let failures = run["failures"].as_array().unwrap();
    assert!(failures.is_empty(), "{case}: newman reported failures: {failures:#?}");
    let stats = &run["stats"];
    assert_eq!(stats["assertions"]["failed"], 0, "{case}: {stats}");
    assert!(stats["assertions"]["total"].as_u64().unwrap() >= 7, "{case}: every request asserts something: {stats}");
    for kind in ["requests", "testScripts", "prerequestScripts"] {
        assert_eq!(stats[kind]["failed"], 0, "{case}: {kind} failed: {stats}");
    }
    let executions = run["executions"].as_array().unwrap();
    let names: Vec<&str> = executions.iter().map(|e| e["item"]["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Entra: sign in", "IAS: exchange Entra token", "XSUAA: exchange IAS token", "API: call"],
        "{case}"
    );
    for e in executions {
        assert_eq!(e["response"]["code"], 200, "{case}: {} must get 200", e["item"]["name"]);
    }
}

async fn newman_replays_the_chain(auth: ClientAuth) {
    require_newman().await;
    let sandbox = Sandbox::start(SandboxConfig::default()).await.expect("the sandbox starts");
    let profile = profile(&sandbox, auth);
    let report = real_run(&sandbox, &profile).await;
    let dir = tempfile::tempdir().unwrap();
    let case = format!("{auth:?} client auth");

    let (collection, environment) =
        export_postman(&profile, &report, Some(client_secrets(sandbox.config())), dir.path());
    let (run, env_after) = newman(dir.path(), &collection, &environment, &[]).await;
    assert_all_passed(&run, &case);
    let exported = report.steps[1].token("id_token").unwrap();
    let replayed = env_value(&env_after, "ias_id_token").expect("the test script stored the IAS ID token");
    assert_ne!(replayed, exported, "{case}: the collection replays the exchange and stores the new token");
    assert!(
        env_value(&env_after, "xsuaa_access_token").is_some_and(|t| t.split('.').count() == 3),
        "{case}: XSUAA token stored"
    );

    // Without the opt-in the secrets are empty and disabled; supplying them on the command line works.
    let (collection, environment) = export_postman(&profile, &report, None, dir.path());
    let config = sandbox.config();
    let ias = format!("ias_client_secret={}", config.ias_client_secret);
    let xsuaa = format!("xsuaa_client_secret={}", config.xsuaa_client_secret);
    let (run, _) = newman(dir.path(), &collection, &environment, &["--env-var", &ias, "--env-var", &xsuaa]).await;
    assert_all_passed(&run, &format!("{case}, secrets given with --env-var"));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newman_replays_the_exported_chain_with_basic_client_auth() {
    newman_replays_the_chain(ClientAuth::Basic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newman_replays_the_exported_chain_with_post_client_auth() {
    newman_replays_the_chain(ClientAuth::Post).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_curl_script_and_env_file_work_against_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.expect("the sandbox starts");
    let config = sandbox.config().clone();
    let dir = tempfile::tempdir().unwrap();
    for auth in [ClientAuth::Basic, ClientAuth::Post] {
        let profile = profile(&sandbox, auth);
        let report = real_run(&sandbox, &profile).await;
        let options = ExportOptions {
            now: time::OffsetDateTime::now_utc(),
            ids: IdSource::random(),
            secrets: None,
            client_certificates: None,
        };
        let script = write_files(&render(ExportFormat::Curl, &profile, &report, &options).unwrap(), dir.path())
            .unwrap()
            .remove(0);
        let output = Command::new("bash")
            .arg(&script)
            .env("TOKENHOP_IAS_CLIENT_SECRET", &config.ias_client_secret)
            .env("TOKENHOP_XSUAA_CLIENT_SECRET", &config.xsuaa_client_secret)
            .env_remove("ENTRA_ID_TOKEN")
            .output()
            .await
            .unwrap();
        assert!(output.status.success(), "{auth:?}: the curl script must replay the chain:\n{}", show(&output));
        let answer: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{auth:?}: the API's JSON answer is printed ({e}):\n{}", show(&output)));
        assert!(answer.is_object(), "{auth:?}: {answer}");

        let wrong = Command::new("bash")
            .arg(&script)
            .env("TOKENHOP_IAS_CLIENT_SECRET", "wrong")
            .env("TOKENHOP_XSUAA_CLIENT_SECRET", "wrong")
            .output()
            .await
            .unwrap();
        assert!(!wrong.status.success(), "{auth:?}: a wrong secret must fail the script");
        assert!(
            String::from_utf8_lossy(&wrong.stderr).contains("IAS refused the request"),
            "{auth:?}: says which hop failed:\n{}",
            show(&wrong)
        );

        let env_file = write_files(&render(ExportFormat::Env, &profile, &report, &options).unwrap(), dir.path())
            .unwrap()
            .remove(0);
        let api = &sandbox.urls().api;
        let sourced = Command::new("bash")
            .args(["-c", r#"set -euo pipefail; source "$1"; curl --silent --show-error --fail-with-body -H "authorization: Bearer $XSUAA_ACCESS_TOKEN" "$2""#, "env-test"])
            .arg(&env_file)
            .arg(api)
            .output()
            .await
            .unwrap();
        assert!(sourced.status.success(), "{auth:?}: the .env's XSUAA token must open the API:\n{}", show(&sourced));
    }
    sandbox.shutdown().await;
}

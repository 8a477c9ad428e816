//! `tokenhop-cli run NAME… | --env ENV` as a CI pipeline uses it: three tenants against a real sandbox, one
//! of them failing at IAS (its IAS client id is not registered there). The sign-ins use the password flow,
//! so no browser is involved; the JUnit report is validated against the published Ant/Jenkins schema.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use tokenhop_sandbox::{Sandbox, SandboxConfig};

const USER: &str = "alice@sandbox.onmicrosoft.com";
const NAMES: [&str; 3] = ["Tenant A", "Tenant B", "Tenant C"];
/// Tenant C's IAS application, unknown to the sandbox's IAS.
const UNKNOWN_IAS_CLIENT: &str = "0e0e0e0e-1111-4222-8333-444455556666";

struct Setup {
    sandbox: Sandbox,
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    out: std::path::PathBuf,
}

/// Three password-flow profiles of the sandbox in the environment `test`; Tenant C has a wrong IAS client.
async fn setup() -> Setup {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let template = sandbox.profile_toml("Sandbox");
    for name in NAMES {
        let mut toml = template
            .replacen("name = \"Sandbox\"", &format!("name = \"{name}\"\nenvironment = \"test\""), 1)
            .replacen("flow = \"authorization-code\"", &format!("flow = \"password\"\nusername = \"{USER}\""), 1);
        if name == "Tenant C" {
            toml = toml.replacen(&sandbox.config().ias_client_id, UNKNOWN_IAS_CLIENT, 1);
        }
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, toml).unwrap();
        let import = cli(&config, &sandbox).args(["profile", "import"]).arg(&file).output().unwrap();
        assert!(import.status.success(), "import {name}: {}", String::from_utf8_lossy(&import.stderr));
    }
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    Setup { sandbox, _dir: dir, config, out }
}

fn cli(config: &Path, sandbox: &Sandbox) -> Command {
    let c = sandbox.config();
    let password = &c.user(USER).unwrap().password;
    let mut cmd = Command::cargo_bin("tokenhop-cli").unwrap();
    cmd.arg("--config-dir")
        .arg(config)
        .env("TOKENHOP_IAS_CLIENT_SECRET", &c.ias_client_secret)
        .env("TOKENHOP_XSUAA_CLIENT_SECRET", &c.xsuaa_client_secret)
        .env("TOKENHOP_ENTRA_PASSWORD", password)
        // A browser would be a mistake here: make it fail loudly.
        .env("TOKENHOP_BROWSER", "false");
    cmd
}

async fn run(s: &Setup, args: &[&str]) -> Output {
    let mut cmd = cli(&s.config, &s.sandbox);
    cmd.arg("run").args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_tenants_one_failing_at_ias_give_a_table_a_junit_report_and_exit_1() {
    let s = setup().await;
    let junit = s.out.join("report.xml");
    let out = run(&s, &["--env", "TEST", "--parallel", "3", "--junit", junit.to_str().unwrap()]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));

    assert_eq!(
        out.status.code(),
        Some(1),
        "one broken tenant fails the whole run\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["PROFILE", "ENTRA", "IAS", "XSUAA", "API"],
        "{stdout}"
    );
    for (line, name) in lines[1..4].iter().zip(NAMES) {
        assert!(line.starts_with(name), "rows in name order:\n{stdout}");
        let cells = line.matches('✓').count();
        if name == "Tenant C" {
            assert_eq!(cells, 1, "only Entra passes for Tenant C:\n{stdout}");
            assert!(line.contains("✗") && line.contains(" ias."), "the IAS cell names the diagnosis code:\n{stdout}");
            assert_eq!(line.matches('–').count(), 2, "XSUAA and the API were not reached:\n{stdout}");
        } else {
            assert_eq!(cells, 4, "every hop passes for {name}:\n{stdout}");
        }
    }
    assert_eq!(lines[4], "2 of 3 profiles got through; broken: Tenant C at ias");
    assert!(stderr.contains("[Tenant C] → ias"), "progress is prefixed with the profile:\n{stderr}");
    assert!(!stderr.contains("signing in"), "password sign-ins do not wait for a turn:\n{stderr}");

    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    validate_against_schema(&junit);
    assert_eq!(xml.matches("<testsuite ").count(), 3, "one testsuite per profile:\n{xml}");
    for name in NAMES {
        assert!(xml.contains(&format!("<testsuite name=\"{name}\"")), "suites are named after the profiles:\n{xml}");
    }
    assert_eq!(xml.matches("<testcase ").count(), 12, "one testcase per hop asked for:\n{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(
        xml.contains("<failure message=") && xml.contains("type=\"ias."),
        "the failure's type is the diagnosis code:\n{xml}"
    );
    assert!(xml.contains("hint: "), "the failure holds the hint:\n{xml}");
    assert!(xml.contains("response:\nHTTP 401"), "and the verbatim response:\n{xml}");
    assert_eq!(xml.matches("<skipped/>").count(), 2, "the hops after the failure are skipped:\n{xml}");
    let c = s.sandbox.config();
    for secret in [&c.ias_client_secret, &c.xsuaa_client_secret, &c.user(USER).unwrap().password] {
        assert!(
            !xml.contains(secret.as_str()) && !stdout.contains(secret.as_str()),
            "no secret in the report or output"
        );
    }
    assert!(!xml.contains("eyJ"), "no token in the report:\n{xml}");
    s.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_holds_every_run_and_one_name_keeps_the_single_run_shape() {
    let s = setup().await;

    let out = run(&s, &["Tenant A", "tenant-c", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    assert_eq!(json["ok"], false);
    let runs = json["runs"].as_array().unwrap();
    let profiles: Vec<&str> = runs.iter().map(|r| r["profile"].as_str().unwrap()).collect();
    assert_eq!(profiles, ["Tenant A", "Tenant C"], "runs in the order the names were given");
    assert_eq!(runs[0]["ok"], true);
    assert_eq!(runs[0]["steps"].as_array().unwrap().len(), 4);
    let failed = &runs[1]["steps"][1];
    assert_eq!((failed["step"].as_str(), failed["ok"].as_bool()), (Some("ias"), Some(false)));
    assert!(failed["error"]["code"].as_str().unwrap().starts_with("ias."), "{failed}");

    let out = run(&s, &["--all", "--json", "--parallel", "1"]).await;
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 3, "--all runs every profile");

    let out = run(&s, &["Tenant A", "Tenant B", "--json"]).await;
    assert!(out.status.success(), "exit 0 when every run succeeded: {}", text(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["ok"], true);

    let junit = s.out.join("one.xml");
    let out = run(&s, &["Tenant B", "--json", "--junit", junit.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["profile"], "Tenant B", "one NAME keeps today's single-run object: {json}");
    assert!(json.get("runs").is_none());
    validate_against_schema(&junit);

    let out = run(&s, &["--env", "prod"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("No profile has the environment “prod”"), "{}", text(&out.stderr));
    s.sandbox.shutdown().await;
}

/// `xmllint --schema` against the vendored Ant/Jenkins JUnit schema. Missing xmllint skips locally and fails
/// under CI, where `cargo xtask setup` installs it.
fn validate_against_schema(xml: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit/JUnit.xsd");
    let out = match Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(xml).output() {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping the schema check: xmllint could not run ({e}); `cargo xtask setup` installs it");
            return;
        }
        Err(e) => panic!("xmllint is needed to validate the JUnit report (libxml2-utils): {e}"),
    };
    assert!(
        out.status.success(),
        "the JUnit report must validate against JUnit.xsd:\n{}\n{}",
        text(&out.stderr),
        std::fs::read_to_string(xml).unwrap()
    );
}

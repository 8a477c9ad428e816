//! Certificate bindings end to end: `tokenhop-cli run` over mutual TLS against a sandbox serving X.509 bindings
//! (IAS over TLS, XSUAA's certificate host, the sandbox's own CA), and the failures users meet, each diagnosed at
//! the hop where it happens.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use tokenhop_e2e::browser::HeadlessBrowser;
use tokenhop_sandbox::{ClientCredential, Sandbox, SandboxConfig};

const USER: &str = "alice@sandbox.onmicrosoft.com";

struct Setup {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    ca: PathBuf,
    ias: ClientCredential,
    xsuaa: ClientCredential,
}

async fn setup() -> Setup {
    let config = SandboxConfig { auto_sign_in: Some(USER.into()), x509: true, ..SandboxConfig::default() };
    let sandbox = Sandbox::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("sandbox-ca.pem");
    std::fs::write(&ca, sandbox.ca_pem().expect("an x509 sandbox has a CA")).unwrap();
    let yesterday = SystemTime::now() - Duration::from_secs(86_400);
    let week = Duration::from_secs(7 * 86_400);
    let ias = sandbox.issue_client_certificate(&sandbox.config().ias_client_id, yesterday, week).unwrap();
    let xsuaa = sandbox.issue_client_certificate(&sandbox.config().xsuaa_client_id, yesterday, week).unwrap();
    Setup { sandbox, dir, ca, ias, xsuaa }
}

impl Setup {
    /// Imports the x509 profile (with or without `ca_file`) into a fresh config dir; returns that dir.
    fn import(&self, with_ca_file: bool) -> PathBuf {
        let config = self.dir.path().join(if with_ca_file { "config" } else { "config-no-ca" });
        let mut toml = self.sandbox.x509_profile_toml("Sandbox", &self.ca.display().to_string());
        if !with_ca_file {
            toml = toml.lines().filter(|l| !l.starts_with("ca_file")).collect::<Vec<_>>().join("\n");
        }
        let file = self.dir.path().join("x509.toml");
        std::fs::write(&file, toml).unwrap();
        let out = self.cli(&config, &self.ias, &self.xsuaa).args(["profile", "import"]).arg(&file).output().unwrap();
        assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
        config
    }

    /// The CLI with the certificates and keys given as the documented environment overrides (PEM).
    fn cli(&self, config: &Path, ias: &ClientCredential, xsuaa: &ClientCredential) -> Command {
        let mut cmd = Command::cargo_bin("tokenhop-cli").unwrap();
        cmd.arg("--config-dir")
            .arg(config)
            .env("TOKENHOP_IAS_CLIENT_CERTIFICATE", &ias.certificate)
            .env("TOKENHOP_IAS_CLIENT_KEY", &ias.key)
            .env("TOKENHOP_XSUAA_CLIENT_CERTIFICATE", &xsuaa.certificate)
            .env("TOKENHOP_XSUAA_CLIENT_KEY", &xsuaa.key)
            .env_remove("TOKENHOP_IAS_CLIENT_SECRET")
            .env_remove("TOKENHOP_XSUAA_CLIENT_SECRET")
            .env_remove("TOKENHOP_BROWSER");
        cmd
    }
}

/// Runs `cmd` with `run Sandbox --json` and the headless browser; returns the report.
async fn run_json(cmd: Command, browser: &HeadlessBrowser, until: &str) -> Value {
    run_json_with(cmd, browser, until, &[]).await
}

/// [`run_json`] with more arguments of `run`.
async fn run_json_with(mut cmd: Command, browser: &HeadlessBrowser, until: &str, extra: &[&std::ffi::OsStr]) -> Value {
    cmd.args(["run", "Sandbox", "--json", "--timeout", "60", "--until", until, "--browser"]).arg(browser.command());
    cmd.args(extra);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("PRIVATE KEY"), "no key material in the CLI's output");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is JSON ({e}); stderr:\n{stderr}"))
}

/// The step that failed and its diagnosis code.
fn failure(report: &Value) -> (String, String) {
    let steps = report["steps"].as_array().unwrap();
    let last = steps.last().unwrap();
    assert_eq!(last["ok"], false, "the last step failed: {report}");
    (last["step"].as_str().unwrap().to_owned(), last["error"]["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_runs_over_mutual_tls_with_certificates_at_ias_and_xsuaa() {
    let s = setup().await;
    let browser = HeadlessBrowser::new();
    let config = s.import(true);
    let report = run_json(s.cli(&config, &s.ias, &s.xsuaa), &browser, "api").await;
    assert_eq!(report["ok"], true, "the chain succeeds on certificates: {report}");
    for step in &report["steps"].as_array().unwrap()[1..3] {
        let cert_check = step["checks"].as_array().unwrap().iter().find(|c| c["name"] == "client_certificate");
        let cert_check = cert_check.unwrap_or_else(|| panic!("{} shows the client certificate: {step}", step["step"]));
        assert!(cert_check["detail"].as_str().unwrap().contains("valid until"), "{cert_check}");
    }
    let issued = s.sandbox.last_issued();
    let seen = format!("{issued:?}");
    assert!(seen.contains("tls_client_auth"), "the sandbox saw certificate client authentication: {seen}");
    assert!(!seen.contains("client_secret"), "no secret was sent: {seen}");

    // SSL_CERT_FILE replaces the OS trust store (rustls-native-certs): with the sandbox CA there, no ca_file is needed.
    let config = s.import(false);
    let mut cmd = s.cli(&config, &s.ias, &s.xsuaa);
    cmd.env("SSL_CERT_FILE", &s.ca).env_remove("SSL_CERT_DIR");
    let report = run_json(cmd, &browser, "xsuaa").await;
    assert_eq!(report["ok"], true, "SSL_CERT_FILE is honoured: {report}");
    s.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_failures_are_diagnosed_at_the_hop_where_they_happen() {
    let s = setup().await;
    let browser = HeadlessBrowser::new();
    let config = s.import(true);
    let ias_id = s.sandbox.config().ias_client_id.clone();
    let xsuaa_id = s.sandbox.config().xsuaa_client_id.clone();

    // Missing CA: the IAS host's certificate is issued by a CA this computer does not trust.
    let no_ca = s.import(false);
    let report = run_json(s.cli(&no_ca, &s.ias, &s.xsuaa), &browser, "xsuaa").await;
    assert_eq!(failure(&report), ("ias".into(), "tls.unknown_ca".into()), "{report}");
    let message = report["steps"][1]["error"]["message"].as_str().unwrap();
    assert!(message.contains("127.0.0.1:"), "the diagnosis names the host: {message}");

    // A certificate from another CA: XSUAA's certificate host refuses it in the handshake.
    let other = Sandbox::start(SandboxConfig { x509: true, ..SandboxConfig::default() }).await.unwrap();
    let foreign = other
        .issue_client_certificate(&xsuaa_id, SystemTime::now() - Duration::from_secs(60), Duration::from_secs(86_400))
        .unwrap();
    let report = run_json(s.cli(&config, &s.ias, &foreign), &browser, "xsuaa").await;
    assert_eq!(failure(&report), ("xsuaa".into(), "tls.client_certificate_refused".into()), "{report}");

    // A valid certificate of another client: IAS refuses the client authentication.
    let report = run_json(s.cli(&config, &s.xsuaa, &s.xsuaa), &browser, "ias").await;
    assert_eq!(failure(&report), ("ias".into(), "ias.invalid_client".into()), "{report}");

    // An expired certificate: refused before anything is sent, naming notAfter.
    let expired = s
        .sandbox
        .issue_client_certificate(
            &xsuaa_id,
            SystemTime::now() - Duration::from_secs(10 * 86_400),
            Duration::from_secs(7 * 86_400),
        )
        .unwrap();
    let report = run_json(s.cli(&config, &s.ias, &expired), &browser, "xsuaa").await;
    assert_eq!(failure(&report), ("xsuaa".into(), "certificate.expired".into()), "{report}");
    assert!(report["steps"][2]["error"]["message"].as_str().unwrap().contains("expired on"), "{report}");

    // A key that does not belong to the certificate.
    let mismatched = ClientCredential { certificate: s.xsuaa.certificate.clone(), key: s.ias.key.clone() };
    let report = run_json(s.cli(&config, &s.ias, &mismatched), &browser, "xsuaa").await;
    assert_eq!(failure(&report), ("xsuaa".into(), "certificate.key_mismatch".into()), "{report}");
    let _ = ias_id;
    other.shutdown().await;
    s.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_curl_export_with_written_client_certificates_replays_the_chain_over_mutual_tls() {
    let s = setup().await;
    let browser = HeadlessBrowser::new();
    let config = s.import(true);
    let out_dir = s.dir.path().join("export");
    std::fs::create_dir(&out_dir).unwrap();
    let extra =
        ["--export".as_ref(), "curl".as_ref(), "--out".as_ref(), out_dir.as_os_str(), "--write-client-certs".as_ref()];
    let report = run_json_with(s.cli(&config, &s.ias, &s.xsuaa), &browser, "api", &extra).await;
    assert_eq!(report["ok"], true, "{report}");
    let mut names: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 5, "the script and both clients' certificate and key, on request: {names:?}");
    let script = out_dir.join(names.iter().find(|n| n.ends_with(".sh")).unwrap());
    // The script runs from elsewhere with no TokenHop variables: the key files beside it are found by its own path.
    let out = Command::new("bash")
        .arg(&script)
        .current_dir(s.dir.path())
        .env("CURL_CA_BUNDLE", &s.ca)
        .env_remove("TOKENHOP_IAS_CLIENT_CERT_FILE")
        .env_remove("TOKENHOP_XSUAA_CLIENT_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the exported script replays IAS and XSUAA with the written certificates: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.sandbox.shutdown().await;
}

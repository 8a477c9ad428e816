//! The shell-facing exports run where users run them: the curl script is valid bash, its Basic-auth
//! helper encodes exactly as RFC 6749 §2.3.1 (and the engine) does — with python3 and with the jq
//! fallback — and the `.env` gives back the run's tokens byte for byte when sourced.

#[path = "export_fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::Command;

use tokenhop_core::diagnose::Diagnose;
use tokenhop_core::export::{render, write_files, ExportFormat};
use tokenhop_core::profile::ClientAuth;

fn curl_script(ias: ClientAuth, xsuaa: ClientAuth, secrets: bool) -> String {
    let options = if secrets { fixture::options_with_secrets() } else { fixture::options() };
    render(ExportFormat::Curl, &fixture::profile(ias, xsuaa), &fixture::report(), &options).unwrap().remove(0).contents
}

#[test]
fn the_curl_script_is_valid_bash_for_every_client_auth() {
    for (ias, xsuaa) in [
        (ClientAuth::Basic, ClientAuth::Basic),
        (ClientAuth::Post, ClientAuth::Post),
        (ClientAuth::Basic, ClientAuth::Post),
    ] {
        for secrets in [false, true] {
            let script = curl_script(ias, xsuaa, secrets);
            let out = Command::new("bash").args(["-n", "-c", &script]).output().expect("bash runs");
            assert!(out.status.success(), "{ias:?}/{xsuaa:?}: bash -n: {}", String::from_utf8_lossy(&out.stderr));
            assert!(script.starts_with("#!/usr/bin/env bash\n") && script.contains("\nset -euo pipefail\n"));
        }
    }
}

#[test]
fn client_secrets_are_read_from_the_environment_unless_opted_in() {
    let script = curl_script(ClientAuth::Basic, ClientAuth::Post, false);
    assert!(
        !script.contains(fixture::IAS_SECRET) && !script.contains(fixture::XSUAA_SECRET),
        "no secret without opt-in"
    );
    assert!(
        script.contains("IAS_CLIENT_SECRET=${TOKENHOP_IAS_CLIENT_SECRET:?"),
        "a missing env var stops the script with a message"
    );
    assert!(script.contains("XSUAA_CLIENT_SECRET=${TOKENHOP_XSUAA_CLIENT_SECRET:?"));
    let script = curl_script(ClientAuth::Basic, ClientAuth::Post, true);
    assert!(script.contains("${TOKENHOP_IAS_CLIENT_SECRET:-"), "opted in: the environment still wins");
}

#[test]
fn certificate_clients_get_cert_and_key_files_and_no_secret() {
    let script = curl_script(ClientAuth::X509, ClientAuth::X509, true);
    let out = Command::new("bash").args(["-n", "-c", &script]).output().expect("bash runs");
    assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
    assert!(script.contains("--cert \"$XSUAA_CLIENT_CERT_FILE\" --key \"$XSUAA_CLIENT_KEY_FILE\""), "{script}");
    assert!(script.contains("XSUAA_CLIENT_KEY_FILE=${TOKENHOP_XSUAA_CLIENT_KEY_FILE:?"), "the user names the key file");
    assert!(
        script.contains("https://acme-dev.authentication.cert.eu10.hana.ondemand.com/oauth/token"),
        "XSUAA's cert host"
    );
    assert!(!script.contains("CLIENT_SECRET"), "a certificate client sends no secret");
    assert!(script.contains("never writes them"), "the note says where the key is not");
    let postman = render(
        ExportFormat::Postman,
        &fixture::profile(ClientAuth::X509, ClientAuth::X509),
        &fixture::report(),
        &fixture::options(),
    )
    .unwrap()
    .remove(0)
    .contents;
    assert!(postman.contains("Settings → Certificates"), "Postman keeps client certificates per host");
    let http = render(
        ExportFormat::Http,
        &fixture::profile(ClientAuth::X509, ClientAuth::Post),
        &fixture::report(),
        &fixture::options(),
    )
    .unwrap()
    .remove(0)
    .contents;
    assert!(http.contains("# ias authenticates the client by certificate"), "{http}");
    assert!(http.contains("@xsuaa_client_secret"), "XSUAA on a secret keeps its variable");
}

#[test]
fn on_request_the_curl_export_writes_the_client_certificates_beside_the_script_owner_only() {
    use tokenhop_core::export::{write_files, ExportCertificate, ExportCertificates};
    let pair = |name: &str| ExportCertificate {
        certificate: format!("-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----"),
        key: tokenhop_core::Secret::new(format!("-----BEGIN PRIVATE KEY-----\n{name}-key\n-----END PRIVATE KEY-----")),
    };
    let mut options = fixture::options();
    options.client_certificates = Some(ExportCertificates { ias: Some(pair("ias")), xsuaa: Some(pair("xsuaa")) });
    let profile = fixture::profile(ClientAuth::Post, ClientAuth::X509);
    let files = render(ExportFormat::Curl, &profile, &fixture::report(), &options).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names.len(), 3, "the script, XSUAA's certificate and key; IAS is on a secret: {names:?}");
    assert!(names[1].ends_with("-xsuaa-client.crt") && names[2].ends_with("-xsuaa-client.key"), "{names:?}");
    let script = &files[0].contents;
    let out = Command::new("bash").args(["-n", "-c", script]).output().expect("bash runs");
    assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        script.contains(&format!(
            "XSUAA_CLIENT_KEY_FILE=${{TOKENHOP_XSUAA_CLIENT_KEY_FILE:-\"$SCRIPT_DIR\"/{}}}",
            names[2]
        )),
        "the script defaults to the key beside it: {script}"
    );
    assert!(script.contains("at your request TokenHop wrote"), "the script says the key was written, and why");
    assert!(files[2].contents.contains("xsuaa-key"), "the key file holds the key");
    let dir = tempfile::tempdir().unwrap();
    let paths = write_files(&files, dir.path()).unwrap();
    #[cfg(unix)]
    for path in &paths {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} must be readable by the owner only", path.display());
    }
    // Without the request, nothing but the script, which names the files it needs.
    let files = render(ExportFormat::Curl, &profile, &fixture::report(), &fixture::options()).unwrap();
    assert_eq!(files.len(), 1, "no key file unless asked for");
    assert!(files[0].contents.contains("XSUAA_CLIENT_KEY_FILE=${TOKENHOP_XSUAA_CLIENT_KEY_FILE:?"));
    assert!(!files[0].contents.contains("SCRIPT_DIR"));
}

/// The script's helper functions, sourced without running any step.
fn helpers(script: &str) -> &str {
    let start = script.find("# --- Helpers ---").expect("helpers section");
    let end = script[start..].find("\n# --- IAS").map_or(script.len(), |i| start + i);
    &script[start..end]
}

fn basic_auth_in_bash(id: &str, secret: &str, path: Option<&Path>) -> String {
    let script = curl_script(ClientAuth::Basic, ClientAuth::Basic, false);
    let program = format!("{}\nbasic_auth \"$1\" \"$2\"", helpers(&script));
    let mut cmd = Command::new(which("bash").expect("bash is installed"));
    cmd.args(["-c", &program, "helper", id, secret]);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.output().expect("bash runs");
    assert!(out.status.success(), "basic_auth failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

fn decoded(header: &str) -> String {
    use base64::Engine as _;
    let b64 = header.strip_prefix("Authorization: Basic ").unwrap_or_else(|| panic!("not a Basic header: {header}"));
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
}

/// Form-decoding both sides compares what a server sees: python3 and jq may pick different (equally
/// valid) escapes for characters such as `~` and `*`.
fn form_decode(pair: &str) -> Vec<String> {
    pair.split(':')
        .map(|p| url::form_urlencoded::parse(format!("v={p}").as_bytes()).next().unwrap().1.into_owned())
        .collect()
}

const CASES: [(&str, &str); 3] = [
    ("sb-acme-orders!t12345", fixture::XSUAA_SECRET),
    ("0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f", fixture::IAS_SECRET),
    ("client with space", "pä:ss%word&=+"),
];

#[test]
fn the_scripts_basic_auth_form_encodes_like_the_engine() {
    for (id, secret) in CASES {
        let ours = decoded(&basic_auth_in_bash(id, secret, None));
        let engine = decoded(&format!("Authorization: {}", tokenhop_core::http::basic_auth(id, secret)));
        assert_eq!(form_decode(&ours), form_decode(&engine), "{id}: python3 path decodes to the same credentials");
        assert_eq!(form_decode(&ours), [id, secret], "{id}: the server recovers id and secret");
        assert!(!ours.contains('+') || !secret.contains('+') || ours.contains("%2B"), "a literal + is escaped");
    }
}

#[test]
fn the_scripts_basic_auth_falls_back_to_jq_without_python3() {
    let Ok(jq) = which("jq") else {
        panic!("jq is needed for this test (apt-get install jq); the script supports it as the python3 fallback");
    };
    // A PATH with the tools the helper needs, and no python3.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["base64", "tr", "cat"] {
        std::os::unix::fs::symlink(which(tool).unwrap(), bin.path().join(tool)).unwrap();
    }
    std::os::unix::fs::symlink(jq, bin.path().join("jq")).unwrap();
    std::os::unix::fs::symlink(which("bash").unwrap(), bin.path().join("curl")).unwrap(); // only `have curl` looks
    for (id, secret) in CASES {
        let ours = decoded(&basic_auth_in_bash(id, secret, Some(bin.path())));
        assert_eq!(form_decode(&ours), [id, secret], "{id}: the jq path encodes correctly too");
    }
}

fn which(tool: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn the_env_file_gives_back_every_token_of_the_run_when_sourced() {
    let report = fixture::report();
    let files = render(
        ExportFormat::Env,
        &fixture::profile(ClientAuth::Basic, ClientAuth::Basic),
        &report,
        &fixture::options(),
    )
    .unwrap();
    assert!(files[0].contains_tokens);
    let dir = tempfile::tempdir().unwrap();
    let path = write_files(&files, dir.path()).unwrap().remove(0);
    for step in &report.steps {
        for (name, token) in &step.tokens {
            let key = format!("{}_{}", step.step, name).to_uppercase();
            let out = Command::new("bash")
                .args(["-c", "set -eu; source \"$1\"; printf %s \"${!2}\"", "env-test"])
                .arg(&path)
                .arg(&key)
                .output()
                .unwrap();
            assert!(out.status.success(), "{key}: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(String::from_utf8(out.stdout).unwrap(), token.expose(), "{key} round-trips through bash");
        }
    }
    let text = &files[0].contents;
    assert!(!text.contains("https://") && !text.contains("SECRET"), ".env holds tokens only");
}

#[test]
fn an_env_export_of_a_run_without_tokens_is_refused() {
    let mut report = fixture::report();
    report.steps.iter_mut().for_each(|s| s.tokens.clear());
    let err = render(
        ExportFormat::Env,
        &fixture::profile(ClientAuth::Basic, ClientAuth::Basic),
        &report,
        &fixture::options(),
    )
    .unwrap_err();
    assert_eq!(err.diagnosis().code, "export.no_tokens");
}

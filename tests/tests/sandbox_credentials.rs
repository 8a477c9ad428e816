//! The Sandbox profile switched to other credentials in the real window; Entra signs in through headless Chromium.
//!
//! - Client certificates: IAS and XSUAA authenticate the demo clients over mutual TLS, XSUAA at its certificate host,
//!   as BTP's X.509 bindings do. The chain must go green with the certificate checks on both hops, Settings must
//!   show the certificates where the secrets were, and no private key may reach a file or the page. That the
//!   certificate host really demands a certificate is checked from outside the app: the same token request without
//!   one is refused in the TLS handshake, so the green chain can only have presented one.
//! - Client assertions: Entra (a confidential app) and IAS take JWTs signed with the demo key; the chain must go
//!   green on them.

#![cfg(unix)]

use serde_json::json;
use std::path::Path;
use tokenhop_e2e::selectors::chain::{node, RUN_BUTTON};
use tokenhop_e2e::selectors::testid;
use tokenhop_e2e::{wait::SHORT, wait::UI_LOADED, HeadlessBrowser, Launch, TestApp};

#[test]
fn the_sandbox_switched_to_certificates_runs_the_chain_over_mutual_tls() {
    let browser = HeadlessBrowser::new();
    let app = Launch::default()
        .signing_in_with(&browser)
        .start("the_sandbox_switched_to_certificates_runs_the_chain_over_mutual_tls");
    switch_the_sandbox_to(&app, "certificates");
    app.screenshot("01-certificates-chosen").expect("screenshot of the switch");

    let profile = sandbox_profile(&app);
    assert_eq!(profile["ias"]["client_auth"].as_str(), Some("x509"), "IAS on the certificate: {profile}");
    assert_eq!(profile["xsuaa"]["client_auth"].as_str(), Some("x509"), "XSUAA on the certificate: {profile}");
    let cert_url = profile["xsuaa"]["cert_url"].as_str().expect("XSUAA's certificate host").to_owned();
    let ca_file = profile["ca_file"].as_str().expect("the sandbox CA to trust").to_owned();
    let cert_host = cert_url.trim_start_matches("https://").trim_end_matches('/').to_owned();
    // The node's host may be cut short on screen; its tooltip holds the whole of it.
    let host = format!("{} .detail[title=\"{cert_host}\"]", node("xsuaa"));
    let named = app.find_all(&host).expect("reading the XSUAA node");
    assert_eq!(named.len(), 1, "the XSUAA node names the host the token request goes to ({cert_host})");

    run_to_the_api(&app, &browser);

    for step in ["ias", "xsuaa"] {
        app.click(&app.find(&node(step)).expect("the hop's node")).expect("opening the hop");
        let detail = format!("{}[data-step={step}]", testid("step-detail"));
        let check = format!("{detail} {}[data-name=client_certificate][data-ok=true]", testid("check"));
        app.wait_for_element(&check, SHORT).expect("the hop shows the valid certificate it presented");
    }
    app.screenshot("03-xsuaa-certificate-check").expect("screenshot of the XSUAA hop");

    // Settings shows the certificates where the secret fields would be.
    app.click(&app.find(&testid("profile-tab-settings")).expect("the Settings tab")).expect("opening Settings");
    for kind in ["ias", "xsuaa"] {
        let client = profile[kind]["client_id"].as_str().expect("the client's id");
        let card =
            format!("{} {}", testid(&format!("certificate-{kind}-client-certificate")), testid("certificate-subject"));
        let subject = app.wait_for_element(&card, SHORT).expect("the certificate card");
        let subject = app.text(&subject).expect("the subject");
        assert!(subject.contains(client), "the {kind} certificate is the demo client's: {subject:?}");
        let secret_field = app.find_all(&testid(&format!("secret-{kind}-client-secret"))).expect("reading Settings");
        assert!(secret_field.is_empty(), "no {kind} secret field for a certificate client");
    }
    app.screenshot("04-settings-certificates").expect("screenshot of Settings");

    let status = app.invoke("secrets_status", json!({ "slug": "sandbox" })).expect("the script ran");
    let status = status.expect("secrets_status answers for the Sandbox profile");
    for kind in ["ias-client-key", "xsuaa-client-key"] {
        assert_eq!(status[kind], "session", "the demo {kind} lives in this session only: {status}");
    }
    let curl = app.invoke("export_render", json!({ "format": "curl" })).expect("the script ran");
    let curl = curl.expect("the run can be exported");
    let curl = curl.as_str().expect("the export is text");
    assert!(curl.contains("--cert") && curl.contains(&cert_host), "curl presents the certificate there: {curl:.400}");
    assert!(!curl.contains("PRIVATE KEY"), "no key reaches the page");
    assert_no_private_key_under(&app.config_dir());

    let xsuaa_client = profile["xsuaa"]["client_id"].as_str().expect("XSUAA's client id");
    refused_without_a_certificate(&cert_url, &ca_file, xsuaa_client);
}

#[test]
fn the_sandbox_switched_to_client_assertions_signs_in_and_exchanges_with_them() {
    let browser = HeadlessBrowser::new();
    let app = Launch::default()
        .signing_in_with(&browser)
        .start("the_sandbox_switched_to_client_assertions_signs_in_and_exchanges_with_them");
    switch_the_sandbox_to(&app, "assertions");
    let profile = sandbox_profile(&app);
    assert_eq!(profile["entra"]["client_auth"].as_str(), Some("private-key-jwt"), "Entra on assertions: {profile}");
    assert_eq!(profile["ias"]["client_auth"].as_str(), Some("private-key-jwt"), "IAS on assertions: {profile}");

    run_to_the_api(&app, &browser);

    app.click(&app.find(&node("ias")).expect("the IAS node")).expect("opening the IAS hop");
    let check = format!("{}[data-step=ias] {}[data-name=client_certificate]", testid("step-detail"), testid("check"));
    app.wait_for_element(&check, SHORT).expect("the IAS hop shows the signing certificate's validity");
    app.screenshot("03-ias-assertion").expect("screenshot of the IAS hop");
    assert_no_private_key_under(&app.config_dir());
}

/// Waits for the Sandbox profile, on client secrets as it starts, and switches it to `credentials`.
fn switch_the_sandbox_to(app: &TestApp, credentials: &str) {
    app.wait_for_element(RUN_BUTTON, UI_LOADED).expect("the Sandbox profile opens with a Run button");
    let choice = testid("sandbox-credentials");
    app.wait_for_element(&format!("{choice}[data-current=secrets]"), SHORT).expect("the sandbox starts on secrets");
    let option = app.find(&testid(&format!("sandbox-credentials-{credentials}"))).expect("the choice");
    app.click(&option).expect("switching the sandbox");
    app.wait_for_element(&format!("{choice}[data-current={credentials}]"), SHORT).expect("the profile is switched");
}

/// Clicks Run and waits for the API node to turn ok, failing at once on a failed hop.
fn run_to_the_api(app: &TestApp, browser: &HeadlessBrowser) {
    app.click(&app.find(RUN_BUTTON).expect("the Run button")).expect("clicking Run");
    let finished = app.wait_for_api_ok();
    app.screenshot("02-chain-done").expect("screenshot of the finished chain");
    if let Err(err) = finished {
        panic!("{err:#}\nURLs the app opened: {:?}\nChromium said: {}", browser.opened(), browser.log());
    }
}

/// The Sandbox profile as the app wrote it.
fn sandbox_profile(app: &TestApp) -> toml::Value {
    let text = std::fs::read_to_string(app.config_dir().join("profiles/sandbox.toml")).expect("the profile file");
    toml::from_str(&text).expect("the profile parses")
}

fn assert_no_private_key_under(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("the config dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_no_private_key_under(&path);
        } else {
            let bytes = std::fs::read(&path).expect("a config file");
            assert!(!String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"), "a private key in {}", path.display());
        }
    }
}

/// The token request at the certificate host without a client certificate: the server trusts nobody without one.
fn refused_without_a_certificate(cert_url: &str, ca_file: &str, client_id: &str) {
    let ca = std::fs::read(ca_file).expect("the CA file the profile names");
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("a PEM CA"))
        .timeout(SHORT)
        .build()
        .expect("a client trusting the sandbox CA");
    let sent = client
        .post(format!("{cert_url}/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id)])
        .send();
    assert!(sent.is_err(), "the certificate host must refuse a client without a certificate: {sent:?}");
}

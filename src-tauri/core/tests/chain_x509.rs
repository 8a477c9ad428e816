//! The chain over mutual TLS (`client_auth = "x509"` at IAS and XSUAA) against the sandbox's certificate listeners,
//! and the engine's reuse of its certificate clients across runs.

mod common;

use common::*;
use tokenhop_core::Secret;
use tokenhop_sandbox::{Sandbox, SandboxConfig};

/// A sandbox serving X.509 bindings, the x509 profile with its CA in `dir`, and both bindings' certificates stored.
async fn start_x509(dir: &std::path::Path) -> Harness {
    let mut h = start_with(SandboxConfig { x509: true, ..SandboxConfig::default() }, ALICE).await;
    let ca = dir.join("sandbox-ca.pem");
    std::fs::write(&ca, h.sandbox.ca_pem().expect("an x509 sandbox has a CA")).unwrap();
    h.profile = toml::from_str(&h.sandbox.x509_profile_toml("Sandbox", ca.to_str().unwrap())).expect("parses");
    let c = h.sandbox.config().clone();
    for (client_id, cert, key) in [
        (&c.ias_client_id, SecretKind::IasClientCertificate, SecretKind::IasClientKey),
        (&c.xsuaa_client_id, SecretKind::XsuaaClientCertificate, SecretKind::XsuaaClientKey),
    ] {
        let binding = binding(&h.sandbox, client_id);
        h.secrets.set(SLUG, cert, &Secret::new(binding["certificate"].as_str().unwrap())).unwrap();
        h.secrets.set(SLUG, key, &Secret::new(binding["key"].as_str().unwrap())).unwrap();
    }
    h
}

fn binding(sandbox: &Sandbox, client_id: &str) -> serde_json::Value {
    sandbox.x509_service_key(client_id).expect("a demo client")["credentials"].clone()
}

#[tokio::test]
async fn two_runs_reuse_one_connection_per_certificate_instead_of_a_handshake_per_hop() {
    let dir = tempfile::tempdir().unwrap();
    let h = start_x509(dir.path()).await;
    let first = h.run().await;
    assert!(first.ok, "the chain passes over mutual TLS: {first:#?}");
    let after_first = h.sandbox.client_certificate_handshakes();
    assert_eq!(after_first, 2, "one handshake with IAS's certificate, one with XSUAA's");
    let second = h.run().await;
    assert!(second.ok, "{second:#?}");
    assert_eq!(
        h.sandbox.client_certificate_handshakes(),
        after_first,
        "the second run reuses the engine's certificate clients and their connections"
    );
}

#[tokio::test]
async fn runs_of_a_profile_with_a_ca_file_keep_its_client_and_fetched_keys() {
    let dir = tempfile::tempdir().unwrap();
    let h = start_x509(dir.path()).await;

    let first = h.run().await;
    assert!(first.ok, "the chain passes over mutual TLS: {first:#?}");
    let fetched = h.sandbox.last_issued().ias_keys_requests.len();
    assert!(fetched >= 1, "the first run fetched IAS's keys to check its token");
    let second = h.run().await;
    assert!(second.ok, "{second:#?}");
    assert_eq!(
        h.sandbox.last_issued().ias_keys_requests.len(),
        fetched,
        "the second run checks IAS's token with the keys the first fetched: one client and key cache per ca_file"
    );
}

#[tokio::test]
async fn a_ca_file_rewritten_with_another_ca_is_trusted_from_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let h = start_x509(dir.path()).await;
    assert!(h.run().await.ok, "the first sandbox's chain passes");

    // Another sandbox, with a CA of its own written over the same file (the app's sandbox after a restart).
    let other_dir = tempfile::tempdir().unwrap();
    let other = start_x509(other_dir.path()).await;
    std::fs::copy(other_dir.path().join("sandbox-ca.pem"), dir.path().join("sandbox-ca.pem")).unwrap();
    let mut profile = other.profile.clone();
    profile.ca_file = h.profile.ca_file.clone();
    let report = run_profile(&h.engine, &profile, &other.secrets, None, Default::default()).await;

    assert!(report.ok, "the same engine trusts the file's new CA, not the one it read before: {report:#?}");
}

//! The chain with client assertions (`private_key_jwt`): a confidential Entra app with a certificate credential and
//! an IAS application that trusts the client's key, against the sandbox, which checks the assertions as
//! docs/fidelity.md says the services do. Every failure is diagnosed at the hop that refused it.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use tokenhop_core::report::{RunReport, Step};
use tokenhop_sandbox::ClientCredential;
use tokenhop_sandbox::{Sandbox, SandboxConfig, Service};

/// A sandbox with a confidential Entra app, the private-key-jwt profile, and the demo key and certificate stored for
/// Entra and IAS (no client secret of either).
async fn start_pkjwt() -> Harness {
    let config = SandboxConfig { entra_confidential: true, ..SandboxConfig::default() };
    let mut h = start_with(config, ALICE).await;
    h.profile = toml::from_str(&h.sandbox.private_key_jwt_profile_toml("Sandbox")).expect("the profile parses");
    for kind in [SecretKind::EntraClientSecret, SecretKind::IasClientSecret] {
        h.secrets.delete(SLUG, kind).unwrap();
    }
    let credential = h.sandbox.private_key_jwt_credential();
    store(&h.secrets, SecretKind::EntraClientCertificate, SecretKind::EntraClientKey, &credential);
    store(&h.secrets, SecretKind::IasClientCertificate, SecretKind::IasClientKey, &credential);
    h
}

fn store(secrets: &MemoryStore, cert: SecretKind, key: SecretKind, credential: &ClientCredential) {
    secrets.set(SLUG, cert, &tokenhop_core::Secret::new(credential.certificate.as_str())).unwrap();
    secrets.set(SLUG, key, &tokenhop_core::Secret::new(credential.key.as_str())).unwrap();
}

fn failed_at(report: &RunReport, step: Step) -> &tokenhop_core::Diagnosis {
    let outcome = report.steps.iter().find(|s| !s.ok).unwrap_or_else(|| panic!("a step fails: {report:#?}"));
    assert_eq!(outcome.step, step, "the refusal is diagnosed at the hop that refused: {outcome:#?}");
    outcome.error.as_ref().expect("a failed step carries its diagnosis")
}

fn requests(sandbox: &Sandbox, service: Service) -> Vec<tokenhop_sandbox::RequestSeen> {
    sandbox.last_issued().requests.iter().filter(|r| r.service == service).cloned().collect()
}

#[tokio::test]
async fn entra_and_ias_accept_fresh_client_assertions_and_the_chain_reaches_the_api() {
    let h = start_pkjwt().await;
    assert!(h.profile.entra.client_auth.is_some_and(|a| a.uses_assertion()), "{:?}", h.profile.entra);
    let report = h.run().await;
    assert!(report.steps.iter().all(|s| s.ok), "every hop passes with client assertions: {report:#?}");
    let entra = requests(&h.sandbox, Service::Entra);
    assert!(entra.iter().all(|r| r.client_auth == "private_key_jwt"), "Entra got assertions, no secret: {entra:?}");
    let ias = requests(&h.sandbox, Service::Ias);
    assert!(ias.iter().all(|r| r.client_auth == "private_key_jwt"), "IAS got assertions, no secret: {ias:?}");
    for step in &report.steps[..2] {
        let body = step.http.as_ref().and_then(|h| h.request_body.clone()).unwrap_or_default();
        assert!(body.contains("client_assertion=***"), "the recorded request hides the assertion: {body}");
        assert!(!body.contains("eyJ"), "no JWT in the recorded request: {body}");
    }
    let ias_step = report.steps.iter().find(|s| s.step == Step::Ias).unwrap();
    assert!(
        ias_step.checks.iter().any(|c| c.name == "client_certificate"),
        "the stored certificate's validity is shown: {:?}",
        ias_step.checks
    );
    // A second run signs new assertions: IAS accepts a jti only once, and the cached sign-in is redeemed at Entra
    // with an assertion too.
    let again = h.run().await;
    assert!(again.steps.iter().all(|s| s.ok), "a second run signs fresh assertions: {again:#?}");
}

#[tokio::test]
async fn a_key_entra_has_no_certificate_for_is_refused_at_the_entra_hop() {
    let h = start_pkjwt().await;
    let rogue = h.sandbox.unregistered_key_credential();
    store(&h.secrets, SecretKind::EntraClientCertificate, SecretKind::EntraClientKey, &rogue);
    let d = failed_at(&h.run().await, Step::Entra).clone();
    assert_eq!(d.code, "entra.assertion_signature", "AADSTS700027: {d:?}");
    assert!(d.hint.contains("Certificates & secrets"), "the hint says where certificates are registered: {}", d.hint);
}

#[tokio::test]
async fn a_key_ias_does_not_trust_is_refused_at_the_ias_hop() {
    let h = start_pkjwt().await;
    let rogue = h.sandbox.unregistered_key_credential();
    store(&h.secrets, SecretKind::IasClientCertificate, SecretKind::IasClientKey, &rogue);
    let d = failed_at(&h.run().await, Step::Ias).clone();
    assert_eq!(d.code, "ias.invalid_client", "{d:?}");
    assert!(d.hint.contains("JSON Web Key Set"), "the hint names IAS's key trust: {}", d.hint);
}

#[tokio::test]
async fn the_profiles_key_id_names_the_ias_key_in_the_assertion() {
    let mut h = start_pkjwt().await;
    h.profile.ias.as_mut().unwrap().assertion_kid = Some(h.sandbox.private_key_jwt_kid());
    let report = h.run().await;
    assert!(report.ok, "IAS finds the key by the kid its key set lists: {report:#?}");

    // A kid the key set does not hold: IAS cannot pick the key, whatever signed the assertion.
    h.profile.ias.as_mut().unwrap().assertion_kid = Some("rotated-away".into());
    let d = failed_at(&h.run().await, Step::Ias).clone();
    assert_eq!(d.code, "ias.invalid_client", "{d:?}");
    assert!(d.hint.contains("assertion_kid"), "the hint names the setting: {}", d.hint);
}

#[tokio::test]
async fn an_assertion_signed_by_a_clock_ten_minutes_behind_is_out_of_its_window_at_entra() {
    let mut h = start_pkjwt().await;
    h.engine.clock = Arc::new(|| SystemTime::now() - Duration::from_secs(600));
    let d = failed_at(&h.run().await, Step::Entra).clone();
    assert_eq!(d.code, "entra.assertion_time", "AADSTS700024: {d:?}");
    assert!(d.hint.contains("clock"), "{}", d.hint);
}

#[tokio::test]
async fn entra_without_the_certificate_is_refused_before_anything_is_sent() {
    let h = start_pkjwt().await;
    h.secrets.delete(SLUG, SecretKind::EntraClientCertificate).unwrap();
    let d = failed_at(&h.run().await, Step::Entra).clone();
    assert_eq!(d.code, "certificate.thumbprint_missing", "x5t#S256 needs the certificate: {d:?}");
    assert!(requests(&h.sandbox, Service::Entra).iter().all(|r| r.grant_type().is_none()), "no token request was sent");
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_is_named_at_the_ias_hop() {
    let h = start_pkjwt().await;
    let (credential, rogue) = (h.sandbox.private_key_jwt_credential(), h.sandbox.unregistered_key_credential());
    let mismatched = ClientCredential { certificate: credential.certificate, key: rogue.key };
    store(&h.secrets, SecretKind::IasClientCertificate, SecretKind::IasClientKey, &mismatched);
    let d = failed_at(&h.run().await, Step::Ias).clone();
    assert_eq!(d.code, "certificate.key_mismatch", "{d:?}");
    assert!(requests(&h.sandbox, Service::Ias).is_empty(), "nothing was sent to IAS");
}

#[tokio::test]
async fn without_a_key_the_hop_says_which_secret_to_store() {
    let h = start_pkjwt().await;
    h.secrets.delete(SLUG, SecretKind::IasClientKey).unwrap();
    let d = failed_at(&h.run().await, Step::Ias).clone();
    assert_eq!(d.code, "secrets.missing");
    assert!(d.hint.contains("ias-client-key") && d.hint.contains("TOKENHOP_IAS_CLIENT_KEY"), "{}", d.hint);
}

//! The Entra ID token, broken by the sandbox in each way a forged, misrouted or stale token is broken:
//! the engine must refuse it at the Entra step with the specific diagnosis and a failing check, and never
//! send it on to IAS.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::json;
use tokenhop_core::report::{RunReport, SignatureStatus, Step};
use tokenhop_sandbox::{Fault, Service, Tamper, TokenKind};

async fn run_with(tamper: Tamper) -> (Harness, RunReport) {
    let h = start().await;
    h.sandbox.faults().set(Fault::Tamper { token: TokenKind::EntraIdToken, tamper });
    let report = h.run().await;
    (h, report)
}

/// The run failed at Entra with `code`, the named check failed, and IAS never saw the token.
async fn assert_refused(tamper: Tamper, code: &str, failing_check: &str) -> RunReport {
    let (h, report) = run_with(tamper.clone()).await;
    assert_fails(&report, Step::Entra, code);
    let entra = failure(&report);
    assert!(
        check(entra, failing_check, Some("id_token")).is_some_and(|c| !c.ok),
        "{tamper:?}: check {failing_check} fails: {:?}",
        entra.checks
    );
    assert!(h.sandbox.last_issued().last_request(Service::Ias).is_none(), "{tamper:?}: the token never reached IAS");
    report
}

#[tokio::test]
async fn a_token_signed_with_an_unpublished_key_has_a_bad_signature() {
    let report = assert_refused(Tamper::WrongKey, "token.bad_signature", "signature").await;
    let view = report.steps[0].views.iter().find(|v| v.name == "id_token").unwrap();
    assert!(matches!(view.signature, SignatureStatus::Invalid { .. }), "{:?}", view.signature);
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let other = json!("https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0");
    assert_refused(Tamper::SetClaim { claim: "iss".into(), value: other }, "token.wrong_issuer", "iss").await;
}

#[tokio::test]
async fn a_token_for_another_app_is_refused() {
    let other = json!("99999999-8888-7777-6666-555555555555");
    let report =
        assert_refused(Tamper::SetClaim { claim: "aud".into(), value: other }, "token.wrong_audience", "aud").await;
    assert!(failure(&report).error.as_ref().unwrap().message.contains("99999999-8888"), "names the audience it saw");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    assert_refused(Tamper::Expired, "token.expired", "exp").await;
}

#[tokio::test]
async fn a_token_without_the_nonce_is_refused() {
    assert_refused(Tamper::DropClaim { claim: "nonce".into() }, "token.nonce_mismatch", "nonce").await;
}

#[tokio::test]
async fn a_token_with_another_sign_ins_nonce_is_refused() {
    assert_refused(
        Tamper::SetClaim { claim: "nonce".into(), value: json!("nonce-of-another-sign-in") },
        "token.nonce_mismatch",
        "nonce",
    )
    .await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    assert_refused(Tamper::AlgNone, "token.alg_not_allowed", "signature").await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    assert_refused(Tamper::Hs256, "token.alg_not_allowed", "signature").await;
}

#[tokio::test]
async fn a_token_naming_an_unpublished_kid_is_refused() {
    assert_refused(
        Tamper::SetHeader { name: "kid".into(), value: json!("no-such-key") },
        "token.unknown_kid",
        "signature",
    )
    .await;
}

#[tokio::test]
async fn a_token_without_kid_while_two_keys_are_published_is_ambiguous() {
    assert_refused(Tamper::NoKidTwoKeys, "token.ambiguous_key", "signature").await;
}

#[tokio::test]
async fn an_entra_v1_token_is_named_as_such() {
    let report = assert_refused(Tamper::V1Token, "entra.v1_token", "ver").await;
    assert!(failure(&report).error.as_ref().unwrap().hint.contains("v2.0"));
}

#[tokio::test]
async fn after_a_key_rotation_the_engine_refetches_the_keys_and_succeeds() {
    // The engine's own key cache: the keys were fetched moments ago, during the first run's sign-in, and a
    // kid that appeared since must still be looked up at once (issue 23 item 2).
    let h = start().await;
    let before = h.run_until(Some(Step::Entra)).await;
    assert!(before.ok, "{}", summary(&before));
    let old_kid = before.steps[0].views[0].header.as_ref().and_then(|hd| hd["kid"].as_str()).map(String::from);

    h.sandbox.faults().set(Fault::RotateEntraKeys);
    let after = h.run_until(Some(Step::Entra)).await;
    assert!(after.ok, "the new key is fetched on the unknown kid: {}", summary(&after));
    let view = after.steps[0].views.iter().find(|v| v.name == "id_token").unwrap();
    match &view.signature {
        SignatureStatus::Verified { kid, .. } => assert_ne!(kid, &old_kid, "signed with the rotated key"),
        other => panic!("not verified: {other:?}"),
    }
}

#[tokio::test]
async fn a_kid_the_tenant_never_publishes_is_refetched_once_then_named() {
    let h = start().await;
    assert!(h.run_until(Some(Step::Entra)).await.ok);
    let ghost = Tamper::SetHeader { name: "kid".into(), value: "ghost".into() };
    h.sandbox.faults().set(Fault::Tamper { token: TokenKind::EntraIdToken, tamper: ghost });
    let after = h.run_until(Some(Step::Entra)).await;
    assert_fails(&after, Step::Entra, "token.unknown_kid");
    let hint = &failure(&after).error.as_ref().unwrap().hint;
    assert!(!hint.contains("try again"), "the keys were refetched, so waiting does not help: {hint}");
}

#[tokio::test]
async fn expiry_is_judged_by_the_engine_clock_with_a_small_leeway() {
    let mut h = start().await;
    let exp_after = Duration::from_secs(h.sandbox.config().entra_token_lifetime_secs);

    // One minute past `exp`: inside the two-minute leeway for clock skew.
    let now = SystemTime::now();
    h.engine.clock = Arc::new(move || now + exp_after + Duration::from_secs(60));
    let within = h.run_until(Some(Step::Entra)).await;
    assert!(within.ok, "within the leeway: {}", summary(&within));

    // Ten minutes past `exp`: expired.
    let now = SystemTime::now();
    h.engine.clock = Arc::new(move || now + exp_after + Duration::from_secs(600));
    let late = h.run_until(Some(Step::Entra)).await;
    assert_fails(&late, Step::Entra, "token.expired");
}

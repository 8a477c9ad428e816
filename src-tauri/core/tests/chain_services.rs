//! IAS, XSUAA and the transport between them going wrong: trust missing on either side, a wrong client
//! secret (sent once, never retried), proxies' HTML pages, truncated or oversized bodies, a server that
//! never answers, an `http://` URL to a remote host, a secret that is not stored. Each has its diagnosis.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokenhop_core::http::HttpConfig;
use tokenhop_core::report::Step;
use tokenhop_core::Secret;
use tokenhop_sandbox::{Endpoint, Fault, Service};

fn requests_to(h: &Harness, service: Service) -> usize {
    h.sandbox.last_issued().requests.iter().filter(|r| r.service == service).count()
}

async fn run_with(fault: Fault) -> (Harness, tokenhop_core::RunReport) {
    let h = start().await;
    h.sandbox.faults().set(fault);
    let report = h.run().await;
    (h, report)
}

#[tokio::test]
async fn ias_without_trust_in_the_entra_issuer_is_diagnosed() {
    let (_h, report) = run_with(Fault::IasDistrustsEntra).await;
    assert_fails(&report, Step::Ias, "ias.untrusted_issuer");
    let d = failure(&report).error.clone().unwrap();
    assert!(d.raw.as_deref().is_some_and(|r| r.contains("No trusted corporate identity provider")), "IAS's text is kept verbatim: {d:?}");
}

#[tokio::test]
async fn a_wrong_ias_secret_is_invalid_client_and_sent_exactly_once() {
    let h = start().await;
    h.secrets.set(SLUG, SecretKind::IasClientSecret, &Secret::new("not-the-secret")).unwrap();
    let report = h.run().await;
    assert_fails(&report, Step::Ias, "ias.invalid_client");
    assert_eq!(requests_to(&h, Service::Ias), 1, "no retry: IAS locks a client after five failures");
    assert_eq!(requests_to(&h, Service::Xsuaa), 0);
}

#[tokio::test]
async fn a_locked_ias_client_is_named_as_locked() {
    let h = start().await;
    h.secrets.set(SLUG, SecretKind::IasClientSecret, &Secret::new("not-the-secret")).unwrap();
    for _ in 0..h.sandbox.config().ias_lockout_threshold {
        assert_fails(&h.run_until(Some(Step::Ias)).await, Step::Ias, "ias.invalid_client");
    }
    h.secrets.set(SLUG, SecretKind::IasClientSecret, &Secret::new(h.sandbox.config().ias_client_secret.as_str())).unwrap();
    assert_fails(&h.run_until(Some(Step::Ias)).await, Step::Ias, "ias.client_locked");
}

#[tokio::test]
async fn xsuaa_without_trust_in_ias_is_unmapped_issuer() {
    let (_h, report) = run_with(Fault::XsuaaDistrustsIas).await;
    assert_fails(&report, Step::Xsuaa, "xsuaa.unmapped_issuer");
    assert!(failure(&report).error.as_ref().unwrap().message.contains("Unable to map issuer"), "UAA's message verbatim");
}

#[tokio::test]
async fn an_ias_token_without_the_xsuaa_audience_is_flagged_then_refused_by_xsuaa() {
    let (_h, report) = run_with(Fault::IasOmitsXsuaaAudience).await;
    assert_fails(&report, Step::Xsuaa, "xsuaa.audience");
    let ias = report.step(Step::Ias).unwrap();
    let aud = check(ias, "aud_contains_xsuaa", Some("id_token")).expect("the IAS step checks the audience");
    assert!(!aud.ok, "the check warned before XSUAA refused: {aud:?}");
}

#[tokio::test]
async fn an_html_502_page_from_a_proxy_is_named_as_html() {
    let (_h, report) = run_with(Fault::BadGateway { endpoint: Endpoint::IasToken }).await;
    assert_fails(&report, Step::Ias, "http.html_page");
    assert!(failure(&report).error.as_ref().unwrap().message.contains("502"));
}

#[tokio::test]
async fn a_truncated_json_body_is_not_json() {
    let (_h, report) = run_with(Fault::TruncatedJson { endpoint: Endpoint::XsuaaToken }).await;
    assert_fails(&report, Step::Xsuaa, "http.not_json");
}

#[tokio::test]
async fn an_oversized_body_is_refused_as_too_large() {
    let (_h, report) = run_with(Fault::OversizedBody { endpoint: Endpoint::IasToken }).await;
    assert_fails(&report, Step::Ias, "http.too_large");
}

#[tokio::test]
async fn an_oversized_discovery_document_is_refused_as_too_large() {
    let (_h, report) = run_with(Fault::OversizedBody { endpoint: Endpoint::EntraDiscovery }).await;
    assert_fails(&report, Step::Entra, "http.too_large");
}

#[tokio::test]
async fn a_token_endpoint_that_never_answers_times_out() {
    let mut h = start().await;
    let http = HttpConfig { timeout: Duration::from_secs(1), ..HttpConfig::default() };
    h.engine = engine_with(http, signing_in_browser(ALICE, h.browser.clone()));
    h.sandbox.faults().set(Fault::Hang { endpoint: Endpoint::XsuaaToken });
    let t0 = Instant::now();
    let report = h.run().await;
    assert_fails(&report, Step::Xsuaa, "http.timeout");
    assert!(t0.elapsed() < Duration::from_secs(6), "gave up after the configured timeout: {:?}", t0.elapsed());
}

#[tokio::test]
async fn an_api_that_never_answers_times_out() {
    let mut h = start().await;
    let http = HttpConfig { timeout: Duration::from_secs(1), ..HttpConfig::default() };
    h.engine = engine_with(http, signing_in_browser(ALICE, h.browser.clone()));
    h.sandbox.faults().set(Fault::Hang { endpoint: Endpoint::ApiMe });
    assert_fails(&h.run().await, Step::Api, "http.timeout");
}

#[tokio::test]
async fn an_http_url_to_a_remote_host_is_refused_before_any_request() {
    let mut h = start().await;
    h.profile.ias.as_mut().unwrap().url = "http://acme.accounts.ondemand.com".into();
    let report = h.run().await;
    assert_fails(&report, Step::Ias, "http.insecure_url");
    assert_eq!(requests_to(&h, Service::Ias), 0);
}

#[tokio::test]
async fn an_http_entra_authority_on_a_remote_host_is_refused() {
    let mut h = start().await;
    h.profile.entra.authority = "http://login.microsoftonline.com".into();
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "http.insecure_url");
    assert!(h.browser.lock().unwrap().opened.is_empty(), "no sign-in was started");
}

#[tokio::test]
async fn a_missing_ias_secret_is_diagnosed_before_any_request() {
    let h = start().await;
    h.secrets.delete(SLUG, SecretKind::IasClientSecret).unwrap();
    let report = h.run().await;
    assert_fails(&report, Step::Ias, "secrets.missing");
    let d = failure(&report).error.clone().unwrap();
    assert!(d.hint.contains("TOKENHOP_IAS_CLIENT_SECRET") && d.hint.contains("ias-client-secret"), "the hint says how to store it: {}", d.hint);
    assert_eq!(requests_to(&h, Service::Ias), 0);
}

#[tokio::test]
async fn a_missing_entra_secret_of_a_confidential_app_stops_before_the_browser() {
    let mut h = start().await;
    h.profile.entra.confidential = true;
    h.secrets.delete(SLUG, SecretKind::EntraClientSecret).unwrap();
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "secrets.missing");
    assert!(h.browser.lock().unwrap().opened.is_empty());
}

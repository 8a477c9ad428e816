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
    assert_fails(&report, Step::Ias, "ias.assertion_refused");
    let d = failure(&report).error.clone().unwrap();
    assert!(
        d.raw.as_deref().is_some_and(|r| r.contains("No trusted corporate identity provider")),
        "IAS's text is kept verbatim: {d:?}"
    );
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

/// IAS's words for a locked client are undocumented, so the diagnosis of any refused client authentication names
/// the lockout: the 60-minute wait and the administrator's Unlock Client ID.
#[tokio::test]
async fn a_locked_ias_client_is_explained_with_the_wait_and_the_unlock() {
    let h = start().await;
    h.secrets.set(SLUG, SecretKind::IasClientSecret, &Secret::new("not-the-secret")).unwrap();
    for _ in 0..h.sandbox.config().ias_lockout_threshold {
        assert_fails(&h.run_until(Some(Step::Ias)).await, Step::Ias, "ias.invalid_client");
    }
    h.secrets
        .set(SLUG, SecretKind::IasClientSecret, &Secret::new(h.sandbox.config().ias_client_secret.as_str()))
        .unwrap();
    let report = h.run_until(Some(Step::Ias)).await;
    assert_fails(&report, Step::Ias, "ias.invalid_client");
    let hint = failure(&report).error.clone().unwrap().hint;
    assert!(hint.contains("60 minutes") && hint.contains("Unlock Client ID"), "{hint}");
}

#[tokio::test]
async fn xsuaa_without_trust_in_ias_is_unmapped_issuer() {
    let (_h, report) = run_with(Fault::XsuaaDistrustsIas).await;
    assert_fails(&report, Step::Xsuaa, "xsuaa.unmapped_issuer");
    assert!(
        failure(&report).error.as_ref().unwrap().message.contains("Unable to map issuer"),
        "UAA's message verbatim"
    );
}

/// UAA checks the IAS token's `aud` against the relying party of the subaccount's trust, the IAS application the
/// trust created, not the XSUAA client. A profile that names that application in `trust_client_id` is warned at
/// the IAS step; XSUAA then refuses, and the hint names the trust's application and cross-consumption.
#[tokio::test]
async fn an_ias_application_other_than_the_trusts_is_flagged_then_refused_with_the_relying_party_hint() {
    let mut h = start().await;
    h.sandbox.faults().set(Fault::XsuaaTrustsOtherIasApplication);
    let report = h.run().await;
    assert_fails(&report, Step::Xsuaa, "xsuaa.audience");
    let hint = failure(&report).error.clone().unwrap().hint;
    assert!(hint.contains("xsuaa-cross-consumption: true") && hint.contains("Trust Configuration"), "{hint}");
    let ias = report.step(Step::Ias).unwrap();
    let aud = check(ias, "aud_trust", Some("id_token")).expect("the IAS step checks the audience");
    assert!(aud.ok, "without trust_client_id the profile's IAS application is taken for the trust's: {aud:?}");

    let relying_party = failure(&report).error.clone().unwrap().message.rsplit(": ").next().unwrap().to_owned();
    h.profile.xsuaa.as_mut().unwrap().trust_client_id = Some(relying_party.clone());
    let report = h.run().await;
    let aud = check(report.step(Step::Ias).unwrap(), "aud_trust", Some("id_token")).unwrap();
    assert!(
        !aud.ok && aud.detail.contains(&relying_party),
        "with trust_client_id the check warns before XSUAA refuses: {aud:?}"
    );
}

/// With `xsuaa-cross-consumption: true` IAS adds the trust application's client ID to `aud`, and XSUAA accepts.
#[tokio::test]
async fn cross_consumption_makes_another_ias_application_acceptable_to_xsuaa() {
    let config = tokenhop_sandbox::SandboxConfig { ias_xsuaa_cross_consumption: true, ..Default::default() };
    let h = start_with(config, ALICE).await;
    h.sandbox.faults().set(Fault::XsuaaTrustsOtherIasApplication);
    let report = h.run().await;
    assert!(report.ok, "{}", summary(&report));
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
    assert!(
        d.hint.contains("TOKENHOP_IAS_CLIENT_SECRET") && d.hint.contains("ias-client-secret"),
        "the hint says how to store it: {}",
        d.hint
    );
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

/// Some IAS tenants write `iss` without a scheme (SAP's security library issues #544, #797). The IAS step names it,
/// and the inspector still finds the tenant's keys, prepending the scheme as SAP's library does.
#[tokio::test]
async fn an_ias_issuer_without_a_scheme_is_named_at_the_ias_step() {
    let h = start().await;
    h.sandbox.faults().set(Fault::IasIssuerWithoutScheme);
    let report = h.run_until(Some(Step::Ias)).await;
    let ias = report.step(Step::Ias).expect("the IAS step ran");
    let iss = check(ias, "iss", Some("id_token")).expect("the IAS step checks the issuer");
    assert!(!iss.ok && iss.detail.contains("no https:// scheme"), "{iss:?}");
    let token = ias.token("id_token").expect("IAS issued an ID token");
    let view = tokenhop_core::token::inspect::inspect(&h.engine.http, &h.engine.jwks, token, true).await;
    assert!(matches!(view.signature, tokenhop_core::report::SignatureStatus::Verified { .. }), "{:?}", view.signature);
}

#[tokio::test]
async fn an_honest_ias_token_names_the_profiles_tenant_as_issuer() {
    let h = start().await;
    let report = h.run_until(Some(Step::Ias)).await;
    let iss = check(report.step(Step::Ias).unwrap(), "iss", Some("id_token")).expect("the issuer is checked");
    assert!(iss.ok, "{iss:?}");
}

/// IAS's keys are requested as SAP's security libraries request them: `x-client_id` always, and with a token at
/// hand (a refetch for a `kid` the cached set lacks) also its `x-app_tid` and `x-azp`.
#[tokio::test]
async fn ias_keys_are_requested_with_the_headers_sap_libraries_send() {
    let h = start().await;
    let ias_client = h.profile.ias.as_ref().unwrap().client_id.clone();
    h.sandbox.faults().set(Fault::Tamper {
        token: tokenhop_sandbox::TokenKind::IasIdToken,
        tamper: tokenhop_sandbox::Tamper::SetHeader { name: "kid".into(), value: "not-yet-published".into() },
    });
    let report = h.run_until(Some(Step::Ias)).await;
    assert!(report.step(Step::Ias).is_some(), "{}", summary(&report));
    let seen = h.sandbox.last_issued().ias_keys_requests;
    assert!(
        seen.iter().all(|r| r.x_client_id.as_deref() == Some(ias_client.as_str())),
        "every keys request names the client: {seen:?}"
    );
    let config = h.sandbox.config();
    assert!(
        seen.iter().any(|r| r.x_app_tid.as_deref() == Some(config.ias_tenant_id.as_str())
            && r.x_azp.as_deref() == Some(ias_client.as_str())),
        "the refetch for the unknown kid carries the token's app_tid and azp: {seen:?}"
    );
}

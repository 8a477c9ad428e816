//! The whole chain against the sandbox, each sign-in flow and each client authentication: every step ok,
//! every check passing, tokens present, the API answering 200 — and the sandbox saw what the engine says it sent.

mod common;

use common::*;
use tokenhop_core::profile::{ClientAuth, Flow};
use tokenhop_core::report::{RunReport, SignatureStatus, Step};
use tokenhop_sandbox::{SandboxConfig, Service};

fn assert_all_ok(report: &RunReport) {
    assert!(report.ok, "the run failed: {}", summary(report));
    let steps: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, Step::ALL.to_vec(), "every hop runs");
    for step in &report.steps {
        assert!(step.ok && step.error.is_none(), "{}", summary(report));
        let failed: Vec<_> = step.checks.iter().filter(|c| !c.ok).collect();
        assert!(failed.is_empty(), "{} has failing checks: {failed:?}", step.step);
    }
}

fn assert_tokens(report: &RunReport) {
    let entra = report.step(Step::Entra).unwrap();
    assert!(entra.token("id_token").is_some_and(|t| t.split('.').count() == 3), "Entra ID token present");
    let ias = report.step(Step::Ias).unwrap();
    for name in ["id_token", "access_token", "refresh_token"] {
        assert!(ias.token(name).is_some(), "IAS {name} present");
    }
    assert!(ias.claims.contains_key("access_token"), "token_format=jwt gives a JWT access token");
    let xsuaa = report.step(Step::Xsuaa).unwrap();
    assert!(xsuaa.token("access_token").is_some(), "XSUAA access token present");
    // Entra's own access token is for Graph and only Graph can verify it; every other JWT is checked.
    let entra_id = entra.views.iter().filter(|v| v.name == "id_token");
    let sap = ias.views.iter().chain(&xsuaa.views).filter(|v| v.name != "refresh_token" && v.claims.is_some());
    for view in entra_id.chain(sap) {
        assert!(
            matches!(view.signature, SignatureStatus::Verified { .. }),
            "{} verified: {:?}",
            view.name,
            view.signature
        );
    }
}

#[tokio::test]
async fn full_chain_with_the_default_post_client_auth_reaches_the_api() {
    let h = start().await;
    assert_eq!(h.profile.ias.as_ref().unwrap().client_auth, ClientAuth::Post, "the sandbox profile uses the default");
    assert_eq!(h.profile.xsuaa.as_ref().unwrap().client_auth, ClientAuth::Post);
    let report = h.run().await;
    assert_all_ok(&report);
    assert_tokens(&report);

    let entra = report.step(Step::Entra).unwrap();
    for name in ["signature", "iss", "aud", "exp", "nonce", "ver", "tid", "email"] {
        assert!(check(entra, name, Some("id_token")).is_some_and(|c| c.ok), "Entra check {name} ran and passed");
    }
    let ias = report.step(Step::Ias).unwrap();
    for name in ["app_tid", "aud_trust", "signature"] {
        assert!(check(ias, name, None).is_some_and(|c| c.ok), "IAS check {name} ran and passed");
    }
    let api = report.step(Step::Api).unwrap();
    assert_eq!(api.http.as_ref().and_then(|h| h.status), Some(200));

    let seen = h.sandbox.last_issued();
    let ias_req = seen.last_request(Service::Ias).expect("IAS got a request");
    assert_eq!(ias_req.client_auth, "post");
    assert_eq!(ias_req.form.get("token_format").map(String::as_str), Some("jwt"));
    let xsuaa_req = seen.last_request(Service::Xsuaa).expect("XSUAA got a request");
    assert_eq!(xsuaa_req.x_zid.as_deref(), Some(h.sandbox.config().ias_tenant_id.as_str()), "X-zid is the IAS app_tid");
    assert_eq!(seen.api_calls.last().map(|c| c.status), Some(200));
    // The tokens the engine reports are the ones the sandbox issued.
    assert_eq!(seen.xsuaa.unwrap().access_token, report.step(Step::Xsuaa).unwrap().token("access_token").unwrap());
    let authorize = seen.authorize.expect("the browser reached the authorize endpoint");
    assert_eq!(authorize.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert!(authorize.get("redirect_uri").is_some_and(|u| u.starts_with("http://localhost:")));
}

#[tokio::test]
async fn full_chain_with_post_client_auth_sends_the_secrets_in_the_body() {
    let h = start().await;
    let report = h.run().await;
    assert_all_ok(&report);
    let seen = h.sandbox.last_issued();
    for service in [Service::Ias, Service::Xsuaa] {
        let req = seen.last_request(service).unwrap();
        assert_eq!(req.client_auth, "post", "{service:?}");
        assert_eq!(req.form.get("client_secret").map(String::as_str), Some("***"), "secret sent in the body");
    }
}

/// Profiles saved with `basic` keep working: XSUAA gets URL-encoded Basic with `X-CF-ENCODED-CREDENTIALS: true`
/// (its client ID holds `!`, its secret `$ + / =`), IAS unencoded Basic.
#[tokio::test]
async fn full_chain_with_basic_client_auth_reaches_the_api() {
    let mut h = start().await;
    h.profile.ias.as_mut().unwrap().client_auth = ClientAuth::Basic;
    h.profile.xsuaa.as_mut().unwrap().client_auth = ClientAuth::Basic;
    let report = h.run().await;
    assert_all_ok(&report);
    assert_tokens(&report);
    let seen = h.sandbox.last_issued();
    for service in [Service::Ias, Service::Xsuaa] {
        let req = seen.last_request(service).unwrap();
        assert_eq!(req.client_auth, "basic", "{service:?}");
        assert!(!req.form.contains_key("client_secret"), "Basic keeps the secret out of the body");
    }
    let xsuaa = report.step(Step::Xsuaa).unwrap().http.as_ref().unwrap();
    assert!(
        xsuaa.request_headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("x-cf-encoded-credentials") && v == "true"),
        "XSUAA is told the Basic credentials are URL-encoded: {:?}",
        xsuaa.request_headers
    );
}

#[tokio::test]
async fn full_chain_with_a_confidential_entra_app_sends_the_client_secret() {
    let config = SandboxConfig { entra_confidential: true, ..SandboxConfig::default() };
    let h = start_with(config, ALICE).await;
    assert!(h.profile.entra.confidential);
    let report = h.run().await;
    assert_all_ok(&report);
    let entra_req = h.sandbox.last_issued().last_request(Service::Entra).cloned().unwrap();
    assert_eq!(entra_req.grant_type(), Some("authorization_code"));
    assert!(entra_req.client_auth == "post" || entra_req.client_auth == "basic", "{entra_req:?}");
}

#[tokio::test]
async fn device_code_flow_signs_in_and_runs_the_chain() {
    let config = SandboxConfig { device_poll_interval_secs: 1, ..SandboxConfig::default() };
    let mut h = start_with(config, ALICE).await;
    h.profile.entra.flow = Flow::DeviceCode;
    // The user reads the code from the progress events and enters it on the device page.
    let runtime = tokio::runtime::Handle::current();
    let progress = move |p: tokenhop_core::Progress| {
        if let tokenhop_core::Progress::DeviceCode { user_code, verification_uri, .. } = p {
            runtime.spawn(async move {
                tokenhop_sandbox::browser::complete_device_sign_in(&verification_uri, &user_code, ALICE)
                    .await
                    .expect("device sign-in");
            });
        }
    };
    let req = tokenhop_core::RunRequest {
        profile: &h.profile,
        slug: SLUG,
        until: None,
        secrets: &h.secrets,
        sign_in: Default::default(),
        refresh: false,
    };
    let report = tokenhop_core::chain::run(&h.engine, req, &progress, Default::default()).await;
    assert_all_ok(&report);
    let grants = entra_grants(&h.sandbox);
    assert!(grants.iter().all(|g| g == "urn:ietf:params:oauth:grant-type:device_code"), "{grants:?}");
    assert!(h.browser.lock().unwrap().opened.is_empty(), "the device flow opens no browser");
}

#[tokio::test]
async fn password_flow_signs_in_and_runs_the_chain() {
    let mut h = start().await;
    h.profile.entra.flow = Flow::Password;
    h.profile.entra.username = Some(ALICE.into());
    let report = h.run().await;
    assert_all_ok(&report);
    let req = h.sandbox.last_issued().last_request(Service::Entra).cloned().unwrap();
    assert_eq!(req.grant_type(), Some("password"));
    assert_eq!(req.form.get("password").map(String::as_str), Some("***"));
}

#[tokio::test]
async fn password_flow_with_a_wrong_password_is_diagnosed() {
    let mut h = start().await;
    h.profile.entra.flow = Flow::Password;
    h.profile.entra.username = Some(ALICE.into());
    h.secrets.set(SLUG, SecretKind::EntraPassword, &tokenhop_core::Secret::new("wrong")).unwrap();
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.bad_password");
}

#[tokio::test]
async fn until_ias_stops_after_the_ias_exchange() {
    let h = start().await;
    let report = h.run_until(Some(Step::Ias)).await;
    assert!(report.ok, "{}", summary(&report));
    assert_eq!(report.steps.len(), 2);
    assert!(h.sandbox.last_issued().last_request(Service::Xsuaa).is_none(), "XSUAA was not called");
}

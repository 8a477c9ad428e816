//! Silent re-runs against the sandbox: the cached sign-in redeemed with every check of an interactive run
//! (but the nonce) plus the original user's `sub` and `tid`; the fallback to the browser when Entra refuses
//! it; `--no-browser` and `--fresh-sign-in`; and `--refresh` for the later hops. The secret store is a
//! `MemoryStore` here; the real Secret Service is exercised by the CLI's `sign_in_cli` tests.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokenhop_core::chain;
use tokenhop_core::entra::cache;
use tokenhop_core::report::{RunReport, SignInMethod, Step};
use tokenhop_core::{RunRequest, SignInPolicy};
use tokenhop_sandbox::{Fault, RefreshRefusal, Service, Tamper, TokenKind};

async fn run_with(h: &Harness, sign_in: SignInPolicy, refresh: bool) -> RunReport {
    let req = RunRequest { profile: &h.profile, slug: SLUG, until: None, secrets: &h.secrets, sign_in, refresh };
    chain::run(&h.engine, req, &|_| {}, Default::default()).await
}

fn method(report: &RunReport) -> Option<SignInMethod> {
    report.step(Step::Entra)?.sign_in.as_ref().map(|i| i.method)
}

fn opened(h: &Harness) -> usize {
    h.browser.lock().unwrap().opened.len()
}

#[tokio::test]
async fn a_second_run_is_silent_and_makes_every_check_but_the_nonce_plus_same_user() {
    let h = start().await;
    let first = h.run().await;
    assert!(first.ok, "{}", summary(&first));
    assert_eq!(method(&first), Some(SignInMethod::Browser));
    let user = cache::signed_in_user(&h.secrets, SLUG).unwrap().expect("the sign-in is kept");
    assert_eq!(user.username.as_deref(), Some(ALICE));
    assert!(user.nonce.is_some(), "the original sign-in's nonce is kept for §12.2");

    let second = h.run().await;
    assert!(second.ok, "{}", summary(&second));
    assert_eq!(method(&second), Some(SignInMethod::Silent));
    assert_eq!(opened(&h), 1, "the second run opens no browser");
    let entra = second.step(Step::Entra).unwrap();
    for name in ["signature", "iss", "aud", "exp", "nonce", "ver", "tid", "email", "original_sub", "original_tid"] {
        let c = check(entra, name, Some("id_token")).unwrap_or_else(|| panic!("the silent run checks {name}"));
        assert!(c.ok, "{name}: {}", c.detail);
    }
    assert!(entra.claims["id_token"].get("nonce").is_none(), "the refreshed ID token has no nonce");
    let grants = entra_grants(&h.sandbox);
    assert_eq!(grants.last().map(String::as_str), Some("refresh_token"), "{grants:?}");
    let kept = cache::load(&h.secrets, SLUG).unwrap().unwrap();
    assert_eq!(
        Some(kept.refresh_token.expose_secret()),
        entra.token("refresh_token"),
        "the rotated token replaced the old"
    );
}

#[tokio::test]
async fn a_refreshed_token_for_another_user_or_with_another_nonce_is_refused() {
    let h = start().await;
    assert!(h.run().await.ok);
    let kept = cache::load(&h.secrets, SLUG).unwrap().unwrap();
    let mut other = kept.user.clone().unwrap();
    other.sub = "someone-else".into();
    cache::save(&h.secrets, SLUG, &kept.refresh_token, &other).unwrap();
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.sign_in_changed_user");
    assert!(!check(report.step(Step::Entra).unwrap(), "original_sub", None).unwrap().ok);

    let h = start().await;
    assert!(h.run().await.ok);
    let tamper = Tamper::SetClaim { claim: "nonce".into(), value: json!("nonce-of-another-sign-in") };
    h.sandbox.faults().set(Fault::Tamper { token: TokenKind::EntraIdToken, tamper });
    assert_fails(&h.run().await, Step::Entra, "token.nonce_mismatch");
}

#[tokio::test]
async fn a_refused_sign_in_falls_back_to_the_browser_and_says_why() {
    let h = start().await;
    assert!(h.run().await.ok);
    // Unused for 91 days: Entra answers invalid_grant, AADSTS700082.
    h.sandbox.advance_clock(Duration::from_secs(91 * 86_400));
    let report = h.run().await;
    assert!(report.ok, "{}", summary(&report));
    let how = report.step(Step::Entra).unwrap().sign_in.clone().unwrap();
    assert_eq!(how.method, SignInMethod::Browser);
    assert!(how.fallback_reason.as_deref().is_some_and(|r| r.starts_with("AADSTS700082")), "{how:?}");
    assert_eq!(opened(&h), 2, "the fallback opened the browser");
}

#[tokio::test]
async fn no_browser_fails_with_sign_in_required_and_fresh_sign_in_ignores_the_cache() {
    let h = start().await;
    let no_browser = SignInPolicy { reuse_cached: true, interactive: false };
    let report = run_with(&h, no_browser, false).await;
    assert_fails(&report, Step::Entra, "entra.sign_in_required");
    assert_eq!(opened(&h), 0);

    assert!(h.run().await.ok);
    assert_eq!(method(&run_with(&h, no_browser, false).await), Some(SignInMethod::Silent), "the cache makes it silent");
    let fresh = run_with(&h, SignInPolicy { reuse_cached: false, interactive: true }, false).await;
    assert_eq!(method(&fresh), Some(SignInMethod::Browser));
    assert_eq!(opened(&h), 2);

    h.sandbox.faults().set(Fault::EntraRefreshRefused { reason: RefreshRefusal::Revoked });
    let report = run_with(&h, no_browser, false).await;
    assert_fails(&report, Step::Entra, "entra.sign_in_required");
    assert!(failure(&report).error.as_ref().unwrap().message.contains("AADSTS50173"), "{}", summary(&report));
    assert!(cache::load(&h.secrets, SLUG).unwrap().is_none(), "a refused sign-in is forgotten");
}

#[tokio::test]
async fn remember_sign_in_false_keeps_nothing() {
    let mut h = start().await;
    h.profile.remember_sign_in = Some(false);
    assert!(h.run().await.ok);
    assert!(h.secrets.get(SLUG, SecretKind::EntraRefreshToken).unwrap().is_none(), "nothing kept");
    assert_eq!(method(&h.run().await), Some(SignInMethod::Browser));
}

#[tokio::test]
async fn refresh_renews_ias_and_xsuaa_from_their_kept_refresh_tokens() {
    let mut h = start().await;
    let report = run_with(&h, SignInPolicy::default(), true).await;
    assert_fails(&report, Step::Ias, "ias.no_refresh_token");

    h.profile.keep_refresh_tokens = Some(true);
    let first = h.run().await;
    assert!(first.ok, "{}", summary(&first));
    let kept = h.secrets.get(SLUG, SecretKind::IasRefreshToken).unwrap().expect("kept");
    assert_eq!(Some(kept.expose_secret()), first.step(Step::Ias).unwrap().token("refresh_token"));

    let refreshed = run_with(&h, SignInPolicy::default(), true).await;
    assert!(refreshed.ok, "{}", summary(&refreshed));
    let steps: Vec<Step> = refreshed.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Ias, Step::Xsuaa, Step::Api], "no sign-in: the later hops refresh");
    for outcome in &refreshed.steps {
        assert!(outcome.checks.iter().all(|c| c.ok), "{}", summary(&refreshed));
    }
    let ias_grants: Vec<_> = h
        .sandbox
        .last_issued()
        .requests
        .iter()
        .filter(|r| r.service == Service::Ias)
        .filter_map(|r| r.grant_type().map(String::from))
        .collect();
    assert_eq!(ias_grants.last().map(String::as_str), Some("refresh_token"), "{ias_grants:?}");
    let rotated = h.secrets.get(SLUG, SecretKind::XsuaaRefreshToken).unwrap().unwrap();
    assert_eq!(Some(rotated.expose_secret()), refreshed.step(Step::Xsuaa).unwrap().token("refresh_token"));
}

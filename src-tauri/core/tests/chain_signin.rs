//! The authorization-code sign-in through the chain, when it goes wrong: a foreign `state`, a second
//! callback, `error=access_denied`, no callback at all, cancel, a taken port, and an RFC 9207 `iss` that
//! names another issuer. Each ends with its own diagnosis.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use tokenhop_core::browser::FnBrowser;
use tokenhop_core::report::{Progress, Step};
use tokenhop_sandbox::{browser, Fault, SandboxConfig};
use tokio_util::sync::CancellationToken;
use url::Url;

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// A browser that skips the sign-in page and sends the listener `redirect_uri?{params}&state=…` itself.
fn answering_browser(params: &'static str, statuses: Arc<Mutex<Vec<u16>>>) -> Box<dyn tokenhop_core::browser::Browser> {
    let runtime = tokio::runtime::Handle::current();
    Box::new(FnBrowser(move |url: &str| {
        let authorize = Url::parse(url).map_err(|e| e.to_string())?;
        let (redirect, state) = (query(&authorize, "redirect_uri").unwrap(), query(&authorize, "state").unwrap());
        let mut callback = Url::parse(&redirect).unwrap();
        callback.set_query(Some(params));
        callback.query_pairs_mut().append_pair("state", &state);
        let statuses = statuses.clone();
        runtime.spawn(async move {
            let status = get(&callback).await.expect("the listener answers");
            statuses.lock().unwrap().push(status);
        });
        Ok(())
    }))
}

#[tokio::test]
async fn a_callback_with_a_foreign_state_is_refused_and_the_run_ends_in_state_mismatch() {
    let config = SandboxConfig { faults: vec![Fault::WrongState], ..SandboxConfig::default() };
    let mut h = start_with(config, ALICE).await;
    h.engine.loopback.timeout = Duration::from_secs(2);
    let t0 = Instant::now();
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.state_mismatch");
    assert!(t0.elapsed() >= Duration::from_secs(2), "the listener kept waiting for the right state until the timeout");
    let log = h.browser.lock().unwrap();
    assert_eq!(log.callbacks.len(), 1, "{log:?}");
    assert_eq!(log.callbacks[0].1, Ok(400), "the foreign callback is refused with HTTP 400");
}

#[tokio::test]
async fn a_second_callback_after_success_finds_the_port_closed() {
    let h = start().await;
    let report = h.run_until(Some(Step::Entra)).await;
    assert!(report.ok, "{}", summary(&report));
    let callback = {
        let log = h.browser.lock().unwrap();
        assert_eq!(log.callbacks[0].1, Ok(200), "the first callback gets the success page");
        log.callbacks[0].0.clone()
    };
    let again = reqwest::Client::new().get(callback).send().await;
    let err = again.expect_err("the port is closed after the one callback");
    assert!(err.is_connect(), "connection refused, not an HTTP answer: {err:?}");
}

#[tokio::test]
async fn error_access_denied_in_the_callback_is_diagnosed() {
    let mut h = start().await;
    let statuses = Arc::new(Mutex::new(Vec::new()));
    h.engine.browser =
        answering_browser("error=access_denied&error_description=The+user+declined+the+consent", statuses.clone());
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.access_denied");
    assert!(failure(&report).error.as_ref().unwrap().message.contains("declined"), "Entra's description is shown");
    assert_eq!(*statuses.lock().unwrap(), vec![400], "the browser gets the failure page");
}

#[tokio::test]
async fn a_user_not_assigned_to_the_app_is_diagnosed_from_the_aadsts_code() {
    let h = start_with(SandboxConfig::default(), CAROL).await;
    let report = h.run().await;
    // Entra answers error=access_denied with AADSTS50105: the AADSTS code names the cause more precisely.
    assert_fails(&report, Step::Entra, "entra.user_not_assigned");
}

#[tokio::test]
async fn no_callback_within_the_timeout_is_diagnosed_as_timeout() {
    let mut h = start().await;
    h.engine.browser = idle_browser(h.browser.clone());
    h.engine.loopback.timeout = Duration::from_secs(1);
    let t0 = Instant::now();
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.timeout");
    assert!(t0.elapsed() < Duration::from_secs(4), "gave up after the configured timeout, took {:?}", t0.elapsed());
    assert_eq!(h.browser.lock().unwrap().opened.len(), 1, "the authorization URL was opened");
}

#[tokio::test]
async fn cancel_while_waiting_ends_the_run_and_frees_the_port() {
    let mut h = start().await;
    h.engine.browser = idle_browser(h.browser.clone());
    h.engine.loopback.timeout = Duration::from_secs(30);
    for _ in 0..8 {
        // Repeated: the chain and the listener both watch the cancel token; either may notice first.
        let cancel = CancellationToken::new();
        let port = Arc::new(Mutex::new(None::<u16>));
        let (c, p) = (cancel.clone(), port.clone());
        let progress = move |event: Progress| {
            if let Progress::WaitingForSignIn { redirect_uri } = event {
                *p.lock().unwrap() = Url::parse(&redirect_uri).unwrap().port();
                // The user presses Cancel a moment later, while the listener is serving.
                let c = c.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    c.cancel();
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
        let report =
            tokio::time::timeout(Duration::from_secs(10), tokenhop_core::chain::run(&h.engine, req, &progress, cancel))
                .await
                .expect("cancel ends the run at once");
        assert_fails(&report, Step::Entra, "cancelled");
        let port = port.lock().unwrap().expect("the listener was waiting");
        // Waits for the port to be released (the listener closes as the run ends), up to five seconds.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let rebound = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                Err(e) if tokio::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::task::yield_now().await;
                }
                other => break other,
            }
        };
        assert!(rebound.is_ok(), "port {port} is free again after cancel: {rebound:?}");
    }
}

#[tokio::test]
async fn a_fixed_port_in_use_is_diagnosed_naming_the_port() {
    let mut h = start().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    h.profile.entra.redirect_port = port;
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "loopback.port_in_use");
    let d = failure(&report).error.clone().unwrap();
    assert!(d.message.contains(&port.to_string()), "the message names port {port}: {}", d.message);
    assert!(h.browser.lock().unwrap().opened.is_empty(), "no browser is opened without a listener");
}

#[tokio::test]
async fn a_fixed_free_port_is_used_in_the_redirect_uri() {
    let mut h = start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    h.profile.entra.redirect_port = port;
    let report = h.run_until(Some(Step::Entra)).await;
    assert!(report.ok, "{}", summary(&report));
    let redirect = h.sandbox.last_issued().authorize.unwrap().get("redirect_uri").cloned().unwrap();
    assert_eq!(redirect, format!("http://localhost:{port}"));
}

/// A browser that completes the sign-in but rewrites (or drops) the RFC 9207 `iss` of the callback.
fn iss_rewriting_browser(iss: Option<&'static str>, user: &'static str) -> Box<dyn tokenhop_core::browser::Browser> {
    let runtime = tokio::runtime::Handle::current();
    Box::new(FnBrowser(move |url: &str| {
        let url = url.to_owned();
        runtime.spawn(async move {
            let real = browser::sign_in_redirect(&url, user).await.expect("sign-in");
            assert!(query(&real, "iss").is_some(), "the sandbox sends iss when configured to");
            let mut forged = real.clone();
            let pairs: Vec<(String, String)> =
                real.query_pairs().filter(|(k, _)| k != "iss").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            forged.query_pairs_mut().clear().extend_pairs(pairs);
            if let Some(iss) = iss {
                forged.query_pairs_mut().append_pair("iss", iss);
            }
            let _ = get(&forged).await;
        });
        Ok(())
    }))
}

#[tokio::test]
async fn an_advertised_iss_parameter_that_matches_is_accepted() {
    let config = SandboxConfig { entra_iss_parameter: true, ..SandboxConfig::default() };
    let h = start_with(config, ALICE).await;
    let report = h.run_until(Some(Step::Entra)).await;
    assert!(report.ok, "{}", summary(&report));
    assert!(query(&h.browser.lock().unwrap().callbacks[0].0, "iss").is_some());
}

#[tokio::test]
async fn a_callback_whose_iss_names_another_issuer_is_a_mix_up() {
    let config = SandboxConfig { entra_iss_parameter: true, ..SandboxConfig::default() };
    let mut h = start_with(config, ALICE).await;
    h.engine.browser = iss_rewriting_browser(Some("https://attacker.example/v2.0"), ALICE);
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.issuer_mismatch");
    assert!(
        h.sandbox.last_issued().last_request(tokenhop_sandbox::Service::Entra).is_none(),
        "the code was not redeemed"
    );
}

#[tokio::test]
async fn a_callback_without_the_advertised_iss_is_refused() {
    let config = SandboxConfig { entra_iss_parameter: true, ..SandboxConfig::default() };
    let mut h = start_with(config, ALICE).await;
    h.engine.browser = iss_rewriting_browser(None, ALICE);
    let report = h.run().await;
    assert_fails(&report, Step::Entra, "entra.issuer_mismatch");
}

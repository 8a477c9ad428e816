//! First run: the window opens on the built-in Sandbox profile and one click on Run takes the whole chain —
//! Entra sign-in in the "system browser" (headless Chromium), IAS, XSUAA, the API — to green.
//!
//! Nothing is seeded: the app starts its own sandbox, writes the Sandbox profile and keeps the demo client
//! secrets in its session. The sandbox's sign-in page submits itself as Alice (`TOKENHOP_SANDBOX_AUTO_SIGN_IN`).

#![cfg(unix)]

use serde_json::json;
use tokenhop_e2e::selectors::chain::node;
use tokenhop_e2e::selectors::chain::RUN_BUTTON;
use tokenhop_e2e::{wait::UI_LOADED, HeadlessBrowser, Launch};

#[test]
fn run_on_the_sandbox_profile_takes_the_chain_to_the_api() {
    let browser = HeadlessBrowser::new();
    let app =
        Launch::default().signing_in_with(&browser).start("run_on_the_sandbox_profile_takes_the_chain_to_the_api");

    let run = app.wait_for_element(RUN_BUTTON, UI_LOADED).expect("the Sandbox profile opens with a Run button");
    assert!(app.config_dir().join("profiles/sandbox.toml").is_file(), "the app wrote the Sandbox profile on start-up");
    app.screenshot("01-sandbox-profile").expect("screenshot of the first window");

    app.click(&run).expect("clicking Run");
    let finished = app.wait_for_api_ok();
    app.screenshot("02-chain-done").expect("screenshot of the finished chain");
    if let Err(err) = finished {
        let page = browser.opened().first().map(|url| sign_in_page(url)).unwrap_or_default();
        panic!(
            "{err:#}\nURLs the app opened: {:?}\nChromium said: {}\nsign-in page: {page}",
            browser.opened(),
            browser.log()
        );
    }

    for step in ["entra", "ias", "xsuaa"] {
        let ok = app.find_all(&format!("{}[data-state=ok]", node(step))).expect("reading the chain");
        assert_eq!(ok.len(), 1, "every hop before the API must be ok too ({step})");
    }
    let opened = browser.opened();
    assert_eq!(opened.len(), 1, "exactly one sign-in page was opened: {opened:?}");
    assert!(opened[0].contains("code_challenge="), "the app signed in with PKCE: {}", opened[0]);

    let status = app.invoke("secrets_status", json!({ "slug": "sandbox" })).expect("the script ran");
    let status = status.expect("secrets_status answers for the Sandbox profile");
    for kind in ["ias-client-secret", "xsuaa-client-secret"] {
        assert_eq!(status[kind], "session", "the demo {kind} lives in this session only, never the keychain: {status}");
    }

    // Even a page that asks for the secrets gets none: they are written to files and the clipboard by Rust.
    let env = app.invoke("export_render", json!({ "format": "env", "includeSecrets": true })).expect("the script ran");
    let env = env.expect("the run just made can be exported");
    let env = env.as_str().expect("the export is text");
    assert!(env.contains("XSUAA_ACCESS_TOKEN="), "the .env export holds the run's BTP token: {env:.200}");
    assert!(!env.contains("Ias+Demo/Secret"), "client secrets never reach the webview");
}

/// What the sandbox serves at the sign-in URL, for a failure message: does it submit itself?
fn sign_in_page(url: &str) -> String {
    match reqwest::blocking::get(url).and_then(|r| r.text()) {
        Ok(body) if body.contains("id=\"auto\"") => "auto-submitting as configured".into(),
        Ok(body) => format!("NOT auto-submitting (is TOKENHOP_SANDBOX_AUTO_SIGN_IN reaching the app?): {body:.300}"),
        Err(e) => format!("unreachable: {e}"),
    }
}

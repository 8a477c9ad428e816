//! One-click re-runs in the window: the first Run signs in through the "system browser" (headless Chromium),
//! the second is silent — the cached sign-in in the session's real, unlocked keyring, no browser opened — and
//! Sign out in the profile view forgets it.

#![cfg(unix)]

use serde_json::{json, Value};
use tokenhop_e2e::selectors::chain::RUN_BUTTON;
use tokenhop_e2e::wait::{CHAIN_DONE, UI_LOADED};
use tokenhop_e2e::{wait_for, HeadlessBrowser, Launch, TestApp, SANDBOX_USER};

/// Clicks Run and waits until the API node is ok and the Entra node says it signed in by `method`.
fn run_and_wait(app: &TestApp, method: &str) {
    let run = app.wait_for_element(RUN_BUTTON, UI_LOADED).expect("the Run button is there");
    app.click(&run).expect("clicking Run");
    let done = format!("[data-testid=sign-in-method][data-method={method}]");
    wait_for(CHAIN_DONE, &format!("a run that signs in by {method}"), || {
        let api_ok = app.find_all("[data-testid=chain-node-api][data-state=ok]")?.len() == 1;
        if api_ok && app.find_all(&done)?.len() == 1 {
            return Ok(Some(()));
        }
        app.fail_on_failed_hop()?;
        Ok(None)
    })
    .unwrap_or_else(|e| panic!("{e:#}"));
}

fn signed_in(app: &TestApp) -> Value {
    app.invoke("profiles_sign_in", json!({ "slug": "sandbox" }))
        .expect("the script ran")
        .expect("profiles_sign_in answers for the Sandbox profile")
}

#[test]
fn the_second_run_is_silent_and_sign_out_forgets_the_sign_in() {
    let browser = HeadlessBrowser::new();
    let app =
        Launch::default().signing_in_with(&browser).start("the_second_run_is_silent_and_sign_out_forgets_the_sign_in");
    // The suite's tests share one keyring: an earlier test's run may have left a sign-in for this profile.
    let status =
        app.wait_for_element("[data-testid=sign-in-status]", UI_LOADED).expect("the profile view shows the sign-in");
    if app.property(&status, "dataset").ok().and_then(|d| d.get("signedIn").cloned()) == Some(json!("true")) {
        let sign_out = app.find("[data-testid=sign-out]").expect("Sign out is offered for a kept sign-in");
        app.click(&sign_out).expect("clicking Sign out");
    }
    app.wait_for_element("[data-testid=sign-in-status][data-signed-in=false]", UI_LOADED)
        .expect("the profile starts without a cached sign-in");

    run_and_wait(&app, "browser");
    assert_eq!(browser.opened().len(), 1, "the first run signs in through the browser");
    app.wait_for_text("[data-testid=signed-in-user]", SANDBOX_USER, UI_LOADED)
        .expect("the profile view names the user");
    assert_eq!(signed_in(&app)["username"], SANDBOX_USER, "the sign-in is kept: {}", signed_in(&app));
    app.screenshot("01-signed-in").expect("screenshot after the first run");

    run_and_wait(&app, "silent");
    assert_eq!(browser.opened().len(), 1, "the second run opens no browser: {:?}", browser.opened());
    app.screenshot("02-silent-run").expect("screenshot after the silent run");

    let sign_out = app.wait_for_element("[data-testid=sign-out]", UI_LOADED).expect("Sign out is offered");
    app.click(&sign_out).expect("clicking Sign out");
    app.wait_for_element("[data-testid=sign-in-status][data-signed-in=false]", UI_LOADED)
        .expect("the profile view says it is signed out");
    assert_eq!(signed_in(&app), Value::Null, "Sign out forgets the cached sign-in");
    app.screenshot("03-signed-out").expect("screenshot after Sign out");
}

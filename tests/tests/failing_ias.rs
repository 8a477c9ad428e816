//! A run that breaks at IAS, in the real window: a copy of the Sandbox profile gets a wrong IAS client secret
//! through its write-only secret field, and Run must show the IAS node failed, its specific diagnosis
//! (`ias.invalid_client`, IAS's own words, the fix), XSUAA and the API not run, and the raw response one click
//! away. Entra still signs in through headless Chromium, so the IAS exchange is real.

#![cfg(unix)]

use std::time::Duration;

use anyhow::bail;
use serde_json::Value;
use tokenhop_e2e::selectors::chain::node;
use tokenhop_e2e::selectors::testid;
use tokenhop_e2e::{
    wait::SHORT, wait::UI_LOADED, wait_for, HeadlessBrowser, Launch, TestApp, SANDBOX_USER, WRONG_IAS_SECRET,
};

/// Chromium start, sign-in page, redirect and the IAS call, on a busy 2-core machine.
const RUN_DONE: Duration = Duration::from_secs(60);

#[test]
fn wrong_ias_secret_fails_the_ias_node_with_its_diagnosis_and_stops_the_chain() {
    let browser = HeadlessBrowser::new();
    let app = Launch::default()
        .signing_in_with(&browser)
        .start("wrong_ias_secret_fails_the_ias_node_with_its_diagnosis_and_stops_the_chain");
    let sandbox_row = format!("{}[data-slug=sandbox]", testid("profile-item"));
    app.wait_for_element(&sandbox_row, UI_LOADED).expect("the Sandbox profile is listed");

    // A copy of the Sandbox profile with its secrets, then a wrong IAS secret typed over the copied one.
    app.click(&app.find(&format!("{sandbox_row} {}", testid("profile-select"))).expect("the row")).expect("selecting");
    app.click(&app.find(&format!("{sandbox_row} {}", testid("profile-menu"))).expect("the menu"))
        .expect("opening the menu");
    app.click(&app.wait_for_element(&testid("profile-duplicate"), SHORT).expect("Duplicate…")).expect("duplicating");
    let name = app.wait_for_element(&testid("name-input"), SHORT).expect("the name dialog");
    app.clear(&name).expect("clearing the name");
    app.type_text(&name, "Broken IAS").expect("typing the name");
    app.click(&app.find(&testid("copy-secrets")).expect("the copy-secrets box")).expect("copying the secrets too");
    app.click(&app.find(&testid("name-confirm")).expect("Duplicate")).expect("confirming");
    let view = app.wait_for_element(&format!("{}:not([data-slug=sandbox])", testid("profile-view")), SHORT);
    view.expect("the copy opens");
    app.wait_for_text(&testid("profile-title"), "Broken IAS", SHORT).expect("the copy is shown");

    app.click(&app.find(&testid("profile-tab-settings")).expect("the Settings tab")).expect("opening Settings");
    let secret = app.wait_for_element(&testid("secret-input-ias-client-secret"), SHORT).expect("the IAS secret field");
    app.type_text(&secret, WRONG_IAS_SECRET).expect("typing the wrong secret");
    app.click(&app.find(&testid("secret-save-ias-client-secret")).expect("Store")).expect("storing it");
    wait_for(SHORT, "the secret field to empty after Store", || {
        let field = app.find(&testid("secret-input-ias-client-secret"))?;
        Ok((app.property(&field, "value")? == "").then_some(()))
    })
    .expect("the secret is stored and not shown again");
    app.click(&app.find(&testid("profile-tab-run")).expect("the Run tab")).expect("back to Run");

    app.click(&app.wait_for_element(&testid("run-button"), SHORT).expect("Run")).expect("clicking Run");
    let ended = wait_for(RUN_DONE, "the IAS node to fail", || {
        if !app.find_all(&format!("{}[data-state=failed]", node("ias")))?.is_empty() {
            return Ok(Some(()));
        }
        if let Some(other) = app.find_all("[data-testid^=chain-node-][data-state=failed]")?.first() {
            bail!("another hop failed first: {:?}", app.property(other, "ariaLabel").unwrap_or_default());
        }
        if !app.find_all(&format!("{}[data-state=ok]", node("ias")))?.is_empty() {
            bail!("IAS accepted the wrong secret");
        }
        Ok(None)
    });
    shot(&app, "01-ias-failed");
    if let Err(err) = ended {
        panic!("{err:#}\n{}\nURLs opened: {:?}\nChromium: {}", page(&app), browser.opened(), browser.log());
    }

    assert_eq!(state_of(&app, "entra"), "ok", "Entra signed in before IAS refused the client");
    for step in ["xsuaa", "api"] {
        assert_eq!(state_of(&app, step), "skipped", "{step} must not run after IAS failed");
    }
    let summary = app.find(&testid("run-summary")).and_then(|s| app.text(&s)).expect("the run summary");
    assert!(summary.contains("SAP IAS"), "the summary names where the chain broke: {summary}");

    // The diagnosis sits with the failed hop: code, IAS's words, the fix.
    if app.find_all(&format!("{}[data-step=ias]", testid("step-detail"))).expect("reading").is_empty() {
        app.click(&app.find(&node("ias")).expect("the IAS node")).expect("selecting the failed hop");
    }
    let diagnosis = format!("{}[data-step=ias] {}", testid("step-detail"), testid("diagnosis"));
    app.wait_for_element(&diagnosis, SHORT).expect("the failed hop shows its diagnosis");
    let code = attribute(&app, &diagnosis, "data-code");
    assert_eq!(code, "ias.invalid_client", "a wrong client secret has its own diagnosis");
    let message = app.find(&format!("{diagnosis} {}", testid("diagnosis-message"))).and_then(|m| app.text_content(&m));
    let message = message.expect("the diagnosis message");
    assert!(message.contains("HTTP 401") && message.contains("invalid_client"), "IAS's answer verbatim: {message}");
    let hint = app.find(&format!("{diagnosis} {}", testid("diagnosis-hint"))).and_then(|h| app.text(&h)).expect("hint");
    assert!(hint.contains("secret") && hint.contains("lock"), "the fix names the secret and the lockout: {hint}");

    // The raw response: closed at first, one click opens it.
    let raw = app.find(&format!("{diagnosis} {}", testid("diagnosis-raw"))).expect("the raw response section");
    assert_eq!(app.property(&raw, "open").ok(), Some(Value::Bool(false)), "the raw response starts folded");
    app.click(&app.find(&format!("{diagnosis} {} summary", testid("diagnosis-raw"))).expect("Raw response"))
        .expect("one click");
    assert_eq!(app.property(&raw, "open").ok(), Some(Value::Bool(true)), "one click unfolds the raw response");
    let raw_text = app.text(&raw).expect("the raw response");
    assert!(raw_text.contains("HTTP 401") && raw_text.contains("Client authentication failed"), "raw: {raw_text}");
    shot(&app, "02-diagnosis");

    assert!(!page(&app).contains(WRONG_IAS_SECRET), "the typed secret is never shown, not even in the request");

    // The hop that worked still opens its token in the inspector.
    app.click(&app.find(&node("entra")).expect("the Entra node")).expect("selecting the Entra hop");
    let inspector = format!("{}[data-step=entra] {}", testid("step-detail"), testid("inspector"));
    app.wait_for_element(&inspector, SHORT).expect("the Entra hop's token opens in the inspector");
    let user = format!("{inspector} [data-testid=claim][data-claim=preferred_username] {}", testid("claim-value"));
    app.wait_for_text(&user, SANDBOX_USER, SHORT).expect("the inspector shows the signed-in user");
    app.execute(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'start' });",
        vec![Value::from(inspector)],
    )
    .expect("scrolling the inspector into view");
    shot(&app, "03-inspector");
}

fn state_of(app: &TestApp, step: &str) -> String {
    attribute(app, &node(step), "data-state")
}

/// An attribute of the first element matching `css` ("" when absent).
fn attribute(app: &TestApp, css: &str, name: &str) -> String {
    let script = "const [sel, name] = arguments; return document.querySelector(sel)?.getAttribute(name) ?? '';";
    let value = app.execute(script, vec![Value::from(css), Value::from(name)]).expect("reading an attribute");
    value.as_str().unwrap_or_default().to_string()
}

trait TextContent {
    fn text_content(&self, el: &tokenhop_e2e::Element) -> anyhow::Result<String>;
}

impl TextContent for TestApp {
    /// Text including visually hidden (screen-reader only) parts, which `text` leaves out.
    fn text_content(&self, el: &tokenhop_e2e::Element) -> anyhow::Result<String> {
        let value = self.property(el, "textContent")?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }
}

/// A screenshot once the page has painted its latest change (two animation frames), so none comes out blank.
fn shot(app: &TestApp, step: &str) {
    let script = "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));";
    app.execute_async(script, vec![]).expect("waiting for a paint");
    app.screenshot(step).expect("screenshot");
}

fn page(app: &TestApp) -> String {
    app.find(&testid("main")).and_then(|m| app.text(&m)).unwrap_or_default()
}

//! "Run all" in the real window over three sandbox profiles: the Sandbox, a copy of it, and a copy whose IAS
//! secret is wrong. Headless Chromium signs each in, one at a time. The matrix must show the broken tenant
//! failing at IAS with its diagnosis code while the others get through, a cell must open that run in the
//! profile's run view, and Compare must show the IAS claims only the working tenant has.

#![cfg(unix)]

use std::time::Duration;

use serde_json::Value;
use tokenhop_e2e::selectors::testid;
use tokenhop_e2e::{wait::SHORT, wait::UI_LOADED, wait_for, HeadlessBrowser, Launch, TestApp, WRONG_IAS_SECRET};

/// Three sign-ins in turn through Chromium and their chains, on a busy 2-core machine.
const MATRIX_DONE: Duration = Duration::from_secs(150);

#[test]
fn run_all_shows_the_failing_tenant_opens_its_run_and_compares_the_claims() {
    let browser = HeadlessBrowser::new();
    let app = Launch::default()
        .signing_in_with(&browser)
        .start("run_all_shows_the_failing_tenant_opens_its_run_and_compares_the_claims");
    let sandbox_row = format!("{}[data-slug=sandbox]", testid("profile-item"));
    app.wait_for_element(&sandbox_row, UI_LOADED).expect("the Sandbox profile is listed");

    duplicate_sandbox(&app, "Tenant B");
    duplicate_sandbox(&app, "Broken IAS");
    app.click(&app.find(&testid("profile-tab-settings")).expect("the Settings tab")).expect("opening Settings");
    let secret = app.wait_for_element(&testid("secret-input-ias-client-secret"), SHORT).expect("the IAS secret field");
    app.type_text(&secret, WRONG_IAS_SECRET).expect("typing the wrong secret");
    app.click(&app.find(&testid("secret-save-ias-client-secret")).expect("Store")).expect("storing it");
    wait_for(SHORT, "the secret field to empty after Store", || {
        let field = app.find(&testid("secret-input-ias-client-secret"))?;
        Ok((app.property(&field, "value")? == "").then_some(()))
    })
    .expect("the secret is stored");

    app.click(&app.find(&testid("run-all")).expect("Run all")).expect("clicking Run all");
    app.wait_for_element(&testid("matrix-view"), SHORT).expect("the matrix opens");
    let done = app.wait_for_element(&testid("matrix-summary"), MATRIX_DONE);
    shot(&app, "01-matrix");
    if let Err(err) = done {
        panic!("{err:#}\n{}\nURLs opened: {:?}\nChromium: {}", page(&app), browser.opened(), browser.log());
    }

    for slug in ["sandbox", "tenant-b"] {
        for step in ["entra", "ias", "xsuaa", "api"] {
            assert_eq!(cell_state(&app, slug, step), "ok", "{slug} gets through at {step}:\n{}", page(&app));
        }
    }
    assert_eq!(cell_state(&app, "broken-ias", "entra"), "ok", "the broken tenant still signs in");
    assert_eq!(cell_state(&app, "broken-ias", "ias"), "failed", "and fails at IAS:\n{}", page(&app));
    assert_eq!(cell_state(&app, "broken-ias", "xsuaa"), "skipped");
    let code = app
        .find(&format!("{} {}", testid("matrix-cell-broken-ias-ias"), testid("matrix-code")))
        .and_then(|c| app.text(&c));
    assert_eq!(code.expect("the failing cell's code"), "ias.invalid_client", "the cell names the diagnosis");
    let summary = app.find(&testid("matrix-summary")).and_then(|s| app.text(&s)).expect("the summary");
    assert!(summary.contains("2 of 3"), "{summary}");
    assert_eq!(browser.opened().len(), 3, "one browser sign-in per tenant");

    // The failed cell opens that run, at the IAS hop, with its diagnosis.
    app.click(&app.find(&testid("matrix-cell-broken-ias-ias")).expect("the failed cell")).expect("opening the run");
    app.wait_for_text(&testid("profile-title"), "Broken IAS", SHORT).expect("the tenant's run view opens");
    let detail = format!("{}[data-step=ias]", testid("step-detail"));
    app.wait_for_element(&format!("{detail} {}", testid("diagnosis")), SHORT).expect("the IAS diagnosis is shown");
    shot(&app, "02-cell-opens-the-run");

    // Back to the matrix; Compare the working Sandbox with the broken tenant.
    app.click(&app.find(&testid("show-matrix")).expect("Back to the matrix")).expect("back");
    app.click(&app.wait_for_element(&testid("matrix-pick-sandbox"), SHORT).expect("tick")).expect("ticking Sandbox");
    app.click(&app.find(&testid("matrix-pick-broken-ias")).expect("tick")).expect("ticking Broken IAS");
    app.click(&app.find(&testid("matrix-compare")).expect("Compare")).expect("comparing");
    let ias = format!("{} {}", testid("compare-step-ias"), testid("compare-claim"));
    app.wait_for_element(&ias, SHORT).expect("the IAS hop's claims are compared");
    let app_tid = format!("{}[data-claim=app_tid]", ias);
    let difference = app
        .execute("return document.querySelector(arguments[0])?.dataset.difference ?? '';", vec![Value::from(app_tid)])
        .expect("reading the claim's difference");
    assert_eq!(difference, "only_left", "app_tid is in the Sandbox's IAS token only:\n{}", page(&app));
    shot(&app, "03-compare");
}

/// Duplicates the Sandbox profile with its secrets under `name`; the copy opens.
fn duplicate_sandbox(app: &TestApp, name: &str) {
    let sandbox_row = format!("{}[data-slug=sandbox]", testid("profile-item"));
    app.click(&app.find(&format!("{sandbox_row} {}", testid("profile-select"))).expect("the row")).expect("selecting");
    app.click(&app.find(&format!("{sandbox_row} {}", testid("profile-menu"))).expect("the menu"))
        .expect("opening the menu");
    app.click(&app.wait_for_element(&testid("profile-duplicate"), SHORT).expect("Duplicate…")).expect("duplicating");
    let field = app.wait_for_element(&testid("name-input"), SHORT).expect("the name dialog");
    app.clear(&field).expect("clearing the name");
    app.type_text(&field, name).expect("typing the name");
    app.click(&app.find(&testid("copy-secrets")).expect("the copy-secrets box")).expect("copying the secrets too");
    app.click(&app.find(&testid("name-confirm")).expect("Duplicate")).expect("confirming");
    app.wait_for_text(&testid("profile-title"), name, SHORT).expect("the copy opens");
}

fn cell_state(app: &TestApp, slug: &str, step: &str) -> String {
    let css = testid(&format!("matrix-cell-{slug}-{step}"));
    let value = app
        .execute("return document.querySelector(arguments[0])?.dataset.state ?? '';", vec![Value::from(css)])
        .expect("reading a cell");
    value.as_str().unwrap_or_default().to_string()
}

fn shot(app: &TestApp, step: &str) {
    let script = "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));";
    app.execute_async(script, vec![]).expect("waiting for a paint");
    app.screenshot(step).expect("screenshot");
}

fn page(app: &TestApp) -> String {
    app.find(&testid("main")).and_then(|m| app.text(&m)).unwrap_or_default()
}

//! The guided wizard in the real window, against the app's own sandbox: a new profile is filled in with the
//! sandbox's Entra, IAS, XSUAA and API values, each hop is tried on its step (signing in through headless
//! Chromium as the "system browser"), and the profile is saved with an environment tag.
//!
//! The values come from the Sandbox profile the app writes into its config dir (`profiles/sandbox.toml`);
//! the client secrets are the sandbox's published demo values (`SandboxConfig::default()`, printed by
//! `tokenhop-cli sandbox`), typed into the wizard's write-only secret fields like a user would.

#![cfg(unix)]

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::Value;
use tokenhop_e2e::selectors::testid;
use tokenhop_e2e::{wait::SHORT, wait::UI_LOADED, wait_for, HeadlessBrowser, Launch, TestApp, SANDBOX_USER};
use tokenhop_sandbox::SandboxConfig;

/// Small UI round trips: validation, storing a secret, saving.
/// One try of the draft: Chromium start, sign-in page, redirect, the exchanges, on a busy 2-core machine.
const TRY_DONE: Duration = Duration::from_secs(60);
const PROFILE_NAME: &str = "ACME via wizard";
const ENVIRONMENT: &str = "test";

#[test]
fn wizard_builds_a_profile_that_reaches_the_api_and_saves_it_with_its_environment() {
    let browser = HeadlessBrowser::new();
    let app = Launch::default()
        .signing_in_with(&browser)
        .start("wizard_builds_a_profile_that_reaches_the_api_and_saves_it_with_its_environment");
    let sandbox = SandboxValues::read(&app);
    let demo = SandboxConfig::default();

    let new = app.wait_for_element(&testid("new-profile"), UI_LOADED).expect("the sidebar offers a new profile");
    app.click(&new).expect("clicking New profile");
    wait_on_step(&app, "entra");
    fill(&app, "input-entra.tenant", &sandbox.tenant);
    fill(&app, "input-entra.client_id", &sandbox.entra_client_id);
    let advanced = app.find(".advanced summary").expect("the Advanced section of the Entra step");
    app.click(&advanced).expect("opening Advanced");
    fill(&app, "input-entra.authority", &sandbox.authority);
    shot(&app, "01-entra-app");
    next(&app, "signin");

    let sign_in = app.find(&testid("wizard-sign-in")).expect("the Sign in button");
    app.click(&sign_in).expect("clicking Sign in");
    expect_step_ok(&app, &browser, "entra");
    shot(&app, "02-signed-in");
    next(&app, "ias");

    fill(&app, "input-ias.url", &sandbox.ias_url);
    fill(&app, "input-ias.client_id", &sandbox.ias_client_id);
    let auth = app.find(&testid("input-ias.client_auth")).and_then(|s| app.property(&s, "value")).expect("client auth");
    assert_eq!(auth, sandbox.ias_client_auth, "the wizard's default client auth is the one the sandbox expects");
    store_secret(&app, "ias-client-secret", &demo.ias_client_secret);
    // The step explains more than fits the window: bring the button into view, as a person scrolls to it.
    app.execute(
        "document.querySelector('[data-testid=\"wizard-exchange-ias\"]').scrollIntoView({block: 'center'})",
        vec![],
    )
    .expect("scrolling to Exchange at IAS");
    app.click(&app.find(&testid("wizard-exchange-ias")).expect("the exchange button"))
        .expect("clicking Exchange at IAS");
    expect_step_ok(&app, &browser, "ias");
    shot(&app, "03-ias-exchanged");
    next(&app, "xsuaa");

    app.click(&app.find(&testid("input-xsuaa.enabled")).expect("the XSUAA switch")).expect("turning XSUAA on");
    fill(&app, "input-xsuaa.url", &sandbox.xsuaa_url);
    fill(&app, "input-xsuaa.client_id", &sandbox.xsuaa_client_id);
    store_secret(&app, "xsuaa-client-secret", &demo.xsuaa_client_secret);
    app.click(&app.find(&testid("wizard-exchange-xsuaa")).expect("the exchange button"))
        .expect("clicking Exchange at XSUAA");
    expect_step_ok(&app, &browser, "xsuaa");
    shot(&app, "04-xsuaa-exchanged");
    next(&app, "api");

    app.click(&app.find(&testid("input-api.enabled")).expect("the API switch")).expect("turning the API call on");
    fill(&app, "input-api.url", &sandbox.api_url);
    let header = app.find(&testid("input-api.header")).and_then(|s| app.property(&s, "value")).expect("the header");
    assert_eq!(header, sandbox.api_header, "the wizard's default token header is the one the sandbox API reads");
    app.click(&app.find(&testid("wizard-call-api")).expect("the call button")).expect("clicking Call the API");
    expect_step_ok(&app, &browser, "api");
    let answer = app.find(&testid("api-response")).and_then(|r| app.text(&r)).expect("the API's answer is shown");
    assert!(answer.contains("→ 200"), "the API answered 200 to the wizard's token: {answer}");
    assert!(answer.contains(SANDBOX_USER), "the API saw the signed-in user: {answer}");
    shot(&app, "05-api-called");
    next(&app, "save");

    fill(&app, "input-name", PROFILE_NAME);
    fill(&app, "input-environment", ENVIRONMENT);
    shot(&app, "06-save");
    app.click(&app.find(&testid("wizard-next")).expect("the Save button")).expect("clicking Save profile");
    app.wait_for_element(&testid("wizard-saved"), SHORT).expect("the wizard confirms the save");

    let saved = wait_for(SHORT, "the saved profile in the sidebar", || {
        Ok(sidebar(&app)?.into_iter().find(|p| p.name == PROFILE_NAME))
    })
    .expect("the new profile is listed");
    shot(&app, "07-saved");
    assert_eq!(saved.env.as_deref(), Some(ENVIRONMENT), "the sidebar shows the environment tag: {saved:?}");

    let file = app.config_dir().join("profiles").join(format!("{}.toml", saved.slug));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    let toml: toml::Table = text.parse().expect("the saved profile is TOML");
    assert_eq!(toml["environment"].as_str(), Some(ENVIRONMENT), "the tag is saved: {text}");
    assert_eq!(toml["xsuaa"]["url"].as_str(), Some(sandbox.xsuaa_url.as_str()), "XSUAA is saved: {text}");
    assert_eq!(toml["api"]["url"].as_str(), Some(sandbox.api_url.as_str()), "the API is saved: {text}");
    for secret in [&demo.ias_client_secret, &demo.xsuaa_client_secret] {
        assert!(!text.contains(secret.as_str()), "no client secret may reach the profile file");
    }
    let opened = browser.opened();
    // The first try signs in through the browser with PKCE; later tries reuse that sign-in silently (issue 26).
    assert!(
        !opened.is_empty() && opened.iter().all(|u| u.contains("code_challenge=")),
        "the sign-in used PKCE: {opened:?}"
    );
}

#[test]
fn next_is_blocked_with_a_field_error_while_the_tenant_is_empty() {
    let app = TestApp::launch("next_is_blocked_with_a_field_error_while_the_tenant_is_empty");
    let new = app.wait_for_element(&testid("new-profile"), UI_LOADED).expect("the sidebar offers a new profile");
    app.click(&new).expect("clicking New profile");
    wait_on_step(&app, "entra");
    fill(&app, "input-entra.client_id", "3c5e7a91-2b4d-4f60-8e1a-9d7c5b3a1f02");

    app.click(&app.find(&testid("wizard-next")).expect("the Next button")).expect("clicking Next");

    let error = app
        .wait_for_element(&format!("{} [data-testid=field-error]", testid("field-entra.tenant")), SHORT)
        .expect("the tenant field shows why Next was refused");
    shot(&app, "01-tenant-missing");
    let message = app.text(&error).expect("the error text");
    assert!(!message.trim().is_empty(), "the field error says what is wrong");
    assert_eq!(attribute(&app, "input-entra.tenant", "aria-invalid"), "true", "the field is marked invalid");
    let step = attribute(&app, "wizard", "data-step");
    assert_eq!(step, "entra", "Next must not leave the step while the tenant is empty: {message}");
    let other =
        app.find_all(&format!("{} [data-testid=field-error]", testid("field-entra.client_id"))).expect("reading");
    assert!(other.is_empty(), "a valid client ID carries no error");
}

/// The Sandbox profile's values, as the app wrote them for the sandbox it started.
struct SandboxValues {
    authority: String,
    tenant: String,
    entra_client_id: String,
    ias_url: String,
    ias_client_id: String,
    ias_client_auth: String,
    xsuaa_url: String,
    xsuaa_client_id: String,
    api_url: String,
    api_header: String,
}

impl SandboxValues {
    fn read(app: &TestApp) -> SandboxValues {
        let path = app.config_dir().join("profiles/sandbox.toml");
        let text =
            wait_for(UI_LOADED, "the app to write the Sandbox profile", || Ok(std::fs::read_to_string(&path).ok()))
                .expect("the app writes its Sandbox profile on start-up");
        let t: toml::Table = text.parse().expect("the Sandbox profile is TOML");
        let s = |section: &str, key: &str| {
            t[section][key].as_str().with_context(|| format!("{section}.{key} in {text}")).unwrap().to_string()
        };
        SandboxValues {
            authority: s("entra", "authority"),
            tenant: s("entra", "tenant"),
            entra_client_id: s("entra", "client_id"),
            ias_url: s("ias", "url"),
            ias_client_id: s("ias", "client_id"),
            ias_client_auth: s("ias", "client_auth"),
            xsuaa_url: s("xsuaa", "url"),
            xsuaa_client_id: s("xsuaa", "client_id"),
            api_url: s("api", "url"),
            api_header: s("api", "header"),
        }
    }
}

fn wait_on_step(app: &TestApp, step: &str) {
    app.wait_for_element(&format!("{}[data-step={step}]", testid("wizard")), SHORT)
        .unwrap_or_else(|e| panic!("the wizard should show the `{step}` step: {e:#}\n{}", problem(app)));
}

fn next(app: &TestApp, to: &str) {
    app.click(&app.find(&testid("wizard-next")).expect("the Next button")).expect("clicking Next");
    wait_on_step(app, to);
}

/// Replaces a text field's value the way a user does (the typing fires the `input` events Svelte binds to).
fn fill(app: &TestApp, field: &str, value: &str) {
    let input = app.find(&testid(field)).unwrap_or_else(|e| panic!("the field {field}: {e:#}"));
    app.clear(&input).expect("clearing the field");
    app.type_text(&input, value).expect("typing");
    assert_eq!(app.property(&input, "value").ok(), Some(Value::from(value)), "{field} holds what was typed");
}

/// Types a secret into its write-only field and stores it; the field must empty itself afterwards.
fn store_secret(app: &TestApp, kind: &str, value: &str) {
    let input = app.find(&testid(&format!("secret-input-{kind}"))).expect("the secret field");
    app.type_text(&input, value).expect("typing the secret");
    app.click(&app.find(&testid(&format!("secret-save-{kind}"))).expect("Store")).expect("clicking Store");
    let stored = format!("{}:not([data-source=missing])", testid(&format!("secret-source-{kind}")));
    app.wait_for_element(&stored, SHORT)
        .unwrap_or_else(|e| panic!("the {kind} must be stored: {e:#}\n{}", problem(app)));
    let input = app.find(&testid(&format!("secret-input-{kind}"))).expect("the secret field");
    assert_eq!(app.property(&input, "value").ok(), Some(Value::from("")), "a stored secret is never shown again");
}

/// Waits for the try on this step to finish and asserts its hop succeeded with every check passing.
fn expect_step_ok(app: &TestApp, browser: &HeadlessBrowser, step: &str) {
    let detail = format!("{}[data-step={step}]", testid("step-detail"));
    let done = wait_for(TRY_DONE, &format!("the `{step}` hop's result"), || {
        if !app.find_all(&testid("try-running"))?.is_empty() || !app.find_all(&testid("signin-waiting"))?.is_empty() {
            return Ok(None);
        }
        if !app.find_all(&testid("diagnosis"))?.is_empty() || !app.find_all(&testid("run-error"))?.is_empty() {
            bail!("the try failed");
        }
        Ok(app.find_all(&detail)?.into_iter().next())
    });
    let el = done.unwrap_or_else(|e| {
        panic!("{e:#}\n{}\nURLs opened: {:?}\nChromium: {}", problem(app), browser.opened(), browser.log())
    });
    let text = app.text(&el).expect("the hop's result");
    assert!(text.contains("succeeded"), "the `{step}` hop must report success: {text}");
    let bad = app.find_all(&format!("{detail} [data-testid=check][data-ok=false]")).expect("reading the checks");
    assert!(bad.is_empty(), "every check of the `{step}` hop passes: {text}");
}

/// An attribute of the element with this test id ("" when absent).
fn attribute(app: &TestApp, element: &str, name: &str) -> String {
    let script = "const [sel, name] = arguments; return document.querySelector(sel)?.getAttribute(name) ?? '';";
    let value =
        app.execute(script, vec![Value::from(testid(element)), Value::from(name)]).expect("reading an attribute");
    value.as_str().unwrap_or_default().to_string()
}

/// A screenshot once the page has painted its latest change (two animation frames), so none comes out blank.
fn shot(app: &TestApp, step: &str) {
    let script = "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));";
    app.execute_async(script, vec![]).expect("waiting for a paint");
    app.screenshot(step).expect("screenshot");
}

/// What the page says is wrong, for failure messages.
fn problem(app: &TestApp) -> String {
    app.find(&testid("main")).and_then(|m| app.text(&m)).unwrap_or_default()
}

#[derive(Debug)]
struct ListedProfile {
    slug: String,
    name: String,
    env: Option<String>,
}

/// The sidebar's profiles as shown: slug, name and environment tag.
fn sidebar(app: &TestApp) -> anyhow::Result<Vec<ListedProfile>> {
    let script = "return [...document.querySelectorAll('[data-testid=profile-item]')].map((li) => ({\
                    slug: li.dataset.slug,\
                    name: li.querySelector('[data-testid=profile-name]')?.textContent ?? '',\
                    env: li.querySelector('[data-testid=env-tag]')?.textContent ?? null }));";
    let list = app.execute(script, vec![])?;
    let items = list.as_array().context("the sidebar script returns a list")?;
    Ok(items
        .iter()
        .map(|p| ListedProfile {
            slug: p["slug"].as_str().unwrap_or_default().to_string(),
            name: p["name"].as_str().unwrap_or_default().trim().to_string(),
            env: p["env"].as_str().map(|e| e.trim().to_string()),
        })
        .collect())
}

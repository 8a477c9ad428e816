//! UI → Rust → UI round trips through the real window: the page calls a command, the answer is shown.

use std::time::Duration;

use base64::Engine;
use serde_json::json;
use tokenhop_e2e::{selectors, wait::UI_LOADED, TestApp};

/// An unsigned-looking JWT shaped like an Entra v2.0 ID token; only its claims matter here.
fn entra_like_token(preferred_username: &str) -> String {
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": "e2e-key" });
    let claims = json!({
        "iss": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        "ver": "2.0",
        "aud": "00000000-0000-0000-0000-00000000e2e0",
        "preferred_username": preferred_username,
        "iat": 1_700_000_000,
        "exp": 4_100_000_000u64,
    });
    format!("{}.{}.{}", b64(header), b64(claims), "c2lnbmF0dXJl")
}

#[test]
fn pasted_token_is_decoded_by_the_backend_and_its_claims_shown() {
    let app = TestApp::launch("pasted_token_is_decoded_by_the_backend_and_its_claims_shown");
    let open = app.wait_for_element(selectors::sidebar::OPEN_DECODER, UI_LOADED).expect("the sidebar renders");
    app.screenshot("01-started").expect("screenshot of the started window");

    app.click(&open).expect("opening the decoder");
    app.wait_for_element(selectors::decoder::VIEW, Duration::from_secs(5)).expect("the decoder view opens");
    let verify = app.find(selectors::decoder::VERIFY).expect("the signature check box");
    app.click(&verify).expect("unticking the signature check keeps the test offline");
    let input = app.find(selectors::decoder::INPUT).expect("the token field");
    app.type_text(&input, &entra_like_token("ada@contoso.example")).expect("pasting the token");

    let shown = app.wait_for_text(
        &selectors::decoder::claim_value("preferred_username"),
        "ada@contoso.example",
        Duration::from_secs(10),
    );
    app.screenshot("02-claims-shown").expect("screenshot after the round trip");
    if let Err(err) = shown {
        let backend_said = app.find(selectors::decoder::ERROR).and_then(|e| app.text(&e)).unwrap_or_default();
        panic!("the claim decoded by `tokens_decode` must be shown: {err:#}\nerror shown in the UI: {backend_said:?}");
    }
}

#[test]
fn app_info_answers_an_invoke_from_the_page() {
    let app = TestApp::launch("app_info_answers_an_invoke_from_the_page");
    app.wait_for_element(selectors::shell::MAIN, UI_LOADED).expect("the UI has loaded");

    let reply = app.invoke("app_info", json!({})).expect("the script ran");

    let info = reply.expect("app_info must succeed: the capability file allows it to the main window");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"), "the command reports the crate version: {info}");
}

#[test]
fn a_command_the_app_does_not_have_is_refused() {
    let app = TestApp::launch("a_command_the_app_does_not_have_is_refused");
    app.wait_for_element(selectors::shell::MAIN, UI_LOADED).expect("the UI has loaded");

    let reply = app.invoke("no_such_command", json!({})).expect("the script ran");

    assert!(reply.is_err(), "an unknown command must be rejected, not answered: {reply:?}");
}

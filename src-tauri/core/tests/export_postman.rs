//! The Postman export against its contracts: the collection validates against the published v2.1.0 JSON
//! schema (vendored in `tests/fixtures/postman/`), the environment has the shape Postman exports, and
//! secrets and tokens end up only where they may.

#[path = "export_fixture.rs"]
mod fixture;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokenhop_core::export::{render, ExportFile, ExportFormat, ExportOptions};
use tokenhop_core::profile::{ClientAuth, Profile};

const SCHEMA_SHA256: &str = "ee2b7a95e9fefb6a24ed40a92242ca67f501f98bc2de070d6d8e1e24aaa43f2f";

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/postman/collection-v2.1.0.schema.json");
    let text = std::fs::read(path).expect("the vendored schema is present");
    let digest: String = Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(digest, SCHEMA_SHA256, "the vendored schema changed; update README.md and this checksum together");
    serde_json::from_slice(&text).unwrap()
}

fn postman(profile: &Profile, options: &ExportOptions) -> (ExportFile, ExportFile) {
    let mut files = render(ExportFormat::Postman, profile, &fixture::report(), options).unwrap();
    assert_eq!(files.len(), 2, "a collection and an environment");
    let env = files.pop().unwrap();
    (files.pop().unwrap(), env)
}

fn json(file: &ExportFile) -> Value {
    serde_json::from_str(&file.contents).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.file_name))
}

fn all_profiles() -> Vec<(&'static str, Profile)> {
    let mut minimal = fixture::profile(ClientAuth::Basic, ClientAuth::Basic);
    minimal.xsuaa = None;
    minimal.api = None;
    minimal.entra.confidential = true;
    vec![
        ("basic/basic", fixture::profile(ClientAuth::Basic, ClientAuth::Basic)),
        ("post/post", fixture::profile(ClientAuth::Post, ClientAuth::Post)),
        ("basic/post", fixture::profile(ClientAuth::Basic, ClientAuth::Post)),
        ("ias only, confidential entra", minimal),
    ]
}

#[test]
fn the_collection_validates_against_the_published_v2_1_0_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    for (case, profile) in all_profiles() {
        let (collection, _) = postman(&profile, &fixture::options());
        let doc = json(&collection);
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{case}: the collection must be valid v2.1.0:\n{}", errors.join("\n"));
        assert_eq!(doc["info"]["schema"], "https://schema.getpostman.com/json/collection/v2.1.0/collection.json");
    }
}

#[test]
fn the_schema_check_would_catch_a_broken_collection() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let (collection, _) = postman(&fixture::profile(ClientAuth::Basic, ClientAuth::Basic), &fixture::options());
    let mut doc = json(&collection);
    doc["item"][1]["request"]["auth"]["type"] = "magic".into();
    assert!(!validator.is_valid(&doc), "an unknown auth type must fail validation, or the test proves nothing");
    let mut doc = json(&collection);
    doc["info"].as_object_mut().unwrap().remove("schema");
    assert!(!validator.is_valid(&doc), "info without schema must fail validation");
    let mut doc = json(&collection);
    doc["item"][2]["request"]["header"][0]["key"] = 42.into();
    assert!(!validator.is_valid(&doc), "a header with a numeric key must fail validation");
}

#[test]
fn the_collection_replays_the_chain_in_order_with_postmans_oauth2_helper_first() {
    let (collection, _) = postman(&fixture::profile(ClientAuth::Basic, ClientAuth::Post), &fixture::options());
    let doc = json(&collection);
    let names: Vec<&str> = doc["item"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Entra: sign in", "IAS: exchange Entra token", "XSUAA: exchange IAS token", "API: call"]);

    let auth = &doc["item"][0]["request"]["auth"];
    assert_eq!(auth["type"], "oauth2");
    let attr = |k: &str| auth["oauth2"].as_array().unwrap().iter().find(|a| a["key"] == k).map(|a| a["value"].clone());
    assert_eq!(attr("grant_type"), Some("authorization_code_with_pkce".into()), "authorization code with PKCE");
    assert_eq!(attr("challengeAlgorithm"), Some("S256".into()));
    assert_eq!(attr("authUrl"), Some("{{entra_auth_url}}".into()));
    assert_eq!(attr("accessTokenUrl"), Some("{{entra_token_url}}".into()));
    assert_eq!(attr("clientId"), Some("{{entra_client_id}}".into()));
    assert_eq!(attr("scope"), Some("{{entra_scopes}}".into()));
    assert_eq!(attr("redirect_uri"), Some("{{entra_redirect_uri}}".into()));
    assert_eq!(attr("clientSecret"), None, "a public Entra client has no secret");

    let ias = &doc["item"][1];
    let form = |item: &Value, k: &str| {
        item["request"]["body"]["urlencoded"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["key"] == k)
            .map(|p| p["value"].clone())
    };
    assert_eq!(form(ias, "grant_type"), Some("urn:ietf:params:oauth:grant-type:jwt-bearer".into()));
    assert_eq!(form(ias, "assertion"), Some("{{entra_id_token}}".into()));
    assert_eq!(form(ias, "token_format"), Some("jwt".into()));
    assert_eq!(form(ias, "client_secret"), None, "Basic auth keeps the secret out of the body");
    // IAS gets form-urlencoded Basic, as the chain sends it and IAS asks: Postman's own Basic Auth helper does not
    // encode, so a pre-request script builds the header, and no X-CF header is sent.
    assert_eq!(ias["request"]["auth"]["type"], "noauth");
    let basic = script(ias, "prerequest");
    assert!(basic.contains("formEncode(clientId) + ':' + formEncode(clientSecret)"), "{basic}");
    assert!(basic.contains("pm.variables.get('ias_client_secret')"), "{basic}");
    let ias_headers = ias["request"]["header"].as_array().unwrap();
    assert!(ias_headers.iter().all(|h| h["key"] != "X-CF-ENCODED-CREDENTIALS"), "the CF header is UAA's, not IAS's");
    let test = script(ias, "test");
    assert!(
        test.contains("pm.response.to.have.status(200)") && test.contains("pm.environment.set('ias_' + name"),
        "{test}"
    );

    let xsuaa = &doc["item"][2];
    assert_eq!(form(xsuaa, "assertion"), Some("{{ias_id_token}}".into()), "XSUAA exchanges the IAS ID token");
    assert_eq!(form(xsuaa, "client_id"), Some("{{xsuaa_client_id}}".into()), "post auth sends the id in the body");
    assert_eq!(form(xsuaa, "client_secret"), Some("{{xsuaa_client_secret}}".into()));
    let headers = xsuaa["request"]["header"].as_array().unwrap();
    assert!(headers.iter().any(|h| h["key"] == "X-zid" && h["value"] == "{{xsuaa_zid}}"), "X-zid is sent");

    let api = &doc["item"][3]["request"];
    assert!(api["header"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["key"] == "x-approuter-authorization" && h["value"] == "Bearer {{xsuaa_access_token}}"));
}

/// XSUAA compares Basic credentials raw unless told they are URL-encoded: the collection encodes them in a
/// pre-request script and sends `X-CF-ENCODED-CREDENTIALS: true`, as the chain does.
#[test]
fn basic_auth_at_xsuaa_is_url_encoded_and_announced_with_the_cf_header() {
    let (collection, _) = postman(&fixture::profile(ClientAuth::Post, ClientAuth::Basic), &fixture::options());
    let doc = json(&collection);
    let xsuaa = &doc["item"][2];
    let headers = xsuaa["request"]["header"].as_array().unwrap();
    assert!(headers.iter().any(|h| h["key"] == "X-CF-ENCODED-CREDENTIALS" && h["value"] == "true"), "{headers:?}");
    let pre = script(xsuaa, "prerequest");
    assert!(pre.contains("encodeURIComponent"), "the Basic header is built in a script: {pre}");
    assert!(pre.contains("pm.variables.get('xsuaa_client_secret')") && pre.contains("Basic "), "{pre}");
    assert!(
        xsuaa["request"]["description"].as_str().unwrap().contains("X-CF-ENCODED-CREDENTIALS"),
        "the description explains why"
    );
    assert_eq!(xsuaa["request"]["auth"]["type"], "noauth", "not Postman's unencoded helper");
}

fn script(item: &Value, listen: &str) -> String {
    let event = item["event"].as_array().unwrap().iter().find(|e| e["listen"] == listen).expect("script present");
    event["script"]["exec"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_environment_has_the_shape_postman_exports() {
    let (_, env) = postman(&fixture::profile(ClientAuth::Basic, ClientAuth::Basic), &fixture::options());
    let doc = json(&env);
    let keys: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["id", "name", "values", "_postman_variable_scope", "_postman_exported_at", "_postman_exported_using"] {
        assert!(keys.contains(&k), "{k} is missing from the environment");
    }
    assert_eq!(doc["_postman_variable_scope"], "environment");
    assert_eq!(doc["_postman_exported_at"], "2026-11-14T09:30:00.000Z");
    assert!(doc["_postman_exported_using"].as_str().unwrap().starts_with("TokenHop/"));
    assert!(
        doc["name"].as_str().unwrap().contains("ACME dev")
            && doc["name"].as_str().unwrap().contains("2026-11-14 09:30"),
        "named after the profile and the time"
    );
    for v in doc["values"].as_array().unwrap() {
        assert!(v["key"].is_string() && v["value"].is_string(), "{v}");
        assert!(["default", "secret"].contains(&v["type"].as_str().unwrap()), "{v}");
        let enabled = v["enabled"].as_bool().expect("enabled is a boolean");
        match v.get("disabled") {
            None => assert!(enabled, "an enabled variable has no disabled flag: {v}"),
            Some(d) => assert!(!enabled && d == true, "disabled needs both enabled=false and disabled=true: {v}"),
        }
    }
}

fn value<'a>(env: &'a Value, key: &str) -> &'a Value {
    env["values"].as_array().unwrap().iter().find(|v| v["key"] == key).unwrap_or_else(|| panic!("{key} missing"))
}

#[test]
fn tokens_are_secret_typed_and_endpoints_default_typed() {
    let (_, env) = postman(&fixture::profile(ClientAuth::Basic, ClientAuth::Basic), &fixture::options());
    let doc = json(&env);
    let report = fixture::report();
    for (key, step, name) in [
        ("entra_id_token", tokenhop_core::Step::Entra, "id_token"),
        ("entra_refresh_token", tokenhop_core::Step::Entra, "refresh_token"),
        ("ias_id_token", tokenhop_core::Step::Ias, "id_token"),
        ("ias_access_token", tokenhop_core::Step::Ias, "access_token"),
        ("ias_refresh_token", tokenhop_core::Step::Ias, "refresh_token"),
        ("xsuaa_access_token", tokenhop_core::Step::Xsuaa, "access_token"),
        ("xsuaa_refresh_token", tokenhop_core::Step::Xsuaa, "refresh_token"),
    ] {
        let v = value(&doc, key);
        assert_eq!(v["type"], "secret", "{key} is a token");
        assert_eq!(v["value"].as_str(), report.step(step).unwrap().token(name), "{key} holds the run's token");
    }
    for key in [
        "entra_authority",
        "entra_tenant",
        "entra_client_id",
        "entra_token_url",
        "ias_url",
        "ias_token_url",
        "ias_client_id",
        "xsuaa_url",
        "xsuaa_token_url",
        "xsuaa_client_id",
        "api_url",
        "api_header",
        "xsuaa_zid",
    ] {
        assert_eq!(value(&doc, key)["type"], "default", "{key} is an endpoint or id");
    }
    assert_eq!(value(&doc, "xsuaa_zid")["value"], fixture::APP_TID, "X-zid defaults to the IAS token's app_tid");
    assert_eq!(value(&doc, "ias_id_token_expires_at")["value"], "2026-11-14T10:30:02Z", "expiry from the token's exp");
    assert_eq!(value(&doc, "xsuaa_access_token_expires_at")["value"], "2026-11-14T21:30:03Z");
    assert!(env.contains_tokens, "the environment holds live tokens");
}

#[test]
fn client_secrets_stay_out_unless_the_user_opts_in() {
    let profile = fixture::profile(ClientAuth::Basic, ClientAuth::Post);
    let (collection, env) = postman(&profile, &fixture::options());
    let doc = json(&env);
    for key in ["ias_client_secret", "xsuaa_client_secret"] {
        let v = value(&doc, key);
        assert_eq!(v["value"], "", "{key} is empty without opt-in");
        assert_eq!(
            (v["enabled"].clone(), v["disabled"].clone()),
            (false.into(), true.into()),
            "{key} is disabled for Postman and newman"
        );
    }
    assert!(!collection.contains_tokens, "the collection holds variables only");

    let (collection, env) = postman(&profile, &fixture::options_with_secrets());
    let doc = json(&env);
    for (key, secret) in [("ias_client_secret", fixture::IAS_SECRET), ("xsuaa_client_secret", fixture::XSUAA_SECRET)] {
        let v = value(&doc, key);
        assert_eq!(
            (v["value"].as_str(), v["type"].as_str(), v["enabled"].as_bool()),
            (Some(secret), Some("secret"), Some(true)),
            "{key}"
        );
        assert!(v.get("disabled").is_none());
        assert!(!collection.contents.contains(secret), "secrets never go into the collection");
    }
    let report = fixture::report();
    for step in &report.steps {
        for token in step.tokens.values() {
            assert!(!collection.contents.contains(token.expose()), "tokens never go into the collection");
        }
    }
}

//! Every validation rule, table-driven: each case breaks one field of a valid profile and names the field
//! that must be reported (and a word the message or hint must contain).

use std::path::Path;

use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::{validate, Flow, Profile};

const VALID: &str = r#"
name = "ACME dev"
environment = "dev"
[entra]
tenant = "contoso.onmicrosoft.com"
client_id = "00000000-0000-0000-0000-000000000000"
[ias]
url = "https://acme.accounts.ondemand.com"
client_id = "ias-client"
resource = "urn:sap:identity:application:provider:name:orders-api"
[xsuaa]
url = "https://acme-dev.authentication.eu10.hana.ondemand.com"
client_id = "sb-orders!t123"
[api]
url = "https://orders.cfapps.eu10.hana.ondemand.com/odata/v4/orders"
"#;

fn valid() -> Profile {
    parse_profile(VALID, Path::new("valid.toml")).expect("the base profile parses")
}

#[test]
fn the_base_profile_is_valid() {
    assert_eq!(validate(&valid()), vec![], "the base of the table must itself be valid");
}

#[test]
fn each_broken_field_is_reported_by_name_with_a_fix() {
    type Break = fn(&mut Profile);
    let cases: &[(&str, Break, &str, &str)] = &[
        ("empty name", |p| p.name = "  ".into(), "name", "name"),
        ("name without letters", |p| p.name = "!!!".into(), "name", "letter"),
        ("empty environment", |p| p.environment = Some(" ".into()), "environment", "tag"),
        (
            "authority not a URL",
            |p| p.entra.authority = "login.microsoftonline.com".into(),
            "entra.authority",
            "https://",
        ),
        (
            "authority over http",
            |p| p.entra.authority = "http://login.microsoftonline.com".into(),
            "entra.authority",
            "https",
        ),
        (
            "authority with /v2.0",
            |p| p.entra.authority = "https://login.microsoftonline.com/contoso/v2.0".into(),
            "entra.authority",
            "{tenant}",
        ),
        ("empty tenant", |p| p.entra.tenant = String::new(), "entra.tenant", "GUID"),
        ("tenant common", |p| p.entra.tenant = "common".into(), "entra.tenant", "issuer"),
        ("tenant organizations", |p| p.entra.tenant = "organizations".into(), "entra.tenant", "issuer"),
        ("tenant garbage", |p| p.entra.tenant = "not a tenant".into(), "entra.tenant", "Directory (tenant) ID"),
        ("tenant bad GUID", |p| p.entra.tenant = "0000-zz".into(), "entra.tenant", "GUID"),
        ("empty Entra client id", |p| p.entra.client_id = "".into(), "entra.client_id", "Application (client) ID"),
        ("Entra client id with spaces", |p| p.entra.client_id = "abc def".into(), "entra.client_id", "spaces"),
        ("scopes without openid", |p| p.entra.scopes = vec!["profile".into()], "entra.scopes", "openid"),
        ("password flow without user", |p| p.entra.flow = Flow::Password, "entra.username", "UPN"),
        (
            "IAS over http",
            |p| p.ias.as_mut().unwrap().url = "http://acme.accounts.ondemand.com".into(),
            "ias.url",
            "localhost",
        ),
        (
            "IAS token endpoint pasted",
            |p| p.ias.as_mut().unwrap().url = "https://acme.accounts.ondemand.com/oauth2/token".into(),
            "ias.url",
            "/oauth2/token",
        ),
        (
            "IAS URL with query",
            |p| p.ias.as_mut().unwrap().url = "https://acme.accounts.ondemand.com?x=1".into(),
            "ias.url",
            "?",
        ),
        (
            "IAS URL ftp",
            |p| p.ias.as_mut().unwrap().url = "ftp://acme.accounts.ondemand.com".into(),
            "ias.url",
            "https",
        ),
        ("empty IAS client id", |p| p.ias.as_mut().unwrap().client_id = " ".into(), "ias.client_id", "IAS application"),
        (
            "IAS resource not a URN",
            |p| p.ias.as_mut().unwrap().resource = Some("orders-api".into()),
            "ias.resource",
            "urn:sap:identity",
        ),
        (
            "IAS key ID with a client secret",
            |p| p.ias.as_mut().unwrap().assertion_kid = Some("tokenhop-2026".into()),
            "ias.assertion_kid",
            "private-key-jwt",
        ),
        (
            "IAS key ID blank",
            |p| {
                let ias = p.ias.as_mut().unwrap();
                ias.client_auth = tokenhop_core::profile::ClientAuth::PrivateKeyJwt;
                ias.assertion_kid = Some(" tokenhop-2026".into());
            },
            "ias.assertion_kid",
            "kid",
        ),
        (
            "XSUAA token endpoint pasted",
            |p| {
                p.xsuaa.as_mut().unwrap().url =
                    "https://acme-dev.authentication.eu10.hana.ondemand.com/oauth/token".into()
            },
            "xsuaa.url",
            "/oauth/token",
        ),
        ("empty XSUAA client id", |p| p.xsuaa.as_mut().unwrap().client_id = "".into(), "xsuaa.client_id", "sb-"),
        ("XSUAA without IAS", |p| p.ias = None, "xsuaa", "[ias]"),
        ("API over http", |p| p.api.as_mut().unwrap().url = "http://orders.example.com".into(), "api.url", "https"),
        ("API not a URL", |p| p.api.as_mut().unwrap().url = "orders".into(), "api.url", "URL"),
        ("newer schema", |p| p.schema_version = 99, "schema_version", "update TokenHop"),
    ];
    for (case, break_it, field, word) in cases {
        let mut profile = valid();
        break_it(&mut profile);
        let errors = validate(&profile);
        let error = errors.iter().find(|e| e.field == *field);
        assert!(error.is_some(), "{case}: expected an error on {field}, got {errors:?}");
        let error = error.unwrap();
        let text = format!("{} {}", error.message, error.hint);
        assert!(text.contains(word), "{case}: the message or hint must mention {word:?}: {text}");
        assert_eq!(errors.len(), 1, "{case}: only {field} is broken, got {errors:?}");
    }
}

#[test]
fn loopback_hosts_may_use_http_and_other_good_values_pass() {
    type Tweak = fn(&mut Profile);
    let cases: &[(&str, Tweak)] = &[
        ("localhost", |p| p.ias.as_mut().unwrap().url = "http://localhost:8443".into()),
        ("127.0.0.1", |p| p.xsuaa.as_mut().unwrap().url = "http://127.0.0.1:9000".into()),
        ("127.x", |p| p.api.as_mut().unwrap().url = "http://127.1.2.3/api".into()),
        ("::1", |p| p.entra.authority = "http://[::1]:7000".into()),
        ("tenant GUID", |p| p.entra.tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
        ("tenant consumers", |p| p.entra.tenant = "consumers".into()),
        ("trailing slash on IAS", |p| p.ias.as_mut().unwrap().url = "https://acme.accounts.cloud.sap/".into()),
        ("password flow with user", |p| {
            p.entra.flow = Flow::Password;
            p.entra.username = Some("alice@contoso.onmicrosoft.com".into());
        }),
        ("no optional sections", |p| {
            p.ias = None;
            p.xsuaa = None;
            p.api = None;
        }),
    ];
    for (case, tweak) in cases {
        let mut profile = valid();
        tweak(&mut profile);
        assert_eq!(validate(&profile), vec![], "{case} must be accepted");
    }
}

#[test]
fn field_errors_serialize_as_field_message_hint() {
    let mut profile = valid();
    profile.entra.tenant = "common".into();
    let json = serde_json::to_value(&validate(&profile)[0]).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["field", "hint", "message"], "the UI relies on exactly these keys");
}

/// Issue 23 item 10: exports write profile values into line-based files, so no profile string may carry a
/// line break or another control character — URLs included, which `Url::parse` would silently clean.
#[test]
fn control_characters_are_refused_in_every_string() {
    type Case = (&'static str, fn(&mut Profile));
    let cases: [Case; 7] = [
        ("name", |p| p.name = "ACME\nIAS_ID_TOKEN=forged".into()),
        ("environment", |p| p.environment = Some("dev\r".into())),
        ("entra.tenant", |p| p.entra.tenant.push('\0')),
        ("entra.scopes", |p| p.entra.scopes.push("email\u{2028}x".into())),
        ("ias.url", |p| p.ias.as_mut().unwrap().url = "https://acme.accounts.ondemand.com\n".into()),
        ("xsuaa.client_id", |p| p.xsuaa.as_mut().unwrap().client_id.push('\t')),
        ("api.url", |p| p.api.as_mut().unwrap().url.insert(8, '\u{1b}')),
    ];
    for (field, tweak) in cases {
        let mut profile = valid();
        tweak(&mut profile);
        let errors = validate(&profile);
        assert!(
            errors.iter().any(|e| e.field == field && e.message.contains("control character")),
            "{field} with a control character must be refused: {errors:?}"
        );
    }
}

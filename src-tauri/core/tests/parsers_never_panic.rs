//! Issue 23, "parsers that never panic": every parser that reads outside input, fed generated input. Each
//! property runs 10,000 cases in `cargo xtask test`; `cargo xtask fuzz` runs them far longer by setting
//! `PROPTEST_CASES`. A property holds when the parser returns — a value or an error — instead of panicking
//! (release builds abort on panic, so a panic here is a crash of the app).

use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value};
use tokenhop_core::diagnose::{entra_error, token_error, unexpected_body};
use tokenhop_core::http::HttpResponse;
use tokenhop_core::oidc::{discovery, KeySet};
use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::{parse_service_key, validate};
use tokenhop_core::service::Service;
use tokenhop_core::token::{decode, verify_signature};
use tokenhop_core::token_response::read_token_response;
use url::Url;

/// 10,000 cases unless `PROPTEST_CASES` says otherwise (`cargo xtask fuzz`).
fn config() -> ProptestConfig {
    let mut config = ProptestConfig { failure_persistence: None, ..ProptestConfig::default() };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 10_000;
    }
    config
}

/// Any JSON value, a few levels deep, with the odd numbers and strings servers send.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("https://login.example.com/t/v2.0"),
            Just("http://127.0.0.1:1/x"),
            Just("file:///etc/passwd"),
            Just("")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(2, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object holding some of `keys`, each with any JSON value, plus the odd unknown key.
fn object_with(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((prop::sample::select(keys), json_value()), 0..keys.len() + 2),
        prop::option::of((".{0,8}", json_value())),
    )
        .prop_map(|(fields, extra)| {
            let fields = fields.into_iter().map(|(k, v)| (k.to_owned(), v));
            Value::Object(fields.chain(extra).collect())
        })
}

/// A string that is sometimes JSON of the given shape and sometimes anything at all.
fn body(shape: impl Strategy<Value = Value>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => shape.prop_map(|v| v.to_string()),
        1 => ".{0,120}",
        1 => shape_prefix(),
    ]
}

/// The first bytes of a JSON document (a truncated body), cut at a character boundary.
fn shape_prefix() -> impl Strategy<Value = String> {
    (json_value(), any::<prop::sample::Index>()).prop_map(|(v, i)| {
        let text = v.to_string();
        let cut = i.index(text.len() + 1);
        text.char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .rfind(|at| *at <= cut)
            .map_or(String::new(), |at| text[..at].to_owned())
    })
}

/// A string shaped like a JWT: three (sometimes two or four) dot-separated base64url segments of JSON or bytes.
fn jwt_like() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        object_with(&["alg", "kid", "typ", "iss", "aud", "exp", "nbf", "iat", "sub", "ver", "nonce", "azp"])
            .prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        "[A-Za-z0-9_=+/-]{0,40}",
    ];
    prop::collection::vec(segment, 1..5).prop_map(|parts| parts.join("."))
}

fn response(status: u16, content_type: &str, body: String) -> HttpResponse {
    HttpResponse { status, headers: vec![("content-type".into(), content_type.into())], body }
}

const TOKEN_FIELDS: &[&str] = &[
    "access_token",
    "id_token",
    "refresh_token",
    "token_type",
    "expires_in",
    "scope",
    "error",
    "error_description",
    "error_codes",
    "error_uri",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn jwt_decode_and_signature_checks_never_panic(raw in prop_oneof![jwt_like(), ".{0,200}"], keys in object_with(&["keys"])) {
        let _ = decode(&raw);
        let keys = KeySet::from_document(&keys);
        let _ = verify_signature(&raw, &keys);
    }

    #[test]
    fn discovery_documents_never_panic(doc in body(object_with(&[
        "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "device_authorization_endpoint",
        "authorization_response_iss_parameter_supported", "response_types_supported", "subject_types_supported",
        "id_token_signing_alg_values_supported", "scopes_supported",
    ])), status in 100u16..600) {
        let url = Url::parse("https://login.example.com/t/v2.0/.well-known/openid-configuration").unwrap();
        let _ = discovery::parse(&url, &response(status, "application/json", doc));
    }

    #[test]
    fn jwks_documents_never_panic(keys in prop::collection::vec(object_with(&["kty", "kid", "use", "alg", "n", "e", "crv", "x", "y", "k", "key_ops", "x5c"]), 0..4)) {
        let _ = KeySet::from_document(&json!({ "keys": keys }));
    }

    #[test]
    fn token_responses_error_bodies_and_their_diagnoses_never_panic(
        body in body(object_with(TOKEN_FIELDS)),
        status in 100u16..600,
        content_type in prop::sample::select(vec!["application/json", "text/html", "text/plain", "", "application/json; charset=utf-8"]),
    ) {
        let resp = response(status, content_type, body.clone());
        let ias = |s: u16, b: &str| token_error(Service::Ias, s, b);
        let xsuaa = |s: u16, b: &str| token_error(Service::Xsuaa, s, b);
        type Reader<'a> = &'a dyn Fn(u16, &str) -> tokenhop_core::Diagnosis;
        let readers: [Reader; 3] = [&entra_error, &ias, &xsuaa];
        for on_error in readers {
            let _ = read_token_response("IAS", &resp, on_error);
            let _ = on_error(status, &body);
        }
        let _ = unexpected_body("XSUAA", status, Some(content_type), &body);
    }

    #[test]
    fn entra_error_descriptions_never_panic(code in "[0-9]{0,9}", rest in ".{0,60}", status in 100u16..600) {
        let body = json!({ "error": "invalid_grant", "error_description": format!("AADSTS{code}: {rest}"), "error_codes": [code.parse::<u64>().unwrap_or(0)] });
        let _ = entra_error(status, &body.to_string());
    }

    #[test]
    fn service_keys_never_panic(key in body(prop_oneof![
        object_with(&["clientid", "clientsecret", "url", "uaadomain", "identityzone", "xsappname", "credential-type", "certificate", "key", "certurl", "tenantid", "app_tid"]),
        object_with(&["credentials", "name", "label"]),
    ])) {
        let _ = parse_service_key(&key);
    }

    #[test]
    fn profile_toml_never_panics(text in profile_toml()) {
        if let Ok(profile) = parse_profile(&text, Path::new("fuzz.toml")) {
            let _ = validate(&profile);
        }
    }
}

/// A valid profile, then mangled: a random edit at a random place, or a line of random TOML-ish text.
fn profile_toml() -> impl Strategy<Value = String> {
    const BASE: &str = "name = \"ACME dev\"\nenvironment = \"dev\"\n[entra]\ntenant = \"contoso.onmicrosoft.com\"\n\
        client_id = \"00000000-0000-0000-0000-000000000001\"\nflow = \"authorization-code\"\nredirect_port = 0\n\
        [ias]\nurl = \"https://acme.accounts.ondemand.com\"\nclient_id = \"c\"\n[xsuaa]\nurl = \"https://x.authentication.eu10.hana.ondemand.com\"\n\
        client_id = \"sb-x!t1\"\n[api]\nurl = \"https://api.example.com\"\n";
    let edit = (any::<prop::sample::Index>(), 0usize..8, "[\\x00-\\x7f\\u{80}-\\u{10ffff}]{0,8}");
    prop_oneof![
        prop::collection::vec(edit, 0..4).prop_map(|edits| {
            let mut text = BASE.to_owned();
            for (at, remove, insert) in edits {
                let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
                let start = boundaries[at.index(boundaries.len())];
                let end = boundaries.iter().copied().find(|b| *b >= start + remove).unwrap_or(text.len());
                text.replace_range(start..end, &insert);
            }
            text
        }),
        "[a-z_\\[\\]=\"' .0-9\\n{}#-]{0,200}",
        ".{0,200}",
    ]
}

/// The loopback listener reads its request line and query from whatever connects; none of it may crash it,
/// and none of it may end the wait with a code (only the right `state` may).
#[test]
fn the_loopback_callback_never_panics_on_any_request_line() {
    use std::io::{Read, Write};
    use tokenhop_core::entra::loopback::{Expected, Loopback, LoopbackConfig};
    use tokenhop_core::Secret;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config_lb = LoopbackConfig { port: 0, timeout: Duration::from_secs(3600), ..LoopbackConfig::default() };
    let listener = runtime.block_on(Loopback::bind(&config_lb)).unwrap();
    let port = listener.port();
    let expected = Expected {
        state: Secret::new("the-one-state-nobody-guesses"),
        issuer: Some("https://i".into()),
        require_iss: true,
    };
    let wait = runtime.spawn(listener.wait(expected, tokio_util::sync::CancellationToken::new()));

    let line = prop_oneof![
        ("[A-Z]{0,7}", "/\\?[a-z_=&%0-9A-F.+-]{0,80}", prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2", "", "FOO"]))
            .prop_map(|(m, target, v)| format!("{m} {target} {v}").into_bytes()),
        ("/\\?(code|state|iss|error|error_description)=.{0,30}(&(code|state|iss|error|error_description)=.{0,30}){0,4}")
            .prop_map(|target| format!("GET {target} HTTP/1.1").into_bytes()),
        prop::collection::vec(any::<u8>(), 0..120),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let result = runner.run(&line, |line| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the listener is up");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // The listener may answer a garbled line and close before all of it is written.
        let _ = stream
            .write_all(&line)
            .and_then(|()| stream.write_all(b"\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        prop_assert!(!wait.is_finished(), "the wait ended on {:?}", String::from_utf8_lossy(&line));
        Ok(())
    });
    result.unwrap();
}

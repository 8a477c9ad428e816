//! Issue 23 item 1: nothing a server sends may crash the app (release builds abort on panic). Each case is
//! a value a server controls that once reached an `expect`, an unchecked `Instant` addition or an
//! overflowing subtraction; each must end in a diagnosis or a failing check instead.

mod common;

use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use common::*;
use serde_json::json;
use tokenhop_core::entra::device_code;
use tokenhop_core::http::{HttpClient, HttpConfig};
use tokenhop_core::oidc::{Discovery, JwksCache};
use tokenhop_core::profile::EntraConfig;
use tokenhop_core::report::Step;
use tokenhop_sandbox::{Fault, Tamper, TokenKind};
use tokio_util::sync::CancellationToken;
use url::Url;

/// A device-code endpoint that answers with `authorization`, and a token endpoint that hands out tokens.
async fn device_code_server(authorization: serde_json::Value) -> Url {
    let app = Router::new()
        .route("/devicecode", post(move || async move { Json(authorization) }))
        .route(
            "/token",
            post(|| async { Json(json!({ "access_token": "a", "id_token": "i", "token_type": "Bearer" })) }),
        )
        .route("/keys", axum::routing::get(|| async { Json(json!({ "keys": [] })) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn discovery(base: &Url, issuer: &str) -> Discovery {
    Discovery {
        url: base.join(".well-known/openid-configuration").unwrap(),
        issuer: issuer.to_owned(),
        token_endpoint: base.join("token").unwrap(),
        jwks_uri: base.join("keys").unwrap(),
        device_authorization_endpoint: Some(base.join("devicecode").unwrap()),
        iss_parameter_supported: false,
        metadata: None,
    }
}

fn entra() -> EntraConfig {
    toml::from_str("tenant = \"t\"\nclient_id = \"c\"\nflow = \"device-code\"\n").unwrap()
}

#[tokio::test]
async fn a_device_code_that_never_expires_and_a_huge_interval_do_not_crash() {
    let cases = [
        json!({ "device_code": "d", "user_code": "U", "verification_uri": "https://x", "expires_in": u64::MAX, "interval": 1 }),
        json!({ "device_code": "d", "user_code": "U", "verification_uri": "https://x", "expires_in": 900, "interval": u64::MAX }),
    ];
    for authorization in cases {
        let base = device_code_server(authorization.clone()).await;
        let http = HttpClient::new(HttpConfig::default()).unwrap();
        let cancel = CancellationToken::new();
        let (discovery, entra) = (discovery(&base, "https://x"), entra());
        let run = device_code::run(&http, &discovery, &entra, None, |_| {}, &cancel);
        // A huge interval is clamped to a minute; the case ends by cancel well before that.
        let stop = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            cancel.cancel();
        };
        let ((result, _), ()) = tokio::join!(run, stop);
        match authorization["interval"].as_u64() {
            Some(1) => assert!(result.is_ok(), "{authorization}: the first poll gets the tokens: {:?}", result.err()),
            _ => assert_eq!(result.err().map(|d| d.code), Some("cancelled".into()), "{authorization}"),
        }
    }
}

#[tokio::test]
async fn an_issuer_that_is_not_a_url_is_a_diagnosis() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let base = device_code_server(json!({})).await;
    let jwks = JwksCache::new(HttpClient::new(HttpConfig::default()).unwrap(), Duration::from_secs(30));
    // A token that parses, so verification gets as far as the issuer.
    let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let claims =
        json!({ "ver": "2.0", "iss": "https://x/", "aud": "c", "sub": "s", "exp": 4_000_000_000u64, "iat": 1 });
    let token = format!("{}.{}.c2ln", part(json!({ "alg": "RS256", "kid": "k1" })), part(claims));
    let now = chrono::Utc::now();
    let check = tokenhop_core::entra::id_token::verify(
        &token,
        &discovery(&base, "not a url"),
        &jwks,
        "c",
        tokenhop_core::entra::id_token::NonceCheck::NotSent,
        now,
    )
    .await;
    let error = check.error.expect("refused");
    assert_eq!(error.code, "entra.discovery_malformed", "a diagnosis, not a panic: {error:?}");
}

#[tokio::test]
async fn an_expiry_at_the_edge_of_the_integer_range_fails_its_check() {
    let h = start().await;
    let tamper = Tamper::SetClaim { claim: "exp".into(), value: json!(i64::MIN) };
    h.sandbox.faults().set(Fault::Tamper { token: TokenKind::IasIdToken, tamper });
    let report = h.run_until(Some(Step::Ias)).await;
    let ias = report.steps.iter().find(|s| s.step == Step::Ias).expect("the IAS step ran");
    assert!(
        check(ias, "exp", Some("id_token")).is_some_and(|c| !c.ok),
        "an exp of i64::MIN is long expired: {}",
        summary(&report)
    );
}

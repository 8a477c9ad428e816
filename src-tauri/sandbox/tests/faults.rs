//! Each fault, set in-process or through the control endpoint, and the honest service after clearing.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokenhop_sandbox::{browser, Endpoint, Fault, SandboxConfig, Tamper, TokenKind, OVERSIZED_BYTES};

#[tokio::test]
async fn transport_faults_hit_only_their_endpoint() {
    let sb = start().await;
    let entra_keys = format!("{}/{}/discovery/v2.0/keys", sb.urls().authority, sb.config().tenant_id);
    let ias_certs = format!("{}/oauth2/certs", sb.urls().ias);

    sb.faults().set(Fault::BadGateway { endpoint: Endpoint::IasCerts });
    let r = http().get(&ias_certs).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("502 Bad Gateway"));
    assert_eq!(http().get(&entra_keys).send().await.unwrap().status(), 200, "other endpoints stay honest");
    sb.faults().clear();

    sb.faults().set(Fault::OversizedBody { endpoint: Endpoint::EntraKeys });
    let body = http().get(&entra_keys).send().await.unwrap().bytes().await.unwrap();
    assert!(body.len() >= OVERSIZED_BYTES, "oversized body is {} bytes", body.len());
    sb.faults().clear();

    sb.faults().set(Fault::TruncatedJson { endpoint: Endpoint::EntraKeys });
    let r = http().get(&entra_keys).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.starts_with("{\"keys\""), "the start of the real body: {text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "truncated JSON must not parse");
    sb.faults().clear();
    assert!(http().get(&entra_keys).send().await.unwrap().json::<Value>().await.is_ok(), "honest again after clear");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_hanging_endpoint_never_answers_and_shutdown_still_returns() {
    let sb = start().await;
    sb.faults().set(Fault::Hang { endpoint: Endpoint::XsuaaToken });
    let url = format!("{}/oauth/token", sb.urls().xsuaa);
    let hung =
        tokio::time::timeout(Duration::from_millis(500), http().post(&url).form(&[("grant_type", "x")]).send()).await;
    assert!(hung.is_err(), "a hanging endpoint gives no answer");
    // A request that is on the wire (written whole) when the sandbox shuts down.
    use tokio::io::AsyncWriteExt as _;
    let origin = url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let mut pending = tokio::net::TcpStream::connect(&origin).await.unwrap();
    let request = format!("POST /oauth/token HTTP/1.1\r\nHost: {origin}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 12\r\n\r\ngrant_type=x");
    pending.write_all(request.as_bytes()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(3), sb.shutdown())
        .await
        .expect("shutdown returns despite a hanging request");
    drop(pending);
}

#[tokio::test]
async fn rotating_entra_keys_changes_the_kid_and_publishes_both_keys() {
    let sb = start().await;
    let before = header(&entra_id_token(&sb).await)["kid"].clone();
    sb.faults().set(Fault::RotateEntraKeys);
    let after = header(&entra_id_token(&sb).await)["kid"].clone();
    assert_ne!(before, after, "rotation signs with a new key");
    let keys_url = format!("{}/{}/discovery/v2.0/keys", sb.urls().authority, sb.config().tenant_id);
    let jwks: Value = http().get(&keys_url).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|k| &k["kid"]).collect();
    assert_eq!(kids, vec![&after, &before], "new key first, old key still published");
    sb.shutdown().await;
}

#[tokio::test]
async fn token_tampers_produce_the_broken_tokens_asked_for() {
    let sb = start().await;
    type Holds = Box<dyn Fn(&Value, &Value) -> bool>;
    let cases: Vec<(Tamper, Holds)> = vec![
        (Tamper::AlgNone, Box::new(|h, _| h["alg"] == "none")),
        (Tamper::Hs256, Box::new(|h, _| h["alg"] == "HS256")),
        (Tamper::NoKidTwoKeys, Box::new(|h, _| h.get("kid").is_none())),
        (Tamper::DropHeader { name: "kid".into() }, Box::new(|h, _| h.get("kid").is_none())),
        (Tamper::DropClaim { claim: "nonce".into() }, Box::new(|_, c| c.get("nonce").is_none())),
        (Tamper::SetClaim { claim: "nonce".into(), value: json!("other") }, Box::new(|_, c| c["nonce"] == "other")),
        (
            Tamper::V1Token,
            Box::new(|_, c| {
                c["ver"] == "1.0"
                    && c["iss"].as_str().unwrap().starts_with("https://sts.windows.net/")
                    && c.get("upn").is_some()
            }),
        ),
        (
            Tamper::Expired,
            Box::new(|_, c| {
                c["exp"].as_i64().unwrap() < c["iat"].as_i64().unwrap() + 7200 && c["exp"].as_i64().unwrap() > 0
            }),
        ),
    ];
    for (tamper, holds) in cases {
        let fault = Fault::Tamper { token: TokenKind::EntraIdToken, tamper: tamper.clone() };
        sb.faults().set(fault.clone());
        let token = entra_id_token(&sb).await;
        assert!(
            holds(&header(&token), &claims(&token)),
            "{tamper:?} not applied: {} {}",
            header(&token),
            claims(&token)
        );
        if tamper == Tamper::AlgNone {
            assert!(token.ends_with('.'), "alg none has an empty signature");
        }
        sb.faults().remove(&fault);
    }
    sb.faults().set(Fault::Tamper { token: TokenKind::EntraIdToken, tamper: Tamper::NoKidTwoKeys });
    let keys_url = format!("{}/{}/discovery/v2.0/keys", sb.urls().authority, sb.config().tenant_id);
    let jwks: Value = http().get(&keys_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "two keys published while the token has no kid");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_tampered_xsuaa_token_is_refused_by_the_api() {
    let sb = start().await;
    sb.faults().set(Fault::Tamper { token: TokenKind::XsuaaAccessToken, tamper: Tamper::WrongKey });
    let token = xsuaa_token(&sb).await;
    assert_eq!(http().get(&sb.urls().api).bearer_auth(token).send().await.unwrap().status(), 401);
    sb.shutdown().await;
}

#[tokio::test]
async fn wrong_state_comes_back_altered() {
    let sb = start().await;
    sb.faults().set(Fault::WrongState);
    let (_, challenge) = pkce();
    let callback =
        browser::sign_in_redirect(&authorize_url(&sb, REDIRECT, &challenge), "alice@sandbox.onmicrosoft.com")
            .await
            .unwrap();
    assert_ne!(query(&callback, "state").as_deref(), Some("state-123"));
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_given_at_start_are_active_from_the_first_request() {
    let config =
        SandboxConfig { faults: vec![Fault::BadGateway { endpoint: Endpoint::ApiMe }], ..SandboxConfig::default() };
    let sb = start_with(config).await;
    assert_eq!(http().get(&sb.urls().api).send().await.unwrap().status(), 502);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_control_endpoint_sets_lists_and_clears_faults() {
    let sb = start().await;
    let control = format!("{}/_sandbox", sb.urls().authority);
    let http = || Control(sb.control_token().to_owned());
    let info: Value = http().get(format!("{control}/info")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["urls"]["ias"], sb.urls().ias.as_str());
    assert_eq!(info["entra_client_id"], sb.config().entra_client_id.as_str());
    assert!(!info.to_string().contains(&sb.config().ias_client_secret), "info never shows secrets");

    let r = http()
        .post(format!("{control}/faults"))
        .json(&json!({"fault": "bad_gateway", "endpoint": "api_me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http().post(format!("{control}/faults")).json(&json!([{"fault": "xsuaa_distrusts_ias"}, {"fault": "tamper", "token": "ias_id_token", "tamper": {"kind": "drop_claim", "claim": "exp"}}])).send().await.unwrap();
    assert_eq!(r.status(), 204, "an array of faults");
    assert_eq!(sb.faults().list().len(), 3);
    assert_eq!(common::http().get(&sb.urls().api).send().await.unwrap().status(), 502);

    let bad = http().post(format!("{control}/faults")).json(&json!({"fault": "no_such_fault"})).send().await.unwrap();
    assert_eq!(bad.status(), 400, "unknown faults are refused");

    let listed: Value = http().get(format!("{control}/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[0], json!({"fault": "bad_gateway", "endpoint": "api_me"}));
    assert_eq!(http().delete(format!("{control}/faults")).send().await.unwrap().status(), 204);
    assert!(sb.faults().list().is_empty());

    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    assert_eq!(
        http().post(format!("{control}/clock")).json(&json!({"advance_secs": 601})).send().await.unwrap().status(),
        204
    );
    assert_aadsts(redeem(&sb, &code, &verifier).await, 400, "invalid_grant", 70008).await;

    let issued: Value = http().get(format!("{control}/issued")).send().await.unwrap().json().await.unwrap();
    assert_eq!(issued["authorize"]["state"], "state-123", "the authorize request is recorded");
    sb.shutdown().await;
}

/// A client of the control endpoint that sends the sandbox's token with every request.
struct Control(String);

impl Control {
    fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        http().get(url).bearer_auth(&self.0)
    }
    fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        http().post(url).bearer_auth(&self.0)
    }
    fn delete(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        http().delete(url).bearer_auth(&self.0)
    }
}

/// Issue 23 item 8: the control endpoint can break the sandbox and read what it issued, so only its starter
/// may use it: its token, its own Host (no DNS rebinding), JSON bodies (no cross-site form posts).
#[tokio::test]
async fn the_control_endpoint_refuses_requests_without_the_token_a_foreign_host_or_json() {
    let sb = start().await;
    let control = format!("{}/_sandbox", sb.urls().authority);
    let fault = json!({"fault": "bad_gateway", "endpoint": "api_me"});
    let status = |r: reqwest::Response| r.status().as_u16();

    assert_eq!(status(http().get(format!("{control}/issued")).send().await.unwrap()), 401, "no token");
    assert_eq!(status(http().post(format!("{control}/faults")).json(&fault).send().await.unwrap()), 401, "no token");
    let wrong = http().post(format!("{control}/faults")).bearer_auth("guess").json(&fault).send().await.unwrap();
    assert_eq!(status(wrong), 401, "a wrong token");
    let rebound = http()
        .get(format!("{control}/info"))
        .bearer_auth(sb.control_token())
        .header("host", "attacker.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(status(rebound), 421, "a page rebinding its name to 127.0.0.1 sends its own Host");
    let form = http()
        .post(format!("{control}/faults"))
        .bearer_auth(sb.control_token())
        .header("content-type", "text/plain")
        .body(fault.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(status(form), 415, "only JSON bodies");
    assert!(sb.faults().list().is_empty(), "none of these set a fault");
    sb.shutdown().await;
}

/// What `/_sandbox/issued` shows outside the process holds no secret and no token.
#[tokio::test]
async fn issued_over_http_redacts_every_secret_and_token() {
    let sb = start().await;
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let redeemed = redeem(&sb, &code, &verifier).await;
    assert_eq!(redeemed.status(), 200);
    let tokens: Value = redeemed.json().await.unwrap();
    let issued = Control(sb.control_token().to_owned())
        .get(format!("{}/_sandbox/issued", sb.urls().authority))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (what, value) in [
        ("the code", code.as_str()),
        ("the verifier", verifier.as_str()),
        ("the ID token", tokens["id_token"].as_str().unwrap()),
        ("the access token", tokens["access_token"].as_str().unwrap()),
    ] {
        assert!(!issued.contains(value), "{what} must not be shown: {issued:.300}");
    }
    assert!(issued.contains("***"), "redacted, not left out");
    sb.shutdown().await;
}

#[tokio::test]
async fn auto_sign_in_pages_submit_themselves() {
    let config = SandboxConfig { auto_sign_in: Some("bob@sandbox.onmicrosoft.com".into()), ..SandboxConfig::default() };
    let sb = start_with(config).await;
    let (_, challenge) = pkce();
    let html = http().get(authorize_url(&sb, REDIRECT, &challenge)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"auto\"") && html.contains(".submit()"), "a self-submitting form for headless browsers");
    assert!(html.contains("value=\"bob@sandbox.onmicrosoft.com\""));
    sb.shutdown().await;
}

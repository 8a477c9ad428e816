//! Raw-HTTP helpers shared by the sandbox tests: PKCE, the authorize URL, each exchange by hand.
//! Deliberately independent of the sandbox's own code paths (own base64, own form encoding).
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use reqwest::{Client, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokenhop_sandbox::{browser, Sandbox, SandboxConfig};
use url::Url;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const REDIRECT: &str = "http://localhost:53682";

pub async fn start() -> Sandbox {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A plain client; the timeout turns a hung request into a failure that names it, not a stuck suite.
pub fn http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn authorize_url(sb: &Sandbox, redirect_uri: &str, challenge: &str) -> String {
    let c = sb.config();
    let mut url = Url::parse(&format!("{}/{}/oauth2/v2.0/authorize", sb.urls().authority, c.tenant_id)).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &c.entra_client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    url.to_string()
}

pub fn token_url(sb: &Sandbox) -> String {
    format!("{}/{}/oauth2/v2.0/token", sb.urls().authority, sb.config().tenant_id)
}

pub fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Signs `user` in with the fake browser; returns `(code, verifier)`.
pub async fn code_for(sb: &Sandbox, user: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let callback = browser::sign_in_redirect(&authorize_url(sb, REDIRECT, &challenge), user).await.expect("sign-in");
    (query(&callback, "code").expect("code in callback"), verifier)
}

pub async fn redeem(sb: &Sandbox, code: &str, verifier: &str) -> Response {
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    http().post(token_url(sb)).form(&form).send().await.unwrap()
}

/// A fresh Entra ID token for alice.
pub async fn entra_id_token(sb: &Sandbox) -> String {
    let (code, verifier) = code_for(sb, "alice@sandbox.onmicrosoft.com").await;
    let body: Value = redeem(sb, &code, &verifier).await.json().await.unwrap();
    body["id_token"].as_str().expect("id_token").to_string()
}

/// RFC 6749 §2.3.1: form-urlencode id and secret, then base64.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

/// `base64(id ":" secret)` with nothing encoded, as curl `-u` and most HTTP clients send it.
pub fn basic_raw(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub async fn ias_exchange(sb: &Sandbox, assertion: &str) -> Response {
    let c = sb.config();
    http()
        .post(format!("{}/oauth2/token", sb.urls().ias))
        .header("authorization", basic(&c.ias_client_id, &c.ias_client_secret))
        .form(&[("grant_type", JWT_BEARER), ("assertion", assertion), ("token_format", "jwt")])
        .send()
        .await
        .unwrap()
}

pub async fn ias_id_token(sb: &Sandbox) -> String {
    let assertion = entra_id_token(sb).await;
    let body: Value = ias_exchange(sb, &assertion).await.json().await.unwrap();
    body["id_token"].as_str().expect("IAS id_token").to_string()
}

pub async fn xsuaa_exchange(sb: &Sandbox, assertion: &str) -> Response {
    let c = sb.config();
    http()
        .post(format!("{}/oauth/token", sb.urls().xsuaa))
        .header("authorization", basic_raw(&c.xsuaa_client_id, &c.xsuaa_client_secret))
        .form(&[("grant_type", JWT_BEARER), ("assertion", assertion)])
        .send()
        .await
        .unwrap()
}

pub async fn xsuaa_token(sb: &Sandbox) -> String {
    let assertion = ias_id_token(sb).await;
    let body: Value = xsuaa_exchange(sb, &assertion).await.json().await.unwrap();
    body["access_token"].as_str().expect("XSUAA access_token").to_string()
}

pub fn header(token: &str) -> Value {
    part(token, 0)
}

pub fn claims(token: &str) -> Value {
    part(token, 1)
}

fn part(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).expect("JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

/// Asserts an Entra error body: status, `error`, the AADSTS code in `error_codes` and the description.
pub async fn assert_aadsts(response: Response, status: u16, error: &str, code: u64) -> Value {
    assert_eq!(response.status().as_u16(), status, "HTTP status for AADSTS{code}");
    let body: Value = response.json().await.expect("Entra errors are JSON");
    assert_eq!(body["error"], error, "error for AADSTS{code}: {body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]), "error_codes: {body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with(&format!("AADSTS{code}: ")), "description starts with the code: {description}");
    assert!(description.contains("\r\nTrace ID: "), "description carries the trace id like Entra's");
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[field].is_string(), "{field} present: {body}");
    }
    body
}

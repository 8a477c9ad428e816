//! Client assertions (`private_key_jwt`) at the sandbox's Entra and IAS, over raw HTTP with assertions signed here
//! (ring, not the sandbox's code): each documented check refuses what it should, with the answer docs/fidelity.md
//! gives, and accepts every reading a real client could send.

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::*;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokenhop_sandbox::{ClientCredential, Sandbox, SandboxConfig};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn der(pem: &str) -> Vec<u8> {
    STANDARD.decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap()
}

/// `header.claims.signature` with the credential's key: PS256 or RS256 after the header's `alg`.
fn sign(credential: &ClientCredential, header: &Value, claims: &Value) -> String {
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let key = RsaKeyPair::from_pkcs8(&der(&credential.key)).expect("the demo key is PKCS#8 RSA");
    let padding: &dyn ring::signature::RsaEncoding =
        if header["alg"] == "PS256" { &RSA_PSS_SHA256 } else { &RSA_PKCS1_SHA256 };
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(padding, &SystemRandom::new(), input.as_bytes(), &mut signature).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn x5t_s256(credential: &ClientCredential) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(der(&credential.certificate)))
}

fn claims(client_id: &str, aud: &str) -> Value {
    let t = now();
    json!({ "iss": client_id, "sub": client_id, "aud": aud, "jti": uuid::Uuid::new_v4().to_string(), "iat": t, "nbf": t, "exp": t + 300 })
}

/// The refresh-token grant with a client assertion: client authentication is checked before the grant, so a bad
/// refresh token tells a passed authentication (400 invalid_grant) from a refused one (401 invalid_client).
async fn entra_with(sb: &Sandbox, assertion: &str) -> reqwest::Response {
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-a-refresh-token"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    http().post(token_url(sb)).form(&form).send().await.unwrap()
}

async fn confidential() -> Sandbox {
    start_with(SandboxConfig { entra_confidential: true, ..SandboxConfig::default() }).await
}

#[tokio::test]
async fn entra_checks_the_thumbprint_signature_issuer_audience_and_time_of_a_client_assertion() {
    let sb = confidential().await;
    let cred = sb.private_key_jwt_credential();
    let id = sb.config().entra_client_id.clone();
    let aud = token_url(&sb);
    let header = json!({ "alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256(&cred) });
    let passes = |r: reqwest::Response| async move {
        assert_eq!(r.status().as_u16(), 400, "authentication passed, the refresh token did not");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant", "{body}");
    };
    passes(entra_with(&sb, &sign(&cred, &header, &claims(&id, &aud))).await).await;
    // RS256 with the SHA-1 x5t, as the page's older version and older MSAL send it.
    let sha1 =
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der(&cred.certificate)));
    let legacy = json!({ "alg": "RS256", "typ": "JWT", "x5t": sha1 });
    passes(entra_with(&sb, &sign(&cred, &legacy, &claims(&id, &aud))).await).await;

    let no_thumbprint = json!({ "alg": "PS256", "typ": "JWT" });
    assert_aadsts(
        entra_with(&sb, &sign(&cred, &no_thumbprint, &claims(&id, &aud))).await,
        401,
        "invalid_client",
        700027,
    )
    .await;
    let rogue = sb.unregistered_key_credential();
    let wrong_key = sign(&rogue, &header, &claims(&id, &aud));
    assert_aadsts(entra_with(&sb, &wrong_key).await, 401, "invalid_client", 700027).await;
    assert_aadsts(
        entra_with(&sb, &sign(&cred, &header, &claims("someone-else", &aud))).await,
        401,
        "invalid_client",
        700021,
    )
    .await;
    let elsewhere = "https://login.microsoftonline.com/other/oauth2/v2.0/token";
    assert_aadsts(entra_with(&sb, &sign(&cred, &header, &claims(&id, elsewhere))).await, 401, "invalid_client", 700023)
        .await;
    let mut expired = claims(&id, &aud);
    expired["exp"] = json!(now() - 1);
    assert_aadsts(entra_with(&sb, &sign(&cred, &header, &expired)).await, 401, "invalid_client", 700024).await;
    let mut early = claims(&id, &aud);
    early["nbf"] = json!(now() + 600);
    assert_aadsts(entra_with(&sb, &sign(&cred, &header, &early)).await, 401, "invalid_client", 700024).await;
    assert_aadsts(entra_with(&sb, "not-a-jwt").await, 401, "invalid_client", 50027).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_public_entra_app_refuses_client_assertions() {
    let sb = start().await;
    let cred = sb.private_key_jwt_credential();
    let header = json!({ "alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256(&cred) });
    let assertion = sign(&cred, &header, &claims(&sb.config().entra_client_id, &token_url(&sb)));
    assert_aadsts(entra_with(&sb, &assertion).await, 401, "invalid_client", 700025).await;
    sb.shutdown().await;
}

async fn ias_with(sb: &Sandbox, assertion: &str) -> reqwest::Response {
    let form = [
        ("client_id", sb.config().ias_client_id.as_str()),
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-a-refresh-token"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    http().post(format!("{}/oauth2/token", sb.urls().ias)).form(&form).send().await.unwrap()
}

async fn status_and_error(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

#[tokio::test]
async fn ias_takes_an_assertion_once_for_its_token_endpoint_or_issuer_signed_with_a_trusted_key() {
    let sb = start().await;
    let cred = sb.private_key_jwt_credential();
    let id = sb.config().ias_client_id.clone();
    let token_endpoint = format!("{}/oauth2/token", sb.urls().ias);
    let rs256 = json!({ "alg": "RS256", "typ": "JWT" });
    let passed = (400, "invalid_grant".to_owned());
    let refused = (401, "invalid_client".to_owned());

    let once = sign(&cred, &rs256, &claims(&id, &token_endpoint));
    assert_eq!(status_and_error(ias_with(&sb, &once).await).await, passed, "aud = the token endpoint (OIDC Core §9)");
    assert_eq!(status_and_error(ias_with(&sb, &once).await).await, refused, "a jti is used once");
    let issuer = sign(&cred, &rs256, &claims(&id, &sb.urls().ias));
    assert_eq!(
        status_and_error(ias_with(&sb, &issuer).await).await,
        passed,
        "aud = the issuer: undocumented, accepted"
    );
    let ps256 = sign(&cred, &json!({ "alg": "PS256" }), &claims(&id, &token_endpoint));
    assert_eq!(status_and_error(ias_with(&sb, &ps256).await).await, passed, "PS256 with the same key");

    let rogue = sign(&sb.unregistered_key_credential(), &rs256, &claims(&id, &token_endpoint));
    assert_eq!(status_and_error(ias_with(&sb, &rogue).await).await, refused, "a key IAS does not trust");
    let other_aud = sign(&cred, &rs256, &claims(&id, "https://other.accounts.ondemand.com/oauth2/token"));
    assert_eq!(status_and_error(ias_with(&sb, &other_aud).await).await, refused, "another tenant's audience");
    let other_client = sign(&cred, &rs256, &claims("other-client", &token_endpoint));
    assert_eq!(status_and_error(ias_with(&sb, &other_client).await).await, refused, "iss and sub must be the client");
    let mut expired = claims(&id, &token_endpoint);
    expired["exp"] = json!(now() - 1);
    assert_eq!(status_and_error(ias_with(&sb, &sign(&cred, &rs256, &expired)).await).await, refused, "expired");
    let mut no_jti = claims(&id, &token_endpoint);
    no_jti.as_object_mut().unwrap().remove("jti");
    assert_eq!(status_and_error(ias_with(&sb, &sign(&cred, &rs256, &no_jti)).await).await, refused, "jti is required");
    sb.shutdown().await;
}

//! Every Entra error the engine diagnoses, provoked over raw HTTP, checked for Entra's JSON shape and
//! the real AADSTS code.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use tokenhop_sandbox::{browser, SandboxConfig};

#[tokio::test]
async fn unregistered_redirect_uri_shows_aadsts50011_instead_of_redirecting() {
    let sb = start().await;
    let (_, challenge) = pkce();
    for (uri, why) in
        [("http://127.0.0.1:8400", "127.0.0.1 is not registered"), ("https://evil.example/cb", "a foreign host")]
    {
        let r = http().get(authorize_url(&sb, uri, &challenge)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{why}");
        assert!(r.headers().get("location").is_none(), "never redirect to an unregistered URI ({why})");
        assert!(r.text().await.unwrap().contains("AADSTS50011"), "{why}");
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn loopback_127_0_0_1_is_accepted_when_registered() {
    let mut config = SandboxConfig::default();
    config.entra_redirect_uris.push("http://127.0.0.1".into());
    let sb = start_with(config).await;
    let (_, challenge) = pkce();
    let callback = browser::sign_in_redirect(
        &authorize_url(&sb, "http://127.0.0.1:8400", &challenge),
        "alice@sandbox.onmicrosoft.com",
    )
    .await
    .unwrap();
    assert_eq!(callback.port(), Some(8400));
    sb.shutdown().await;
}

#[tokio::test]
async fn unknown_client_is_aadsts700016_at_authorize_and_token() {
    let sb = start().await;
    let (_, challenge) = pkce();
    let url = authorize_url(&sb, REDIRECT, &challenge)
        .replace(&sb.config().entra_client_id, "00000000-0000-0000-0000-000000000000");
    let page = http().get(url).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("AADSTS700016"));
    let form = [
        ("client_id", "00000000-0000-0000-0000-000000000000"),
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("redirect_uri", REDIRECT),
    ];
    assert_aadsts(http().post(token_url(&sb)).form(&form).send().await.unwrap(), 400, "unauthorized_client", 700016)
        .await;
    sb.shutdown().await;
}

#[tokio::test]
async fn unknown_tenant_and_common_endpoint_are_refused() {
    let sb = start().await;
    let url = |t: &str| format!("{}/{t}/oauth2/v2.0/token", sb.urls().authority);
    let form = [("client_id", sb.config().entra_client_id.as_str()), ("grant_type", "authorization_code")];
    assert_aadsts(
        http().post(url("contoso.onmicrosoft.com")).form(&form).send().await.unwrap(),
        400,
        "invalid_request",
        90002,
    )
    .await;
    assert_aadsts(http().post(url("common")).form(&form).send().await.unwrap(), 400, "invalid_request", 50194).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_public_client_sending_a_secret_is_aadsts700025() {
    let sb = start().await;
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
        ("client_secret", "anything"),
    ];
    assert_aadsts(http().post(token_url(&sb)).form(&form).send().await.unwrap(), 401, "invalid_client", 700025).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_confidential_client_needs_the_right_secret() {
    let config = SandboxConfig { entra_confidential: true, ..SandboxConfig::default() };
    let sb = start_with(config).await;
    let c = sb.config().clone();
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let base = vec![
        ("client_id", c.entra_client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
    ];
    assert_aadsts(http().post(token_url(&sb)).form(&base).send().await.unwrap(), 401, "invalid_client", 7000218).await;
    let mut wrong = base.clone();
    wrong.push(("client_secret", "not-it"));
    assert_aadsts(http().post(token_url(&sb)).form(&wrong).send().await.unwrap(), 401, "invalid_client", 7000215).await;
    // Client authentication comes before redemption, so the failed attempts left the code unused.
    let mut right = base.clone();
    right.push(("client_secret", c.entra_client_secret.as_str()));
    let r = http().post(token_url(&sb)).form(&right).send().await.unwrap();
    assert_eq!(r.status(), 200, "the right secret redeems the code");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_wrong_code_verifier_is_aadsts501481() {
    let sb = start().await;
    let (code, _) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let (other_verifier, _) = pkce();
    assert_aadsts(redeem(&sb, &code, &other_verifier).await, 400, "invalid_grant", 501481).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_code_redeemed_twice_is_aadsts54005() {
    let sb = start().await;
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    assert_eq!(redeem(&sb, &code, &verifier).await.status(), 200);
    assert_aadsts(redeem(&sb, &code, &verifier).await, 400, "invalid_grant", 54005).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn an_expired_code_is_aadsts70008() {
    let sb = start().await;
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    sb.advance_clock(Duration::from_secs(601));
    assert_aadsts(redeem(&sb, &code, &verifier).await, 400, "invalid_grant", 70008).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn redeeming_with_another_redirect_uri_is_aadsts500112() {
    let sb = start().await;
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://localhost:1"),
        ("code_verifier", &verifier),
    ];
    assert_aadsts(http().post(token_url(&sb)).form(&form).send().await.unwrap(), 400, "invalid_grant", 500112).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn an_unassigned_user_is_aadsts50105_at_authorize_and_with_a_password() {
    let sb = start().await;
    let (_, challenge) = pkce();
    let callback =
        browser::sign_in_redirect(&authorize_url(&sb, REDIRECT, &challenge), "carol@sandbox.onmicrosoft.com")
            .await
            .unwrap();
    assert_eq!(query(&callback, "error").as_deref(), Some("access_denied"));
    assert!(query(&callback, "error_description").unwrap().starts_with("AADSTS50105: "));
    assert_eq!(query(&callback, "state").as_deref(), Some("state-123"), "errors carry the state back");
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "password"),
        ("scope", "openid"),
        ("username", "carol@sandbox.onmicrosoft.com"),
        ("password", "carol-demo-password"),
    ];
    assert_aadsts(http().post(token_url(&sb)).form(&form).send().await.unwrap(), 400, "invalid_grant", 50105).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_is_aadsts50126_and_an_unknown_user_aadsts50034() {
    let sb = start().await;
    let id = sb.config().entra_client_id.clone();
    let form = |user: &'static str| {
        [
            ("client_id", id.clone()),
            ("grant_type", "password".into()),
            ("scope", "openid".into()),
            ("username", user.into()),
            ("password", "wrong".into()),
        ]
    };
    assert_aadsts(
        http().post(token_url(&sb)).form(&form("alice@sandbox.onmicrosoft.com")).send().await.unwrap(),
        400,
        "invalid_grant",
        50126,
    )
    .await;
    assert_aadsts(
        http().post(token_url(&sb)).form(&form("nobody@sandbox.onmicrosoft.com")).send().await.unwrap(),
        400,
        "invalid_grant",
        50034,
    )
    .await;
    sb.shutdown().await;
}

#[tokio::test]
async fn a_token_call_with_an_origin_header_is_aadsts9002326() {
    let sb = start().await;
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &verifier),
    ];
    let r = http().post(token_url(&sb)).header("origin", "tauri://localhost").form(&form).send().await.unwrap();
    let body = assert_aadsts(r, 400, "invalid_request", 9002326).await;
    assert!(body["error_description"].as_str().unwrap().contains("tauri://localhost"));
    sb.shutdown().await;
}

#[tokio::test]
async fn unknown_users_are_told_on_the_sign_in_page_and_prompt_none_needs_a_session() {
    let sb = start().await;
    let (_, challenge) = pkce();
    let err =
        browser::sign_in_redirect(&authorize_url(&sb, REDIRECT, &challenge), "mallory@example.com").await.unwrap_err();
    assert!(matches!(err, browser::BrowserError::Refused(_)), "unknown user stays on the page: {err}");
    let r = http().get(format!("{}&prompt=none", authorize_url(&sb, REDIRECT, &challenge))).send().await.unwrap();
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(query(&location, "error").as_deref(), Some("login_required"));
    sb.shutdown().await;
}

#[tokio::test]
async fn unsupported_grant_type_is_aadsts70003() {
    let sb = start().await;
    let form = [("client_id", sb.config().entra_client_id.as_str()), ("grant_type", "client_credentials_typo")];
    let body: Value = assert_aadsts(
        http().post(token_url(&sb)).form(&form).send().await.unwrap(),
        400,
        "unsupported_grant_type",
        70003,
    )
    .await;
    assert!(body["error_uri"].as_str().unwrap().ends_with("code=70003"));
    sb.shutdown().await;
}

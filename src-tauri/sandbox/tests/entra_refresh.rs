//! Entra's refresh-token grant as Microsoft documents it: every answer rotates the refresh token while the old
//! one stays valid, a token unused for 90 days is refused (AADSTS700082), a sign-in whose sessions were
//! revoked is refused (AADSTS50173), and each refusal is `invalid_grant`.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use tokenhop_sandbox::{Fault, RefreshRefusal, Sandbox};

const ALICE: &str = "alice@sandbox.onmicrosoft.com";

/// Signs Alice in and returns the token response.
async fn sign_in(sb: &Sandbox) -> Value {
    let (code, verifier) = code_for(sb, ALICE).await;
    redeem(sb, &code, &verifier).await.json().await.unwrap()
}

async fn refresh(sb: &Sandbox, refresh_token: &str) -> reqwest::Response {
    let form = [
        ("client_id", sb.config().entra_client_id.as_str()),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("scope", "openid profile email offline_access"),
    ];
    http().post(token_url(sb)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn each_refresh_rotates_the_token_and_the_old_one_stays_valid() {
    let sb = start().await;
    let first = sign_in(&sb).await;
    let old = first["refresh_token"].as_str().unwrap();

    let second: Value = refresh(&sb, old).await.json().await.unwrap();
    let new = second["refresh_token"].as_str().expect("a refresh answers with a new refresh token");
    assert_ne!(new, old, "Entra replaces the refresh token on every use");
    let id = claims(second["id_token"].as_str().unwrap());
    assert!(id.get("nonce").is_none(), "a refreshed ID token carries no nonce (OIDC Core §12.2)");
    assert_eq!(id["sub"], claims(first["id_token"].as_str().unwrap())["sub"], "same user, same pairwise sub");

    let reused = refresh(&sb, old).await;
    assert_eq!(reused.status(), 200, "Entra does not revoke a refresh token when it is used");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_refresh_token_unused_for_ninety_days_is_refused_as_inactive() {
    let sb = start().await;
    let old = sign_in(&sb).await["refresh_token"].as_str().unwrap().to_owned();
    sb.advance_clock(Duration::from_secs(89 * 86_400));
    let used = refresh(&sb, &old).await;
    assert_eq!(used.status(), 200, "89 days of inactivity are within the limit");
    let new = used.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    sb.advance_clock(Duration::from_secs(2 * 86_400));
    let body = assert_aadsts(refresh(&sb, &old).await, 400, "invalid_grant", 700082).await;
    let description = body["error_description"].as_str().unwrap();
    // Real time runs on beside the advanced clock: the seconds may have ticked.
    assert!(description.contains("was inactive for 91.00:00:"), "Entra names the inactivity: {description}");
    assert_eq!(refresh(&sb, &new).await.status(), 200, "the token from day 89 is only two days old");
    sb.shutdown().await;
}

#[tokio::test]
async fn revoked_sign_ins_are_refused_and_a_new_sign_in_works() {
    let sb = start().await;
    let before = sign_in(&sb).await["refresh_token"].as_str().unwrap().to_owned();
    assert!(sb.revoke_sign_ins(ALICE), "Alice is a sandbox user");
    assert_aadsts(refresh(&sb, &before).await, 400, "invalid_grant", 50173).await;

    let after = sign_in(&sb).await["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh(&sb, &after).await.status(), 200, "a sign-in after the revocation is valid");
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_refuse_refresh_tokens_with_entras_codes() {
    let sb = start().await;
    let token = sign_in(&sb).await["refresh_token"].as_str().unwrap().to_owned();
    for (reason, code) in [
        (RefreshRefusal::Expired, 70008),
        (RefreshRefusal::Inactive, 700082),
        (RefreshRefusal::Revoked, 50173),
        (RefreshRefusal::ConsentRequired, 65001),
    ] {
        sb.faults().set(Fault::EntraRefreshRefused { reason });
        assert_aadsts(refresh(&sb, &token).await, 400, "invalid_grant", code).await;
        sb.faults().clear();
    }
    assert_eq!(refresh(&sb, &token).await.status(), 200, "cleared, the token works again");
    sb.shutdown().await;
}

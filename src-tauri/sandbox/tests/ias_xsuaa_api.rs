//! IAS trust and client authentication, XSUAA's verbatim UAA errors, and the API's 401/403, over raw HTTP.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use tokenhop_sandbox::{Fault, SandboxConfig, Tamper, TokenKind};

async fn ias_post(
    sb: &tokenhop_sandbox::Sandbox,
    authorization: Option<String>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = http().post(format!("{}/oauth2/token", sb.urls().ias)).form(form);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn ias_reads_basic_credentials_form_urlencoded_as_its_docs_ask() {
    let sb = start().await;
    let c = sb.config().clone();
    assert!(
        c.ias_client_secret.contains('+') && c.ias_client_secret.contains('/') && c.ias_client_secret.contains('=')
    );
    let assertion = entra_id_token(&sb).await;
    let form = [("grant_type", JWT_BEARER), ("assertion", assertion.as_str())];
    let encoded = ias_post(&sb, Some(basic(&c.ias_client_id, &c.ias_client_secret)), &form).await;
    assert_eq!(encoded.status(), 200, "RFC 6749 §2.3.1 encoding is accepted");
    let raw = ias_post(&sb, Some(basic_raw(&c.ias_client_id, &c.ias_client_secret)), &form).await;
    assert_eq!(raw.status(), 401, "an unencoded `+` reads as a space: the secret does not match");
    sb.shutdown().await;
}

/// UAA in URI-encoding compatibility mode (`ClientBasicAuthenticationFilter`; SAP Help "Token Retrieval Fails
/// With Status Code 401"): raw Basic passes, URL-encoded Basic passes only with `X-CF-ENCODED-CREDENTIALS: true`,
/// body credentials pass.
#[tokio::test]
async fn xsuaa_compares_basic_credentials_raw_unless_the_cf_header_says_they_are_encoded() {
    let sb = start().await;
    let c = sb.config().clone();
    assert!(
        c.xsuaa_client_id.contains('!') && c.xsuaa_client_secret.contains('$'),
        "the demo key has UAA's awkward characters"
    );
    let post = |auth: Option<String>, cf: Option<&'static str>, body: Vec<(&'static str, String)>| {
        let mut request = http().post(format!("{}/oauth/token", sb.urls().xsuaa));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if let Some(cf) = cf {
            request = request.header("x-cf-encoded-credentials", cf);
        }
        async move { request.form(&body).send().await.unwrap() }
    };
    let grant = |assertion: &str| vec![("grant_type", JWT_BEARER.to_string()), ("assertion", assertion.to_string())];

    let raw =
        post(Some(basic_raw(&c.xsuaa_client_id, &c.xsuaa_client_secret)), None, grant(&ias_id_token(&sb).await)).await;
    assert_eq!(raw.status(), 200, "raw Basic is compared as sent");
    let encoded =
        post(Some(basic(&c.xsuaa_client_id, &c.xsuaa_client_secret)), Some("true"), grant(&ias_id_token(&sb).await))
            .await;
    assert_eq!(encoded.status(), 200, "URL-encoded Basic with X-CF-ENCODED-CREDENTIALS: true is decoded");
    let mut body = grant(&ias_id_token(&sb).await);
    body.extend([("client_id", c.xsuaa_client_id.clone()), ("client_secret", c.xsuaa_client_secret.clone())]);
    assert_eq!(post(None, None, body).await.status(), 200, "credentials in the form body");

    let without =
        post(Some(basic(&c.xsuaa_client_id, &c.xsuaa_client_secret)), None, grant(&ias_id_token(&sb).await)).await;
    assert_uaa(without, "invalid_client", "Bad credentials").await;
    let raw_flagged = post(Some(basic_raw("sb-x!t1", "100%")), Some("true"), grant(&ias_id_token(&sb).await)).await;
    assert_uaa(raw_flagged, "invalid_client", "Failed to URL Decode credentials").await;
    sb.shutdown().await;
}

#[tokio::test]
async fn ias_accepts_client_secret_post_and_gives_an_opaque_access_token_by_default() {
    let sb = start().await;
    let c = sb.config().clone();
    let assertion = entra_id_token(&sb).await;
    let form = [
        ("grant_type", JWT_BEARER),
        ("assertion", assertion.as_str()),
        ("client_id", &c.ias_client_id),
        ("client_secret", &c.ias_client_secret),
    ];
    let r = ias_post(&sb, None, &form).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 1, "opaque unless token_format=jwt");
    assert_eq!(sb.last_issued().last_request(tokenhop_sandbox::Service::Ias).unwrap().client_auth, "post");
    sb.shutdown().await;
}

#[tokio::test]
async fn ias_locks_the_client_after_five_failures_even_for_the_right_secret() {
    let sb = start().await;
    let c = sb.config().clone();
    let assertion = entra_id_token(&sb).await;
    let form = [("grant_type", JWT_BEARER), ("assertion", assertion.as_str())];
    for attempt in 1..=5 {
        let r = ias_post(&sb, Some(basic(&c.ias_client_id, "wrong")), &form).await;
        assert_eq!(r.status(), 401, "attempt {attempt} fails");
    }
    let r = ias_post(&sb, Some(basic(&c.ias_client_id, &c.ias_client_secret)), &form).await;
    assert_eq!(r.status(), 401, "the right secret is refused while locked");
    let body: Value = r.json().await.unwrap();
    assert!(body["error_description"].as_str().unwrap().contains("locked"), "{body}");
    sb.advance_clock(Duration::from_secs(3601));
    let fresh = entra_id_token(&sb).await; // the first assertion expired meanwhile
    let form = [("grant_type", JWT_BEARER), ("assertion", fresh.as_str())];
    let r = ias_post(&sb, Some(basic(&c.ias_client_id, &c.ias_client_secret)), &form).await;
    assert_eq!(r.status(), 200, "the lock expires after 60 minutes");
    sb.shutdown().await;
}

#[tokio::test]
async fn four_failures_then_success_resets_the_count() {
    let sb = start().await;
    let c = sb.config().clone();
    let assertion = entra_id_token(&sb).await;
    let form = [("grant_type", JWT_BEARER), ("assertion", assertion.as_str())];
    for _ in 0..4 {
        ias_post(&sb, Some(basic(&c.ias_client_id, "wrong")), &form).await;
    }
    assert_eq!(ias_post(&sb, Some(basic(&c.ias_client_id, &c.ias_client_secret)), &form).await.status(), 200);
    ias_post(&sb, Some(basic(&c.ias_client_id, "wrong")), &form).await;
    assert_eq!(
        ias_post(&sb, Some(basic(&c.ias_client_id, &c.ias_client_secret)), &form).await.status(),
        200,
        "a success resets the failure count"
    );
    sb.shutdown().await;
}

/// The trust checks IAS applies to the Entra assertion, each broken by one tamper.
#[tokio::test]
async fn ias_rejects_assertions_that_break_the_corporate_idp_trust() {
    let sb = start().await;
    let cases: Vec<(Tamper, &str)> = vec![
        (Tamper::WrongKey, "signature"),
        (Tamper::AlgNone, "'none'"),
        (Tamper::Hs256, "'HS256'"),
        (
            Tamper::SetClaim { claim: "iss".into(), value: "https://login.microsoftonline.com/other/v2.0".into() },
            "issuer",
        ),
        (Tamper::SetClaim { claim: "aud".into(), value: "someone-else".into() }, "audience"),
        (Tamper::DropClaim { claim: "aud".into() }, "audience"),
        (Tamper::SetClaim { claim: "ver".into(), value: "1.0".into() }, "version"),
        (Tamper::V1Token, "issuer"),
        (Tamper::Expired, "expired"),
        (Tamper::DropClaim { claim: "exp".into() }, "expired"),
        (Tamper::SetHeader { name: "kid".into(), value: "unknown-kid".into() }, "signature"),
        (Tamper::NoKidTwoKeys, "signature"),
    ];
    for (tamper, expected) in cases {
        let fault = Fault::Tamper { token: TokenKind::EntraIdToken, tamper: tamper.clone() };
        sb.faults().set(fault.clone());
        let assertion = entra_id_token(&sb).await;
        let r = ias_exchange(&sb, &assertion).await;
        assert_eq!(r.status(), 400, "{tamper:?} must be rejected");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant", "{tamper:?}");
        assert!(body["error_description"].as_str().unwrap().contains(expected), "{tamper:?}: {body}");
        sb.faults().remove(&fault);
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn ias_follows_entra_key_rotation_and_refuses_once_trust_is_revoked() {
    let sb = start().await;
    sb.faults().set(Fault::RotateEntraKeys);
    let assertion = entra_id_token(&sb).await;
    assert_eq!(ias_exchange(&sb, &assertion).await.status(), 200, "a rotated key is still an Entra key");
    sb.faults().set(Fault::IasDistrustsEntra);
    let body: Value = ias_exchange(&sb, &assertion).await.json().await.unwrap();
    assert!(body["error_description"].as_str().unwrap().contains("No trusted corporate identity provider"), "{body}");
    sb.shutdown().await;
}

/// Asserts a UAA error body; an empty `description` only asks for the `error` and hands the description back.
async fn assert_uaa(response: reqwest::Response, error: &str, description: &str) -> String {
    assert_eq!(response.status(), 401, "{description}");
    let body: Value = response.json().await.unwrap();
    let said = body["error_description"].as_str().unwrap_or_default().to_owned();
    if description.is_empty() {
        assert_eq!(body["error"], error, "UAA error code: {body}");
    } else {
        assert_eq!(body, serde_json::json!({"error": error, "error_description": description}), "verbatim UAA body");
    }
    said
}

#[tokio::test]
async fn xsuaa_answers_with_the_verbatim_uaa_errors() {
    let sb = start().await;
    let c = sb.config().clone();
    let iss = sb.urls().ias.clone();

    sb.faults().set(Fault::XsuaaDistrustsIas);
    let token = ias_id_token(&sb).await;
    assert_uaa(
        xsuaa_exchange(&sb, &token).await,
        "unauthorized",
        &format!("Unable to map issuer, {iss} , to a single registered provider"),
    )
    .await;
    sb.faults().clear();

    let tamper = |t: Tamper| Fault::Tamper { token: TokenKind::IasIdToken, tamper: t };
    sb.faults().set(tamper(Tamper::WrongKey));
    let token = ias_id_token(&sb).await;
    assert_uaa(xsuaa_exchange(&sb, &token).await, "invalid_token", "Could not verify token signature.").await;
    sb.faults().clear();

    sb.faults().set(Fault::XsuaaTrustsOtherIasApplication);
    let token = ias_id_token(&sb).await;
    assert_eq!(claims(&token)["aud"], c.ias_client_id.as_str(), "without cross-consumption aud is the IAS client only");
    let refusal = assert_uaa(xsuaa_exchange(&sb, &token).await, "invalid_token", "").await;
    assert!(
        refusal.starts_with("Some parties were not in the token audience: "),
        "UAA names the relying party: {refusal}"
    );
    assert!(
        !refusal.contains(&c.xsuaa_client_id),
        "the relying party is the trust's IAS application, not the XSUAA client"
    );
    sb.faults().clear();

    sb.faults().set(tamper(Tamper::Expired));
    let token = ias_id_token(&sb).await;
    assert_uaa(xsuaa_exchange(&sb, &token).await, "invalid_token", "Token does not bear a valid EXP claim.").await;
    sb.faults().clear();

    let token = ias_id_token(&sb).await;
    let response = http()
        .post(format!("{}/oauth/token", sb.urls().xsuaa))
        .header("authorization", basic_raw(&c.xsuaa_client_id, "wrong"))
        .form(&[("grant_type", JWT_BEARER), ("assertion", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_uaa(response, "invalid_client", "Bad credentials").await;
    sb.shutdown().await;
}

#[tokio::test]
async fn xsuaa_requires_pre_created_users_when_shadow_users_are_off() {
    let config = SandboxConfig { xsuaa_shadow_users: false, ..SandboxConfig::default() };
    let sb = start_with(config).await;
    let (code, verifier) = code_for(&sb, "dave@sandbox.onmicrosoft.com").await;
    let entra: Value = redeem(&sb, &code, &verifier).await.json().await.unwrap();
    let ias: Value = ias_exchange(&sb, entra["id_token"].as_str().unwrap()).await.json().await.unwrap();
    let r = xsuaa_exchange(&sb, ias["id_token"].as_str().unwrap()).await;
    assert_uaa(r, "unauthorized", "The user account must be pre-created. Please contact your system administrator.")
        .await;
    assert_eq!(xsuaa_exchange(&sb, &ias_id_token(&sb).await).await.status(), 200, "alice is pre-created");
    sb.shutdown().await;
}

#[tokio::test]
async fn the_api_takes_either_header_and_explains_401_and_403() {
    let sb = start().await;
    let token = xsuaa_token(&sb).await;
    let api = sb.urls().api.clone();
    let ok = http().get(&api).header("x-approuter-authorization", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the approuter header works too");
    assert_eq!(ok.json::<Value>().await.unwrap()["token_header"], "x-approuter-authorization");

    let none = http().get(&api).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer realm="));

    let forged = http().get(&api).bearer_auth(ias_id_token(&sb).await).send().await.unwrap();
    assert_eq!(forged.status(), 401, "an IAS token is not an XSUAA token");
    let challenge = forged.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains("error=\"invalid_token\"") && challenge.contains("error_description=\""), "{challenge}");

    sb.advance_clock(Duration::from_secs(43201));
    assert_eq!(http().get(&api).bearer_auth(&token).send().await.unwrap().status(), 401, "expired XSUAA token");
    sb.shutdown().await;

    let mut config = SandboxConfig::default();
    config.xsuaa_scopes.retain(|s| !s.ends_with(".Read"));
    let sb = start_with(config).await;
    let token = xsuaa_token(&sb).await;
    let r = http().get(&sb.urls().api).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 403, "missing the required scope");
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("error=\"insufficient_scope\""));
    sb.shutdown().await;
}

/// SAP Help "Consuming APIs from Other Applications", "Restricting Access to Microservices Within Applications",
/// "Configure the Client to Call Identity Authentication Token Exchange"; SAP Cloud SDK's consumer form.
#[tokio::test]
async fn ias_accepts_every_documented_resource_form() {
    let sb = start().await;
    let c = sb.config().clone();
    for resource in [
        "urn:sap:identity:application:provider:name:orders-api",
        "urn:sap:identity:application:provider:clientid:7f3e0a1b-provider",
        "urn:sap:identity:api:name:orders",
        "urn:sap:identity:sso",
        "urn:sap:identity:consumer:clientid:5c6d-consumer:apptid:4a6c8e0f",
    ] {
        let assertion = entra_id_token(&sb).await;
        let form = [("grant_type", JWT_BEARER), ("assertion", assertion.as_str()), ("resource", resource)];
        let r = ias_post(&sb, Some(basic(&c.ias_client_id, &c.ias_client_secret)), &form).await;
        assert_eq!(r.status(), 200, "resource {resource}");
    }
    sb.shutdown().await;
}

/// SAP Help "Configure Identity Federation": users known only to the corporate IdP pass unless the application
/// allows Identity Authentication users only.
#[tokio::test]
async fn ias_lets_corporate_users_in_unless_it_allows_ias_users_only() {
    for (users_only, expected) in [(false, 200), (true, 400)] {
        let config = SandboxConfig { ias_users_only: users_only, ..SandboxConfig::default() };
        let sb = start_with(config).await;
        let (code, verifier) = code_for(&sb, "dave@sandbox.onmicrosoft.com").await;
        let entra: Value = redeem(&sb, &code, &verifier).await.json().await.unwrap();
        let r = ias_exchange(&sb, entra["id_token"].as_str().unwrap()).await;
        assert_eq!(r.status(), expected, "dave has no IAS user record; users only = {users_only}");
        if users_only {
            assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
        }
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn discovery_advertises_only_what_the_token_endpoints_serve() {
    let sb = start().await;
    for origin in [sb.urls().ias.clone(), sb.urls().xsuaa.clone()] {
        let doc: Value = http()
            .get(format!("{origin}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let grants: Vec<&str> =
            doc["grant_types_supported"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(grants, [JWT_BEARER, "refresh_token"], "{origin}");
        let c = sb.config();
        let (token_path, auth) = if origin == sb.urls().ias {
            ("oauth2/token", basic(&c.ias_client_id, &c.ias_client_secret))
        } else {
            ("oauth/token", basic_raw(&c.xsuaa_client_id, &c.xsuaa_client_secret))
        };
        for grant in ["client_credentials", "password", "authorization_code"] {
            let r = http()
                .post(format!("{origin}/{token_path}"))
                .header("authorization", &auth)
                .form(&[("grant_type", grant)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{grant} is not served at {origin}, and not advertised");
            assert_eq!(r.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
        }
    }
    sb.shutdown().await;
}

/// Without `X-zid` XSUAA takes the zone from its own host name: the subaccount's own URL needs no header.
#[tokio::test]
async fn xsuaa_takes_the_zone_from_its_host_without_x_zid() {
    let sb = start().await;
    let response = xsuaa_exchange(&sb, &ias_id_token(&sb).await).await;
    assert_eq!(response.status(), 200, "no X-zid header was sent");
    assert!(sb.last_issued().last_request(tokenhop_sandbox::Service::Xsuaa).unwrap().x_zid.is_none());
    sb.shutdown().await;
}

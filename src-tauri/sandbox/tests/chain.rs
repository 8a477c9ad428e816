//! The whole chain by hand, over raw HTTP: discovery, sign-in page, code, token, IAS, XSUAA, API; and the
//! other Entra grants (refresh, password, device code). Also start-up, shutdown and the profile.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tokenhop_sandbox::{browser, Sandbox, SandboxConfig, Service};

#[tokio::test]
async fn the_full_chain_works_by_hand_from_sign_in_page_to_api() {
    let sb = start().await;
    let c = sb.config().clone();
    let (verifier, challenge) = pkce();

    // 1. The sign-in page is HTML with the users and a form that posts back to authorize.
    let url = authorize_url(&sb, REDIRECT, &challenge);
    let page = http().get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("alice@sandbox.onmicrosoft.com"), "the user list is on the page");
    assert!(!html.contains("<link") && !html.contains(" src="), "no external resources");
    assert!(html.contains("name=\"login\""), "a text field for typing a user");

    // 2. Submit the form as the page would: the authorize parameters plus the chosen user.
    let query: Vec<(String, String)> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    let mut form = query.clone();
    form.push(("username".into(), "alice@sandbox.onmicrosoft.com".into()));
    let post = http().post(url.split('?').next().unwrap()).form(&form).send().await.unwrap();
    assert_eq!(post.status(), 302, "consent-free redirect");
    let location = url::Url::parse(post.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.host_str(), Some("localhost"));
    assert_eq!(location.port(), Some(53682), "back to the loopback port that was sent");
    assert_eq!(query_of(&location, "state").as_deref(), Some("state-123"));
    assert!(query_of(&location, "iss").is_none(), "Entra does not send iss unless it advertises it");
    let code = query_of(&location, "code").expect("code");

    // 3. Redeem the code with the verifier.
    let tokens: Value = redeem(&sb, &code, &verifier).await.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(tokens["refresh_token"].is_string(), "offline_access yields a refresh token");
    let id_token = tokens["id_token"].as_str().unwrap();
    let h = header(id_token);
    assert_eq!(h["alg"], "RS256");
    assert!(h["kid"].is_string(), "the ID token names its key");
    let ec = claims(id_token);
    assert_eq!(ec["iss"], sb.urls().entra.as_str());
    assert_eq!(ec["aud"], c.entra_client_id.as_str());
    assert_eq!(ec["ver"], "2.0");
    assert_eq!(ec["tid"], c.tenant_id.as_str());
    assert_eq!(ec["nonce"], "nonce-456");
    assert_eq!(ec["preferred_username"], "alice@sandbox.onmicrosoft.com");
    assert_eq!(ec["email"], "alice@sandbox.onmicrosoft.com", "email with the email scope");
    assert_eq!(ec["exp"].as_i64().unwrap() - ec["iat"].as_i64().unwrap(), 3600);
    for claim in ["oid", "sub", "name", "nbf", "aio", "rh", "uti"] {
        assert!(ec.get(claim).is_some(), "Entra v2 ID tokens carry {claim}");
    }

    // 4. IAS: jwt-bearer with Basic client auth.
    let ias: Value = ias_exchange(&sb, id_token).await.json().await.unwrap();
    let ias_id = ias["id_token"].as_str().unwrap();
    let ic = claims(ias_id);
    assert_eq!(ic["iss"], sb.urls().ias.as_str());
    assert_eq!(ic["aud"], c.ias_client_id.as_str(), "aud is the requesting IAS application, here the trust's own");
    assert_eq!(ic["azp"], c.ias_client_id.as_str());
    assert_eq!(ic["email"], "alice@sandbox.onmicrosoft.com");
    for claim in [
        "ias_iss",
        "sub",
        "app_tid",
        "sap_id_type",
        "scim_id",
        "user_uuid",
        "given_name",
        "family_name",
        "groups",
        "iat",
        "exp",
    ] {
        assert!(ic.get(claim).is_some(), "IAS id_tokens carry {claim}");
    }
    assert_eq!(
        claims(ias["access_token"].as_str().unwrap())["iss"],
        sb.urls().ias.as_str(),
        "token_format=jwt gives a JWT"
    );

    // 5. XSUAA: jwt-bearer with the IAS id_token and the X-zid header.
    let response = http()
        .post(format!("{}/oauth/token", sb.urls().xsuaa))
        .header("authorization", basic_raw(&c.xsuaa_client_id, &c.xsuaa_client_secret))
        .header("x-zid", &c.ias_tenant_id)
        .form(&[("grant_type", JWT_BEARER), ("assertion", ias_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let xsuaa: Value = response.json().await.unwrap();
    assert_eq!(xsuaa["expires_in"], 43199);
    let access = xsuaa["access_token"].as_str().unwrap();
    assert_eq!(header(access)["jku"], format!("{}/token_keys", sb.urls().xsuaa));
    let xc = claims(access);
    assert_eq!(xc["exp"].as_i64().unwrap() - xc["iat"].as_i64().unwrap(), 43200);
    assert_eq!(xc["zid"], c.xsuaa_zid.as_str());
    assert_eq!(xc["cid"], c.xsuaa_client_id.as_str());
    assert_eq!(xc["origin"], "sap.custom");
    assert_eq!(xc["user_name"], "alice@sandbox.onmicrosoft.com");
    assert!(xc["scope"].as_array().unwrap().iter().any(|s| s == "tokenhop-demo!t1234.Read"));

    // 6. The API.
    let me = http().get(&sb.urls().api).bearer_auth(access).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["user_name"], "alice@sandbox.onmicrosoft.com");
    assert_eq!(me["zid"], c.xsuaa_zid.as_str());

    let issued = sb.last_issued();
    assert_eq!(issued.xsuaa.as_ref().unwrap().access_token, access, "last_issued reports the XSUAA token");
    let ias_request = issued.last_request(Service::Ias).unwrap();
    assert_eq!(ias_request.client_auth, "basic");
    assert_eq!(ias_request.grant_type(), Some(JWT_BEARER));
    assert_eq!(issued.last_request(Service::Xsuaa).unwrap().x_zid.as_deref(), Some(c.ias_tenant_id.as_str()));
    sb.shutdown().await;
}

fn query_of(url: &url::Url, name: &str) -> Option<String> {
    query(url, name)
}

#[tokio::test]
async fn discovery_documents_point_at_the_sandbox_for_guid_and_domain_tenants() {
    let sb = start().await;
    for tenant in [sb.config().tenant_id.clone(), sb.config().tenant_domain.clone()] {
        let url = format!("{}/{tenant}/v2.0/.well-known/openid-configuration", sb.urls().authority);
        let doc: Value = http().get(url).send().await.unwrap().json().await.unwrap();
        assert_eq!(doc["issuer"], sb.urls().entra.as_str(), "issuer uses the tenant GUID even for {tenant}");
        let jwks: Value = http().get(doc["jwks_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    }
    let ias: Value = http()
        .get(format!("{}/.well-known/openid-configuration", sb.urls().ias))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ias["token_endpoint"], format!("{}/oauth2/token", sb.urls().ias));
    assert_eq!(ias["jwks_uri"], format!("{}/oauth2/certs", sb.urls().ias));
    let keys: Value = http().get(format!("{}/token_keys", sb.urls().xsuaa)).send().await.unwrap().json().await.unwrap();
    assert!(keys["keys"][0]["value"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    sb.shutdown().await;
}

#[tokio::test]
async fn the_fake_browser_delivers_the_callback_to_a_loopback_listener() {
    let sb = start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = socket.read(&mut buf).await.unwrap();
        socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let (_, challenge) = pkce();
    let url = authorize_url(&sb, &format!("http://localhost:{port}"), &challenge);
    let callback = browser::complete_sign_in(&url, "bob@sandbox.onmicrosoft.com").await.unwrap();
    let request = received.await.unwrap();
    assert!(request.starts_with("GET /?code="), "the listener saw a real callback: {request}");
    assert_eq!(query(&callback, "state").as_deref(), Some("state-123"));
    sb.shutdown().await;
}

#[tokio::test]
async fn the_fake_browser_refuses_non_loopback_hosts() {
    let err =
        browser::complete_sign_in("https://login.microsoftonline.com/x/oauth2/v2.0/authorize", "a").await.unwrap_err();
    assert!(matches!(err, browser::BrowserError::NotLoopback(_)), "must never leave the machine: {err}");
}

#[tokio::test]
async fn refresh_tokens_work_at_entra_ias_and_xsuaa() {
    let sb = start().await;
    let c = sb.config().clone();
    let (code, verifier) = code_for(&sb, "alice@sandbox.onmicrosoft.com").await;
    let entra: Value = redeem(&sb, &code, &verifier).await.json().await.unwrap();
    let form = [
        ("client_id", c.entra_client_id.as_str()),
        ("grant_type", "refresh_token"),
        ("refresh_token", entra["refresh_token"].as_str().unwrap()),
    ];
    let refreshed: Value = http().post(token_url(&sb)).form(&form).send().await.unwrap().json().await.unwrap();
    assert!(refreshed["id_token"].is_string(), "refresh at Entra gives a new ID token: {refreshed}");
    assert!(claims(refreshed["id_token"].as_str().unwrap()).get("nonce").is_none(), "no nonce on refresh");

    let ias: Value = ias_exchange(&sb, entra["id_token"].as_str().unwrap()).await.json().await.unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", ias["refresh_token"].as_str().unwrap())];
    let r = http()
        .post(format!("{}/oauth2/token", c_ias(&sb)))
        .header("authorization", basic(&c.ias_client_id, &c.ias_client_secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "IAS refresh");

    let xsuaa: Value = xsuaa_exchange(&sb, ias["id_token"].as_str().unwrap()).await.json().await.unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", xsuaa["refresh_token"].as_str().unwrap())];
    let r = http()
        .post(format!("{}/oauth/token", sb.urls().xsuaa))
        .header("authorization", basic_raw(&c.xsuaa_client_id, &c.xsuaa_client_secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "XSUAA refresh");
    sb.shutdown().await;
}

fn c_ias(sb: &Sandbox) -> String {
    sb.urls().ias.clone()
}

#[tokio::test]
async fn password_grant_issues_tokens_for_the_right_password() {
    let sb = start().await;
    let c = sb.config().clone();
    let form = [
        ("client_id", c.entra_client_id.as_str()),
        ("grant_type", "password"),
        ("scope", "openid profile"),
        ("username", "bob@sandbox.onmicrosoft.com"),
        ("password", "bob-demo-password"),
    ];
    let r = http().post(token_url(&sb)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(
        claims(body["id_token"].as_str().unwrap()).get("email").is_none(),
        "no email claim without the email scope"
    );
    assert!(body.get("refresh_token").is_none(), "no refresh token without offline_access");
    let recorded = sb.last_issued();
    assert_eq!(recorded.last_request(Service::Entra).unwrap().form["password"], "***", "passwords are never recorded");
    sb.shutdown().await;
}

#[tokio::test]
async fn device_code_flow_polls_until_the_user_enters_the_code() {
    let config = SandboxConfig { device_poll_interval_secs: 5, ..SandboxConfig::default() };
    let sb = start_with(config).await;
    let c = sb.config().clone();
    let url = format!("{}/{}/oauth2/v2.0/devicecode", sb.urls().authority, c.tenant_id);
    let dc: Value = http()
        .post(url)
        .form(&[("client_id", c.entra_client_id.as_str()), ("scope", "openid profile offline_access")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dc["interval"], 5);
    assert!(dc["message"].as_str().unwrap().contains(dc["user_code"].as_str().unwrap()));
    let poll = || {
        let form = [
            ("client_id", c.entra_client_id.clone()),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code".into()),
            ("device_code", dc["device_code"].as_str().unwrap().to_string()),
        ];
        http().post(token_url(&sb)).form(&form).send()
    };
    assert_aadsts(poll().await.unwrap(), 400, "authorization_pending", 70016).await;
    assert_aadsts(poll().await.unwrap(), 400, "slow_down", 70016).await;
    browser::complete_device_sign_in(
        dc["verification_uri"].as_str().unwrap(),
        dc["user_code"].as_str().unwrap(),
        "alice@sandbox.onmicrosoft.com",
    )
    .await
    .unwrap();
    sb.advance_clock(Duration::from_secs(6));
    let r = poll().await.unwrap();
    assert_eq!(r.status(), 200, "approved device code redeems");
    sb.shutdown().await;
}

#[tokio::test]
async fn an_expired_device_code_answers_expired_token() {
    let sb = start().await;
    let c = sb.config().clone();
    let url = format!("{}/{}/oauth2/v2.0/devicecode", sb.urls().authority, c.tenant_id);
    let dc: Value = http()
        .post(url)
        .form(&[("client_id", c.entra_client_id.as_str()), ("scope", "openid")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sb.advance_clock(Duration::from_secs(901));
    let form = [
        ("client_id", c.entra_client_id.as_str()),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    assert_aadsts(http().post(token_url(&sb)).form(&form).send().await.unwrap(), 400, "expired_token", 70019).await;
    sb.shutdown().await;
}

#[tokio::test]
async fn start_is_fast_and_shutdown_closes_every_port() {
    let _warm = start().await; // keys are generated once per process
    let began = Instant::now();
    let sb = start().await;
    assert!(began.elapsed() < Duration::from_millis(500), "start took {:?}", began.elapsed());
    let urls = sb.urls().clone();
    sb.shutdown().await;
    for origin in [urls.authority, urls.ias, urls.xsuaa] {
        let addr = origin.trim_start_matches("http://");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "{addr} must be closed after shutdown");
    }
}

#[tokio::test]
async fn fixed_base_port_puts_the_services_on_consecutive_ports() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = probe.local_addr().unwrap().port().saturating_sub(4000).max(20000);
    drop(probe);
    let config = SandboxConfig { base_port: Some(base), ..SandboxConfig::default() };
    let Ok(sb) = Sandbox::start(config).await else { return }; // a taken port is not this test's subject
    assert_eq!(sb.urls().authority, format!("http://127.0.0.1:{base}"));
    assert_eq!(sb.urls().ias, format!("http://127.0.0.1:{}", base + 1));
    assert_eq!(sb.urls().xsuaa, format!("http://127.0.0.1:{}", base + 2));
    assert_eq!(sb.urls().api, format!("http://127.0.0.1:{}/api/me", base + 3));
    sb.shutdown().await;
}

#[tokio::test]
async fn profile_toml_names_the_sandbox_endpoints_and_no_secret() {
    let sb = start().await;
    let toml = sb.profile_toml("Sandbox");
    let c = sb.config();
    assert!(toml.starts_with("name = \"Sandbox\"\n"));
    for needle in [
        &sb.urls().authority,
        &c.tenant_id,
        &c.entra_client_id,
        &sb.urls().ias,
        &c.ias_client_id,
        &sb.urls().xsuaa,
        &c.xsuaa_client_id,
        &sb.urls().api,
    ] {
        assert!(toml.contains(&format!("\"{needle}\"")), "profile names {needle}:\n{toml}");
    }
    for secret in [&c.ias_client_secret, &c.xsuaa_client_secret, &c.entra_client_secret] {
        assert!(!toml.contains(secret.as_str()), "no secret in a profile");
    }
    assert!(!format!("{c:?}").contains(&c.ias_client_secret), "Debug redacts secrets");
    sb.shutdown().await;
}

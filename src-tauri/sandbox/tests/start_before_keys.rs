//! A sandbox that serves before its signing keys exist (the app starts its sandbox this way). Its own test
//! binary, so that no other test has generated this process's keys first.

mod common;

use common::*;
use serde_json::Value;
use tokenhop_sandbox::{Sandbox, SandboxConfig};

#[tokio::test]
async fn requests_wait_for_the_keys_of_a_sandbox_started_before_them() {
    let sb = Sandbox::start_before_keys(SandboxConfig::default()).await.unwrap();

    // The first requests generate the keys and wait for them; neither fails nor sees an empty key set.
    let jwks_url = format!("{}/{}/discovery/v2.0/keys", sb.urls().authority, sb.config().tenant_id);
    let (jwks, id_token) = tokio::join!(
        async { http().get(&jwks_url).send().await.unwrap().json::<Value>().await.unwrap() },
        entra_id_token(&sb),
    );

    let kid = jwks["keys"][0]["kid"].as_str().expect("Entra publishes its key once it exists");
    assert_eq!(header(&id_token)["kid"], kid, "the ID token is signed with the published key");
    let access = xsuaa_token(&sb).await;
    assert!(!access.is_empty(), "the rest of the chain signs with the same keys");
    sb.generate_keys().await.expect("keys that exist are not generated again");
    sb.shutdown().await;
}

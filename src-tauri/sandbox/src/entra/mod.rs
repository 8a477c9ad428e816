//! Simulated Entra ID v2.0: discovery, keys, and the tokens it issues. The endpoints that take user or
//! client input live in `authorize`, `token` and `device`.
//!
//! Entra lives at `{authority}/{tenant}/v2.0/...`; the tenant segment may be the GUID or the domain.
//! It does not implement consent, MFA or Conditional Access, and `common` answers AADSTS50194 (the
//! sandbox app is single-tenant).

mod assertion;
pub(crate) use assertion::CLIENT_ASSERTION_TYPE;
mod authorize;
mod device;
pub(crate) mod errors;
mod token;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::faults::{Fault, Tamper, TokenKind};
use crate::issued::TokensSeen;
use crate::keys::Key;
use crate::mint::{mint, Signer};
use crate::state::{random_token, EntraGrant, EntraRefresh, Shared};
use errors::EntraError;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{tenant}/v2.0/.well-known/openid-configuration", get(discovery))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::page).post(authorize::submit))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device::devicecode))
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route("/devicelogin", get(device::entry_page).post(device::entry_submit))
        .with_state(shared)
}

/// Checks the tenant segment: this tenant (GUID or domain), else AADSTS50194 for `common` and friends,
/// else AADSTS90002.
pub(crate) fn check_tenant(shared: &Shared, tenant: &str) -> Result<(), EntraError> {
    let config = &shared.config;
    if config.is_tenant(tenant) {
        Ok(())
    } else if ["common", "organizations", "consumers"].contains(&tenant.to_ascii_lowercase().as_str()) {
        Err(EntraError::single_tenant_on_common(&config.entra_client_id, &config.entra_app_name))
    } else {
        Err(EntraError::tenant_not_found(tenant))
    }
}

async fn discovery(State(shared): State<Arc<Shared>>, Path(tenant): Path<String>) -> Response {
    if let Err(e) = check_tenant(&shared, &tenant) {
        return e.into_response();
    }
    let base = format!("{}/{}", shared.urls.authority, shared.config.tenant_id);
    let mut doc = json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": shared.urls.entra,
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid",
            "ver", "at_hash", "c_hash", "email"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    });
    if shared.config.entra_iss_parameter {
        doc["authorization_response_iss_parameter_supported"] = json!(true);
    }
    Json(doc).into_response()
}

/// The key Entra signs with now, and the keys its JWKS publishes (current first).
pub(crate) fn entra_keys(shared: &Shared) -> (&'static Key, Vec<&'static Key>) {
    let ring = shared.keys();
    let rotated = shared.faults.is_set(&Fault::RotateEntraKeys);
    let two_keys = shared.faults.tampers(TokenKind::EntraIdToken).contains(&Tamper::NoKidTwoKeys);
    match (rotated, two_keys) {
        (true, _) => (&ring.entra_next, vec![&ring.entra_next, &ring.entra]),
        (false, true) => (&ring.entra, vec![&ring.entra, &ring.entra_next]),
        (false, false) => (&ring.entra, vec![&ring.entra]),
    }
}

async fn keys(State(shared): State<Arc<Shared>>, Path(tenant): Path<String>) -> Response {
    if let Err(e) = check_tenant(&shared, &tenant) {
        return e.into_response();
    }
    let (_, published) = entra_keys(&shared);
    let keys: Vec<Value> = published
        .iter()
        .map(|k| {
            let mut jwk = k.jwk();
            jwk["x5t"] = json!(k.kid);
            jwk["issuer"] = json!(shared.urls.entra);
            jwk
        })
        .collect();
    Json(json!({ "keys": keys })).into_response()
}

/// Entra's pairwise `sub`: stable per user and app, different across apps.
fn pairwise_sub(oid: &str, client_id: &str) -> String {
    crate::jwt::b64(Sha256::digest(format!("{oid}:{client_id}").as_bytes()))
}

/// Issues the token response for a grant (RFC 6749 §5.1 plus Entra's `ext_expires_in`), with an
/// Entra v2.0 ID token when `openid` was asked for and a refresh token with `offline_access`.
pub(crate) fn issue(shared: &Shared, grant: &EntraGrant, nonce: Option<&str>) -> Response {
    let config = &shared.config;
    let user = &config.users[grant.user];
    let scopes: Vec<&str> = grant.scope.split_whitespace().collect();
    let (now, lifetime) = (shared.now(), config.entra_token_lifetime_secs as i64);
    let (key, _) = entra_keys(shared);
    let signer = Signer { key, rogue: &shared.keys().rogue, header: Map::new() };

    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes.iter().filter(|s| **s != "offline_access").copied().chain(["User.Read"]).collect::<Vec<_>>().join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
    });
    let access = json!({
        "aud": "00000003-0000-0000-c000-000000000000", "iss": format!("https://sts.windows.net/{}/", config.tenant_id),
        "iat": now, "nbf": now, "exp": now + lifetime, "appid": grant.client_id, "name": user.name,
        "oid": user.oid, "scp": "openid profile email User.Read", "tid": config.tenant_id,
        "upn": user.username, "uti": random_token(16), "ver": "1.0",
    });
    let access_token = mint(access.as_object().cloned().unwrap_or_default(), &signer, &[]);
    body["access_token"] = json!(access_token);
    let mut seen = TokensSeen { access_token, ..TokensSeen::default() };

    if scopes.contains(&"openid") {
        let mut claims = Map::new();
        claims.insert("aud".into(), json!(grant.client_id));
        claims.insert("iss".into(), json!(shared.urls.entra));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(now + lifetime));
        claims.insert("aio".into(), json!(random_token(60)));
        if scopes.contains(&"email") {
            claims.insert("email".into(), json!(user.username));
        }
        if scopes.contains(&"profile") {
            claims.insert("name".into(), json!(user.name));
            claims.insert("preferred_username".into(), json!(user.username));
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        claims.insert("oid".into(), json!(user.oid));
        claims.insert("rh".into(), json!(format!("1.{}.", random_token(40))));
        claims.insert("sub".into(), json!(pairwise_sub(&user.oid, &grant.client_id)));
        claims.insert("tid".into(), json!(config.tenant_id));
        claims.insert("uti".into(), json!(random_token(16)));
        claims.insert("ver".into(), json!("2.0"));
        let id_token = mint(claims, &signer, &shared.faults.tampers(TokenKind::EntraIdToken));
        body["id_token"] = json!(id_token);
        seen.id_token = Some(id_token);
    }
    if scopes.contains(&"offline_access") {
        let refresh = format!("1.{}", random_token(96));
        let stored = EntraRefresh { grant: grant.clone(), issued_at: now };
        shared.store().entra_refresh.insert(refresh.clone(), stored);
        body["refresh_token"] = json!(refresh);
        seen.refresh_token = Some(refresh);
    }
    shared.issued().entra = Some(seen);
    ([("cache-control", "no-store"), ("pragma", "no-cache")], Json(body)).into_response()
}

//! Simulated XSUAA (the UAA of a BTP subaccount): `/oauth/token` for jwt-bearer with the IAS id_token
//! as assertion (RFC 7523) and `refresh_token`, `/token_keys`, and discovery.
//!
//! The subaccount trusts the IAS sandbox. Failures use the verbatim UAA texts of DESIGN §1, so the
//! engine's diagnosis can be tested against them. It does not implement authorization codes, SAML or
//! role collections: every user gets `xsuaa_scopes`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::faults::{Fault, Tamper, TokenKind};
use crate::ias::{ias_keys, JWT_BEARER};
use crate::issued::{Service, TokensSeen};
use crate::jwt::Jwt;
use crate::mint::{mint, Signer};
use crate::mtls::{presented, Presented};
use crate::state::{
    client_credentials, derived_uuid, java_url_decode, parse_form, random_token, ClientCredentials, Form, Shared,
    UserGrant,
};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/token", post(token))
        .route("/token_keys", get(token_keys))
        .with_state(shared)
}

/// A UAA error body.
fn uaa(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    (status, Json(json!({ "error": error, "error_description": description.into() }))).into_response()
}

/// UAA's answer to failed client authentication (`UaaExceptionTranslator`: a `BadCredentialsException` becomes
/// `invalid_client` since UAA 76.26; older UAA said `unauthorized`).
fn bad_credentials() -> Response {
    client_auth_failed("Bad credentials")
}

fn client_auth_failed(description: &str) -> Response {
    let mut response = uaa(StatusCode::UNAUTHORIZED, "invalid_client", description);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        "Basic realm=\"UAA/client\", error=\"unauthorized\", error_description=\"Bad credentials\""
            .parse()
            .expect("static header"),
    );
    response
}

/// The issuer of XSUAA access tokens.
pub(crate) fn issuer(shared: &Shared) -> String {
    format!("{}/oauth/token", shared.urls.xsuaa)
}

/// XSUAA publishes its key, and the rogue one too while "two keys, no kid" is active for its tokens.
pub(crate) fn xsuaa_keys(shared: &Shared) -> Vec<&'static crate::keys::Key> {
    let ring = shared.keys();
    if shared.faults.tampers(TokenKind::XsuaaAccessToken).contains(&Tamper::NoKidTwoKeys) {
        vec![&ring.xsuaa, &ring.rogue]
    } else {
        vec![&ring.xsuaa]
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let o = &shared.urls.xsuaa;
    Json(json!({
        "issuer": issuer(&shared),
        "authorization_endpoint": format!("{o}/oauth/authorize"),
        "token_endpoint": format!("{o}/oauth/token"),
        "jwks_uri": format!("{o}/token_keys"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "tls_client_auth"],
        // Only what `/oauth/token` here serves.
        "grant_types_supported": [JWT_BEARER, "refresh_token"],
        "response_types_supported": ["code", "id_token", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn token_keys(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let keys: Vec<Value> = xsuaa_keys(&shared)
        .iter()
        .map(|k| json!({ "kty": "RSA", "e": k.e, "use": "sig", "kid": k.kid, "alg": "RS256", "value": k.public_pem(), "n": k.n }))
        .collect();
    Json(json!({ "keys": keys }))
}

async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let Ok(mut creds) = client_credentials(&headers, &form) else {
        return client_auth_failed("Failed to decode basic authentication token");
    };
    let presented = presented(&shared, &extensions);
    if presented != Presented::Nothing {
        creds.method = "tls_client_auth";
    }
    shared.record(Service::Xsuaa, "/oauth/token", &headers, &form, &creds);
    let config = &shared.config;
    // The certificate host (`certurl`) authenticates the client by the certificate of the TLS handshake and the
    // `client_id` of the body, no secret (SAP Help "Implementing Custom Token Retrieval … with mTLS"); the
    // certificate must be the one issued to that client.
    let client_id = match presented {
        Presented::Client(owner) => match creds.id.clone() {
            Some(id) if id == owner && id == config.xsuaa_client_id => id,
            _ => return bad_credentials(),
        },
        Presented::Unknown => return bad_credentials(),
        Presented::Nothing => {
            let (client_id, secret) = match uaa_client_credentials(&headers, &creds) {
                Ok(c) => c,
                Err(response) => return response,
            };
            if client_id != config.xsuaa_client_id || secret != config.xsuaa_client_secret {
                return bad_credentials();
            }
            client_id
        }
    };
    match form.get("grant_type").map(String::as_str) {
        Some(JWT_BEARER) => {
            let zid = headers.get("x-zid").and_then(|v| v.to_str().ok());
            match check_assertion(&shared, &form, zid) {
                Ok(user) => issue(&shared, &UserGrant { user, client_id, jwt_access_token: true }),
                Err(response) => response,
            }
        }
        Some("refresh_token") => {
            let token = form.get("refresh_token").map(String::as_str).unwrap_or("");
            let grant = shared.store().xsuaa_refresh.get(token).cloned();
            match grant {
                Some(grant) if grant.client_id == client_id => issue(&shared, &grant),
                _ => uaa(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    format!("Invalid refresh token (expired): {}", token.chars().take(8).collect::<String>()),
                ),
            }
        }
        Some(other) => {
            uaa(StatusCode::BAD_REQUEST, "unsupported_grant_type", format!("Unsupported grant type: {other}"))
        }
        None => uaa(StatusCode::BAD_REQUEST, "invalid_request", "Missing grant type"),
    }
}

/// The client ID and secret as UAA in URI-encoding compatibility mode reads them (UAA
/// `ClientBasicAuthenticationFilter`; SAP Help "Token Retrieval Fails With Status Code 401"): Basic credentials
/// are compared raw, and URL-decoded only when the request says `X-CF-ENCODED-CREDENTIALS: true`. Without a
/// Basic header, `client_id` and `client_secret` come from the form body (`ClientParametersAuthenticationFilter`).
#[allow(clippy::result_large_err)] // built once per request, on the error path
fn uaa_client_credentials(headers: &HeaderMap, creds: &ClientCredentials) -> Result<(String, String), Response> {
    let Some((raw_id, raw_secret)) = &creds.basic_raw else {
        return match (&creds.id, &creds.secret) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err(bad_credentials()),
        };
    };
    let encoded = headers
        .get("x-cf-encoded-credentials")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !encoded {
        return Ok((raw_id.clone(), raw_secret.clone()));
    }
    match (java_url_decode(raw_id), java_url_decode(raw_secret)) {
        (Some(id), Some(secret)) => Ok((id, secret)),
        _ => Err(client_auth_failed("Failed to URL Decode credentials")),
    }
}

/// Validates the IAS id_token; on failure answers as UAA does.
#[allow(clippy::result_large_err)] // built once per request, on the error path
fn check_assertion(shared: &Shared, form: &Form, zid: Option<&str>) -> Result<usize, Response> {
    let config = &shared.config;
    let invalid = |text: &str| uaa(StatusCode::UNAUTHORIZED, "invalid_token", text);
    let assertion =
        form.get("assertion").ok_or_else(|| uaa(StatusCode::BAD_REQUEST, "invalid_request", "Assertion is missing"))?;
    let jwt = Jwt::parse(assertion).ok_or_else(|| invalid("Invalid token (could not decode): assertion"))?;
    let iss = jwt.claim_str("iss").unwrap_or_default();
    let trusted = !shared.faults.is_set(&Fault::XsuaaDistrustsIas) && iss == shared.urls.ias;
    let zone_ok = zid.is_none_or(|z| z == config.ias_tenant_id || z == config.xsuaa_zid);
    if !trusted || !zone_ok {
        return Err(uaa(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("Unable to map issuer, {iss} , to a single registered provider"),
        ));
    }
    jwt.verify_rs256(&ias_keys(shared)).map_err(|_| invalid("Could not verify token signature."))?;
    // UAA `ExternalOAuthAuthenticationManager`: `checkAudience(config.getRelyingPartyId())`, the client ID of the
    // IAS application the trust created; `JwtTokenSignedByThisUAA` words the refusal.
    let relying_party = shared.xsuaa_trust_relying_party();
    if !jwt.audiences().contains(&relying_party) {
        return Err(invalid(&format!("Some parties were not in the token audience: {relying_party}")));
    }
    match jwt.claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > shared.now() => {}
        _ => return Err(invalid("Token does not bear a valid EXP claim.")),
    }
    let Some(email) = jwt.claim_str("email") else {
        return Err(uaa(StatusCode::UNAUTHORIZED, "unauthorized", "Unable to map claim to a username"));
    };
    let index = config.users.iter().position(|u| u.username.eq_ignore_ascii_case(email));
    match index {
        Some(i) if config.xsuaa_shadow_users || config.users[i].xsuaa_user => Ok(i),
        _ => Err(uaa(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The user account must be pre-created. Please contact your system administrator.",
        )),
    }
}

/// The XSUAA token response (RFC 6749 §5.1 plus `jti` and `scope`).
fn issue(shared: &Shared, grant: &UserGrant) -> Response {
    let config = &shared.config;
    let user = &config.users[grant.user];
    let (now, lifetime) = (shared.now(), config.xsuaa_token_lifetime_secs as i64);
    let jti = uuid::Uuid::new_v4().simple().to_string();
    let user_id = derived_uuid(&format!("xsuaa:{}", user.oid));
    let mut aud: Vec<String> =
        config.xsuaa_scopes.iter().filter_map(|s| s.rsplit_once('.').map(|(prefix, _)| prefix.to_string())).collect();
    aud.push(grant.client_id.clone());
    aud.sort();
    aud.dedup();
    let claims = json!({
        "jti": jti,
        "ext_attr": { "enhancer": "XSUAA", "subaccountid": config.xsuaa_zid, "zdn": "tokenhop-sandbox" },
        "xs.system.attributes": { "xs.rolecollections": ["TokenHop Viewer"] },
        "given_name": user.given_name, "xs.user.attributes": {}, "family_name": user.family_name,
        "sub": user_id, "scope": config.xsuaa_scopes, "client_id": grant.client_id, "cid": grant.client_id,
        "azp": grant.client_id, "grant_type": JWT_BEARER, "user_id": user_id, "origin": config.xsuaa_origin,
        "user_name": user.username, "email": user.username, "auth_time": now, "rev_sig": random_token(6),
        "iat": now, "exp": now + lifetime, "iss": issuer(shared), "zid": config.xsuaa_zid, "aud": aud,
    });
    let mut header = Map::new();
    header.insert("jku".into(), json!(format!("{}/token_keys", shared.urls.xsuaa)));
    let ring = shared.keys();
    let signer = Signer { key: &ring.xsuaa, rogue: &ring.rogue, header };
    let access = mint(
        claims.as_object().cloned().unwrap_or_default(),
        &signer,
        &shared.faults.tampers(TokenKind::XsuaaAccessToken),
    );
    let refresh = format!("{}-r", random_token(16));
    shared.store().xsuaa_refresh.insert(refresh.clone(), grant.clone());
    shared.issued().xsuaa =
        Some(TokensSeen { access_token: access.clone(), id_token: None, refresh_token: Some(refresh.clone()) });
    let body = json!({
        "access_token": access, "token_type": "bearer", "refresh_token": refresh,
        "expires_in": lifetime - 1, "scope": config.xsuaa_scopes.join(" "), "jti": jti,
    });
    ([("cache-control", "no-store")], Json(body)).into_response()
}

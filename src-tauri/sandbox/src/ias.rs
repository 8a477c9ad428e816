//! Simulated SAP Cloud Identity Services (IAS): discovery, `/oauth2/token` for the jwt-bearer grant
//! (RFC 7523 §2.1) and `refresh_token`, and `/oauth2/certs`.
//!
//! IAS trusts the Entra sandbox as corporate IdP: an assertion passes only if it is RS256-signed by a
//! key Entra publishes, its `iss` is the trusted issuer, its `aud` holds the trusted client id, `ver` is
//! 2.0 and it has not expired. Client authentication (Basic or post) locks the client after too many
//! failures, even for the right secret, until the lock expires. Users known only to Entra pass unless the
//! application allows IAS users only. IAS error texts are undocumented; the
//! ones here say plainly what failed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::faults::{Fault, Tamper, TokenKind};
use crate::issued::{Service, TokensSeen};
use crate::jwt::{Jwt, SignatureProblem};
use crate::mint::{mint, Signer};
use crate::mtls::{presented, Presented};
use crate::state::{
    client_credentials, derived_uuid, parse_form, random_token, ClientCredentials, Form, Shared, UserGrant,
};

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/token", post(token))
        .route("/oauth2/certs", get(certs))
        .with_state(shared)
}

/// IAS's issuer: its origin, or with [`Fault::IasIssuerWithoutScheme`] the bare host as some tenants wrote it.
fn issuer(shared: &Shared) -> String {
    let origin = shared.urls.ias.clone();
    if shared.faults.is_set(&Fault::IasIssuerWithoutScheme) {
        return origin.split_once("://").map(|(_, host)| host.to_owned()).unwrap_or(origin);
    }
    origin
}

fn error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    (status, Json(json!({ "error": error, "error_description": description.into() }))).into_response()
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let o = &shared.urls.ias;
    Json(json!({
        "issuer": o,
        "authorization_endpoint": format!("{o}/oauth2/authorize"),
        "token_endpoint": format!("{o}/oauth2/token"),
        "userinfo_endpoint": format!("{o}/oauth2/userinfo"),
        "end_session_endpoint": format!("{o}/oauth2/logout"),
        "jwks_uri": format!("{o}/oauth2/certs"),
        "response_types_supported": ["code", "id_token", "token"],
        // Only what `/oauth2/token` here serves.
        "grant_types_supported": [JWT_BEARER, "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "scopes_supported": ["openid", "email", "profile", "groups"],
        "code_challenge_methods_supported": ["S256", "plain"],
    }))
}

/// IAS publishes its key, and a second one while "two keys, no kid" is active for its tokens.
pub(crate) fn ias_keys(shared: &Shared) -> Vec<&'static crate::keys::Key> {
    let two = [TokenKind::IasIdToken, TokenKind::IasAccessToken]
        .iter()
        .any(|t| shared.faults.tampers(*t).contains(&Tamper::NoKidTwoKeys));
    let ring = shared.keys();
    if two {
        vec![&ring.ias, &ring.rogue]
    } else {
        vec![&ring.ias]
    }
}

/// IAS's keys. SAP's libraries send `x-client_id`, `x-app_tid` and `x-azp` with this request; IAS may check
/// them online (an answer of 400 then means a wrong audience). The sandbox records them and serves the keys.
async fn certs(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Json<Value> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    shared.issued().record_keys_request(crate::issued::KeysRequestSeen {
        x_client_id: header("x-client_id"),
        x_app_tid: header("x-app_tid"),
        x_azp: header("x-azp"),
    });
    let keys: Vec<Value> = ias_keys(&shared)
        .iter()
        .map(|k| {
            let mut jwk = k.jwk();
            jwk["alg"] = json!("RS256");
            jwk
        })
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
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed: malformed Authorization header.",
        );
    };
    let presented = presented(&shared, &extensions);
    let by_assertion = form.contains_key("client_assertion") && creds.secret.is_none();
    let by_certificate = !by_assertion && presented != Presented::Nothing && creds.secret.is_none();
    if by_certificate {
        creds.method = "tls_client_auth";
    }
    if by_assertion {
        creds.method = "private_key_jwt";
    }
    shared.record(Service::Ias, "/oauth2/token", &headers, &form, &creds);
    // Over TLS a client may authenticate with its certificate and `client_id` in the body instead of a secret
    // (IAS "Configure the Client to Call Identity Authentication JWT Bearer Token": X.509 among the schemes); the
    // certificate must be the one issued to that client.
    let authenticated = if by_assertion {
        check_client_assertion(&shared, &form)
    } else if by_certificate {
        match (&presented, &creds.id) {
            (Presented::Client(owner), Some(id)) if id == owner && *id == shared.config.ias_client_id => Ok(()),
            _ => Err(error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed.")),
        }
    } else {
        authenticate(&shared, &creds)
    };
    if let Err(response) = authenticated {
        return response;
    }
    let client_id = shared.config.ias_client_id.clone();
    match form.get("grant_type").map(String::as_str) {
        Some(JWT_BEARER) => jwt_bearer(&shared, &client_id, &form),
        Some("refresh_token") => {
            let token = form.get("refresh_token").map(String::as_str).unwrap_or("");
            let grant = shared.store().ias_refresh.get(token).cloned();
            match grant.filter(|g| g.client_id == client_id) {
                Some(grant) => {
                    let jwt = form.get("token_format").map(|f| f == "jwt").unwrap_or(grant.jwt_access_token);
                    issue(&shared, &UserGrant { jwt_access_token: jwt, ..grant })
                }
                None => error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid refresh token."),
            }
        }
        Some(other) => {
            error(StatusCode::BAD_REQUEST, "unsupported_grant_type", format!("Unsupported grant type: {other}"))
        }
        None => error(StatusCode::BAD_REQUEST, "invalid_request", "Missing parameter: grant_type"),
    }
}

/// Client authentication with lockout: the threshold-th consecutive failure locks the client; while it
/// is locked, every attempt is refused, the right secret included.
///
/// Basic credentials are form-urldecoded, as RFC 6749 §2.3.1 reads them: IAS asks for the client ID and secret
/// "encoded using the application/x-www-form-urlencoded encoding algorithm" (SAP Help "Configure the Client to
/// Call Identity Authentication JWT Bearer Token"; docs/fidelity.md).
#[allow(clippy::result_large_err)] // built once per request, on the error path
fn authenticate(shared: &Shared, creds: &ClientCredentials) -> Result<(), Response> {
    let config = &shared.config;
    let failed = || error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed.");
    if creds.id.as_deref() != Some(config.ias_client_id.as_str()) {
        return Err(failed());
    }
    let id = config.ias_client_id.as_str();
    let now = shared.now();
    let mut store = shared.store();
    let lock = store.ias_lockouts.entry(id.to_string()).or_default();
    match lock.locked_until {
        Some(until) if now < until => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed: the client is locked after too many failed attempts. Try again later.",
            ));
        }
        Some(_) => *lock = Default::default(),
        None => {}
    }
    if creds.secret.as_deref() == Some(config.ias_client_secret.as_str()) {
        lock.failures = 0;
        return Ok(());
    }
    lock.failures += 1;
    if lock.failures >= config.ias_lockout_threshold {
        lock.locked_until = Some(now + config.ias_lockout_secs as i64);
    }
    Err(failed())
}

/// A client assertion (`private_key_jwt`, OpenID Connect Core 1.0 §9), which IAS accepts as "JWT
/// (client_assertion)" (SAP Help "Configure the Client to Call Identity Authentication JWT Bearer Token"). The
/// sandbox's application trusts the demo client's key by JSON Web Key Set (SAP Help "Configure JWT for OAuth Client
/// Authentication", *Configure Trust by URI*). IAS documents neither the claims it checks nor its answers, so the
/// sandbox checks what OIDC Core §9 requires — `iss` = `sub` = the client ID, `aud` naming IAS (its token endpoint,
/// which the spec recommends, or its issuer: both readings pass), `exp` ahead, a `jti` used once — and the
/// signature (RS256 or PS256, `kid` if given naming the key), and answers every refusal `401 invalid_client`.
#[allow(clippy::result_large_err)] // built once per request, on the error path
fn check_client_assertion(shared: &Shared, form: &Form) -> Result<(), Response> {
    let refused = |why: &str| {
        Err(error(StatusCode::UNAUTHORIZED, "invalid_client", format!("Client authentication failed: {why}.")))
    };
    if form.get("client_assertion_type").map(String::as_str) != Some(crate::entra::CLIENT_ASSERTION_TYPE) {
        return refused("unsupported client_assertion_type");
    }
    let Some(jwt) = form.get("client_assertion").and_then(|a| Jwt::parse(a)) else {
        return refused("the client assertion is not a JWT");
    };
    let key = &shared.keys().client;
    if jwt.header_str("kid").is_some_and(|kid| kid != key.kid) || jwt.verify_rsa(&key.public).is_err() {
        return refused("the client assertion's signature does not verify with a trusted key");
    }
    let id = shared.config.ias_client_id.as_str();
    if jwt.claim_str("iss") != Some(id) || jwt.claim_str("sub") != Some(id) {
        return refused("the client assertion's iss and sub must be the client ID");
    }
    if form.get("client_id").is_some_and(|c| c != id) {
        return refused("client_id does not match the client assertion");
    }
    let ias = &shared.urls.ias;
    let accepted = [format!("{ias}/oauth2/token"), ias.clone(), issuer(shared)];
    if !jwt.audiences().iter().any(|a| accepted.iter().any(|ok| ok == a)) {
        return refused("the client assertion's audience is not this tenant");
    }
    let now = shared.now();
    let Some(exp) = jwt.claim_i64("exp").filter(|exp| now < *exp) else {
        return refused("the client assertion has expired");
    };
    let Some(jti) = jwt.claim_str("jti") else {
        return refused("the client assertion has no jti");
    };
    let mut store = shared.store();
    store.ias_assertion_jtis.retain(|_, until| *until > now);
    if store.ias_assertion_jtis.insert(jti.to_owned(), exp).is_some() {
        return refused("the client assertion was already used");
    }
    Ok(())
}

/// Checks the Entra assertion against the corporate IdP trust; returns the user's index.
fn check_assertion(shared: &Shared, assertion: &str) -> Result<usize, String> {
    let jwt = Jwt::parse(assertion).ok_or("The assertion is not a well-formed JWT.")?;
    let iss = jwt.claim_str("iss").unwrap_or_default();
    if shared.faults.is_set(&Fault::IasDistrustsEntra) || iss != shared.ias_trusted_issuer() {
        return Err(format!(
            "No trusted corporate identity provider with issuer '{iss}' is configured for this tenant."
        ));
    }
    let (_, published) = crate::entra::entra_keys(shared);
    match jwt.verify_rs256(&published) {
        Ok(()) => {}
        Err(SignatureProblem::Algorithm(alg)) => {
            return Err(format!("The assertion algorithm '{alg}' is not accepted."))
        }
        Err(_) => return Err(format!("The assertion signature could not be verified with the keys of '{iss}'.")),
    }
    let ver = jwt.claim_str("ver").unwrap_or_default();
    if ver != "2.0" {
        return Err(format!(
            "The assertion has version '{ver}'; the corporate identity provider must issue v2.0 tokens."
        ));
    }
    let client_id = shared.ias_trusted_client_id();
    if !jwt.audiences().contains(&client_id) {
        return Err(format!(
            "The assertion audience does not contain the client ID '{client_id}' of the corporate identity provider."
        ));
    }
    let now = shared.now();
    match jwt.claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now => {}
        _ => return Err("The assertion has expired.".into()),
    }
    if jwt.claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now + 300) {
        return Err("The assertion is not yet valid.".into());
    }
    let login = ["email", "preferred_username", "upn"].iter().find_map(|c| jwt.claim_str(c)).unwrap_or_default();
    let config = &shared.config;
    let index = config
        .users
        .iter()
        .position(|u| u.username.eq_ignore_ascii_case(login))
        .ok_or_else(|| format!("The assertion names no user ('{login}')."))?;
    // Users known only to the corporate IdP pass, unless the application allows IAS users only.
    if config.ias_users_only && !config.users[index].ias_user {
        return Err(format!("The user '{login}' is not an Identity Authentication user, and the application allows Identity Authentication users only."));
    }
    Ok(index)
}

fn jwt_bearer(shared: &Shared, client_id: &str, form: &Form) -> Response {
    let Some(assertion) = form.get("assertion") else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "Missing parameter: assertion");
    };
    match check_assertion(shared, assertion) {
        Ok(user) => {
            let jwt = form.get("token_format").map(String::as_str) == Some("jwt");
            issue(shared, &UserGrant { user, client_id: client_id.to_string(), jwt_access_token: jwt })
        }
        Err(text) => error(StatusCode::BAD_REQUEST, "invalid_grant", text),
    }
}

/// The IAS token response: id_token, access token (opaque unless `token_format=jwt`), refresh token.
fn issue(shared: &Shared, grant: &UserGrant) -> Response {
    let config = &shared.config;
    let user = &config.users[grant.user];
    let (now, lifetime) = (shared.now(), config.ias_token_lifetime_secs as i64);
    let user_uuid = derived_uuid(&user.oid);
    let ring = shared.keys();
    let signer = Signer { key: &ring.ias, rogue: &ring.rogue, header: Map::new() };
    // `xsuaa-cross-consumption: true` adds the client ID of the IAS application the subaccount's trust created.
    let relying_party = shared.xsuaa_trust_relying_party();
    let cross = config.ias_xsuaa_cross_consumption && relying_party != grant.client_id;
    let aud = if cross { json!([grant.client_id, relying_party]) } else { json!(grant.client_id) };
    let iss = issuer(shared);
    let id_claims = json!({
        "iss": iss, "ias_iss": iss, "sub": user_uuid, "aud": aud, "azp": grant.client_id,
        "app_tid": config.ias_tenant_id, "sap_id_type": "user", "scim_id": user_uuid, "user_uuid": user_uuid,
        "email": user.username, "given_name": user.given_name, "family_name": user.family_name,
        "groups": user.groups, "iat": now, "exp": now + lifetime, "jti": uuid::Uuid::new_v4(),
    });
    let id_token = mint(
        id_claims.as_object().cloned().unwrap_or_default(),
        &signer,
        &shared.faults.tampers(TokenKind::IasIdToken),
    );
    let access_token = if grant.jwt_access_token {
        let claims = json!({
            "iss": iss, "sub": user_uuid, "aud": grant.client_id, "azp": grant.client_id,
            "app_tid": config.ias_tenant_id, "scim_id": user_uuid, "user_uuid": user_uuid, "email": user.username,
            "iat": now, "exp": now + lifetime, "jti": uuid::Uuid::new_v4(),
        });
        mint(
            claims.as_object().cloned().unwrap_or_default(),
            &signer,
            &shared.faults.tampers(TokenKind::IasAccessToken),
        )
    } else {
        random_token(24)
    };
    let refresh = random_token(24);
    shared.store().ias_refresh.insert(refresh.clone(), grant.clone());
    shared.issued().ias = Some(TokensSeen {
        access_token: access_token.clone(),
        id_token: Some(id_token.clone()),
        refresh_token: Some(refresh.clone()),
    });
    let body = json!({
        "access_token": access_token, "id_token": id_token, "refresh_token": refresh,
        "token_type": "Bearer", "expires_in": lifetime,
    });
    ([("cache-control", "no-store")], Json(body)).into_response()
}

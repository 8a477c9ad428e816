//! The control endpoint, for users outside the process (newman, e2e tests, the CLI). It is served on
//! the Entra origin only, under `/_sandbox`, and only on 127.0.0.1 like everything else:
//!
//! | Request                          | Effect                                                          |
//! |----------------------------------|-----------------------------------------------------------------|
//! | `GET /_sandbox/info`             | URLs, tenant, client ids, users, active faults (no secrets)     |
//! | `GET /_sandbox/faults`           | the active faults, as a JSON array                              |
//! | `POST /_sandbox/faults`          | activate one fault (a `Fault` as JSON) or an array of them; 204 |
//! | `DELETE /_sandbox/faults`        | clear every fault: back to the honest service; 204              |
//! | `GET /_sandbox/issued`           | what was last issued and received (`Issued`)                    |
//! | `POST /_sandbox/clock`           | `{"advance_secs": n}`: move the sandbox clock forward; 204      |
//! | `POST /_sandbox/revoke`          | `{"username": u}`: revoke u's Entra sign-ins (AADSTS50173); 204 |
//!
//! Every request needs `Authorization: Bearer <token>` with the sandbox's own token
//! ([`crate::Sandbox::control_token`]), a `Host` that is this origin (a web page that rebinds a DNS name to
//! 127.0.0.1 sends its own name), and a JSON body where it sends one: no web page can send such a request
//! without a CORS preflight, which the sandbox never answers. `/_sandbox/issued` shows no secret: client
//! secrets, passwords, codes, verifiers, assertions and the tokens themselves are redacted.
//!
//! A fault is `{"fault": "<name>", ...}`, e.g. `{"fault":"hang","endpoint":"ias_token"}`,
//! `{"fault":"xsuaa_distrusts_ias"}` or
//! `{"fault":"tamper","token":"entra_id_token","tamper":{"kind":"set_claim","claim":"ver","value":"1.0"}}`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;

use crate::faults::Fault;
use crate::state::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sandbox/info", get(info))
        .route("/_sandbox/faults", get(list).post(set).delete(clear))
        .route("/_sandbox/issued", get(issued))
        .route("/_sandbox/clock", post(clock))
        .route("/_sandbox/revoke", post(revoke))
        .route_layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// A fresh control token: 32 random bytes, hex.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The control endpoint's gate: this origin's `Host`, the sandbox's token, JSON bodies.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    let port = shared.urls.authority.rsplit(':').next().unwrap_or_default();
    let host_ok = text(header::HOST)
        .is_some_and(|host| [format!("127.0.0.1:{port}"), format!("localhost:{port}")].iter().any(|h| h == host));
    if !host_ok {
        let error =
            json!({ "error": "invalid_request", "error_description": "the Host header must be this sandbox's origin" });
        return (StatusCode::MISDIRECTED_REQUEST, Json(error)).into_response();
    }
    let token_ok = text(header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.as_bytes(), shared.control_token.as_bytes()));
    if !token_ok {
        let error = json!({ "error": "invalid_token", "error_description": "send the sandbox's control token as Authorization: Bearer <token>" });
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], Json(error)).into_response();
    }
    let json_ok = text(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim() == "application/json"));
    if request.method() == axum::http::Method::POST && !json_ok {
        let error = json!({ "error": "invalid_request", "error_description": "the body must be application/json" });
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(error)).into_response();
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bad_request(text: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid_request", "error_description": text }))).into_response()
}

async fn info(State(shared): State<Arc<Shared>>) -> Response {
    let config = &shared.config;
    let users: Vec<_> = config
        .users
        .iter()
        .map(|u| json!({ "username": u.username, "name": u.name, "assigned": u.assigned }))
        .collect();
    Json(json!({
        "urls": shared.urls,
        "tenant_id": config.tenant_id,
        "tenant_domain": config.tenant_domain,
        "entra_client_id": config.entra_client_id,
        "entra_confidential": config.entra_confidential,
        "ias_client_id": config.ias_client_id,
        "xsuaa_client_id": config.xsuaa_client_id,
        "users": users,
        "faults": shared.faults.list(),
    }))
    .into_response()
}

async fn list(State(shared): State<Arc<Shared>>) -> Json<Vec<Fault>> {
    Json(shared.faults.list())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Fault),
    Many(Vec<Fault>),
}

async fn set(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<OneOrMany>(&body) {
        Ok(OneOrMany::One(fault)) => shared.faults.set(fault),
        Ok(OneOrMany::Many(faults)) => faults.into_iter().for_each(|f| shared.faults.set(f)),
        Err(_) => {
            let text = String::from_utf8_lossy(&body).chars().take(200).collect::<String>();
            return bad_request(format!("not a fault (see the tokenhop-sandbox control docs): {text}"));
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn clear(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

async fn issued(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.issued().redacted()).into_response()
}

#[derive(Deserialize)]
struct Clock {
    advance_secs: i64,
}

async fn clock(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Clock>(&body) {
        Ok(clock) if clock.advance_secs >= 0 => {
            shared.clock_skew.fetch_add(clock.advance_secs, Ordering::Relaxed);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => bad_request("expected {\"advance_secs\": <non-negative integer>}".into()),
    }
}

#[derive(Deserialize)]
struct Revoke {
    username: String,
}

async fn revoke(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Revoke>(&body) {
        Ok(r) if shared.revoke_sign_ins(&r.username) => StatusCode::NO_CONTENT.into_response(),
        Ok(r) => bad_request(format!("no sandbox user {}", r.username)),
        Err(_) => bad_request("expected {\"username\": \"<a sandbox user>\"}".into()),
    }
}

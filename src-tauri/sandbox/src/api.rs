//! The sample BTP API: `GET /api/me` answers with the caller's identity and scopes for a valid XSUAA
//! access token in `Authorization: Bearer` (a plain service) or `x-approuter-authorization: Bearer`
//! (behind an approuter). Otherwise 401 or 403 with a `WWW-Authenticate` reason (RFC 6750 §3).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::issued::ApiCallSeen;
use crate::jwt::Jwt;
use crate::state::Shared;
use crate::xsuaa::{issuer, xsuaa_keys};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/api/me", get(me)).with_state(shared)
}

const REALM: &str = "tokenhop-sandbox";

fn challenge(status: StatusCode, www_authenticate: String, error: &str, description: &str) -> Response {
    let body = Json(json!({ "error": error, "error_description": description }));
    (status, [(header::WWW_AUTHENTICATE, www_authenticate)], body).into_response()
}

fn invalid_token(description: &str) -> Response {
    challenge(
        StatusCode::UNAUTHORIZED,
        format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\""),
        "invalid_token",
        description,
    )
}

/// The bearer token and the header it came in.
fn bearer(headers: &HeaderMap) -> Option<(&'static str, String)> {
    ["authorization", "x-approuter-authorization"].into_iter().find_map(|name| {
        let value = headers.get(name)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| (name, token.trim().to_string()))
    })
}

async fn me(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let (header_name, response) = match bearer(&headers) {
        None => {
            let description = "No bearer token in Authorization or x-approuter-authorization";
            ("", challenge(StatusCode::UNAUTHORIZED, format!("Bearer realm=\"{REALM}\""), "unauthorized", description))
        }
        Some((name, token)) => (name, check(&shared, name, &token)),
    };
    shared.issued().api_calls.push(ApiCallSeen { header: header_name.to_string(), status: response.status().as_u16() });
    response
}

fn check(shared: &Shared, header_name: &str, token: &str) -> Response {
    let Some(jwt) = Jwt::parse(token) else { return invalid_token("The token is not a JWT") };
    if jwt.verify_rs256(&xsuaa_keys(shared)).is_err() {
        return invalid_token("The token signature could not be verified with the XSUAA keys");
    }
    if jwt.claim_str("iss") != Some(issuer(shared).as_str()) {
        return invalid_token("The token was not issued by this subaccount's XSUAA");
    }
    if jwt.claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp <= shared.now()) {
        return invalid_token("The token has expired");
    }
    if jwt.claim_str("zid") != Some(shared.config.xsuaa_zid.as_str()) {
        return invalid_token("The token belongs to another zone");
    }
    let scopes: Vec<&str> = jwt
        .claims
        .get("scope")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(required) = &shared.config.api_required_scope {
        if !scopes.contains(&required.as_str()) {
            let description = format!("The scope {required} is required");
            return challenge(
                StatusCode::FORBIDDEN,
                format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{required}\", error_description=\"{description}\""),
                "insufficient_scope",
                &description,
            );
        }
    }
    Json(json!({
        "user_name": jwt.claims.get("user_name"),
        "email": jwt.claims.get("email"),
        "given_name": jwt.claims.get("given_name"),
        "family_name": jwt.claims.get("family_name"),
        "origin": jwt.claims.get("origin"),
        "zid": jwt.claims.get("zid"),
        "client_id": jwt.claims.get("client_id"),
        "scopes": scopes,
        "token_header": header_name,
    }))
    .into_response()
}

//! The Entra token endpoint (RFC 6749 §3.2): `authorization_code` with PKCE (RFC 7636 §4.6),
//! `refresh_token` (§6), `password` (§4.3) and `device_code` (RFC 8628 §3.4).
//!
//! Decision order, as Entra's: tenant, cross-origin, client, client authentication, then the grant.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use url::Url;

use super::errors::EntraError;
use super::{check_tenant, issue};
use crate::issued::Service;
use crate::jwt::b64;
use crate::state::{client_credentials, parse_form, DeviceStatus, EntraGrant, Form, Shared};

pub(super) async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let mut creds = client_credentials(&headers, &form).unwrap_or_default();
    if form.contains_key("client_assertion") && creds.secret.is_none() {
        creds.method = "private_key_jwt";
    }
    shared.record(Service::Entra, &format!("/{tenant}/oauth2/v2.0/token"), &headers, &form, &creds);
    match redeem(&shared, &tenant, &headers, &form, creds.id, creds.secret) {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

fn redeem(
    shared: &Shared,
    tenant: &str,
    headers: &HeaderMap,
    form: &Form,
    client_id: Option<String>,
    secret: Option<String>,
) -> Result<Response, EntraError> {
    let config = &shared.config;
    check_tenant(shared, tenant)?;
    if let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) {
        return Err(EntraError::cross_origin(origin));
    }
    let client_id = client_id.ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    if client_id != config.entra_client_id {
        return Err(EntraError::unknown_client(&client_id, &config.tenant_domain));
    }
    // A confidential app has a secret and a certificate registered: either credential authenticates it
    // (Microsoft "…certificate credentials": "Client assertions can be used anywhere a client secret would be used").
    let assertion = form.contains_key("client_assertion");
    match (config.entra_confidential, secret, assertion) {
        (false, Some(_), _) | (false, None, true) => return Err(EntraError::public_client_sent_secret()),
        (true, None, false) => return Err(EntraError::secret_required()),
        (true, Some(s), _) if s != config.entra_client_secret => return Err(EntraError::bad_secret(&client_id)),
        (true, None, true) => super::assertion::check(shared, tenant, &client_id, form)?,
        _ => {}
    }
    let grant_type = form.get("grant_type").ok_or_else(|| EntraError::missing_parameter("grant_type"))?;
    match grant_type.as_str() {
        "authorization_code" => authorization_code(shared, form),
        "refresh_token" => refresh(shared, &client_id, form),
        "password" => password(shared, &client_id, form),
        "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => device_code(shared, form),
        other => Err(EntraError::unsupported_grant(other)),
    }
}

/// Same URI for the purpose of RFC 6749 §4.1.3 (`http://localhost:1` and `http://localhost:1/` are one).
fn same_uri(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn authorization_code(shared: &Shared, form: &Form) -> Result<Response, EntraError> {
    let code = form.get("code").ok_or_else(|| EntraError::missing_parameter("code"))?;
    let redirect_uri = form.get("redirect_uri").ok_or_else(|| EntraError::missing_parameter("redirect_uri"))?;
    let stored = {
        let mut store = shared.store();
        if store.redeemed.contains(code) {
            return Err(EntraError::code_redeemed());
        }
        // A code is single-use: any redemption attempt consumes it.
        let stored = store.codes.remove(code).ok_or_else(EntraError::invalid_grant)?;
        store.redeemed.insert(code.clone());
        stored
    };
    if shared.now() >= stored.expires {
        return Err(EntraError::code_expired());
    }
    if !same_uri(redirect_uri, &stored.redirect_uri) {
        return Err(EntraError::reply_address_changed(redirect_uri, &stored.redirect_uri));
    }
    if let Some((challenge, method)) = &stored.challenge {
        let verifier = form.get("code_verifier").ok_or_else(EntraError::pkce_mismatch)?;
        let computed = if method == "S256" { b64(Sha256::digest(verifier.as_bytes())) } else { verifier.clone() };
        if &computed != challenge {
            return Err(EntraError::pkce_mismatch());
        }
    }
    Ok(issue(shared, &stored.grant, stored.nonce.as_deref()))
}

/// RFC 6749 §6. Each answer carries a new refresh token, and the old one stays valid: "Refresh tokens replace
/// themselves with a fresh token upon every use. The Microsoft identity platform doesn't revoke old refresh
/// tokens when used to fetch new access tokens" (Microsoft, "Refresh tokens in the Microsoft identity
/// platform"). A token unused for the inactivity limit (90 days) is refused with AADSTS700082, one from a
/// sign-in before the user's sessions were revoked with AADSTS50173 (codes and texts: Microsoft's AADSTS error
/// reference), both as `invalid_grant`, the error Microsoft names for unusable refresh tokens (the `error` of
/// each code is not listed there; 700082 with `invalid_grant` is quoted verbatim in Microsoft's Q&A forums).
/// The refreshed ID token carries no nonce, as OIDC Core §12.2 recommends (what Entra does is undocumented).
fn refresh(shared: &Shared, client_id: &str, form: &Form) -> Result<Response, EntraError> {
    let token = form.get("refresh_token").ok_or_else(|| EntraError::missing_parameter("refresh_token"))?;
    if let Some(refusal) = shared.faults.entra_refresh_refusal() {
        return Err(EntraError::refresh_refused(refusal, client_id, &shared.config.entra_app_name));
    }
    let (stored, valid_from) = {
        let store = shared.store();
        let stored = store.entra_refresh.get(token).cloned().ok_or_else(EntraError::invalid_grant)?;
        let valid_from = store.entra_tokens_valid_from.get(&stored.grant.user).copied();
        (stored, valid_from)
    };
    if stored.grant.client_id != client_id {
        return Err(EntraError::invalid_grant());
    }
    let now = shared.now();
    if now - stored.issued_at >= shared.config.entra_refresh_max_inactive_secs as i64 {
        return Err(EntraError::refresh_inactive(stored.issued_at, now - stored.issued_at));
    }
    if let Some((_, revoked_at)) = valid_from.filter(|(first_valid, _)| stored.grant.sign_in < *first_valid) {
        return Err(EntraError::refresh_revoked(stored.grant.auth_time, revoked_at));
    }
    let scope = form.get("scope").cloned().unwrap_or_else(|| stored.grant.scope.clone());
    Ok(issue(shared, &EntraGrant { scope, ..stored.grant }, None))
}

fn password(shared: &Shared, client_id: &str, form: &Form) -> Result<Response, EntraError> {
    let config = &shared.config;
    let username = form.get("username").ok_or_else(|| EntraError::missing_parameter("username"))?;
    let password = form.get("password").ok_or_else(|| EntraError::missing_parameter("password"))?;
    let scope = form.get("scope").ok_or_else(|| EntraError::missing_parameter("scope"))?;
    let index = config
        .users
        .iter()
        .position(|u| u.username.eq_ignore_ascii_case(username.trim()))
        .ok_or_else(|| EntraError::unknown_user(username, &config.tenant_domain))?;
    let user = &config.users[index];
    if &user.password != password {
        return Err(EntraError::bad_password());
    }
    if config.entra_assignment_required && !user.assigned {
        return Err(EntraError::not_assigned(&config.entra_app_name, client_id, &user.username));
    }
    let grant = EntraGrant {
        user: index,
        client_id: client_id.to_string(),
        scope: scope.clone(),
        auth_time: shared.now(),
        sign_in: shared.next_sign_in(),
    };
    Ok(issue(shared, &grant, None))
}

fn device_code(shared: &Shared, form: &Form) -> Result<Response, EntraError> {
    let code = form.get("device_code").ok_or_else(|| EntraError::missing_parameter("device_code"))?;
    let now = shared.now();
    let mut store = shared.store();
    let device = store.devices.get_mut(code).ok_or_else(EntraError::invalid_grant)?;
    if now >= device.expires {
        return Err(EntraError::device_code_expired());
    }
    let too_fast = device.last_poll.is_some_and(|last| now - last < shared.config.device_poll_interval_secs as i64);
    device.last_poll = Some(now);
    match device.status.clone() {
        DeviceStatus::Pending if too_fast => Err(EntraError::slow_down()),
        DeviceStatus::Pending => Err(EntraError::authorization_pending()),
        DeviceStatus::Denied(index) => {
            let user = &shared.config.users[index];
            Err(EntraError::not_assigned(&shared.config.entra_app_name, &device.client_id, &user.username))
        }
        DeviceStatus::Approved(index) => {
            let grant = EntraGrant {
                user: index,
                client_id: device.client_id.clone(),
                scope: device.scope.clone(),
                auth_time: now,
                // The store is locked here: count the sign-in in place.
                sign_in: {
                    store.sign_ins += 1;
                    store.sign_ins
                },
            };
            store.devices.remove(code);
            drop(store);
            Ok(issue(shared, &grant, None))
        }
    }
}

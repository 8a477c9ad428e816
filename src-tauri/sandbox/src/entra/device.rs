//! The device authorization grant (RFC 8628): `devicecode` hands out a device and a user code, the
//! `verification_uri` page lets a user enter the code and pick an account, the token endpoint polls.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde_json::json;

use super::check_tenant;
use super::errors::EntraError;
use crate::html;
use crate::issued::Service;
use crate::state::{client_credentials, parse_form, random_token, DeviceGrant, DeviceStatus, Shared};

/// A user code like Entra's: nine upper-case letters and digits, without look-alikes.
fn user_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..9).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// RFC 8628 §3.1–3.2.
pub(super) async fn devicecode(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let creds = client_credentials(&headers, &form).unwrap_or_default();
    shared.record(Service::Entra, &format!("/{tenant}/oauth2/v2.0/devicecode"), &headers, &form, &creds);
    let config = &shared.config;
    if let Err(e) = check_tenant(&shared, &tenant) {
        return e.into_response();
    }
    let Some(client_id) = form.get("client_id") else {
        return EntraError::missing_parameter("client_id").into_response();
    };
    if client_id != &config.entra_client_id {
        return EntraError::unknown_client(client_id, &config.tenant_domain).into_response();
    }
    let Some(scope) = form.get("scope").filter(|s| !s.trim().is_empty()) else {
        return EntraError::missing_parameter("scope").into_response();
    };
    let (device_code, code) = (format!("DAQABAAEAAA{}", random_token(96)), user_code());
    let verification_uri = format!("{}/devicelogin", shared.urls.authority);
    shared.store().devices.insert(
        device_code.clone(),
        DeviceGrant {
            client_id: client_id.clone(),
            scope: scope.clone(),
            user_code: code.clone(),
            expires: shared.now() + config.device_code_lifetime_secs as i64,
            last_poll: None,
            status: DeviceStatus::Pending,
        },
    );
    Json(json!({
        "user_code": code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": config.device_code_lifetime_secs,
        "interval": config.device_poll_interval_secs,
        "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {code} to authenticate."),
    }))
    .into_response()
}

pub(super) async fn entry_page(State(shared): State<Arc<Shared>>) -> Response {
    Html(html::device_entry("/devicelogin", &shared.config.users, None)).into_response()
}

/// The user entered a code and picked an account.
pub(super) async fn entry_submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let again =
        |error: &str| Html(html::device_entry("/devicelogin", &shared.config.users, Some(error))).into_response();
    let entered: String = form.get("user_code").map(|c| c.trim().to_ascii_uppercase()).unwrap_or_default();
    let username = form.get("username").filter(|u| !u.trim().is_empty()).or_else(|| form.get("login"));
    let Some(index) =
        username.and_then(|u| shared.config.users.iter().position(|x| x.username.eq_ignore_ascii_case(u.trim())))
    else {
        return again(
            "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.",
        );
    };
    let user = &shared.config.users[index];
    let now = shared.now();
    let mut store = shared.store();
    let Some(device) = store.devices.values_mut().find(|d| d.user_code == entered && d.status == DeviceStatus::Pending)
    else {
        return again("That code didn't work. Check the code and try again.");
    };
    if now >= device.expires {
        return again("That code has expired. Go back to your device and get a new one.");
    }
    if shared.config.entra_assignment_required && !user.assigned {
        device.status = DeviceStatus::Denied(index);
        return Html(html::message("Access denied", "Your administrator has not assigned you to this application."))
            .into_response();
    }
    device.status = DeviceStatus::Approved(index);
    Html(html::message(
        "You're signed in",
        "You have signed in to the application on your device. You may now close this window.",
    ))
    .into_response()
}

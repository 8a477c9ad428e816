//! The device authorization grant (RFC 8628): show a code and a URL, then poll the token endpoint at the
//! server's interval, slowing down when told (`slow_down`, §3.5) and stopping at `expired_token`.

use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth_code::post_token;
use crate::client_assertion::ClientCredential;
use crate::diagnose::{code, entra_error, unexpected_body, Diagnosis};
use crate::http::{http_failure, HttpClient};
use crate::oidc::Discovery;
use crate::profile::EntraConfig;
use crate::report::HttpRecord;
use crate::secrets::Secret;
use crate::token_response::TokenResponse;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.2: the server's polling interval, 5 s when it names none; kept within reason, whatever it sends.
const INTERVAL: (u64, u64, u64) = (1, 5, 60);
/// The longest a device code is waited for (Entra's last 15 minutes), whatever the server's `expires_in`.
const MAX_EXPIRES_IN: u64 = 60 * 60;

/// What the user must see: the code, where to enter it, and Entra's own sentence.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
}

#[derive(Deserialize)]
struct Authorization {
    device_code: Secret,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    message: Option<String>,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
}

/// Entra's discovery document names the endpoint; older documents do not, so derive it from the token URL.
fn endpoint(discovery: &Discovery) -> Url {
    discovery.device_authorization_endpoint.clone().unwrap_or_else(|| {
        let mut url = discovery.token_endpoint.clone();
        let path = url.path().trim_end_matches("/token").to_owned() + "/devicecode";
        url.set_path(&path);
        url
    })
}

pub async fn run(
    http: &HttpClient,
    discovery: &Discovery,
    entra: &EntraConfig,
    client: Option<&ClientCredential>,
    on_prompt: impl FnOnce(DeviceCodePrompt),
    cancel: &CancellationToken,
) -> (Result<TokenResponse, Diagnosis>, Option<HttpRecord>) {
    let url = endpoint(discovery);
    let scope = entra.scopes.join(" ");
    let form = [("client_id", entra.client_id.as_str()), ("scope", scope.as_str())];
    let resp = match http.post_form(&url, &[], &form).await {
        Ok(r) => r,
        Err(e) => return (Err(http_failure("Entra device code endpoint", &e)), None),
    };
    if !resp.is_success() {
        let d = if resp.is_json() {
            entra_error(resp.status, &resp.body)
        } else {
            unexpected_body("Entra", resp.status, resp.header("content-type"), &resp.body)
        };
        return (Err(d), None);
    }
    let auth: Authorization = match serde_json::from_str(&resp.body) {
        Ok(a) => a,
        Err(_) => return (Err(unexpected_body("Entra", resp.status, resp.header("content-type"), &resp.body)), None),
    };
    on_prompt(DeviceCodePrompt {
        message: auth
            .message
            .clone()
            .unwrap_or_else(|| format!("Open {} and enter the code {}", auth.verification_uri, auth.user_code)),
        user_code: auth.user_code.clone(),
        verification_uri: auth.verification_uri.clone(),
    });

    let (min, default, max) = INTERVAL;
    let mut interval = Duration::from_secs(auth.interval.unwrap_or(default).clamp(min, max));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(auth.expires_in.min(MAX_EXPIRES_IN));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = cancel.cancelled() => return (Err(Diagnosis::new(code::CANCELLED, "The sign-in was cancelled.", "Run the chain again when ready.")), None),
        }
        if tokio::time::Instant::now() > deadline {
            return (Err(expired()), None);
        }
        // A client assertion is used once: each poll signs its own.
        let client_auth = match super::client_fields(client, &discovery.token_endpoint) {
            Ok(fields) => fields,
            Err(d) => return (Err(d), None),
        };
        let mut poll = vec![
            ("grant_type", GRANT),
            ("client_id", entra.client_id.as_str()),
            ("device_code", auth.device_code.expose_secret()),
        ];
        poll.extend(client_auth.iter().map(|(k, v)| (*k, v.expose_secret())));
        let (result, rec) = post_token(http, &discovery.token_endpoint, &poll).await;
        let error = rec
            .response_body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from));
        match error.as_deref() {
            Some("authorization_pending") => continue,
            Some("slow_down") => interval = (interval + Duration::from_secs(5)).min(Duration::from_secs(max)),
            Some("expired_token") | Some("code_expired") => return (Err(expired()), Some(rec)),
            _ => return (result, Some(rec)),
        }
    }
}

fn expired() -> Diagnosis {
    Diagnosis::new(
        code::ENTRA_DEVICE_CODE_EXPIRED,
        "The device code expired before the sign-in was completed.",
        "Run the chain again and enter the new code within the time Entra gives (usually 15 minutes).",
    )
}

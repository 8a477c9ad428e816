//! The silent sign-in: a cached refresh token redeemed at Entra's token endpoint (RFC 6749 §6) for a new ID
//! token, with the profile's scopes and, for confidential registrations, the client secret — the request
//! Microsoft documents under "Refresh the access token" of the authorization-code flow.
//!
//! It tells a refused refresh token (the user must sign in again) from every other failure, so that the chain
//! falls back to the browser only when a browser can help.

use super::auth_code::post_token;
use crate::client_assertion::ClientCredential;
use crate::diagnose::Diagnosis;
use crate::http::HttpClient;
use crate::oidc::Discovery;
use crate::profile::EntraConfig;
use crate::report::HttpRecord;
use crate::secrets::Secret;
use crate::token_response::TokenResponse;

/// Why a silent sign-in did not produce tokens.
pub enum RefreshFailure {
    /// Entra refused the refresh token: expired (AADSTS70008, 700082), revoked (50173), or a consent or
    /// Conditional Access change that needs the user (`invalid_grant`, `interaction_required`). Signing in
    /// again is the remedy; `reason` is Entra's own first line, for the user.
    Refused { reason: String, diagnosis: Diagnosis },
    /// Anything else (network, client authentication, a malformed answer): a browser would not help.
    Failed(Diagnosis),
}

/// Redeems `refresh_token`. A rotated refresh token, when Entra sends one, is in the response.
pub async fn redeem(
    http: &HttpClient,
    discovery: &Discovery,
    entra: &EntraConfig,
    refresh_token: &Secret,
    client: Option<&ClientCredential>,
) -> (Result<TokenResponse, RefreshFailure>, HttpRecord) {
    let scope = entra.scopes.join(" ");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", entra.client_id.as_str()),
        ("refresh_token", refresh_token.expose_secret()),
        ("scope", scope.as_str()),
    ];
    let auth = match super::client_fields(client, &discovery.token_endpoint) {
        Ok(fields) => fields,
        Err(d) => {
            let record = crate::token_response::record("POST", discovery.token_endpoint.as_str(), &[], None, None);
            return (Err(RefreshFailure::Failed(d)), record);
        }
    };
    form.extend(auth.iter().map(|(k, v)| (*k, v.expose_secret())));
    let (result, record) = post_token(http, &discovery.token_endpoint, &form).await;
    let result = result.map_err(|diagnosis| classify(&record, diagnosis));
    (result, record)
}

/// `invalid_grant` and `interaction_required` mean the grant is gone or needs the user (Microsoft's error
/// reference: "Try a new request to the /authorize endpoint", "Retry the request … interactively").
fn classify(record: &HttpRecord, diagnosis: Diagnosis) -> RefreshFailure {
    let body: Option<serde_json::Value> = record.response_body.as_deref().and_then(|b| serde_json::from_str(b).ok());
    let field = |name: &str| body.as_ref().and_then(|b| b.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
    match field("error").as_deref() {
        Some("invalid_grant" | "interaction_required") => {
            let description = field("error_description").unwrap_or_default();
            let first_line = description.lines().next().unwrap_or("the refresh token was refused").trim().to_owned();
            RefreshFailure::Refused { reason: first_line, diagnosis }
        }
        _ => RefreshFailure::Failed(diagnosis),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::code;

    fn record(body: &str) -> HttpRecord {
        HttpRecord {
            method: "POST".into(),
            url: "https://login.microsoftonline.com/t/oauth2/v2.0/token".into(),
            request_headers: vec![],
            request_body: None,
            status: Some(400),
            response_headers: vec![],
            response_body: Some(body.into()),
        }
    }

    #[test]
    fn only_a_refused_grant_sends_the_user_back_to_the_browser() {
        let d = || Diagnosis::new(code::ENTRA_ERROR, "m", "h");
        let cases = [
            (
                r#"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: x"}"#,
                true,
            ),
            (r#"{"error":"interaction_required","error_description":"AADSTS50076: MFA"}"#, true),
            (
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#,
                false,
            ),
            ("<html>502</html>", false),
        ];
        for (body, refused) in cases {
            match classify(&record(body), d()) {
                RefreshFailure::Refused { reason, .. } => {
                    assert!(refused, "{body} must not count as a refused grant");
                    assert!(!reason.contains("Trace ID"), "only Entra's first line is shown: {reason}");
                }
                RefreshFailure::Failed(_) => assert!(!refused, "{body} is a refused grant"),
            }
        }
    }
}

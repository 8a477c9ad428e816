//! Entra ID's error responses: the JSON body of the token endpoints and the HTML page the authorize
//! endpoint shows when it cannot trust the redirect URI, both carrying real AADSTS codes and texts.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;
use time::macros::format_description;

use crate::faults::RefreshRefusal;
use crate::html::escape;

/// An AADSTS error.
#[derive(Debug, Clone)]
pub(crate) struct EntraError {
    pub status: StatusCode,
    /// The OAuth `error` (`invalid_grant`, `invalid_client`, ...).
    pub error: &'static str,
    pub code: u32,
    /// The text after `AADSTSnnnn: `.
    pub text: String,
}

impl EntraError {
    pub fn new(status: StatusCode, error: &'static str, code: u32, text: impl Into<String>) -> Self {
        Self { status, error, code, text: text.into() }
    }

    /// `AADSTSnnnn: text`, the first line of `error_description`.
    pub fn description(&self) -> String {
        format!("AADSTS{}: {}", self.code, self.text)
    }

    pub fn tenant_not_found(tenant: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 90002, format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."))
    }

    pub fn single_tenant_on_common(client_id: &str, app: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 50194, format!(
            "Application '{client_id}'({app}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant."))
    }

    pub fn unknown_client(client_id: &str, tenant: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", 700016, format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."))
    }

    pub fn redirect_mismatch(redirect_uri: &str, client_id: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 50011, format!(
            "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."))
    }

    pub fn reply_address_changed(sent: &str, original: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 500112, format!(
            "The reply address '{sent}' does not match the reply address '{original}' provided when requesting Authorization code."))
    }

    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    pub fn public_client_sent_secret() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        )
    }

    pub fn secret_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    pub fn bad_secret(client_id: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."))
    }

    pub fn pkce_mismatch() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )
    }

    pub fn code_redeemed() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
    }

    pub fn code_expired() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
    }

    /// The inactivity limit of refresh tokens; the text as Entra words it, with its timestamps.
    pub fn refresh_inactive(issued_at: i64, inactive_secs: i64) -> Self {
        let (days, rest) = (inactive_secs / 86_400, inactive_secs % 86_400);
        let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 700082, format!(
            "The refresh token has expired due to inactivity. The token was issued on {} and was inactive for {days}.{h:02}:{m:02}:{s:02}.",
            Self::iso(issued_at)))
    }

    /// The user's sessions were revoked (by an admin, or by a password change) after this sign-in.
    pub fn refresh_revoked(auth_time: i64, valid_from: i64) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 50173, format!(
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{}'.",
            Self::iso(auth_time), Self::iso(valid_from)))
    }

    /// A refresh refused the way a fault asks for.
    pub fn refresh_refused(refusal: RefreshRefusal, client_id: &str, app: &str) -> Self {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match refusal {
            RefreshRefusal::Expired => Self::code_expired(),
            RefreshRefusal::Inactive => Self::refresh_inactive(now - 90 * 86_400, 90 * 86_400),
            RefreshRefusal::Revoked => Self::refresh_revoked(now - 3600, now - 60),
            RefreshRefusal::ConsentRequired => Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 65001, format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named '{app}'. Send an interactive authorization request for this user and resource.")),
        }
    }

    fn iso(unix: i64) -> String {
        time::OffsetDateTime::from_unix_timestamp(unix)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default()
    }

    pub fn invalid_grant() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )
    }

    pub fn not_assigned(app: &str, client_id: &str, upn: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 50105, format!(
            "Your administrator has configured the application {app} ('{client_id}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{upn}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application."))
    }

    pub fn bad_password() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50126,
            "Error validating credentials due to invalid username or password.",
        )
    }

    pub fn unknown_user(upn: &str, tenant: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", 50034, format!(
            "The user account {upn} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory."))
    }

    pub fn cross_origin(origin: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", 9002326, format!(
            "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '{origin}'."))
    }

    pub fn unsupported_grant(grant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        )
    }

    pub fn authorization_pending() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    }

    /// Entra documents no code of its own for RFC 8628 `slow_down`; the sandbox reuses the device-flow one.
    pub fn slow_down() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Polling too frequently; wait longer between polls.",
        )
    }

    pub fn device_code_expired() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "expired_token", 70019, "Verification code expired.")
    }

    pub fn login_required() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        )
    }

    /// `Timestamp: ...` value in Entra's format, e.g. `2026-11-02 09:15:27Z`.
    fn timestamp() -> String {
        let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
        time::OffsetDateTime::now_utc().format(&fmt).unwrap_or_default()
    }

    /// The JSON body of a token endpoint error.
    pub fn json(&self) -> serde_json::Value {
        let (trace, correlation, timestamp) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), Self::timestamp());
        json!({
            "error": self.error,
            "error_description": format!("{}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}", self.description()),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }

    /// The page the authorize endpoint shows instead of redirecting to an untrusted URI.
    pub fn page(&self) -> Response {
        let body = crate::html::page(
            "Sign in — error",
            &format!(
                "<h1>Sorry, but we’re having trouble signing you in.</h1><p class=\"err\">{}</p><p class=\"dim\">Simulated Entra ID (TokenHop sandbox)</p>",
                escape(&self.description())
            ),
        );
        (self.status, Html(body)).into_response()
    }
}

impl IntoResponse for EntraError {
    fn into_response(self) -> Response {
        (self.status, [("cache-control", "no-store")], Json(self.json())).into_response()
    }
}

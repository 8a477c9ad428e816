//! Diagnoses: what happened, the likely cause and the fix, for people rather than logs.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A failure explained. `code` is stable (`entra.redirect_mismatch`, `xsuaa.unmapped_issuer`, …) so that
/// the UI and scripts can branch on it; `message` says what happened, `hint` the likely cause and fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Diagnosis {
    pub code: String,
    pub message: String,
    pub hint: String,
    /// The server's response verbatim (status line and body), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub raw: Option<String>,
}

impl Diagnosis {
    pub fn new(code: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), hint: hint.into(), raw: None }
    }

    pub fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }
}

/// The AADSTS codes users hit (DESIGN §1), with what they mean and the fix.
const AADSTS: &[(&str, &str, &str, &str)] = &[
    ("50011", "entra.redirect_mismatch", "Entra rejected the redirect URI.",
     "In the Entra app registration, add `http://localhost` under Authentication → \"Mobile and desktop applications\" (Entra ignores the port). For 127.0.0.1 the URI must be added through the manifest."),
    ("7000218", "entra.secret_required", "Entra wants a client secret: the app is registered as a confidential (Web) client.",
     "Either add the redirect URI under \"Mobile and desktop applications\" and set \"Allow public client flows\", or mark the profile as confidential and store the Entra client secret."),
    ("700025", "entra.public_client_secret", "A client secret was sent, but the Entra app is a public client.",
     "Turn off \"confidential\" in the profile's Entra section: public clients must not send a secret."),
    ("9002327", "entra.spa_redirect", "The redirect URI is registered as a single-page application.",
     "Register `http://localhost` under \"Mobile and desktop applications\" instead of \"Single-page application\"."),
    ("9002326", "entra.cross_origin", "Entra refused a cross-origin token request.",
     "The token request carried an Origin header; TokenHop sends token requests from Rust only, so check for a proxy that adds one."),
    ("65001", "entra.consent_required", "The user or an administrator has not consented to the app's permissions.",
     "Grant admin consent under API permissions in the Entra app registration, or sign in once interactively to consent."),
    ("50105", "entra.user_not_assigned", "This user is not assigned to the Entra application.",
     "Assign the user (or one of their groups) under Enterprise applications → Users and groups, or turn off \"Assignment required\"."),
    ("700016", "entra.app_not_found", "Entra does not know this client ID in this tenant.",
     "Check the tenant and client ID in the profile; a multi-tenant app must be consented in this tenant."),
    ("7000215", "entra.bad_secret", "The Entra client secret is wrong.",
     "Copy the secret's value (not its ID) from Certificates & secrets and store it again with `tokenhop-cli secret set`."),
    ("7000222", "entra.expired_secret", "The Entra client secret has expired.",
     "Create a new client secret under Certificates & secrets and store it in TokenHop."),
    ("501481", "entra.pkce_mismatch", "The PKCE code verifier did not match the challenge.",
     "Start the sign-in again; if it persists, a proxy may be rewriting the authorization request."),
    ("54005", "entra.code_reused", "The authorization code was already redeemed.",
     "Start the sign-in again: codes are single-use."),
    ("50076", "entra.mfa_required", "Multi-factor authentication is required.",
     "Use the authorization-code or device-code flow: the password flow cannot do MFA."),
    ("50079", "entra.mfa_registration", "The user must register for multi-factor authentication.",
     "Sign in once in a browser to register MFA, then use the authorization-code flow."),
    ("53003", "entra.conditional_access", "A Conditional Access policy blocked the sign-in.",
     "Ask the Entra administrator which policy applies (Sign-in logs show it); use the authorization-code flow from a compliant device."),
    ("50194", "entra.single_tenant_on_common", "The app is single-tenant but the profile uses a multi-tenant endpoint.",
     "Set the profile's tenant to the tenant GUID or domain instead of `common` or `organizations`."),
    ("50126", "entra.bad_password", "Entra rejected the user name or password.",
     "Check the credentials; federated users cannot use the password flow — use the authorization-code flow."),
];

/// An Entra error response (`{error, error_description "AADSTSnnnn: …", error_codes, …}`).
pub fn entra_error(status: u16, body: &str) -> Diagnosis {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let error = json.get("error").and_then(|v| v.as_str()).unwrap_or("");
    let description = json.get("error_description").and_then(|v| v.as_str()).unwrap_or("");
    let first_line = description.lines().next().unwrap_or("");
    let code = json
        .get("error_codes")
        .and_then(|c| c.get(0))
        .and_then(|c| c.as_u64())
        .map(|c| c.to_string())
        .or_else(|| aadsts_in(description));
    let raw = format!("HTTP {status}\n{body}");
    if let Some((_, ours, message, hint)) = code.as_deref().and_then(|c| AADSTS.iter().find(|row| row.0 == c)) {
        return Diagnosis::new(*ours, format!("{message} ({first_line})"), *hint).with_raw(raw);
    }
    Diagnosis::new(
        "entra.error",
        format!("Entra refused the request: {} {}", error, first_line).trim().to_owned(),
        "Look up the AADSTS code in Microsoft's error reference; the Sign-in logs of the Entra tenant show details.",
    )
    .with_raw(raw)
}

fn aadsts_in(text: &str) -> Option<String> {
    let at = text.find("AADSTS")? + "AADSTS".len();
    let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

/// An error from IAS's token endpoint. IAS error texts are not documented: show them verbatim first.
pub fn ias_error(status: u16, body: &str) -> Diagnosis {
    let (error, description) = oauth_error(body);
    let shown = format!("IAS answered HTTP {status}: {error} {description}").trim().to_owned();
    let lower = format!("{error} {description}").to_lowercase();
    let (code, hint) = if lower.contains("locked") {
        ("ias.client_locked", "IAS locks a client for 60 minutes after five failed logins. Wait, then fix the secret before trying again — TokenHop never retries client authentication.")
    } else if error == "invalid_client" || status == 401 {
        ("ias.invalid_client", "The IAS client ID or secret is wrong, or the client auth method does not match (Basic vs. post). Check the secret under Applications → Client Authentication; five failures lock the client for 60 minutes.")
    } else if error == "unauthorized_client" || lower.contains("grant") && lower.contains("not") {
        ("ias.grant_not_enabled", "Enable the JWT bearer grant for the IAS application (Trust → Client Authentication / Token Policy → Grant types).")
    } else if lower.contains("issuer") || lower.contains("trust") || lower.contains("identity provider") {
        ("ias.untrusted_issuer", "Add Entra as a corporate identity provider (OpenID Connect) in IAS whose issuer equals the Entra token's `iss`, and whose client ID is the Entra app's; then select it for the application.")
    } else if lower.contains("audience") || lower.contains("aud") {
        ("ias.audience", "The Entra token's `aud` must be the client ID configured in the IAS corporate IdP settings for Entra.")
    } else if lower.contains("expired") || lower.contains("exp") {
        ("ias.expired_assertion", "The Entra token expired before the exchange: sign in again, and check this computer's clock.")
    } else {
        ("ias.error", "Check the IAS application (confidential, JWT bearer grant enabled) and the corporate IdP trust to Entra.")
    };
    Diagnosis::new(code, shown, hint).with_raw(format!("HTTP {status}\n{body}"))
}

/// XSUAA's verbatim UAA messages (DESIGN §1) and what they mean.
pub fn xsuaa_error(status: u16, body: &str) -> Diagnosis {
    let (error, description) = oauth_error(body);
    let shown = format!("XSUAA answered HTTP {status}: {description}").trim().to_owned();
    let (code, hint) = if description.starts_with("Unable to map issuer") {
        ("xsuaa.unmapped_issuer", "The subaccount has no OpenID Connect trust to this IAS tenant. In the BTP cockpit: Security → Trust Configuration → Establish Trust with the IAS tenant.")
    } else if description.contains("Could not verify token signature") {
        ("xsuaa.signature", "XSUAA could not verify the IAS token with the keys of the trusted IAS tenant: the trust points at another tenant, or the keys rotated — refresh the trust configuration.")
    } else if description.contains("not in the token audience") {
        ("xsuaa.audience", "The IAS token's `aud` lacks the subaccount's client ID. In IAS, add the XSUAA relying party as a dependency / enable `xsuaa-cross-consumption` so IAS includes it in `aud`.")
    } else if description.contains("valid EXP") {
        ("xsuaa.expired", "The IAS token is expired or has no `exp`: run the chain again, and check this computer's clock.")
    } else if description.contains("must be pre-created") {
        ("xsuaa.user_not_found", "The trust configuration does not create shadow users: create the user in the subaccount (Security → Users) or enable \"Create Shadow Users During Logon\".")
    } else if error == "invalid_client" || error == "unauthorized" && description.contains("Bad credentials") {
        ("xsuaa.invalid_client", "The XSUAA client ID or secret is wrong: paste the service key again.")
    } else {
        ("xsuaa.error", "Compare the subaccount's trust configuration with the IAS tenant that issued the token.")
    };
    Diagnosis::new(code, shown, hint).with_raw(format!("HTTP {status}\n{body}"))
}

/// `(error, error_description)` of an OAuth error body, or empty strings.
fn oauth_error(body: &str) -> (String, String) {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let field = |k: &str| json.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    (field("error"), field("error_description"))
}

/// A response that is no JSON at all: an HTML error page from a proxy or load balancer, or garbage.
pub fn unexpected_body(service: &str, status: u16, content_type: Option<&str>, body: &str) -> Diagnosis {
    let raw = format!("HTTP {status}\n{body}");
    let looks_html = content_type.is_some_and(|ct| ct.contains("html"))
        || body.trim_start().get(..15).is_some_and(|s| s.to_ascii_lowercase().starts_with("<!doctype html") || s.starts_with("<html"));
    if looks_html {
        return Diagnosis::new(
            "http.html_page",
            format!("{service} answered HTTP {status} with an HTML page instead of JSON."),
            "An HTML page usually comes from a proxy, a load balancer or a wrong URL (a login page, an error page). Check the URL in the profile and the proxy settings.",
        )
        .with_raw(raw);
    }
    if status >= 500 {
        return Diagnosis::new(
            "http.server_error",
            format!("{service} failed with HTTP {status}."),
            "The service has a problem on its side; try again in a minute, and check its status page if it persists.",
        )
        .with_raw(raw);
    }
    Diagnosis::new(
        "http.not_json",
        format!("{service} answered HTTP {status} with a body that is not valid JSON."),
        "The response may be truncated or come from something other than the token endpoint. Check the URL and any proxy in between.",
    )
    .with_raw(raw)
}

/// A request that got no usable answer at all.
pub fn http_failure(service: &str, err: &crate::http::HttpError) -> Diagnosis {
    use crate::http::HttpError as E;
    let (code, hint) = match err {
        E::InvalidUrl { .. } => ("http.invalid_url", "Fix the URL in the profile: it must be a full URL such as https://acme.accounts.ondemand.com."),
        E::Insecure { .. } => ("http.insecure_url", "Use https:// — plain http:// is only allowed for services on this machine (127.0.0.1, localhost)."),
        E::Dns { .. } => ("http.dns", "Check the host name in the profile for typos, and that this computer is on the network (VPN?) where the host resolves."),
        E::Connect { .. } => ("http.connect", "Nothing accepted the connection: check the URL and port, the VPN, and any proxy (HTTPS_PROXY)."),
        E::Tls { .. } => ("http.tls", "The server's certificate is not trusted by this computer. A corporate proxy that inspects TLS needs its root CA in the OS trust store."),
        E::Timeout { .. } => ("http.timeout", "The service did not answer in time: check the network, proxy, and the service's status; then try again."),
        E::TooLarge { .. } => ("http.too_large", "The response is far larger than a token response; the URL probably points at something else."),
        _ => ("http.error", "Check the URL, the network and the proxy settings."),
    };
    Diagnosis::new(code, format!("{service}: {err}"), hint)
}

//! Diagnoses: what happened, the likely cause and the fix, for people rather than logs.
//!
//! Servers' answers are matched on structure (service, HTTP status, `error`, the exact `error_description` or an
//! anchored template of it), never on substrings: a hint must be right or neutral, because consultants act on it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::service::Service;

pub mod code;

pub use code::Code;

/// A failure explained. `code` is one of [`code::ALL`], stable (`entra.redirect_mismatch`, `xsuaa.unmapped_issuer`, …) so that
/// the UI and scripts can branch on it; `message` says what happened, `hint` the likely cause and fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
    pub fn new(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: code.as_str().to_owned(), message: message.into(), hint: hint.into(), raw: None }
    }

    pub fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }
}

/// Every error type of the engine says what happened, why, and what to do, as a [`Diagnosis`]: the app's
/// `AppError` and the CLI's output take any of them the same way.
pub trait Diagnose {
    fn diagnosis(&self) -> Diagnosis;
}

impl Diagnose for Diagnosis {
    fn diagnosis(&self) -> Diagnosis {
        self.clone()
    }
}

/// Error texts start in lower case (they are also used mid-sentence); a diagnosis shows them as sentences.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The AADSTS codes users hit (DESIGN §1), with what they mean and the fix. Keyed on the code Entra puts in
/// `error_codes` (source: Microsoft, "Microsoft Entra authentication and authorization error codes").
const AADSTS: &[(&str, Code, &str, &str)] = &[
    ("50011", code::ENTRA_REDIRECT_MISMATCH, "Entra rejected the redirect URI.",
     "In the Entra app registration, add `http://localhost` under Authentication → \"Mobile and desktop applications\" (Entra ignores the port). For 127.0.0.1 the URI must be added through the manifest."),
    ("7000218", code::ENTRA_SECRET_REQUIRED, "Entra wants a client secret: the app is registered as a confidential (Web) client.",
     "Either add the redirect URI under \"Mobile and desktop applications\" and set \"Allow public client flows\", or mark the profile as confidential and store the Entra client secret."),
    ("700025", code::ENTRA_PUBLIC_CLIENT_SECRET, "A client secret was sent, but the Entra app is a public client.",
     "Turn off \"confidential\" in the profile's Entra section: public clients must not send a secret."),
    ("9002327", code::ENTRA_SPA_REDIRECT, "The redirect URI is registered as a single-page application.",
     "Register `http://localhost` under \"Mobile and desktop applications\" instead of \"Single-page application\"."),
    ("9002326", code::ENTRA_CROSS_ORIGIN, "Entra refused a cross-origin token request.",
     "The token request carried an Origin header; TokenHop sends token requests from Rust only, so check for a proxy that adds one."),
    ("65001", code::ENTRA_CONSENT_REQUIRED, "The user or an administrator has not consented to the app's permissions.",
     "Grant admin consent under API permissions in the Entra app registration, or sign in once interactively to consent."),
    ("50105", code::ENTRA_USER_NOT_ASSIGNED, "This user is not assigned to the Entra application.",
     "Assign the user (or one of their groups) under Enterprise applications → Users and groups, or turn off \"Assignment required\"."),
    ("700016", code::ENTRA_APP_NOT_FOUND, "Entra does not know this client ID in this tenant.",
     "Check the tenant and client ID in the profile; a multi-tenant app must be consented in this tenant."),
    ("7000215", code::ENTRA_BAD_SECRET, "The Entra client secret is wrong.",
     "Copy the secret's value (not its ID) from Certificates & secrets and store it again with `tokenhop-cli secret set`."),
    ("7000222", code::ENTRA_EXPIRED_SECRET, "The Entra client secret has expired.",
     "Create a new client secret under Certificates & secrets and store it in TokenHop."),
    // Certificate credentials (private-key-jwt): Microsoft "Microsoft Entra authentication and authorization error
    // codes" (700027), "Troubleshoot … Azure SDK for Java" (700021, 700023, 50027), Microsoft.Identity.Web's
    // `SignedAssertionInvalidTimeRange` (700024).
    ("700027", code::ENTRA_ASSERTION_SIGNATURE, "Entra could not verify the client assertion with a certificate of the app.",
     "Upload the certificate whose key signs (entra-client-certificate) under Certificates & secrets → Certificates of the app registration, or store the key of a certificate that is there; Entra finds it by its SHA-256 thumbprint. A certificate past its end date is refused too."),
    ("700021", code::ENTRA_ASSERTION_CLIENT_ID, "The client assertion names another application than the client ID.",
     "Check the profile's Entra client ID: the assertion's iss and sub are set to it."),
    ("700023", code::ENTRA_ASSERTION_AUDIENCE, "The client assertion is addressed to another token endpoint.",
     "Check the profile's authority and tenant: the assertion's aud is the token endpoint they lead to."),
    ("700024", code::ENTRA_ASSERTION_TIME, "The client assertion was outside its validity window when Entra checked it.",
     "Check this computer's clock (time zone and automatic time): the assertion is valid for five minutes from now."),
    ("50027", code::ENTRA_INVALID_JWT, "Entra found a JWT it was given invalid or malformed.",
     "With a certificate credential this is the client assertion: store the key again as PEM. Otherwise Entra's text names the token."),
    ("501481", code::ENTRA_PKCE_MISMATCH, "The PKCE code verifier did not match the challenge.",
     "Start the sign-in again; if it persists, a proxy may be rewriting the authorization request."),
    ("54005", code::ENTRA_CODE_REUSED, "The authorization code was already redeemed.",
     "Start the sign-in again: codes are single-use."),
    ("50076", code::ENTRA_MFA_REQUIRED, "Multi-factor authentication is required.",
     "Use the authorization-code or device-code flow: the password flow cannot do MFA."),
    ("50079", code::ENTRA_MFA_REGISTRATION, "The user must register for multi-factor authentication.",
     "Sign in once in a browser to register MFA, then use the authorization-code flow."),
    ("53003", code::ENTRA_CONDITIONAL_ACCESS, "A Conditional Access policy blocked the sign-in.",
     "Ask the Entra administrator which policy applies (Sign-in logs show it); use the authorization-code flow from a compliant device."),
    ("50194", code::ENTRA_SINGLE_TENANT_ON_COMMON, "The app is single-tenant but the profile uses a multi-tenant endpoint.",
     "Set the profile's tenant to the tenant GUID or domain instead of `common` or `organizations`."),
    ("50126", code::ENTRA_BAD_PASSWORD, "Entra rejected the user name or password.",
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
        code::ENTRA_ERROR,
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

/// How a rule matches `error_description`.
#[derive(Debug, Clone, Copy)]
enum Text {
    /// Exactly this text.
    Exact(&'static str),
    /// A template: this prefix, then anything (an issuer, a client ID), then this suffix.
    Template(&'static str, &'static str),
    /// Any description: the rule is keyed on `error` alone (RFC 6749 §5.2 codes).
    Any,
}

impl Text {
    fn matches(self, description: &str) -> bool {
        match self {
            Self::Exact(t) => description == t,
            Self::Template(prefix, suffix) => {
                description.len() >= prefix.len() + suffix.len()
                    && description.starts_with(prefix)
                    && description.ends_with(suffix)
            }
            Self::Any => true,
        }
    }
}

/// One known answer of IAS or XSUAA, keyed on structure: the service, the HTTP status, `error` and
/// `error_description`. Every rule names its source (docs/fidelity.md lists them) and carries a sample body
/// the service sends, which the table test fires it on.
struct Rule {
    code: Code,
    service: Service,
    /// `None`: any status.
    status: Option<u16>,
    /// The `error` values the service has been seen to use for this failure.
    errors: &'static [&'static str],
    description: Text,
    hint: &'static str,
    /// Where the behaviour is documented; the table test and docs/fidelity.md read it.
    #[cfg_attr(not(test), allow(dead_code))]
    source: &'static str,
    /// A body the service answers with for this failure.
    #[cfg_attr(not(test), allow(dead_code))]
    sample: (u16, &'static str),
}

/// Where IAS explains itself; appended to every IAS diagnosis.
const IAS_LOGS: &str = " IAS explains refusals in its Troubleshooting Logs (administration console → Monitoring & Reporting → \
Troubleshooting Logs); at severity Info they also hold the payload of every token IAS receives and issues (\"Logging OpenID Connect \
Tokens\").";

/// The answers of IAS's and XSUAA's token endpoints that TokenHop recognises. IAS does not document its error texts,
/// so its rules are keyed on the RFC 6749 §5.2 `error` codes only; XSUAA is UAA, whose texts are in its source.
const RULES: &[Rule] = &[
    Rule {
        code: code::XSUAA_BAD_CREDENTIALS,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_client", "unauthorized"],
        description: Text::Exact("Bad credentials"),
        hint: "XSUAA did not accept the client ID and secret. Either they do not match the service key (paste it again), or \
               Basic authentication was encoded differently than XSUAA reads it: XSUAA compares Basic credentials as sent \
               and URL-decodes them only when the request carries `X-CF-ENCODED-CREDENTIALS: true`. With \
               `client_auth = \"post\"` the credentials go in the form body, where no encoding question arises.",
        source: "UAA ClientBasicAuthenticationFilter, UaaExceptionTranslator; SAP Help \"Token Retrieval Fails With Status Code 401\"",
        sample: (401, r#"{"error":"invalid_client","error_description":"Bad credentials"}"#),
    },
    Rule {
        code: code::XSUAA_BAD_CREDENTIALS_ENCODING,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_client", "unauthorized"],
        description: Text::Exact("Failed to URL Decode credentials"),
        hint: "The request said `X-CF-ENCODED-CREDENTIALS: true`, but the Basic credentials were not URL-encoded (a `%` \
               without two hex digits). Send them URL-encoded, or put them in the form body (`client_auth = \"post\"`).",
        source: "UAA ClientBasicAuthenticationFilter",
        sample: (401, r#"{"error":"invalid_client","error_description":"Failed to URL Decode credentials"}"#),
    },
    Rule {
        code: code::XSUAA_UNMAPPED_ISSUER,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["unauthorized"],
        description: Text::Template("Unable to map issuer, ", " , to a single registered provider"),
        hint: "The subaccount has no OpenID Connect trust to the IAS tenant that issued the token (or two trusts with its \
               issuer). In the BTP cockpit: Security → Trust Configuration → Establish Trust with this IAS tenant.",
        source: "UAA ExternalOAuthAuthenticationManager.resolveOriginProvider",
        sample: (401, r#"{"error":"unauthorized","error_description":"Unable to map issuer, https://acme.accounts.ondemand.com , to a single registered provider"}"#),
    },
    Rule {
        code: code::XSUAA_ISSUER_MISMATCH,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_token"],
        description: Text::Template("Invalid issuer (", ""),
        hint: "The token's `iss` differs from the issuer the subaccount's trust recorded. IAS tenants can write their issuer \
               without `https://`, or under a custom domain: make the issuer OIDC-compliant (the IAS application's OpenID \
               Connect Configuration → Enforce Compliant OIDC Issuer), then Refresh the trust in the BTP cockpit.",
        source: "UAA JwtTokenSignedByThisUAA.checkIssuer; IAS \"Call Identity Authentication Discovery Endpoint\"",
        sample: (401, r#"{"error":"invalid_token","error_description":"Invalid issuer (acme.accounts.ondemand.com) for token did not match expected: https://acme.accounts.ondemand.com"}"#),
    },
    Rule {
        code: code::XSUAA_SIGNATURE,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_token"],
        description: Text::Exact("Could not verify token signature."),
        hint: "XSUAA could not verify the IAS token with the keys of the IAS tenant its trust names: the trust points at \
               another tenant, or the keys rotated. Refresh the trust configuration in the BTP cockpit.",
        source: "UAA JwtTokenSignedByThisUAA.checkSignature",
        sample: (401, r#"{"error":"invalid_token","error_description":"Could not verify token signature."}"#),
    },
    Rule {
        code: code::XSUAA_AUDIENCE,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_token"],
        description: Text::Template("Some parties were not in the token audience", ""),
        hint: "XSUAA requires in the IAS token's `aud` the client ID of the IAS application that the subaccount's trust \
               created (named \"SAP BTP subaccount …\" or \"XSUAA_…\" in IAS; Security → Trust Configuration shows the \
               trust). Exchange a token of that IAS application, or bind your own IAS application with \
               `xsuaa-cross-consumption: true`, which adds that client ID to `aud`. Set `[xsuaa] trust_client_id` so \
               TokenHop checks it before the exchange.",
        source: "UAA ExternalOAuthAuthenticationManager (checkAudience(config.getRelyingPartyId())), JwtTokenSignedByThisUAA; SAP Help \"Reference Information for the Identity Service of SAP BTP\"",
        sample: (401, r#"{"error":"invalid_token","error_description":"Some parties were not in the token audience: 0c1d2e3f-trust-app"}"#),
    },
    Rule {
        code: code::XSUAA_EXPIRED,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_token"],
        description: Text::Exact("Token does not bear a valid EXP claim."),
        hint: "The IAS token has expired or has no `exp`: run the chain again, and check this computer's clock.",
        source: "UAA JwtTokenSignedByThisUAA.checkExpiry",
        sample: (401, r#"{"error":"invalid_token","error_description":"Token does not bear a valid EXP claim."}"#),
    },
    Rule {
        code: code::XSUAA_USERNAME_CLAIM,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["unauthorized"],
        description: Text::Exact("Unable to map claim to a username"),
        hint: "The IAS token lacks the claim that the subaccount's trust maps to the user name. Check which attributes the \
               IAS application sends (its Attributes and Subject Name Identifier, usually the e-mail) and that the user \
               has that attribute in IAS or Entra.",
        source: "UAA ExternalOAuthAuthenticationManager.getExternalAuthenticationDetails",
        sample: (401, r#"{"error":"unauthorized","error_description":"Unable to map claim to a username"}"#),
    },
    Rule {
        code: code::XSUAA_USER_NOT_FOUND,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["unauthorized"],
        description: Text::Exact("The user account must be pre-created. Please contact your system administrator."),
        hint: "The trust configuration does not create shadow users: create the user in the subaccount (Security → Users, \
               with the trust's origin) or switch on \"Create Shadow Users on User Logon\" in the trust configuration.",
        source: "UAA ExternalLoginAuthenticationManager; SAP Help \"Establish Trust and Federation Between SAP Authorization and Trust Management Service and SAP Cloud Identity Services\"",
        sample: (401, r#"{"error":"unauthorized","error_description":"The user account must be pre-created. Please contact your system administrator."}"#),
    },
    Rule {
        code: code::XSUAA_GRANT_NOT_ALLOWED,
        service: Service::Xsuaa,
        status: Some(401),
        errors: &["invalid_client"],
        description: Text::Template("Unauthorized grant type", ""),
        hint: "The XSUAA client may not use the JWT bearer grant: add `urn:ietf:params:oauth:grant-type:jwt-bearer` to \
               `oauth2-configuration.grant-types` in the instance's xs-security.json and update the service instance.",
        source: "UAA AbstractTokenGranter.validateGrantType",
        sample: (401, r#"{"error":"invalid_client","error_description":"Unauthorized grant type: urn:ietf:params:oauth:grant-type:jwt-bearer"}"#),
    },
    Rule {
        code: code::IAS_INVALID_CLIENT,
        service: Service::Ias,
        status: None,
        errors: &["invalid_client"],
        description: Text::Any,
        hint: "IAS did not accept the client credentials. Check the client ID and secret of the IAS application \
               (Applications → the application → Client Authentication). Five failed attempts in a row lock the client ID \
               for 60 minutes, the right secret included; an administrator can unlock it at once with Unlock Client ID \
               next to the Client ID Status. TokenHop never retries client authentication.",
        source: "RFC 6749 §5.2; SAP Help \"Unlock Client ID\"",
        sample: (401, r#"{"error":"invalid_client","error_description":"Client authentication failed."}"#),
    },
    Rule {
        code: code::IAS_GRANT_NOT_ENABLED,
        service: Service::Ias,
        status: None,
        errors: &["unauthorized_client"],
        description: Text::Any,
        hint: "The IAS application may not use the JWT bearer grant. Select JWT Bearer under Applications → the application \
               → Trust → Single Sign-On → OpenID Connect Configuration → Grant Types (it is selected by default). The \
               application must also be confidential: IAS exchanges no external token for a public client.",
        source: "RFC 6749 §5.2; SAP Help \"Configure Grant Types\", \"Configure the Client to Call Identity Authentication JWT Bearer Token\"",
        sample: (400, r#"{"error":"unauthorized_client","error_description":"grant type not allowed"}"#),
    },
    Rule {
        code: code::IAS_ASSERTION_REFUSED,
        service: Service::Ias,
        status: None,
        errors: &["invalid_grant"],
        description: Text::Any,
        hint: "IAS refused the Entra ID token. The usual causes: Entra is not a corporate identity provider of this IAS tenant \
               whose issuer equals the token's `iss` (https://login.microsoftonline.com/<tenant ID>/v2.0); the token's \
               `aud` (the Entra app's client ID) is not the client ID configured for that identity provider; the token \
               has expired (check this computer's clock); or the application allows Identity Authentication users only \
               and the user has no IAS account.",
        source: "RFC 6749 §5.2; SAP Help \"Configure the Client to Call Identity Authentication JWT Bearer Token\", \"Configure Identity Federation\"",
        sample: (400, r#"{"error":"invalid_grant","error_description":"unexpected \"iss\" claim value"}"#),
    },
    Rule {
        code: code::IAS_INVALID_REQUEST,
        service: Service::Ias,
        status: None,
        errors: &["invalid_request", "invalid_scope", "invalid_target", "unsupported_grant_type"],
        description: Text::Any,
        hint: "IAS refused a parameter of the request. Check the profile's `[ias]` scope (openid, email, profile, groups, \
               offline_access) and `resource` (for example urn:sap:identity:application:provider:name:<dependency>).",
        source: "RFC 6749 §5.2, RFC 8707 §2; SAP Help \"Configure the Client to Call Identity Authentication JWT Bearer Token\"",
        sample: (400, r#"{"error":"invalid_scope","error_description":"scope not supported"}"#),
    },
];

/// What to check when IAS answers with nothing TokenHop recognises: the usual causes, no verdict.
const IAS_UNKNOWN: &str =
    "TokenHop does not recognise this answer. The usual causes at this step: the IAS application is \
not confidential or lacks the JWT bearer grant; the client ID or secret is wrong (five failures lock the client for 60 \
minutes); Entra is not trusted as a corporate identity provider with the token's issuer and audience.";

/// What to check when XSUAA answers with nothing TokenHop recognises.
const XSUAA_UNKNOWN: &str = "TokenHop does not recognise this answer. The usual causes at this step: the subaccount's \
trust to IAS (Security → Trust Configuration), the client ID and secret of the XSUAA service key, and whether the IAS \
token's `aud` holds the client ID of the IAS application the trust created.";

/// An error answer of IAS's or XSUAA's token endpoint, matched on structure against [`RULES`]. An answer no rule
/// knows keeps its text verbatim and gets a neutral hint listing the usual causes, never a guess.
pub fn token_error(service: Service, status: u16, body: &str) -> Diagnosis {
    let (error, description) = oauth_error(body);
    let shown = match (error.as_str(), description.as_str()) {
        ("", "") => String::new(),
        (e, "") => e.to_owned(),
        ("", d) => d.to_owned(),
        (e, d) => format!("{e}: {d}"),
    };
    let message = format!("{} answered HTTP {status}: {shown}", service.name()).trim_end_matches([' ', ':']).to_owned();
    let rule = RULES.iter().find(|r| {
        r.service == service
            && r.status.is_none_or(|s| s == status)
            && r.errors.contains(&error.as_str())
            && r.description.matches(&description)
    });
    let (code, hint) = match (rule, service) {
        (Some(r), _) => (r.code, r.hint.to_owned()),
        (None, Service::Ias) => (code::IAS_ERROR, IAS_UNKNOWN.to_owned()),
        (None, Service::Xsuaa) => (code::XSUAA_ERROR, XSUAA_UNKNOWN.to_owned()),
    };
    let hint = if service == Service::Ias { format!("{hint}{IAS_LOGS}") } else { hint };
    Diagnosis::new(code, message, hint).with_raw(format!("HTTP {status}\n{body}"))
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
        || body
            .trim_start()
            .get(..15)
            .is_some_and(|s| s.to_ascii_lowercase().starts_with("<!doctype html") || s.starts_with("<html"));
    if looks_html {
        return Diagnosis::new(
            code::HTTP_HTML_PAGE,
            format!("{service} answered HTTP {status} with an HTML page instead of JSON."),
            "An HTML page usually comes from a proxy, a load balancer or a wrong URL (a login page, an error page). Check the URL in the profile and the proxy settings.",
        )
        .with_raw(raw);
    }
    if status >= 500 {
        return Diagnosis::new(
            code::HTTP_SERVER_ERROR,
            format!("{service} failed with HTTP {status}."),
            "The service has a problem on its side; try again in a minute, and check its status page if it persists.",
        )
        .with_raw(raw);
    }
    Diagnosis::new(
        code::HTTP_NOT_JSON,
        format!("{service} answered HTTP {status} with a body that is not valid JSON."),
        "The response may be truncated or come from something other than the token endpoint. Check the URL and any proxy in between.",
    )
    .with_raw(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_fires_on_its_own_sample_and_on_no_other_rules_sample() {
        for rule in RULES {
            let (status, body) = rule.sample;
            let d = token_error(rule.service, status, body);
            assert_eq!(d.code, rule.code, "rule {} must fire on its own sample {body}", rule.code);
            for other in RULES.iter().filter(|o| o.code != rule.code) {
                let (status, body) = other.sample;
                assert_ne!(
                    token_error(other.service, status, body).code,
                    rule.code,
                    "rule {} must not fire on {}'s sample",
                    rule.code,
                    other.code
                );
            }
            assert!(!rule.source.is_empty(), "rule {} names its source", rule.code);
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
    }

    #[test]
    fn an_unexpected_iss_is_not_read_as_an_expired_token() {
        let d = token_error(
            Service::Ias,
            400,
            r#"{"error":"invalid_grant","error_description":"unexpected \"iss\" claim value"}"#,
        );
        assert_eq!(d.code, "ias.assertion_refused");
        assert!(d.message.contains(r#"unexpected "iss" claim value"#), "IAS's words stay verbatim: {}", d.message);
    }

    #[test]
    fn unknown_answers_keep_their_text_and_get_a_neutral_hint() {
        let d = token_error(Service::Xsuaa, 401, r#"{"error":"unauthorized","error_description":"Something new"}"#);
        assert_eq!(d.code, "xsuaa.error");
        assert!(d.message.ends_with("unauthorized: Something new"));
        assert!(d.hint.starts_with("TokenHop does not recognise this answer"), "{}", d.hint);
        let d = token_error(Service::Ias, 500, r#"{"error":"server_error"}"#);
        assert_eq!(d.code, "ias.error");
        assert!(d.hint.contains("Troubleshooting Logs"), "every IAS hint points at IAS's logs");
    }

    #[test]
    fn the_status_is_part_of_the_match() {
        let d = token_error(Service::Xsuaa, 400, r#"{"error":"invalid_client","error_description":"Bad credentials"}"#);
        assert_eq!(d.code, "xsuaa.error", "UAA answers Bad credentials with 401 only");
    }
}

//! Checks a [`Profile`] beyond what its TOML shape enforces, with messages that name the field and the fix.
//!
//! Parse errors (unknown keys, bad enum values) are the store's business; this module sees a typed profile and
//! reports every problem at once, so the UI can mark each field. It never contacts a server.

use serde::Serialize;
use ts_rs::TS;
use url::{Host, Url};

use super::model::{slugify, ClientAuth, Flow, Profile, SCHEMA_VERSION};

/// One problem with one field. `field` is the TOML path (`entra.tenant`, `ias.url`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub hint: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into(), hint: hint.into() }
    }
}

/// The `resource` forms of IAS's token endpoint: prefixes that take a name or client ID, and `urn:sap:identity:sso`
/// (SAP Help "Consuming APIs from Other Applications", "Restricting Access to Microservices Within Applications",
/// "Configure the Client to Call Identity Authentication Token Exchange"; the consumer form is SAP Cloud SDK's).
const RESOURCE_PREFIXES: [&str; 4] = [
    "urn:sap:identity:application:provider:name:",
    "urn:sap:identity:application:provider:clientid:",
    "urn:sap:identity:api:name:",
    "urn:sap:identity:consumer:clientid:",
];
const RESOURCE_SSO: &str = "urn:sap:identity:sso";

/// True for a `resource` value of a form IAS documents.
pub fn is_ias_resource(resource: &str) -> bool {
    resource == RESOURCE_SSO || RESOURCE_PREFIXES.iter().any(|p| resource.len() > p.len() && resource.starts_with(p))
}

/// Every problem of `profile`; empty when it is fit to run.
pub fn validate(profile: &Profile) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut push = |e: Option<FieldError>| errors.extend(e);

    if profile.schema_version == 0 || profile.schema_version > SCHEMA_VERSION {
        push(Some(FieldError::new(
            "schema_version",
            format!("schema_version {} is not supported", profile.schema_version),
            format!(
                "This TokenHop understands schema versions 1 to {SCHEMA_VERSION}; update TokenHop or fix the file."
            ),
        )));
    }
    if profile.name.trim().is_empty() {
        push(Some(FieldError::new("name", "the profile needs a name", "Give it a name such as \"ACME dev\".")));
    } else if slugify(&profile.name).is_empty() {
        push(Some(FieldError::new(
            "name",
            format!("the name {:?} has no letters or digits to make a file name from", profile.name),
            "Use at least one letter or digit, for example \"ACME dev\".",
        )));
    }
    if profile.environment.as_deref().is_some_and(|e| e.trim().is_empty()) {
        push(Some(FieldError::new(
            "environment",
            "the environment tag is empty",
            "Remove it or use a tag such as dev, test or prod.",
        )));
    }

    let entra = &profile.entra;
    push(check_url("entra.authority", &entra.authority, UrlKind::Authority));
    push(check_tenant(&entra.tenant));
    push(check_client_id(
        "entra.client_id",
        &entra.client_id,
        "the Application (client) ID of the Entra app registration",
    ));
    if !entra.scopes.iter().any(|s| s == "openid") {
        push(Some(FieldError::new(
            "entra.scopes",
            "the scopes lack \"openid\", so Entra returns no ID token",
            "Add \"openid\": IAS needs the Entra ID token as its assertion. The usual set is openid profile email offline_access.",
        )));
    }
    match entra.client_auth.unwrap_or_default() {
        ClientAuth::Post => {}
        ClientAuth::PrivateKeyJwt if entra.confidential => {}
        ClientAuth::PrivateKeyJwt => push(Some(FieldError::new(
            "entra.client_auth",
            "private-key-jwt is for confidential apps",
            "Set `confidential = true`: a client assertion proves a Web app's certificate credential, and Entra refuses \
             credentials from public clients (AADSTS700025).",
        ))),
        other => push(Some(FieldError::new(
            "entra.client_auth",
            format!("Entra's client authentication is `post` (the secret) or `private-key-jwt`, not {other:?}"),
            "Remove the field to send the client secret, or set `private-key-jwt` for a certificate credential.",
        ))),
    }
    if entra.flow == Flow::Password && entra.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
        push(Some(FieldError::new(
            "entra.username",
            "the password flow needs a user name",
            "Set entra.username to the user's UPN, such as alice@contoso.onmicrosoft.com.",
        )));
    }

    if let Some(ias) = &profile.ias {
        push(check_url(
            "ias.url",
            &ias.url,
            UrlKind::Origin { token_path: "/oauth2/token", example: "https://acme.accounts.ondemand.com" },
        ));
        push(check_client_id(
            "ias.client_id",
            &ias.client_id,
            "the client ID of the IAS application (Applications → Client Authentication)",
        ));
        match ias.assertion_kid.as_deref() {
            None => {}
            Some(_) if !ias.client_auth.uses_assertion() => push(Some(FieldError::new(
                "ias.assertion_kid",
                "a key ID is only sent with client assertions",
                "Remove it, or set `client_auth = \"private-key-jwt\"` to sign client assertions with the IAS key.",
            ))),
            Some(kid) if kid.trim().is_empty() || kid.trim() != kid => push(Some(FieldError::new(
                "ias.assertion_kid",
                "the key ID is empty or has spaces around it",
                "Copy the `kid` of the signing key from the JSON Web Key Set the IAS application trusts, or remove it.",
            ))),
            Some(_) => {}
        }
        if let Some(resource) = ias.resource.as_deref() {
            if !is_ias_resource(resource) {
                push(Some(FieldError::new(
                    "ias.resource",
                    format!("{resource:?} is not a resource IAS knows"),
                    format!(
                        "Use {}<dependency name>, …:clientid:<provider client ID>, or remove the field.",
                        RESOURCE_PREFIXES[0]
                    ),
                )));
            }
        }
    }
    if let Some(xsuaa) = &profile.xsuaa {
        push(check_url(
            "xsuaa.url",
            &xsuaa.url,
            UrlKind::Origin {
                token_path: "/oauth/token",
                example: "https://acme-dev.authentication.eu10.hana.ondemand.com",
            },
        ));
        push(check_client_id("xsuaa.client_id", &xsuaa.client_id, "the clientid of the XSUAA service key (sb-…)"));
        match (&xsuaa.cert_url, xsuaa.client_auth) {
            (Some(cert_url), _) => push(check_url(
                "xsuaa.cert_url",
                cert_url,
                UrlKind::Origin { token_path: "/oauth/token", example: "https://acme-dev.authentication.cert.eu10.hana.ondemand.com" },
            )),
            (None, ClientAuth::X509) => push(Some(FieldError::new(
                "xsuaa.cert_url",
                "client_auth = \"x509\" needs the certificate URL",
                "Copy `certurl` from the X.509 service key (https://<subdomain>.authentication.cert.<landscape>), or apply the key \
                 with `tokenhop-cli profile key`: XSUAA authenticates certificates only there.",
            ))),
            (None, _) => {}
        }
        if let Some(trust) = xsuaa.trust_client_id.as_deref() {
            push(check_client_id(
                "xsuaa.trust_client_id",
                trust,
                "the client ID of the IAS application the subaccount's trust created",
            ));
        }
        if xsuaa.client_auth.uses_assertion() {
            push(Some(FieldError::new(
                "xsuaa.client_auth",
                "TokenHop sends client assertions (private-key-jwt) to IAS and Entra only",
                "Use `post` or `basic` with the service key's secret, or `x509` with an X.509 service key.",
            )));
        }
        if profile.ias.is_none() {
            push(Some(FieldError::new(
                "xsuaa",
                "XSUAA is configured without IAS",
                "XSUAA exchanges the IAS ID token: add an [ias] section, or paste the IAS service binding.",
            )));
        }
    }
    if let Some(api) = &profile.api {
        push(check_url("api.url", &api.url, UrlKind::Any));
    }
    if profile.ca_file.as_deref().is_some_and(|f| f.trim().is_empty()) {
        push(Some(FieldError::new(
            "ca_file",
            "ca_file is empty",
            "Give the path of a PEM file of CA certificates, or remove the key.",
        )));
    }
    errors.extend(control_characters(profile));
    errors
}

/// Every string of the profile that holds a control character (CR, LF, tab, NUL, …) or a Unicode line or
/// paragraph separator: exports write profile values into line-based files (`.env`, curl scripts, `.http`),
/// where a line break would start a line of the attacker's choosing.
fn control_characters(profile: &Profile) -> Vec<FieldError> {
    fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
        match value {
            serde_json::Value::String(s) => {
                if let Some(c) = s.chars().find(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
                    out.push(FieldError::new(
                        path,
                        format!("{path} contains the control character U+{:04X}", c as u32),
                        "Remove line breaks, tabs and other invisible characters (they often come with a paste).",
                    ));
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, path, out)),
            serde_json::Value::Object(fields) => {
                for (key, item) in fields {
                    let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    walk(item, &path, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(profile) {
        walk(&value, "", &mut out);
    }
    out
}

enum UrlKind {
    /// The Entra authority: TokenHop appends `/{tenant}/v2.0` itself.
    Authority,
    /// A tenant origin such as the IAS or XSUAA URL, without an endpoint path.
    Origin {
        token_path: &'static str,
        example: &'static str,
    },
    Any,
}

fn check_url(field: &str, value: &str, kind: UrlKind) -> Option<FieldError> {
    let url = match Url::parse(value.trim()) {
        Ok(url) => url,
        Err(e) => {
            return Some(FieldError::new(
                field,
                format!("{value:?} is not a URL ({e})"),
                "Write the full URL including https://.",
            ))
        }
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Some(FieldError::new(
                field,
                format!("{value} uses http://"),
                "Use https://; plain http is accepted only for localhost and 127.0.0.1 (a local sandbox).",
            ))
        }
        other => {
            return Some(FieldError::new(field, format!("{value} uses the scheme {other}:"), "Use an https:// URL."))
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some(FieldError::new(
            field,
            format!("{value} carries a query or fragment"),
            "Remove everything from ? or #.",
        ));
    }
    let path = url.path().trim_end_matches('/');
    match kind {
        UrlKind::Authority if path.ends_with("/v2.0") || path.contains("/oauth2") => Some(FieldError::new(
            field,
            format!("{value} includes an endpoint path"),
            "Give only the authority host, such as https://login.microsoftonline.com; TokenHop adds /{tenant}/v2.0 itself.",
        )),
        UrlKind::Origin { token_path, example } if !path.is_empty() => Some(FieldError::new(
            field,
            format!("{value} has the path {path}, but a tenant URL has none"),
            format!("Give the tenant origin only, such as {example}; TokenHop appends {token_path} and the discovery path itself."),
        )),
        _ => None,
    }
}

/// `localhost`, 127.0.0.0/8 or `::1`: the hosts where `http://` is acceptable.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn check_tenant(tenant: &str) -> Option<FieldError> {
    const FIELD: &str = "entra.tenant";
    let t = tenant.trim();
    if t.is_empty() {
        return Some(FieldError::new(
            FIELD,
            "the Entra tenant is empty",
            "Use the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com.",
        ));
    }
    if t.eq_ignore_ascii_case("common") || t.eq_ignore_ascii_case("organizations") {
        return Some(FieldError::new(
            FIELD,
            format!("\"{t}\" is not a concrete tenant"),
            "IAS trusts the issuer of one tenant (https://login.microsoftonline.com/<tenant id>/v2.0); use that tenant's GUID or domain.",
        ));
    }
    if t.eq_ignore_ascii_case("consumers") || is_guid(t) || is_domain(t) {
        return None;
    }
    Some(FieldError::new(
        FIELD,
        format!("{t:?} is neither a tenant GUID nor a domain"),
        "Copy the Directory (tenant) ID from the Entra admin center, or use a verified domain such as contoso.onmicrosoft.com.",
    ))
}

fn check_client_id(field: &str, id: &str, what: &str) -> Option<FieldError> {
    if id.trim().is_empty() {
        Some(FieldError::new(field, "the client ID is empty", format!("Enter {what}.")))
    } else if id.chars().any(char::is_whitespace) {
        Some(FieldError::new(
            field,
            format!("the client ID {id:?} contains spaces"),
            format!("Paste {what} without spaces."),
        ))
    } else {
        None
    }
}

pub(crate) fn is_guid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok() && s.len() == 36
}

fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

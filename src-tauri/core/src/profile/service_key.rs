//! A pasted BTP service key: an XSUAA service key or an SAP Cloud Identity (IAS) service binding, turned into
//! the matching profile section plus the client secret.
//!
//! Accepts the bare credentials object, `{"credentials": …}`, or a `VCAP_SERVICES`-style
//! `{"xsuaa": [{"credentials": …}]}` with one binding, and so the output of `cf service-key` (its heading line
//! is skipped). The secret — or, for an X.509 binding (`credential-type: x509` at XSUAA, `X509_GENERATED` at
//! IAS), the certificate and its private key — comes back as [`Secret`]s for the caller to put into a secret
//! store; it never reaches the profile. The app's paste and `tokenhop-cli profile key` both go through here.

use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::diagnose::{code, Diagnose, Diagnosis};
use crate::secrets::Secret;
use crate::secrets::SecretKind;

use super::model::{ClientAuth, IasConfig, Profile, TokenFormat, XsuaaConfig};

/// How a service key's client authenticates.
#[derive(Debug)]
pub enum Credential {
    /// `clientsecret`.
    Secret(Secret),
    /// `certificate` (PEM chain) and `key` (PEM private key) of an X.509 binding.
    Certificate { certificate: Secret, key: Secret },
}

impl Credential {
    pub fn client_auth(&self) -> ClientAuth {
        match self {
            Self::Secret(_) => ClientAuth::Post,
            Self::Certificate { .. } => ClientAuth::X509,
        }
    }
}

/// What a service key held.
#[derive(Debug)]
pub enum ServiceKey {
    /// An XSUAA service key (`uaadomain`, `identityzone`, `xsappname`, …).
    Xsuaa {
        config: XsuaaConfig,
        credential: Credential,
        /// `identityzone`: the subaccount's subdomain.
        identity_zone: Option<String>,
        /// `tenantid` / `identityzoneid`: the subaccount's zone ID.
        tenant_id: Option<String>,
        xsappname: Option<String>,
    },
    /// An SAP Cloud Identity Services binding (`domains`, `app_tid`, …).
    Ias { config: IasConfig, credential: Credential, app_tid: Option<String> },
}

/// What the wizard fills in from a pasted service key: the profile section, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ServiceKeyView {
    Xsuaa { xsuaa: XsuaaConfig },
    Ias { ias: IasConfig },
}

impl ServiceKey {
    /// The profile section the key fills in, for the wizard.
    pub fn view(&self) -> ServiceKeyView {
        match self {
            Self::Xsuaa { config, .. } => ServiceKeyView::Xsuaa { xsuaa: config.clone() },
            Self::Ias { config, .. } => ServiceKeyView::Ias { ias: config.clone() },
        }
    }

    /// The keychain entries the key's credential belongs in, with their values.
    pub fn secrets(&self) -> Vec<(SecretKind, Secret)> {
        let (credential, secret, certificate, key) = match self {
            Self::Xsuaa { credential, .. } => (
                credential,
                SecretKind::XsuaaClientSecret,
                SecretKind::XsuaaClientCertificate,
                SecretKind::XsuaaClientKey,
            ),
            Self::Ias { credential, .. } => {
                (credential, SecretKind::IasClientSecret, SecretKind::IasClientCertificate, SecretKind::IasClientKey)
            }
        };
        match credential {
            Credential::Secret(s) => vec![(secret, s.clone())],
            Credential::Certificate { certificate: c, key: k } => vec![(certificate, c.clone()), (key, k.clone())],
        }
    }

    /// Short label for messages: `XSUAA` or `IAS`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Xsuaa { .. } => "XSUAA",
            Self::Ias { .. } => "IAS",
        }
    }
}

/// Why a pasted text is not a usable service key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceKeyError {
    /// The text is not JSON.
    #[error("the service key is not valid JSON (line {line}, column {column}): {message}")]
    Json { line: usize, column: usize, message: String },
    /// The JSON is not an object with credentials.
    #[error("the JSON is not a service key: {0}")]
    NotAKey(String),
    /// A field every key of this kind has is missing or empty.
    #[error("the {kind} service key has no {field:?}")]
    MissingField { kind: &'static str, field: &'static str },
    /// A certificate binding without the private key (`X509_PROVIDED`: the key stayed with whoever made it).
    #[error("this {kind} service key has a certificate but no private key")]
    X509WithoutKey { kind: &'static str },
}

/// Reads an XSUAA service key or an IAS binding.
pub fn parse_service_key(json: &str) -> Result<ServiceKey, ServiceKeyError> {
    // `cf service-key APP KEY` prints "Getting key KEY for service instance … as user…" before the JSON.
    let json = json.trim();
    let json = match json.find('{') {
        Some(at) if !json.starts_with('{') && !json[..at].contains(['[', '"']) => &json[at..],
        _ => json,
    };
    let value: Value = serde_json::from_str(json).map_err(|e| ServiceKeyError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
    })?;
    let creds = credentials(&value)?;
    let kind = if is_xsuaa(creds) {
        "XSUAA"
    } else if is_ias(creds) {
        "IAS"
    } else {
        return Err(ServiceKeyError::NotAKey(
            "it has neither uaadomain/xsappname (XSUAA) nor domains/app_tid (SAP Cloud Identity)".into(),
        ));
    };
    let client_id = field(creds, kind, "clientid")?;
    let url = field(creds, kind, "url")?.trim_end_matches('/').to_owned();
    let credential = match (text(creds, "clientsecret"), text(creds, "certificate"), text(creds, "key")) {
        (_, Some(certificate), Some(key)) if is_x509(creds) => {
            Credential::Certificate { certificate: Secret::new(certificate), key: Secret::new(key) }
        }
        (Some(s), _, _) => Credential::Secret(Secret::new(s)),
        (None, Some(_), None) => return Err(ServiceKeyError::X509WithoutKey { kind }),
        (None, _, _) => return Err(ServiceKeyError::MissingField { kind, field: "clientsecret" }),
    };
    let client_auth = credential.client_auth();
    Ok(if kind == "XSUAA" {
        let cert_url = match &credential {
            Credential::Certificate { .. } => Some(field(creds, kind, "certurl")?.trim_end_matches('/').to_owned()),
            Credential::Secret(_) => None,
        };
        ServiceKey::Xsuaa {
            config: XsuaaConfig {
                url,
                client_id,
                client_auth,
                cert_url,
                scope: None,
                zid: None,
                trust_client_id: None,
            },
            credential,
            identity_zone: text(creds, "identityzone"),
            tenant_id: text(creds, "tenantid").or_else(|| text(creds, "identityzoneid")),
            xsappname: text(creds, "xsappname"),
        }
    } else {
        ServiceKey::Ias {
            config: IasConfig {
                url,
                client_id,
                client_auth,
                token_format: TokenFormat::Jwt,
                scope: None,
                resource: None,
                assertion_kid: None,
            },
            credential,
            app_tid: text(creds, "app_tid"),
        }
    })
}

impl Diagnose for ServiceKeyError {
    /// The error for people: a stable code, what happened, and what to do.
    fn diagnosis(&self) -> Diagnosis {
        let hint = match self {
            Self::Json { .. } => "Paste the whole key as shown by the BTP cockpit or `cf service-key`, from { to }.",
            Self::NotAKey(_) => {
                "Paste the JSON of an XSUAA service key (with clientid, clientsecret, url, uaadomain) or of an \
                 SAP Cloud Identity service binding (with clientid, clientsecret, url, domains)."
            }
            Self::MissingField { .. } => {
                "Copy the complete key again; the cockpit shows it under the instance's Service Keys."
            }
            Self::X509WithoutKey { .. } => {
                "Keys of your own certificate (X509_PROVIDED) stay with you: store the certificate and its key with \
                 `tokenhop-cli secret set`, or create a service key with a generated certificate (X509_GENERATED)."
            }
        };
        let code = match self {
            Self::Json { .. } => code::SERVICE_KEY_JSON,
            Self::NotAKey(_) => code::SERVICE_KEY_UNRECOGNIZED,
            Self::MissingField { .. } => code::SERVICE_KEY_MISSING_FIELD,
            Self::X509WithoutKey { .. } => code::SERVICE_KEY_X509_WITHOUT_KEY,
        };
        Diagnosis::new(code, self.to_string(), hint)
    }
}

/// What applying a key did: the profile fields it changed (`xsuaa.client_auth: post → x509`), and the secrets
/// to store, with their keychain kinds.
#[derive(Debug)]
pub struct AppliedKey {
    pub changes: Vec<String>,
    pub secrets: Vec<(SecretKind, Secret)>,
}

/// Fills the matching section of `profile` from `key`: `url`, `client_id`, `client_auth` and, at XSUAA,
/// `cert_url`. A certificate key sets `client_auth = "x509"`; a secret key keeps the section's `post` or
/// `basic` (and turns `x509` into `post`). Other choices (`scope`, `resource`, …) of an existing section stay.
/// The caller stores [`AppliedKey::secrets`] in a secret store.
pub fn apply_service_key(profile: &mut Profile, key: ServiceKey) -> AppliedKey {
    let secrets = key.secrets();
    let auth_of = |new: ClientAuth, old: ClientAuth| match (new, old) {
        (ClientAuth::X509, _) | (_, ClientAuth::X509) => new,
        (_, old) => old,
    };
    let mut changes = Vec::new();
    let mut note = |field: &str, old: Option<String>, new: Option<String>| {
        if old != new {
            let show = |v: Option<String>| v.unwrap_or_else(|| "(none)".into());
            changes.push(format!("{field}: {} → {}", show(old), show(new)));
        }
    };
    match key {
        ServiceKey::Xsuaa { config, .. } => {
            let old = profile.xsuaa.take();
            let new = match old.clone() {
                Some(old) => XsuaaConfig {
                    client_auth: auth_of(config.client_auth, old.client_auth),
                    url: config.url,
                    client_id: config.client_id,
                    cert_url: config.cert_url.or(old.cert_url.clone()),
                    ..old
                },
                None => config,
            };
            note("xsuaa.url", old.as_ref().map(|o| o.url.clone()), Some(new.url.clone()));
            note("xsuaa.client_id", old.as_ref().map(|o| o.client_id.clone()), Some(new.client_id.clone()));
            note("xsuaa.client_auth", old.as_ref().map(|o| auth_name(o.client_auth)), Some(auth_name(new.client_auth)));
            note("xsuaa.cert_url", old.as_ref().and_then(|o| o.cert_url.clone()), new.cert_url.clone());
            profile.xsuaa = Some(new);
        }
        ServiceKey::Ias { config, .. } => {
            let old = profile.ias.take();
            let new = match old.clone() {
                Some(old) => {
                    let client_auth = auth_of(config.client_auth, old.client_auth);
                    IasConfig {
                        client_auth,
                        url: config.url,
                        client_id: config.client_id,
                        // A key ID only names the key of client assertions.
                        assertion_kid: old.assertion_kid.clone().filter(|_| client_auth.uses_assertion()),
                        ..old
                    }
                }
                None => config,
            };
            note("ias.url", old.as_ref().map(|o| o.url.clone()), Some(new.url.clone()));
            note("ias.client_id", old.as_ref().map(|o| o.client_id.clone()), Some(new.client_id.clone()));
            note("ias.client_auth", old.as_ref().map(|o| auth_name(o.client_auth)), Some(auth_name(new.client_auth)));
            profile.ias = Some(new);
        }
    }
    AppliedKey { changes, secrets }
}

fn auth_name(auth: ClientAuth) -> String {
    serde_json::to_value(auth).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The credentials object: the value itself, its `credentials`, or the one binding of a VCAP-style map.
fn credentials(value: &Value) -> Result<&Map<String, Value>, ServiceKeyError> {
    let obj = value.as_object().ok_or_else(|| ServiceKeyError::NotAKey("it is not a JSON object".into()))?;
    if let Some(inner) = obj.get("credentials") {
        return inner.as_object().ok_or_else(|| ServiceKeyError::NotAKey("\"credentials\" is not an object".into()));
    }
    if obj.contains_key("clientid") || obj.contains_key("url") {
        return Ok(obj);
    }
    let bindings: Vec<&Value> = ["xsuaa", "identity"].iter().filter_map(|k| obj.get(*k)).collect();
    match bindings.as_slice() {
        [Value::Array(list)] if list.len() == 1 => credentials(&list[0]),
        [Value::Array(list)] => Err(ServiceKeyError::NotAKey(format!("it holds {} bindings; paste one", list.len()))),
        _ => Err(ServiceKeyError::NotAKey("it has no clientid, url or credentials".into())),
    }
}

fn is_xsuaa(c: &Map<String, Value>) -> bool {
    ["uaadomain", "xsappname", "identityzone"].iter().any(|k| c.contains_key(*k))
}

fn is_ias(c: &Map<String, Value>) -> bool {
    ["domains", "domain", "app_tid"].iter().any(|k| c.contains_key(*k))
}

fn is_x509(c: &Map<String, Value>) -> bool {
    c.contains_key("certificate")
        || c.contains_key("certurl")
        || text(c, "credential-type").is_some_and(|t| t.to_ascii_lowercase().contains("x509"))
}

fn text(c: &Map<String, Value>, key: &str) -> Option<String> {
    c.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn field(c: &Map<String, Value>, kind: &'static str, key: &'static str) -> Result<String, ServiceKeyError> {
    text(c, key).ok_or(ServiceKeyError::MissingField { kind, field: key })
}

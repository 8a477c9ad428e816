//! A pasted BTP service key: an XSUAA service key or an SAP Cloud Identity (IAS) service binding, turned into
//! the matching profile section plus the client secret.
//!
//! Accepts the bare credentials object, `{"credentials": …}`, or a `VCAP_SERVICES`-style
//! `{"xsuaa": [{"credentials": …}]}` with one binding. The secret comes back as a [`Secret`] for the caller to
//! put into a `SecretStore`; it never reaches the profile. Certificate (X.509) bindings are refused: the
//! jwt-bearer exchanges TokenHop runs authenticate with a client secret.

use serde_json::{Map, Value};

use crate::diagnose::Diagnosis;
use crate::secret::Secret;
use crate::secrets::SecretKind;

use super::model::{ClientAuth, IasConfig, Profile, TokenFormat, XsuaaConfig};

/// What a service key held.
#[derive(Debug)]
pub enum ServiceKey {
    /// An XSUAA service key (`uaadomain`, `identityzone`, `xsappname`, …).
    Xsuaa {
        config: XsuaaConfig,
        secret: Secret,
        /// `identityzone`: the subaccount's subdomain.
        identity_zone: Option<String>,
        /// `tenantid` / `identityzoneid`: the subaccount's zone ID.
        tenant_id: Option<String>,
        xsappname: Option<String>,
    },
    /// An SAP Cloud Identity Services binding (`domains`, `app_tid`, …).
    Ias { config: IasConfig, secret: Secret, app_tid: Option<String> },
}

impl ServiceKey {
    /// Which keychain entry the secret belongs in.
    pub fn secret_kind(&self) -> SecretKind {
        match self {
            Self::Xsuaa { .. } => SecretKind::XsuaaClientSecret,
            Self::Ias { .. } => SecretKind::IasClientSecret,
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
    /// A certificate binding: no client secret to use.
    #[error("this {kind} service key uses an X.509 certificate instead of a client secret")]
    X509 { kind: &'static str },
}

impl ServiceKeyError {
    /// The error for people: a stable code, what happened, and what to do.
    pub fn diagnosis(&self) -> Diagnosis {
        let hint = match self {
            Self::Json { .. } => "Paste the whole key as shown by the BTP cockpit or `cf service-key`, from { to }.",
            Self::NotAKey(_) => {
                "Paste the JSON of an XSUAA service key (with clientid, clientsecret, url, uaadomain) or of an \
                 SAP Cloud Identity service binding (with clientid, clientsecret, url, domains)."
            }
            Self::MissingField { .. } => "Copy the complete key again; the cockpit shows it under the instance's Service Keys.",
            Self::X509 { .. } => {
                "TokenHop needs a secret-based binding: create a service key with the parameter \
                 {\"credential-type\": \"binding-secret\"} (XSUAA) or {\"credential-type\": \"SECRET\"} (Identity)."
            }
        };
        let code = match self {
            Self::Json { .. } => "service_key.json",
            Self::NotAKey(_) => "service_key.unrecognized",
            Self::MissingField { .. } => "service_key.missing_field",
            Self::X509 { .. } => "service_key.x509",
        };
        Diagnosis::new(code, self.to_string(), hint)
    }
}

/// Reads an XSUAA service key or an IAS binding.
pub fn parse_service_key(json: &str) -> Result<ServiceKey, ServiceKeyError> {
    let value: Value = serde_json::from_str(json.trim()).map_err(|e| ServiceKeyError::Json {
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
    let secret = match text(creds, "clientsecret") {
        Some(s) => Secret::new(s),
        None if is_x509(creds) => return Err(ServiceKeyError::X509 { kind }),
        None => return Err(ServiceKeyError::MissingField { kind, field: "clientsecret" }),
    };
    Ok(if kind == "XSUAA" {
        ServiceKey::Xsuaa {
            config: XsuaaConfig { url, client_id, client_auth: ClientAuth::Post, cert_url: None, scope: None, zid: None, trust_client_id: None },
            secret,
            identity_zone: text(creds, "identityzone"),
            tenant_id: text(creds, "tenantid").or_else(|| text(creds, "identityzoneid")),
            xsappname: text(creds, "xsappname"),
        }
    } else {
        ServiceKey::Ias {
            config: IasConfig {
                url,
                client_id,
                client_auth: ClientAuth::Post,
                token_format: TokenFormat::Jwt,
                scope: None,
                resource: None,
            },
            secret,
            app_tid: text(creds, "app_tid"),
        }
    })
}

/// Fills the matching section of `profile` (keeping choices such as `client_auth` and `scope` of an existing
/// section) and hands back the secret and where it belongs; the caller stores it with a `SecretStore`.
pub fn apply_service_key(profile: &mut Profile, key: ServiceKey) -> (SecretKind, Secret) {
    let kind = key.secret_kind();
    match key {
        ServiceKey::Xsuaa { config, secret, .. } => {
            profile.xsuaa = Some(match profile.xsuaa.take() {
                Some(old) => XsuaaConfig { url: config.url, client_id: config.client_id, ..old },
                None => config,
            });
            (kind, secret)
        }
        ServiceKey::Ias { config, secret, .. } => {
            profile.ias = Some(match profile.ias.take() {
                Some(old) => IasConfig { url: config.url, client_id: config.client_id, ..old },
                None => config,
            });
            (kind, secret)
        }
    }
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

//! The state the four services share: configuration, URLs, keys, faults, the sandbox clock, issued
//! codes and grants, and the request helpers every token endpoint needs (form bodies, client auth).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;
use serde::Serialize;
use tokio::sync::watch;

use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::issued::{Issued, RequestSeen, Service, SECRET_FIELDS};
use crate::keys::{self, KeyRing};

/// The client ID of an IAS application other than the profile's, for [`crate::Fault::XsuaaTrustsOtherIasApplication`].
pub(crate) const FOREIGN_IAS_APPLICATION: &str = "0c1d2e3f-4a5b-4c6d-8e7f-trust-app";

/// Where each service listens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SandboxUrls {
    /// The Entra authority, `http://127.0.0.1:P` (Entra itself is at `{authority}/{tenant}/v2.0`).
    pub authority: String,
    /// The Entra issuer and discovery base, `{authority}/{tenant_id}/v2.0`.
    pub entra: String,
    /// The IAS origin.
    pub ias: String,
    /// The XSUAA origin.
    pub xsuaa: String,
    /// XSUAA's certificate host (the X.509 key's `certurl`), `https://127.0.0.1:P`, when the sandbox serves
    /// certificate bindings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xsuaa_cert: Option<String>,
    /// The full URL of the sample API, `{origin}/api/me`.
    pub api: String,
}

/// A parsed `application/x-www-form-urlencoded` body (the last value of a repeated key wins).
pub(crate) type Form = BTreeMap<String, String>;

pub(crate) fn parse_form(body: &[u8]) -> Form {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// What an Entra grant was issued for.
#[derive(Clone, Debug)]
pub(crate) struct EntraGrant {
    pub user: usize,
    pub client_id: String,
    pub scope: String,
    /// When the user authenticated (sandbox seconds); refreshed grants keep the original's.
    pub auth_time: i64,
    /// Which sign-in this is, in the order of all sign-ins ([`Shared::next_sign_in`]); refreshed grants
    /// keep the original's. Revocation compares it, so that a sign-in in the same second counts rightly.
    pub sign_in: u64,
}

/// A refresh token Entra issued: its grant, and when the token itself was issued (for the inactivity limit).
#[derive(Clone, Debug)]
pub(crate) struct EntraRefresh {
    pub grant: EntraGrant,
    pub issued_at: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    pub grant: EntraGrant,
    pub redirect_uri: String,
    /// `(code_challenge, code_challenge_method)` from the authorize request.
    pub challenge: Option<(String, String)>,
    pub nonce: Option<String>,
    pub expires: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved(usize),
    /// The user signed in but is not assigned to the app.
    Denied(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct DeviceGrant {
    pub client_id: String,
    pub scope: String,
    pub user_code: String,
    pub expires: i64,
    pub last_poll: Option<i64>,
    pub status: DeviceStatus,
}

/// A grant IAS or XSUAA issued a refresh token for.
#[derive(Clone, Debug)]
pub(crate) struct UserGrant {
    pub user: usize,
    pub client_id: String,
    pub jwt_access_token: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Lockout {
    pub failures: u32,
    pub locked_until: Option<i64>,
}

#[derive(Default)]
pub(crate) struct Store {
    pub codes: HashMap<String, AuthCode>,
    pub redeemed: HashSet<String>,
    pub entra_refresh: HashMap<String, EntraRefresh>,
    /// Per user: refresh tokens of sign-ins before this one are revoked, and when that was (Entra's
    /// `refreshTokensValidFromDateTime`, set by "revoke sessions" or a password change).
    pub entra_tokens_valid_from: HashMap<usize, (u64, i64)>,
    /// The number of sign-ins so far.
    pub sign_ins: u64,
    pub devices: HashMap<String, DeviceGrant>,
    pub ias_refresh: HashMap<String, UserGrant>,
    pub ias_lockouts: HashMap<String, Lockout>,
    /// `jti`s of client assertions IAS accepted, with their `exp`: OIDC Core §9 has them "used only once".
    pub ias_assertion_jtis: HashMap<String, i64>,
    pub xsuaa_refresh: HashMap<String, UserGrant>,
}

pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub urls: SandboxUrls,
    pub faults: Faults,
    pub store: Mutex<Store>,
    pub issued: Mutex<Issued>,
    /// Seconds added to the wall clock (tests travel in time instead of sleeping).
    pub clock_skew: AtomicI64,
    /// Turns true when the sandbox shuts down (ends hanging responses).
    pub shutdown: watch::Receiver<bool>,
    /// The bearer token the control endpoint requires, new for every sandbox.
    pub control_token: String,
    /// The CA and client certificates of certificate bindings (`SandboxConfig::x509`).
    pub pki: Option<crate::mtls::Pki>,
}

impl Shared {
    /// The signing keys. Instant: every request first waits for [`keys::ready`] (the transport middleware).
    pub fn keys(&self) -> &'static KeyRing {
        keys::ring()
    }

    /// The sandbox clock, in Unix seconds.
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.clock_skew.load(Ordering::Relaxed)
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn issued(&self) -> MutexGuard<'_, Issued> {
        self.issued.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The issuer IAS trusts as corporate IdP.
    pub fn ias_trusted_issuer(&self) -> &str {
        self.config.ias_trusted_issuer.as_deref().unwrap_or(&self.urls.entra)
    }

    /// The relying party of the subaccount's OIDC trust to IAS: the client ID of the IAS application the trust
    /// created, which XSUAA requires in the IAS token's `aud`.
    pub fn xsuaa_trust_relying_party(&self) -> &str {
        if self.faults.is_set(&crate::faults::Fault::XsuaaTrustsOtherIasApplication) {
            return FOREIGN_IAS_APPLICATION;
        }
        self.config.xsuaa_trust_client_id.as_deref().unwrap_or(&self.config.ias_client_id)
    }

    pub fn ias_trusted_client_id(&self) -> &str {
        self.config.ias_trusted_client_id.as_deref().unwrap_or(&self.config.entra_client_id)
    }

    /// See [`crate::Sandbox::revoke_sign_ins`].
    pub fn revoke_sign_ins(&self, username: &str) -> bool {
        let Some(index) = self.config.users.iter().position(|u| u.username.eq_ignore_ascii_case(username.trim()))
        else {
            return false;
        };
        let now = self.now();
        let mut store = self.store();
        let next = store.sign_ins + 1;
        store.entra_tokens_valid_from.insert(index, (next, now));
        true
    }

    /// A number for a new sign-in, larger than every earlier one.
    pub fn next_sign_in(&self) -> u64 {
        let mut store = self.store();
        store.sign_ins += 1;
        store.sign_ins
    }

    /// Records a token request, secrets redacted.
    pub fn record(&self, service: Service, path: &str, headers: &HeaderMap, form: &Form, creds: &ClientCredentials) {
        let form = form
            .iter()
            .map(|(k, v)| (k.clone(), if SECRET_FIELDS.contains(&k.as_str()) { "***".into() } else { v.clone() }))
            .collect();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        self.issued().record(RequestSeen {
            service,
            path: path.to_string(),
            client_auth: creds.method.to_string(),
            client_id: creds.id.clone(),
            form,
            origin: header("origin"),
            x_zid: header("x-zid"),
        });
    }
}

/// Client credentials of a token request (RFC 6749 §2.3.1).
#[derive(Clone, Default)]
pub(crate) struct ClientCredentials {
    /// `basic`, `post` or `none`.
    pub method: &'static str,
    /// Form-urldecoded, as RFC 6749 §2.3.1 reads Basic credentials (Entra's reading).
    pub id: Option<String>,
    pub secret: Option<String>,
    /// The Basic credentials exactly as sent (base64-decoded, split at the first `:`), for UAA, which in its
    /// compatibility mode compares them raw.
    pub basic_raw: Option<(String, String)>,
}

/// Reads client credentials from `Authorization: Basic` or from the form. `Err` for a Basic header that does
/// not decode.
pub(crate) fn client_credentials(headers: &HeaderMap, form: &Form) -> Result<ClientCredentials, ()> {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    if let Some(encoded) = basic {
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
        let decoded = String::from_utf8(decoded).map_err(|_| ())?;
        let (id, secret) = decoded.split_once(':').ok_or(())?;
        return Ok(ClientCredentials {
            method: "basic",
            id: Some(form_urldecode(id)),
            secret: Some(form_urldecode(secret)),
            basic_raw: Some((id.to_owned(), secret.to_owned())),
        });
    }
    let secret = form.get("client_secret").cloned();
    Ok(ClientCredentials {
        method: if secret.is_some() { "post" } else { "none" },
        id: form.get("client_id").cloned(),
        secret,
        basic_raw: None,
    })
}

/// `java.net.URLDecoder.decode(s, UTF-8)`, as UAA applies it: `+` is a space, `%XX` a byte, and a `%` without two
/// hex digits is an error (UAA then answers "Failed to URL Decode credentials").
pub(crate) fn java_url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let (hi, lo) = (hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?);
                out.push(hi << 4 | lo);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a space, `%XX` a byte.
pub(crate) fn form_urldecode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// `n` random bytes, base64url.
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    crate::jwt::b64(bytes)
}

/// A stable UUID derived from a seed (IAS user ids derived from the Entra `oid`).
pub(crate) fn derived_uuid(seed: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_urldecoded_after_base64() {
        let mut headers = HeaderMap::new();
        // id "a b", secret "x+/=" encoded as RFC 6749 §2.3.1 asks: "a+b:x%2B%2F%3D"
        let value = format!("Basic {}", STANDARD.encode("a+b:x%2B%2F%3D"));
        headers.insert("authorization", value.parse().unwrap());
        let creds = client_credentials(&headers, &Form::new()).unwrap();
        assert_eq!(creds.id.as_deref(), Some("a b"));
        assert_eq!(creds.secret.as_deref(), Some("x+/="), "percent-escapes must decode to + / =");
        assert_eq!(creds.basic_raw, Some(("a+b".into(), "x%2B%2F%3D".into())), "the raw reading is kept too");
    }

    #[test]
    fn java_url_decoding_refuses_a_lone_percent_as_uaa_does() {
        assert_eq!(java_url_decode("sb-app%21t1:a%2Bb+c").as_deref(), Some("sb-app!t1:a+b c"));
        assert_eq!(java_url_decode("100%"), None);
        assert_eq!(java_url_decode("%zz"), None);
    }

    #[test]
    fn an_unencoded_plus_in_basic_credentials_becomes_a_space() {
        assert_eq!(form_urldecode("ab+c"), "ab c", "a raw + is a space in form encoding");
        assert_eq!(form_urldecode("100%"), "100%", "a lone % stays as it is");
    }
}

//! The profile types, exactly the TOML shape of DESIGN §3. Unknown keys are rejected.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The schema version written into new files; older files are migrated on read.
pub const SCHEMA_VERSION: u32 = 1;

pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// One tenant set-up: the Entra app, the IAS tenant and optionally XSUAA and an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    pub name: String,
    /// A free tag such as `dev`, `test`, `prod`; the UI colours it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub environment: Option<String>,
    /// Keep the Entra sign-in (its refresh token) in the OS keychain so that the next run is silent.
    /// Absent means yes; `false` signs in through the browser every run and stores nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub remember_sign_in: Option<bool>,
    /// Keep IAS's and XSUAA's refresh tokens in the OS keychain too (for `run --refresh`). Absent means no:
    /// they then live only in memory, for the app's "Refresh".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub keep_refresh_tokens: Option<bool>,
    /// A PEM file of CA certificates trusted for every request of this profile, besides the OS trust store (or
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` when set): a corporate TLS-inspecting proxy, a private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ca_file: Option<String>,
    pub entra: EntraConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ias: Option<IasConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub xsuaa: Option<XsuaaConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api: Option<ApiConfig>,
}

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

impl Profile {
    /// `remember_sign_in`, default yes.
    pub fn remembers_sign_in(&self) -> bool {
        self.remember_sign_in.unwrap_or(true)
    }

    /// `keep_refresh_tokens`, default no.
    pub fn keeps_refresh_tokens(&self) -> bool {
        self.keep_refresh_tokens.unwrap_or(false)
    }
}

/// The Entra ID app registration that signs the user in (the app IAS trusts as corporate IdP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct EntraConfig {
    /// Any host serving `{authority}/{tenant}/v2.0`; sovereign clouds differ from the default.
    #[serde(default = "default_authority")]
    pub authority: String,
    /// Tenant GUID or verified domain such as `contoso.onmicrosoft.com`.
    pub tenant: String,
    pub client_id: String,
    #[serde(default)]
    pub flow: Flow,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub redirect_host: RedirectHost,
    /// 0 = any free port (Entra ignores the port of `http://localhost` redirect URIs).
    #[serde(default)]
    pub redirect_port: u16,
    /// A Web/confidential registration: the Entra client secret (or, with `client_auth = "private-key-jwt"`, its
    /// certificate credential) comes from the keychain.
    #[serde(default)]
    pub confidential: bool,
    /// How a confidential app authenticates: absent or `post` sends the client secret, `private-key-jwt` a client
    /// assertion signed with the key of a certificate registered on the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub client_auth: Option<ClientAuth>,
    /// User name for the password flow, and `login_hint` for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub username: Option<String>,
}

pub fn default_authority() -> String {
    DEFAULT_AUTHORITY.to_owned()
}

pub fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline_access"].map(String::from).to_vec()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    #[default]
    AuthorizationCode,
    DeviceCode,
    Password,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum RedirectHost {
    /// What Entra accepts for "Mobile and desktop applications" without manifest edits.
    #[default]
    #[serde(rename = "localhost")]
    Localhost,
    /// Needs the redirect URI added through the app manifest.
    #[serde(rename = "127.0.0.1")]
    Loopback,
}

impl RedirectHost {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Localhost => "localhost",
            Self::Loopback => "127.0.0.1",
        }
    }
}

/// How the client authenticates at a token endpoint (RFC 6749 §2.3.1). `crate::token_request` turns it into the
/// request each service expects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body, as SAP's own token clients send them.
    #[default]
    Post,
    /// HTTP Basic: at XSUAA URL-encoded with `X-CF-ENCODED-CREDENTIALS: true`, at IAS unencoded.
    Basic,
    /// Mutual TLS with the client certificate of an X.509 binding (RFC 8705 §2), `client_id` in the body. The
    /// certificate and its key come from the keychain; XSUAA is called at its `cert_url`, IAS at its own host.
    X509,
    /// A client assertion signed with the client's own key (`private_key_jwt`: OpenID Connect Core §9, RFC 7523
    /// §2.2), `client_id` in the body. For `[ias]` and for a confidential `[entra]` app with a certificate
    /// credential; the key (and its certificate) come from the keychain.
    PrivateKeyJwt,
}

impl ClientAuth {
    /// True when the client authenticates with a certificate in the TLS handshake instead of a secret.
    pub fn uses_certificate(self) -> bool {
        self == Self::X509
    }

    /// True when the client authenticates with a signed client assertion.
    pub fn uses_assertion(self) -> bool {
        self == Self::PrivateKeyJwt
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TokenFormat {
    #[default]
    Jwt,
    Opaque,
}

/// The SAP Cloud Identity Services tenant and its confidential application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct IasConfig {
    /// `https://<tenant>.accounts.ondemand.com`
    pub url: String,
    pub client_id: String,
    #[serde(default)]
    pub client_auth: ClientAuth,
    #[serde(default)]
    pub token_format: TokenFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub scope: Option<String>,
    /// `urn:sap:identity:application:provider:name:<name>` to get a token for a dependent API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub resource: Option<String>,
    /// With `client_auth = "private-key-jwt"`: the `kid` of the signing key in the JSON Web Key Set the IAS
    /// application trusts, sent in the client assertion's header. Needed when that set holds several keys (OpenID
    /// Connect Core §10.1); without it the header names the key by its certificate's `x5t#S256` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub assertion_kid: Option<String>,
}

/// The subaccount's XSUAA instance (from its service key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct XsuaaConfig {
    /// `https://<subdomain>.authentication.<region>.hana.ondemand.com`
    pub url: String,
    pub client_id: String,
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// The mutual-TLS origin of an X.509 service key (its `certurl`),
    /// `https://<subdomain>.authentication.cert.<landscape>`: where `client_auth = "x509"` sends the token request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cert_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub scope: Option<String>,
    /// Sent as `X-zid`; defaults to the IAS token's `app_tid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub zid: Option<String>,
    /// The relying party of the subaccount's OpenID Connect trust to IAS: the client ID of the IAS application
    /// the trust created. XSUAA requires it in the IAS token's `aud`. Default: the `[ias]` client ID, which is
    /// right when that application is the trust's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub trust_client_id: Option<String>,
}

impl XsuaaConfig {
    /// Where token requests go: `cert_url` for certificate clients (when set), else `url`.
    pub fn token_origin(&self) -> &str {
        match (&self.cert_url, self.client_auth) {
            (Some(cert_url), ClientAuth::X509) => cert_url,
            _ => &self.url,
        }
    }

    /// [`Self::trust_client_id`], else the IAS client ID of the profile.
    pub fn relying_party<'a>(&'a self, ias: Option<&'a IasConfig>) -> Option<&'a str> {
        self.trust_client_id.as_deref().or(ias.map(|i| i.client_id.as_str()))
    }
}

/// A BTP API to call with the final token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    pub url: String,
    #[serde(default)]
    pub header: ApiHeader,
    #[serde(default)]
    pub method: HttpMethod,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ApiHeader {
    /// `Authorization: Bearer …` for a plain service.
    #[default]
    Authorization,
    /// `x-approuter-authorization: Bearer …` for an app behind an approuter.
    XApprouterAuthorization,
}

impl ApiHeader {
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::XApprouterAuthorization => "x-approuter-authorization",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Post,
}

const MAX_SLUG_LEN: usize = 64;

/// The file name of a profile: lower-case letters and digits joined by single dashes, at most 64 chars.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(MAX_SLUG_LEN).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

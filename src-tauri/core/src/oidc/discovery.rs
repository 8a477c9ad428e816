//! OpenID Connect Discovery 1.0 §4: fetch `{issuer}/.well-known/openid-configuration`.
//!
//! The document is parsed twice: into `openidconnect`'s `CoreProviderMetadata` (the authorization URL and
//! ID-token verification need it) and into the few fields that type does not carry.

use openidconnect::core::CoreProviderMetadata;
use serde::Deserialize;
use url::Url;

use crate::http::{parse_url, HttpClient, HttpError, HttpResponse};

/// A discovery document, with the fields the chain uses spelled out.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub url: Url,
    pub issuer: String,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    pub device_authorization_endpoint: Option<Url>,
    /// RFC 9207: the server sends `iss` with the authorization response, so the client must check it.
    pub iss_parameter_supported: bool,
    /// Present when the document is a full OpenID Provider metadata document.
    pub metadata: Option<CoreProviderMetadata>,
}

#[derive(Deserialize)]
struct Fields {
    issuer: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    device_authorization_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The server answered, but not with a discovery document.
    #[error("{url} did not return an OpenID configuration (HTTP {status})")]
    NotFound { url: String, status: u16, body: String },
    /// JSON that lacks or garbles a required field.
    #[error("the OpenID configuration at {url} is malformed: {reason}")]
    Malformed { url: String, reason: String, body: String },
}

/// Fetches and parses the discovery document at `url` (the full `.well-known` URL).
pub async fn discover(http: &HttpClient, url: &Url) -> Result<Discovery, DiscoveryError> {
    let resp = http.get(url, &[("accept", "application/json")]).await?;
    parse(url, &resp)
}

fn parse(url: &Url, resp: &HttpResponse) -> Result<Discovery, DiscoveryError> {
    if !resp.is_success() {
        return Err(DiscoveryError::NotFound { url: url.to_string(), status: resp.status, body: resp.body.clone() });
    }
    let malformed =
        |reason: String| DiscoveryError::Malformed { url: url.to_string(), reason, body: resp.body.clone() };
    let fields: Fields = serde_json::from_str(&resp.body).map_err(|e| malformed(e.to_string()))?;
    let endpoint = |raw: &str| parse_url(raw).map_err(|e| malformed(e.to_string()));
    Ok(Discovery {
        url: url.clone(),
        token_endpoint: endpoint(&fields.token_endpoint)?,
        jwks_uri: endpoint(&fields.jwks_uri)?,
        device_authorization_endpoint: fields.device_authorization_endpoint.as_deref().map(endpoint).transpose()?,
        iss_parameter_supported: fields.authorization_response_iss_parameter_supported,
        issuer: fields.issuer,
        metadata: serde_json::from_str(&resp.body).ok(),
    })
}

//! OpenID Connect Discovery 1.0 §4: fetch `{issuer}/.well-known/openid-configuration`.
//!
//! The document is parsed twice: into `openidconnect`'s `CoreProviderMetadata` (the authorization URL and
//! ID-token verification need it) and into the few fields that type does not carry. Every URL in it — the
//! issuer and each endpoint, the authorization endpoint the system browser will open included — must be
//! `https`, or `http` on loopback ([`parse_url`]): a document that names `file:` or a custom scheme is
//! refused here, before anything opens it.

use openidconnect::core::CoreProviderMetadata;
use serde::Deserialize;
use url::Url;

use crate::http::{parse_url, HttpClient, HttpError, HttpResponse};

/// A discovery document, with the fields the chain uses spelled out.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub url: Url,
    /// Checked to be an `https` URL (or `http` on loopback), kept as sent: the ID token's `iss` must equal it.
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
    authorization_endpoint: Option<String>,
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

/// Reads a discovery document fetched from `url`.
pub fn parse(url: &Url, resp: &HttpResponse) -> Result<Discovery, DiscoveryError> {
    if !resp.is_success() {
        return Err(DiscoveryError::NotFound { url: url.to_string(), status: resp.status, body: resp.body.clone() });
    }
    let malformed =
        |reason: String| DiscoveryError::Malformed { url: url.to_string(), reason, body: resp.body.clone() };
    let fields: Fields = serde_json::from_str(&resp.body).map_err(|e| malformed(e.to_string()))?;
    let endpoint = |raw: &str| parse_url(raw).map_err(|e| malformed(e.to_string()));
    endpoint(&fields.issuer)?;
    if let Some(authorize) = &fields.authorization_endpoint {
        endpoint(authorize)?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(overrides: serde_json::Value) -> HttpResponse {
        let mut doc = json!({
            "issuer": "https://login.example.com/tid/v2.0",
            "authorization_endpoint": "https://login.example.com/tid/oauth2/v2.0/authorize",
            "token_endpoint": "https://login.example.com/tid/oauth2/v2.0/token",
            "jwks_uri": "https://login.example.com/tid/discovery/v2.0/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        for (k, v) in overrides.as_object().unwrap() {
            doc[k] = v.clone();
        }
        HttpResponse { status: 200, headers: vec![], body: doc.to_string() }
    }

    fn url() -> Url {
        Url::parse("https://login.example.com/tid/v2.0/.well-known/openid-configuration").unwrap()
    }

    #[test]
    fn a_well_formed_document_parses() {
        let d = parse(&url(), &document(json!({}))).expect("parses");
        assert_eq!(d.issuer, "https://login.example.com/tid/v2.0");
        assert!(d.metadata.is_some(), "the full metadata is there for the authorization URL");
    }

    #[test]
    fn an_issuer_that_is_not_a_url_is_refused() {
        for issuer in ["not a url", "", "ftp://login.example.com/", "http://login.example.com/tid/v2.0"] {
            let result = parse(&url(), &document(json!({ "issuer": issuer })));
            assert!(matches!(result, Err(DiscoveryError::Malformed { .. })), "issuer {issuer:?}: {result:?}");
        }
    }

    #[test]
    fn an_authorization_endpoint_the_browser_must_not_open_is_refused() {
        let cases = [
            "file:///etc/passwd",
            "ms-settings:privacy",
            "javascript:alert(1)",
            "http://evil.example.com/authorize",
            "not a url",
        ];
        for endpoint in cases {
            let result = parse(&url(), &document(json!({ "authorization_endpoint": endpoint })));
            assert!(
                matches!(result, Err(DiscoveryError::Malformed { .. })),
                "{endpoint:?} must be refused: {result:?}"
            );
        }
        let loopback = parse(&url(), &document(json!({ "authorization_endpoint": "http://127.0.0.1:4000/authorize" })));
        assert!(loopback.is_ok(), "http on loopback is allowed, as for every endpoint (the sandbox)");
    }
}

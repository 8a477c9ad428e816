//! The JWT bearer grant (RFC 7523 §2.1), one function for both hops: the Entra ID token at IAS
//! (`{url}/oauth2/token`, `token_format=jwt`) and the IAS ID token at XSUAA (`{url}/oauth/token`, `X-zid`).
//! Plus the refresh-token grant (RFC 6749 §6) at either.
//!
//! Never retried: IAS locks a client for 60 minutes after five failed client authentications.

use url::Url;

use crate::diagnose::{http_failure, ias_error, xsuaa_error, Diagnosis};
use crate::http::{basic_auth, HttpClient};
use crate::oauth::{read_token_response, record, TokenResponse};
use crate::profile::ClientAuth;
use crate::report::HttpRecord;
use crate::secret::Secret;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The SAP service at the other end; it decides the token path and how errors are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ias,
    Xsuaa,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ias => "IAS",
            Self::Xsuaa => "XSUAA",
        }
    }

    /// `{url}/oauth2/token` at IAS, `{url}/oauth/token` at XSUAA.
    pub fn token_url(self, base: &Url) -> Url {
        let path = match self {
            Self::Ias => "oauth2/token",
            Self::Xsuaa => "oauth/token",
        };
        join(base, path)
    }

    /// `{url}/oauth2/certs` at IAS, `{url}/token_keys` at XSUAA.
    pub fn keys_url(self, base: &Url) -> Url {
        join(
            base,
            match self {
                Self::Ias => "oauth2/certs",
                Self::Xsuaa => "token_keys",
            },
        )
    }

    fn diagnose(self, status: u16, body: &str) -> Diagnosis {
        match self {
            Self::Ias => ias_error(status, body),
            Self::Xsuaa => xsuaa_error(status, body),
        }
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url
}

/// The confidential client making the request.
pub struct Client<'a> {
    pub id: &'a str,
    pub secret: &'a Secret,
    pub auth: ClientAuth,
}

/// POSTs a grant with client authentication per RFC 6749 §2.3.1 (Basic with form-encoded id and secret, or
/// both in the body).
async fn post_grant(
    http: &HttpClient,
    service: Service,
    url: &Url,
    client: &Client<'_>,
    mut form: Vec<(&str, &str)>,
    headers: &[(&str, &str)],
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    let basic;
    let mut all_headers: Vec<(&str, &str)> = headers.to_vec();
    match client.auth {
        ClientAuth::Basic => {
            basic = basic_auth(client.id, client.secret.expose_secret());
            all_headers.push(("authorization", basic.as_str()));
        }
        ClientAuth::Post => {
            form.push(("client_id", client.id));
            form.push(("client_secret", client.secret.expose_secret()));
        }
    }
    match http.post_form(url, &all_headers, &form).await {
        Ok(resp) => {
            let rec = record("POST", url.as_str(), &all_headers, Some(&form), Some(&resp));
            (read_token_response(service.name(), &resp, |s, b| service.diagnose(s, b)), rec)
        }
        Err(e) => (
            Err(http_failure(&format!("{} token endpoint", service.name()), &e)),
            record("POST", url.as_str(), &all_headers, Some(&form), None),
        ),
    }
}

/// RFC 7523 §2.1: `grant_type=jwt-bearer&assertion=…` plus `extra` parameters (`token_format`, `scope`,
/// `resource`, …) and headers (`X-zid`).
pub async fn jwt_bearer(
    http: &HttpClient,
    service: Service,
    url: &Url,
    client: &Client<'_>,
    assertion: &str,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    let mut form = vec![("grant_type", JWT_BEARER), ("assertion", assertion)];
    form.extend_from_slice(extra);
    post_grant(http, service, url, client, form, headers).await
}

/// RFC 6749 §6: a new token from a refresh token.
pub async fn refresh(
    http: &HttpClient,
    service: Service,
    url: &Url,
    client: &Client<'_>,
    refresh_token: &Secret,
    extra: &[(&str, &str)],
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose_secret())];
    form.extend_from_slice(extra);
    post_grant(http, service, url, client, form, &[]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_key_urls_follow_each_service() {
        let ias = Url::parse("https://acme.accounts.ondemand.com/").unwrap();
        let uaa = Url::parse("https://acme.authentication.eu10.hana.ondemand.com").unwrap();
        assert_eq!(Service::Ias.token_url(&ias).as_str(), "https://acme.accounts.ondemand.com/oauth2/token");
        assert_eq!(Service::Ias.keys_url(&ias).as_str(), "https://acme.accounts.ondemand.com/oauth2/certs");
        assert_eq!(Service::Xsuaa.token_url(&uaa).as_str(), "https://acme.authentication.eu10.hana.ondemand.com/oauth/token");
        assert_eq!(Service::Xsuaa.keys_url(&uaa).as_str(), "https://acme.authentication.eu10.hana.ondemand.com/token_keys");
    }
}

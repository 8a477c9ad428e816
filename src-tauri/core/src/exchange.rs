//! Sending the token requests of IAS and XSUAA: the jwt-bearer grant (RFC 7523 §2.1) and the refresh-token
//! grant (RFC 6749 §6), as [`crate::token_request`] builds them, and reading the answer.
//!
//! Never retried: IAS locks a client for 60 minutes after five failed client authentications.

use url::Url;

use crate::diagnose::{token_error, Diagnosis};
use crate::http::http_failure;
use crate::http::HttpClient;
use crate::report::HttpRecord;
use crate::service::Service;
use crate::token_request::{Inputs, TokenRequest};
use crate::token_response::{read_token_response, record, TokenResponse};

pub use crate::token_request::JWT_BEARER;

/// Sends a token request built by [`crate::token_request`] and reads the answer: tokens, or a diagnosis. The
/// record of the exchange has every secret redacted. `url` is the request's URL, already checked by
/// [`crate::http::parse_url`].
pub async fn send(
    http: &HttpClient,
    request: &TokenRequest,
    url: &Url,
    inputs: &Inputs<'_>,
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    let service = request.service;
    let wire = request.resolve(inputs);
    let headers: Vec<(&str, &str)> = wire.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let form: Vec<(&str, &str)> = wire.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match http.post_form(url, &headers, &form).await {
        Ok(resp) => {
            let rec = record("POST", url.as_str(), &headers, Some(&form), Some(&resp));
            let result = read_token_response(service.name(), &resp, |s, b| token_error(service, s, b));
            (result.map_err(|d| note_assertion_at_ias(note_basic_at_ias(d, request), request)), rec)
        }
        Err(e) => (
            Err(http_failure(&format!("{} token endpoint", service.name()), &e)),
            record("POST", url.as_str(), &headers, Some(&form), None),
        ),
    }
}

/// Basic credentials are form-urlencoded before base64, as IAS asks (docs/fidelity.md): when IAS refuses them,
/// say so, for a secret that was pasted already encoded.
fn note_basic_at_ias(mut d: Diagnosis, request: &TokenRequest) -> Diagnosis {
    if d.code == "ias.invalid_client" && request.service == Service::Ias && request.basic {
        d.hint.push_str(
            " This request used HTTP Basic, with the client ID and secret form-urlencoded before base64 as IAS asks: \
             store the secret exactly as IAS showed it, not already encoded. `client_auth = \"post\"` (the form body, \
             as SAP's libraries send them) needs no encoding at all.",
        );
    }
    d
}

/// IAS answers a refused client assertion as any refused client authentication (its texts are undocumented):
/// name what it checks.
fn note_assertion_at_ias(mut d: Diagnosis, request: &TokenRequest) -> Diagnosis {
    if d.code == "ias.invalid_client" && request.service == Service::Ias && request.client_assertion {
        d.hint.push_str(
            " This request authenticated with a client assertion (private-key-jwt): IAS verifies it with the keys of the \
             JSON Web Key Set URI under the application's Client Authentication → JSON Web Tokens (Configure Trust by \
             URI). Check that this key's public half is in that set, that the profile's client ID is the application's, \
             and this computer's clock. If the set holds several keys, name this one's `kid` in the profile's \
             `[ias] assertion_kid`.",
        );
    }
    d
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
        assert_eq!(
            Service::Xsuaa.token_url(&uaa).as_str(),
            "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
        );
        assert_eq!(
            Service::Xsuaa.keys_url(&uaa).as_str(),
            "https://acme.authentication.eu10.hana.ondemand.com/token_keys"
        );
    }
}

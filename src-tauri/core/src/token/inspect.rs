//! "Decode a token": any pasted JWT decoded and, on request, verified against its issuer's published keys —
//! found through the issuer's discovery document, or at `/token_keys` for XSUAA.

use url::Url;

use crate::http::{parse_url, HttpClient};
use crate::oidc::{discover, JwksCache};
use crate::report::{SignatureStatus, TokenView};
use crate::token::{decode, verify_signature, VerifyError};

/// Decodes `raw`; with `verify`, looks up the issuer's keys and checks the signature.
pub async fn inspect(http: &HttpClient, jwks: &JwksCache, raw: &str, verify: bool) -> TokenView {
    let raw = raw.trim();
    let decoded = decode(raw);
    let signature = match &decoded {
        Err(e) => SignatureStatus::Unverified { reason: e.to_string() },
        Ok(_) if !verify => SignatureStatus::Unverified { reason: "not asked to verify".into() },
        Ok(jwt) => match jwt.claim_str("iss") {
            None => SignatureStatus::Unverified { reason: "the token names no issuer (iss)".into() },
            Some(iss) => match keys_url(http, iss).await {
                Err(reason) => SignatureStatus::Unverified { reason },
                Ok(url) => verify_at(jwks, raw, &url, &[]).await,
            },
        },
    };
    super::decode::view("pasted", raw, decoded.ok(), signature)
}

/// Verifies `raw` against the keys at `url`, fetched with `headers` ([`JwksCache::get_with`]).
pub(crate) async fn verify_at(jwks: &JwksCache, raw: &str, url: &Url, headers: &[(&str, &str)]) -> SignatureStatus {
    let keys = match jwks.get_with(url, headers).await {
        Ok(k) => k,
        Err(e) => return SignatureStatus::Unverified { reason: e.to_string() },
    };
    let mut result = verify_signature(raw, &keys);
    if let Err(VerifyError::UnknownKid { kid }) = &result {
        if let Ok(Some(fresh)) = jwks.refresh_with(url, Some(kid), headers).await {
            result = verify_signature(raw, &fresh);
        }
    }
    match result {
        Ok((alg, kid)) => SignatureStatus::Verified { alg, kid, jwks_uri: url.to_string() },
        Err(e) => SignatureStatus::Invalid { reason: e.to_string() },
    }
}

/// An IAS issuer written without a scheme (`tenant.accounts.ondemand.com`, SAP's security library issues #544 and
/// #797) gets `https://`, as SAP's `JwtIssuerValidator` does; `http://` only for a host on this machine.
fn with_scheme(iss: &str) -> String {
    let iss = iss.trim();
    if iss.contains("://") {
        return iss.to_owned();
    }
    let host = iss.split(['/', ':']).next().unwrap_or_default();
    let local =
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    format!("{}://{iss}", if local { "http" } else { "https" })
}

/// The issuer's key set: `jwks_uri` of its discovery document; XSUAA (`…/oauth/token` issuers) at `/token_keys`.
async fn keys_url(http: &HttpClient, iss: &str) -> Result<Url, String> {
    let iss = &with_scheme(iss);
    let issuer = parse_url(iss).map_err(|e| format!("the issuer is not a usable URL: {e}"))?;
    if issuer.path().ends_with("/oauth/token") {
        let mut url = issuer.clone();
        url.set_path("/token_keys");
        return Ok(url);
    }
    let well_known = parse_url(&format!("{}/.well-known/openid-configuration", iss.trim_end_matches('/')))
        .map_err(|e| e.to_string())?;
    discover(http, &well_known)
        .await
        .map(|d| d.jwks_uri)
        .map_err(|e| format!("the issuer's keys could not be found: {e}"))
}

#[cfg(test)]
mod scheme_tests {
    use super::with_scheme;

    #[test]
    fn an_issuer_without_a_scheme_gets_https_or_http_on_loopback() {
        assert_eq!(with_scheme("acme.accounts.ondemand.com"), "https://acme.accounts.ondemand.com");
        assert_eq!(with_scheme("127.0.0.1:4011"), "http://127.0.0.1:4011");
        assert_eq!(with_scheme("https://acme.accounts.ondemand.com"), "https://acme.accounts.ondemand.com");
    }
}

//! The one place that decides what a token request to IAS or XSUAA looks like: its URL, headers, form fields
//! and client authentication. The chain sends what this module builds, and every export (Postman, curl,
//! `.http`) renders the very same request with variables in place of the values, so an export replays exactly
//! what the chain sent.
//!
//! Values that change per run or are secret ([`Input`]) stay symbolic here: the chain resolves them into the
//! wire form ([`TokenRequest::resolve`]), an export into its own variable syntax. This module sends nothing.
//!
//! Client authentication, as each service does it (docs/fidelity.md):
//! - `post`: `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1), as SAP's own token clients send
//!   them. No encoding question arises, so it is the default for both services.
//! - `basic` at XSUAA: XSUAA is Cloud Foundry UAA in URI-encoding compatibility mode, which compares Basic
//!   credentials raw and URL-decodes them only when the request carries `X-CF-ENCODED-CREDENTIALS: true`
//!   (UAA `ClientBasicAuthenticationFilter`). We send them URL-encoded with that header, so client IDs with `!`
//!   and secrets with `$ + / =` arrive intact.
//! - `basic` at IAS: IAS asks for the client ID and secret "encoded using the application/x-www-form-urlencoded
//!   encoding algorithm" (SAP Help "Configure the Client to Call Identity Authentication JWT Bearer Token"), as
//!   RFC 6749 §2.3.1 does; no header announces it.
//! - `x509`: mutual TLS with the binding's client certificate (RFC 8705 §2) and `client_id` in the body, no
//!   secret, as SAP's token clients send it. XSUAA serves it at the key's `certurl`
//!   (`https://<subdomain>.authentication.cert.<landscape>`; SAP Help "Implementing Custom Token Retrieval … with
//!   mTLS"); IAS documents no separate host, and SAP's libraries call the tenant's own token endpoint with the
//!   certificate (inferred from `@sap/xssec` `IdentityService` and the Java `DefaultIdTokenExtension`).
//! - `private-key-jwt` (IAS): `client_id`, `client_assertion_type` and a `client_assertion` the client signs
//!   with its own key ([`crate::client_assertion`]); IAS lists "JWT (client_assertion)" among the schemes of its
//!   token endpoint (SAP Help "Configure the Client to Call Identity Authentication JWT Bearer Token"). The
//!   assertion is signed fresh for every request, so exports show a variable for it, never a value.

use base64::Engine as _;

use crate::client_assertion::CLIENT_ASSERTION_TYPE;
use crate::profile::{ClientAuth, IasConfig, TokenFormat, XsuaaConfig};
use crate::secrets::Secret;
use crate::service::Service;

/// RFC 7523 §2.1.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// UAA's switch for URL-decoding Basic credentials (`ClientBasicAuthenticationFilter`).
pub const CF_ENCODED_CREDENTIALS: &str = "X-CF-ENCODED-CREDENTIALS";

/// A value known only when the request is sent: the chain has it, an export names a variable for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The client ID (from the profile; exports keep it editable).
    ClientId,
    /// The client secret (keychain or environment).
    ClientSecret,
    /// A client assertion (`private_key_jwt`), signed fresh for each request with the client's key.
    ClientAssertion,
    /// The assertion of the jwt-bearer grant: Entra's ID token at IAS, IAS's ID token at XSUAA.
    Assertion,
    /// The refresh token of the refresh grant.
    RefreshToken,
    /// `X-zid`: the subaccount's zone (the profile's `zid`, else the IAS token's `app_tid`).
    Zid,
}

/// A header or form value: fixed text, or an [`Input`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Input(Input),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }
}

/// A token request as it will cross the wire, with [`Input`]s still symbolic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub service: Service,
    /// `{url}/oauth2/token` at IAS, `{url}/oauth/token` at XSUAA.
    pub url: String,
    /// The profile's client ID, what [`Input::ClientId`] stands for.
    pub client_id: String,
    /// Extra headers, in order (`X-CF-ENCODED-CREDENTIALS`, `X-zid`).
    pub headers: Vec<(&'static str, Value)>,
    /// The client authenticates with HTTP Basic ([`basic_header`]); at XSUAA the request also carries
    /// `X-CF-ENCODED-CREDENTIALS: true` so that UAA decodes the credentials.
    pub basic: bool,
    /// The client authenticates with its certificate in the TLS handshake (`client_auth = "x509"`): whoever
    /// sends the request needs the certificate and key.
    pub client_certificate: bool,
    /// The client authenticates with a signed client assertion (`client_auth = "private-key-jwt"`): whoever sends
    /// the request signs one for it, with `aud` = [`Self::url`].
    pub client_assertion: bool,
    /// The form body, in order.
    pub form: Vec<(&'static str, Value)>,
}

/// What the chain knows when it sends the request.
pub struct Inputs<'a> {
    /// `None` for certificate clients, which send none.
    pub client_secret: Option<&'a Secret>,
    /// The client assertion signed for this request, for `private-key-jwt` clients.
    pub client_assertion: Option<&'a Secret>,
    pub assertion: Option<&'a str>,
    pub refresh_token: Option<&'a Secret>,
    pub zid: Option<&'a str>,
}

/// The request with every value filled in, ready for the HTTP client.
pub struct Resolved {
    pub headers: Vec<(&'static str, String)>,
    pub form: Vec<(&'static str, String)>,
}

fn refresh_grant() -> Vec<(&'static str, Value)> {
    vec![("grant_type", Value::text("refresh_token")), ("refresh_token", Value::Input(Input::RefreshToken))]
}

impl TokenRequest {
    /// RFC 7523 §2.1 at IAS: the Entra ID token as assertion, `token_format=jwt` unless the profile wants an
    /// opaque access token, and the profile's `scope` and `resource`.
    pub fn ias_jwt_bearer(ias: &IasConfig) -> Self {
        let mut form = vec![("grant_type", Value::text(JWT_BEARER)), ("assertion", Value::Input(Input::Assertion))];
        if ias.token_format == TokenFormat::Jwt {
            form.push(("token_format", Value::text("jwt")));
        }
        form.extend(ias.scope.clone().map(|s| ("scope", Value::Text(s))));
        form.extend(ias.resource.clone().map(|r| ("resource", Value::Text(r))));
        Self::new(Service::Ias, &ias.url, &ias.client_id, ias.client_auth, form, vec![])
    }

    /// RFC 7523 §2.1 at XSUAA: the IAS ID token as assertion, the profile's `scope`, and `X-zid` when the zone
    /// is known ([`Input::Zid`] is dropped otherwise). XSUAA needs `X-zid` only when the URL is not the
    /// subaccount's own subdomain. Certificate clients go to `cert_url`.
    pub fn xsuaa_jwt_bearer(xsuaa: &XsuaaConfig) -> Self {
        let mut form = vec![("grant_type", Value::text(JWT_BEARER)), ("assertion", Value::Input(Input::Assertion))];
        form.extend(xsuaa.scope.clone().map(|s| ("scope", Value::Text(s))));
        let headers = vec![("X-zid", Value::Input(Input::Zid))];
        Self::new(Service::Xsuaa, xsuaa.token_origin(), &xsuaa.client_id, xsuaa.client_auth, form, headers)
    }

    /// RFC 6749 §6 at IAS: a new token from a refresh token, with the exchange's client authentication and `token_format`.
    pub fn ias_refresh(ias: &IasConfig) -> Self {
        let mut form = refresh_grant();
        if ias.token_format == TokenFormat::Jwt {
            form.push(("token_format", Value::text("jwt")));
        }
        Self::new(Service::Ias, &ias.url, &ias.client_id, ias.client_auth, form, vec![])
    }

    /// RFC 6749 §6 at XSUAA, to `cert_url` for certificate clients as the exchange.
    pub fn xsuaa_refresh(xsuaa: &XsuaaConfig) -> Self {
        Self::new(Service::Xsuaa, xsuaa.token_origin(), &xsuaa.client_id, xsuaa.client_auth, refresh_grant(), vec![])
    }

    fn new(
        service: Service,
        base_url: &str,
        client_id: &str,
        auth: ClientAuth,
        mut form: Vec<(&'static str, Value)>,
        mut headers: Vec<(&'static str, Value)>,
    ) -> Self {
        let basic = match (auth, service) {
            (ClientAuth::Post, _) => {
                form.push(("client_id", Value::Input(Input::ClientId)));
                form.push(("client_secret", Value::Input(Input::ClientSecret)));
                false
            }
            (ClientAuth::Basic, Service::Xsuaa) => {
                headers.insert(0, (CF_ENCODED_CREDENTIALS, Value::text("true")));
                true
            }
            (ClientAuth::Basic, Service::Ias) => true,
            (ClientAuth::X509, _) => {
                form.push(("client_id", Value::Input(Input::ClientId)));
                false
            }
            (ClientAuth::PrivateKeyJwt, _) => {
                form.push(("client_id", Value::Input(Input::ClientId)));
                form.push(("client_assertion_type", Value::text(CLIENT_ASSERTION_TYPE)));
                form.push(("client_assertion", Value::Input(Input::ClientAssertion)));
                false
            }
        };
        Self {
            service,
            url: service.token_url_of(base_url),
            client_id: client_id.to_owned(),
            headers,
            basic,
            client_certificate: auth.uses_certificate(),
            client_assertion: auth.uses_assertion(),
            form,
        }
    }

    /// Fills in the values the chain has. An [`Input`] the chain lacks (no `X-zid` known) drops its header or
    /// field rather than sending it empty.
    pub fn resolve(&self, inputs: &Inputs<'_>) -> Resolved {
        let value = |v: &Value| -> Option<String> {
            match v {
                Value::Text(t) => Some(t.clone()),
                Value::Input(Input::ClientId) => Some(self.client_id.clone()),
                Value::Input(Input::ClientSecret) => inputs.client_secret.map(|s| s.expose_secret().to_owned()),
                Value::Input(Input::ClientAssertion) => inputs.client_assertion.map(|s| s.expose_secret().to_owned()),
                Value::Input(Input::Assertion) => inputs.assertion.map(str::to_owned),
                Value::Input(Input::RefreshToken) => inputs.refresh_token.map(|t| t.expose_secret().to_owned()),
                Value::Input(Input::Zid) => inputs.zid.map(str::to_owned),
            }
        };
        let mut headers: Vec<(&'static str, String)> =
            self.headers.iter().filter_map(|(k, v)| value(v).map(|v| (*k, v))).collect();
        if let (true, Some(secret)) = (self.basic, inputs.client_secret) {
            headers.push(("authorization", basic_header(&self.client_id, secret.expose_secret())));
        }
        let form = self.form.iter().filter_map(|(k, v)| value(v).map(|v| (*k, v))).collect();
        Resolved { headers, form }
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 has it and both services ask.
pub fn basic_header(client_id: &str, secret: &str) -> String {
    let credentials = format!("{}:{}", url_encode(client_id), url_encode(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
}

impl TokenRequest {
    /// The request announces its URL-encoded Basic credentials with `X-CF-ENCODED-CREDENTIALS` (XSUAA).
    pub fn announces_encoded_credentials(&self) -> bool {
        self.headers.iter().any(|(name, _)| *name == CF_ENCODED_CREDENTIALS)
    }
}

/// `application/x-www-form-urlencoded` serialization of one value (WHATWG URL §5.2), what RFC 6749 §2.3.1
/// applies to Basic credentials and what UAA's `URLDecoder` undoes.
pub fn url_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ias(auth: ClientAuth) -> IasConfig {
        IasConfig {
            url: "https://acme.accounts.ondemand.com/".into(),
            client_id: "9b2f-ias".into(),
            client_auth: auth,
            token_format: TokenFormat::Jwt,
            scope: Some("openid".into()),
            resource: None,
            assertion_kid: None,
        }
    }

    fn xsuaa(auth: ClientAuth) -> XsuaaConfig {
        XsuaaConfig {
            url: "https://acme.authentication.eu10.hana.ondemand.com".into(),
            client_id: "sb-app!t42".into(),
            client_auth: auth,
            cert_url: Some("https://acme.authentication.cert.eu10.hana.ondemand.com".into()),
            scope: None,
            zid: None,
            trust_client_id: None,
        }
    }

    fn inputs(secret: &Secret) -> Inputs<'_> {
        Inputs {
            client_secret: Some(secret),
            client_assertion: None,
            assertion: Some("eyJ.a.b"),
            refresh_token: None,
            zid: Some("zone-1"),
        }
    }

    #[test]
    fn post_puts_the_credentials_in_the_body_and_no_authorization_header() {
        let secret = Secret::new("s$cr+t/=");
        let req = TokenRequest::xsuaa_jwt_bearer(&xsuaa(ClientAuth::Post));
        let wire = req.resolve(&inputs(&secret));
        assert!(wire.form.contains(&("client_id", "sb-app!t42".into())), "client_id goes in the body");
        assert!(wire.form.contains(&("client_secret", "s$cr+t/=".into())), "the secret goes in the body as is");
        assert!(
            wire.headers.iter().all(|(k, _)| !k.eq_ignore_ascii_case("authorization")),
            "post sends no Basic header"
        );
        assert_eq!(req.url, "https://acme.authentication.eu10.hana.ondemand.com/oauth/token");
    }

    #[test]
    fn basic_at_xsuaa_is_url_encoded_and_says_so_with_the_cf_header() {
        let secret = Secret::new("s$cr+t/=");
        let wire =
            TokenRequest::xsuaa_jwt_bearer(&xsuaa(ClientAuth::Basic)).resolve(&Inputs { zid: None, ..inputs(&secret) });
        assert!(wire.headers.contains(&(CF_ENCODED_CREDENTIALS, "true".into())), "UAA decodes only with this header");
        let auth = &wire.headers.iter().find(|(k, _)| *k == "authorization").expect("a Basic header").1;
        let decoded = base64::engine::general_purpose::STANDARD.decode(auth.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "sb-app%21t42:s%24cr%2Bt%2F%3D");
        assert!(!wire.form.iter().any(|(k, _)| *k == "client_secret"), "Basic keeps the secret out of the body");
    }

    #[test]
    fn basic_at_ias_is_form_urlencoded_without_the_cf_header() {
        let secret = Secret::new("a+b/c=");
        let wire = TokenRequest::ias_jwt_bearer(&ias(ClientAuth::Basic)).resolve(&inputs(&secret));
        let auth = &wire.headers.iter().find(|(k, _)| *k == "authorization").expect("a Basic header").1;
        let decoded = base64::engine::general_purpose::STANDARD.decode(auth.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "9b2f-ias:a%2Bb%2Fc%3D", "IAS asks for form-urlencoding");
        assert!(wire.headers.iter().all(|(k, _)| *k != CF_ENCODED_CREDENTIALS), "the CF header is UAA's, not IAS's");
    }

    #[test]
    fn ias_form_carries_the_grant_the_assertion_and_the_profile_parameters_in_order() {
        let secret = Secret::new("x");
        let req = TokenRequest::ias_jwt_bearer(&ias(ClientAuth::Post));
        let keys: Vec<&str> = req.resolve(&inputs(&secret)).form.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["grant_type", "assertion", "token_format", "scope", "client_id", "client_secret"]);
        assert_eq!(req.url, "https://acme.accounts.ondemand.com/oauth2/token", "no doubled slash");
    }

    #[test]
    fn x509_sends_the_client_id_alone_to_the_cert_url_at_xsuaa_and_the_tenant_at_ias() {
        let no_secret = Inputs {
            client_secret: None,
            client_assertion: None,
            assertion: Some("eyJ.a.b"),
            refresh_token: None,
            zid: None,
        };
        let req = TokenRequest::xsuaa_jwt_bearer(&xsuaa(ClientAuth::X509));
        assert_eq!(req.url, "https://acme.authentication.cert.eu10.hana.ondemand.com/oauth/token", "XSUAA's mTLS host");
        assert!(req.client_certificate, "the sender must present the certificate");
        let wire = req.resolve(&no_secret);
        assert!(wire.form.contains(&("client_id", "sb-app!t42".into())), "client_id still goes in the body");
        assert!(wire.form.iter().all(|(k, _)| *k != "client_secret"), "no secret with a certificate");
        assert!(wire.headers.iter().all(|(k, _)| *k != "authorization"));
        let req = TokenRequest::ias_jwt_bearer(&ias(ClientAuth::X509));
        assert_eq!(req.url, "https://acme.accounts.ondemand.com/oauth2/token", "IAS: the tenant itself");
        assert!(req.client_certificate);
        let secret_based = TokenRequest::xsuaa_jwt_bearer(&xsuaa(ClientAuth::Post));
        assert!(!secret_based.client_certificate);
        assert_eq!(
            secret_based.url, "https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
            "cert_url is for x509 only"
        );
    }

    #[test]
    fn private_key_jwt_at_ias_sends_the_client_id_and_a_fresh_assertion_but_no_secret() {
        let req = TokenRequest::ias_jwt_bearer(&ias(ClientAuth::PrivateKeyJwt));
        assert!(req.client_assertion && !req.client_certificate, "the sender signs an assertion, no TLS identity");
        assert_eq!(req.url, "https://acme.accounts.ondemand.com/oauth2/token", "the tenant's own token endpoint");
        let signed = Secret::new("eyJ.signed.assertion");
        let inputs = Inputs {
            client_secret: None,
            client_assertion: Some(&signed),
            assertion: Some("eyJ.a.b"),
            refresh_token: None,
            zid: None,
        };
        let wire = req.resolve(&inputs);
        let keys: Vec<&str> = wire.form.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "grant_type",
                "assertion",
                "token_format",
                "scope",
                "client_id",
                "client_assertion_type",
                "client_assertion"
            ]
        );
        assert!(wire.form.contains(&("client_assertion_type", CLIENT_ASSERTION_TYPE.into())), "RFC 7523 §2.2");
        assert!(wire.form.contains(&("client_assertion", "eyJ.signed.assertion".into())));
        assert!(wire.headers.iter().all(|(k, _)| *k != "authorization"), "no Basic header");
        assert!(TokenRequest::ias_refresh(&ias(ClientAuth::PrivateKeyJwt)).client_assertion, "refreshes sign one too");
    }

    #[test]
    fn a_refresh_authenticates_as_the_exchange_did_and_goes_where_it_went() {
        let refresh = Secret::new("rt-1");
        let inputs = Inputs {
            client_secret: None,
            client_assertion: None,
            assertion: None,
            refresh_token: Some(&refresh),
            zid: None,
        };
        let req = TokenRequest::xsuaa_refresh(&xsuaa(ClientAuth::X509));
        assert_eq!(req.url, TokenRequest::xsuaa_jwt_bearer(&xsuaa(ClientAuth::X509)).url, "cert_url, as the exchange");
        assert!(req.client_certificate, "the refresh presents the certificate too");
        let wire = req.resolve(&inputs);
        assert!(wire.form.contains(&("grant_type", "refresh_token".into())));
        assert!(wire.form.contains(&("refresh_token", "rt-1".into())));
        let req = TokenRequest::ias_refresh(&ias(ClientAuth::Post));
        assert!(req.form.contains(&("token_format", Value::text("jwt"))), "IAS keeps answering JWTs");
    }

    #[test]
    fn an_unknown_zone_drops_the_header_instead_of_sending_it_empty() {
        let secret = Secret::new("x");
        let req = TokenRequest::xsuaa_jwt_bearer(&xsuaa(ClientAuth::Post));
        let wire = req.resolve(&Inputs { zid: None, ..inputs(&secret) });
        assert!(wire.headers.iter().all(|(k, _)| *k != "X-zid"));
    }
}

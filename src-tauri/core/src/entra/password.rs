//! The resource owner password credentials grant (RFC 6749 §4.3). It breaks with MFA, Conditional Access and
//! federated users, and Microsoft discourages it: the chain warns whenever it is used.

use super::auth_code::post_token;
use crate::client_assertion::ClientCredential;
use crate::diagnose::{code, Diagnosis};
use crate::http::HttpClient;
use crate::oidc::Discovery;
use crate::profile::EntraConfig;
use crate::report::HttpRecord;
use crate::secrets::Secret;
use crate::token_response::TokenResponse;

pub const WARNING: &str = "The password flow cannot do multi-factor authentication and fails for federated users \
or under Conditional Access; use it only for test users, and prefer the authorization-code flow.";

pub async fn run(
    http: &HttpClient,
    discovery: &Discovery,
    entra: &EntraConfig,
    password: &Secret,
    client: Option<&ClientCredential>,
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    let Some(username) = entra.username.as_deref() else {
        let d = Diagnosis::new(
            code::ENTRA_USERNAME_MISSING,
            "The password flow needs a user name, and the profile has none.",
            "Set `username` in the profile's [entra] section.",
        );
        return (Err(d), crate::token_response::record("POST", discovery.token_endpoint.as_str(), &[], None, None));
    };
    let scope = entra.scopes.join(" ");
    let mut form = vec![
        ("grant_type", "password"),
        ("client_id", entra.client_id.as_str()),
        ("scope", scope.as_str()),
        ("username", username),
        ("password", password.expose_secret()),
    ];
    let auth = match super::client_fields(client, &discovery.token_endpoint) {
        Ok(fields) => fields,
        Err(d) => {
            return (Err(d), crate::token_response::record("POST", discovery.token_endpoint.as_str(), &[], None, None))
        }
    };
    form.extend(auth.iter().map(|(k, v)| (*k, v.expose_secret())));
    post_token(http, &discovery.token_endpoint, &form).await
}

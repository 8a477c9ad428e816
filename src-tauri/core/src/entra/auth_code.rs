//! The authorization-code flow with PKCE (RFC 7636, S256), `state` and `nonce` (OIDC Core §3.1) against the
//! Entra v2.0 endpoints. Typestate: a code can only be redeemed with the [`PendingSignIn`] that produced the
//! authorization URL, so the verifier, state and nonce cannot be mixed up or skipped.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{ClientId, CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope};
use url::Url;

use crate::client_assertion::ClientCredential;
use crate::diagnose::{code, entra_error, Diagnosis};
use crate::http::{http_failure, HttpClient};
use crate::oidc::Discovery;
use crate::profile::EntraConfig;
use crate::report::HttpRecord;
use crate::secrets::Secret;
use crate::token_response::{read_token_response, record, TokenResponse};

/// A sign-in waiting for its callback. Holds what the redemption and the ID-token check need.
pub struct PendingSignIn {
    pub authorize_url: Url,
    pub state: Secret,
    pub nonce: Nonce,
    verifier: PkceCodeVerifier,
    redirect_uri: String,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn").field("redirect_uri", &self.redirect_uri).finish_non_exhaustive()
    }
}

/// Builds the authorization URL (DESIGN §1: `client_id, response_type=code, redirect_uri, scope, state,
/// nonce, code_challenge, code_challenge_method=S256`, plus `login_hint` when the profile names a user).
pub fn start(discovery: &Discovery, entra: &EntraConfig, redirect_uri: &str) -> Result<PendingSignIn, Diagnosis> {
    let metadata = discovery.metadata.clone().ok_or_else(|| {
        Diagnosis::new(
            code::ENTRA_DISCOVERY_INCOMPLETE,
            format!("The OpenID configuration at {} lacks fields needed to sign in.", discovery.url),
            "Check the authority and tenant in the profile: the document must be Entra's v2.0 configuration.",
        )
    })?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| {
        Diagnosis::new(
            code::ENTRA_REDIRECT_URI,
            format!("Bad redirect URI {redirect_uri}: {e}"),
            "Report this as a bug.",
        )
    })?;
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(entra.client_id.clone()), None)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scopes(entra.scopes.iter().filter(|s| s.as_str() != "openid").map(|s| Scope::new(s.clone())))
        .set_pkce_challenge(challenge);
    if let Some(user) = &entra.username {
        request = request.add_extra_param("login_hint", user.clone());
    }
    let (authorize_url, state, nonce) = request.url();
    Ok(PendingSignIn {
        authorize_url,
        state: Secret::new(state.secret().clone()),
        nonce,
        verifier,
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// Redeems the code at the token endpoint (RFC 6749 §4.1.3 + RFC 7636 §4.5). The client secret is sent
/// only for confidential registrations: a public client that sends one gets AADSTS700025.
pub async fn redeem(
    http: &HttpClient,
    discovery: &Discovery,
    entra: &EntraConfig,
    pending: &PendingSignIn,
    code: &Secret,
    client: Option<&ClientCredential>,
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    let scope = entra.scopes.join(" ");
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", entra.client_id.as_str()),
        ("code", code.expose_secret()),
        ("redirect_uri", pending.redirect_uri.as_str()),
        ("code_verifier", pending.verifier.secret().as_str()),
        ("scope", scope.as_str()),
    ];
    let auth = match super::client_fields(client, &discovery.token_endpoint) {
        Ok(fields) => fields,
        Err(d) => return (Err(d), record("POST", discovery.token_endpoint.as_str(), &[], None, None)),
    };
    form.extend(auth.iter().map(|(k, v)| (*k, v.expose_secret())));
    post_token(http, &discovery.token_endpoint, &form).await
}

/// POSTs a form to Entra's token endpoint and reads the answer with Entra's error mapping.
pub(crate) async fn post_token(
    http: &HttpClient,
    url: &Url,
    form: &[(&str, &str)],
) -> (Result<TokenResponse, Diagnosis>, HttpRecord) {
    match http.post_form(url, &[], form).await {
        Ok(resp) => {
            let rec = record("POST", url.as_str(), &[], Some(form), Some(&resp));
            (read_token_response("Entra", &resp, entra_error), rec)
        }
        Err(e) => (Err(http_failure("Entra token endpoint", &e)), record("POST", url.as_str(), &[], Some(form), None)),
    }
}

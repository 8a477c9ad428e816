//! Entra's certificate credentials: a confidential app may authenticate with a client assertion signed with the
//! key of a certificate registered on it, wherever a client secret could be used (Microsoft "Microsoft identity
//! platform application authentication certificate credentials").
//!
//! What is checked, and Entra's answers (all `401 invalid_client`):
//! - the assertion is a JWT of type `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (RFC 7523 §2.2) —
//!   else AADSTS50027 "JWT token is invalid or malformed." (Microsoft "Troubleshoot … Azure SDK for Java",
//!   `ClientAssertionCredential`);
//! - its header names a registered certificate by `x5t#S256` (the current page) or the SHA-1 `x5t` (the page's
//!   older version), and is signed PS256 or RS256 with that certificate's key — else AADSTS700027 "Client
//!   assertion failed signature validation." (Microsoft error code reference). That a missing or unknown
//!   thumbprint is answered with 700027 ("The key was not found") is inferred from Entra's answers quoted in
//!   Microsoft's troubleshooting pages;
//! - `iss` and `sub` are the client ID — else AADSTS700021 "Client assertion application identifier doesn't match
//!   'client_id' parameter." (Azure SDK for Java troubleshooting);
//! - `aud` is the tenant's token endpoint (the page), or its v2.0 issuer (the Azure SDK page names
//!   `https://login.microsoftonline.com/{tenantId}/v2`): every reading is accepted — else AADSTS700023 "Client
//!   assertion audience claim does not match Realm issuer.";
//! - `nbf` ≤ now < `exp` — else AADSTS700024 "Client assertion is not within its valid time range." (the code is
//!   Microsoft.Identity.Web's `SignedAssertionInvalidTimeRange`). Entra "doesn't place restrictions on the `exp`
//!   time currently" (the page), so no maximum lifetime is enforced, and no `jti` bookkeeping is documented.

use axum::http::StatusCode;

use super::errors::EntraError;
use crate::jwt::Jwt;
use crate::state::{Form, Shared};

pub(crate) const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn refused(code: u32, text: impl Into<String>) -> EntraError {
    EntraError::new(StatusCode::UNAUTHORIZED, "invalid_client", code, text)
}

/// Checks the client assertion of a token request to tenant path segment `tenant` for `client_id`.
pub(super) fn check(shared: &Shared, tenant: &str, client_id: &str, form: &Form) -> Result<(), EntraError> {
    let malformed = || refused(50027, "JWT token is invalid or malformed.");
    if form.get("client_assertion_type").map(String::as_str) != Some(CLIENT_ASSERTION_TYPE) {
        return Err(malformed());
    }
    let jwt = form.get("client_assertion").and_then(|a| Jwt::parse(a)).ok_or_else(malformed)?;
    let keys = shared.keys();
    let (s256, sha1) = keys.client_thumbprints();
    let named = jwt.header_str("x5t#S256").or(jwt.header_str("x5t"));
    let registered = match (jwt.header_str("x5t#S256"), jwt.header_str("x5t")) {
        (Some(t), _) => t == s256,
        (None, Some(t)) => t == sha1,
        (None, None) => false,
    };
    let signature_failed = |reason: &str| {
        refused(
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - {reason}, Thumbprint of key used by client: '{}']",
                named.unwrap_or("")
            ),
        )
    };
    if !registered {
        return Err(signature_failed("The key was not found."));
    }
    jwt.verify_rsa(&keys.client.public)
        .map_err(|_| signature_failed("The provided signature value did not match the expected signature value."))?;
    if jwt.claim_str("iss") != Some(client_id) || jwt.claim_str("sub") != Some(client_id) {
        return Err(refused(700021, "Client assertion application identifier doesn't match 'client_id' parameter."));
    }
    let origin = &shared.urls.authority;
    let config = &shared.config;
    let accepted: Vec<String> = [tenant, config.tenant_id.as_str(), config.tenant_domain.as_str()]
        .iter()
        .flat_map(|t| {
            [format!("{origin}/{t}/oauth2/v2.0/token"), format!("{origin}/{t}/v2.0"), format!("{origin}/{t}/v2")]
        })
        .collect();
    if !jwt.audiences().iter().any(|a| accepted.iter().any(|ok| ok == a)) {
        return Err(refused(700023, "Client assertion audience claim does not match Realm issuer."));
    }
    let now = shared.now();
    let (nbf, exp) = (jwt.claim_i64("nbf"), jwt.claim_i64("exp"));
    if exp.is_none_or(|exp| now >= exp) || nbf.is_some_and(|nbf| now < nbf) {
        return Err(refused(700024, "Client assertion is not within its valid time range."));
    }
    Ok(())
}

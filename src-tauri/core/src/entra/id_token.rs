//! Verifying the Entra ID token (OIDC Core §3.1.3.7). [`verify`] takes the token apart and gates on its
//! version; [`verify_claims`] has `openidconnect` check the signature against the tenant's JWKS (refetched once
//! on an unknown `kid`), issuer, audience, expiry with a small leeway, nonce, and only asymmetric algorithms;
//! [`passed`] and [`failed`] turn its verdict into checks and a diagnosis ([`diagnose`]); [`consultant_checks`]
//! adds what `openidconnect` leaves to us: `azp`, `ver`, and `email`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use openidconnect::core::CoreIdToken;
use openidconnect::{
    ClaimsVerificationError as E, ClientId, IdTokenVerifier, IssuerUrl, Nonce, SignatureVerificationError as S,
};

use crate::diagnose::{code, Diagnosis};
use crate::oidc::{Discovery, JwksCache};
use crate::report::{Check, SignatureStatus};
use crate::token::{decode, DecodedJwt};

/// Clock skew tolerated on `exp`.
pub const LEEWAY: Duration = Duration::from_secs(120);
const LEEWAY_CHRONO: chrono::TimeDelta = chrono::TimeDelta::seconds(LEEWAY.as_secs() as i64);

/// What the ID token's `nonce` must be.
#[derive(Clone, Copy)]
pub enum NonceCheck<'a> {
    /// The nonce this sign-in sent (authorization-code flow).
    Equals(&'a Nonce),
    /// None was sent (device code, password): any or none.
    NotSent,
    /// A refreshed ID token: none, or the original sign-in's (OIDC Core §12.2: it "SHOULD NOT have a nonce
    /// Claim … if it is present, its value MUST be the same"; Microsoft does not document which Entra sends).
    Refreshed { original: Option<&'a str> },
}

/// The outcome of checking an ID token: the signature status for the inspector, the checks, and the first
/// failure that makes the token unusable.
pub struct IdTokenCheck {
    pub signature: SignatureStatus,
    pub checks: Vec<Check>,
    pub error: Option<Diagnosis>,
    /// The token taken apart, once it could be: the inspector's view is built from it.
    pub decoded: Option<DecodedJwt>,
}

pub async fn verify(
    raw: &str,
    discovery: &Discovery,
    jwks: &JwksCache,
    client_id: &str,
    nonce: NonceCheck<'_>,
    now: DateTime<Utc>,
) -> IdTokenCheck {
    let mut out = IdTokenCheck {
        signature: SignatureStatus::Unverified { reason: "not checked yet".into() },
        checks: Vec::new(),
        error: None,
        decoded: None,
    };
    let decoded = match decode(raw) {
        Ok(d) => d,
        Err(e) => {
            out.error = Some(Diagnosis::new(
                code::TOKEN_MALFORMED,
                format!("The Entra ID token is malformed: {e}"),
                "Report the raw response to the Entra administrator.",
            ));
            return out;
        }
    };
    // A v1 token fails the issuer check below with a confusing message; name the real cause first.
    let ver = decoded.claim_str("ver").unwrap_or("(missing)").to_owned();
    out.checks.push(Check::new("ver", ver == "2.0", format!("ver is {ver}; IAS expects a v2.0 token")).on("id_token"));
    if ver == "1.0" {
        out.error = Some(Diagnosis::new(
            code::ENTRA_V1_TOKEN,
            "Entra issued a v1.0 token (issuer sts.windows.net), but IAS trusts the v2.0 issuer.",
            "An ID token's version follows the endpoint that issued it (the manifest's `accessTokenAcceptedVersion` concerns access tokens only): the sign-in must use the v2.0 endpoints. Check that the profile's authority serves `{authority}/{tenant}/v2.0/.well-known/openid-configuration` and that its `token_endpoint` ends in `/oauth2/v2.0/token`.",
        ));
        return out;
    }
    match verify_claims(raw, &decoded, discovery, jwks, client_id, nonce, now).await {
        Ok(()) => passed(&mut out, &decoded, &discovery.jwks_uri, client_id, nonce),
        Err(Stopped::Claims(e)) => failed(&mut out, &e, &decoded, &discovery.issuer, client_id),
        Err(Stopped::Before { diagnosis, unverified }) => {
            if let Some(reason) = unverified {
                out.signature = SignatureStatus::Unverified { reason };
            }
            out.error = Some(*diagnosis);
            return out;
        }
    }
    consultant_checks(&mut out, &decoded, client_id, &ver);
    out.decoded = Some(decoded);
    out
}

/// Why [`verify_claims`] reached no verdict, or the verdict against the token.
enum Stopped {
    /// The token, the keys or the issuer could not be used at all.
    /// `unverified`: why the signature could not be checked, when that is the reason.
    Before { diagnosis: Box<Diagnosis>, unverified: Option<String> },
    /// `openidconnect` refused the token.
    Claims(Box<E>),
}

/// `openidconnect`'s verification: signature against the tenant's keys (fetched again once for an unknown
/// `kid`), issuer, audience, expiry with [`LEEWAY`], and the nonce as `nonce` says.
async fn verify_claims(
    raw: &str,
    decoded: &DecodedJwt,
    discovery: &Discovery,
    jwks: &JwksCache,
    client_id: &str,
    nonce: NonceCheck<'_>,
    now: DateTime<Utc>,
) -> Result<(), Stopped> {
    let before = |diagnosis, unverified| Err(Stopped::Before { diagnosis: Box::new(diagnosis), unverified });
    let token: CoreIdToken = match raw.trim().parse() {
        Ok(t) => t,
        Err(e) => {
            return before(
                Diagnosis::new(
                    code::TOKEN_MALFORMED,
                    format!("The Entra ID token cannot be parsed: {e}"),
                    "Check the raw response from Entra.",
                ),
                None,
            )
        }
    };
    let Ok(mut keys) = jwks.get(&discovery.jwks_uri).await else {
        let reason = format!("the keys at {} could not be fetched", discovery.jwks_uri);
        return before(
            Diagnosis::new(
                code::ENTRA_JWKS_UNAVAILABLE,
                format!("Could not fetch Entra's signing keys from {}.", discovery.jwks_uri),
                "Check the network and the authority in the profile.",
            ),
            Some(reason),
        );
    };
    // Discovery checks the issuer is a URL; a document built by hand may still carry anything.
    let issuer = match IssuerUrl::new(discovery.issuer.clone()) {
        Ok(issuer) => issuer,
        Err(e) => {
            return before(
                Diagnosis::new(
                    code::ENTRA_DISCOVERY_MALFORMED,
                    format!("The OpenID configuration names an issuer that is not a URL ({}): {e}", discovery.issuer),
                    "Check the authority: it must serve Entra's v2.0 endpoints.",
                ),
                None,
            )
        }
    };
    let mut refetched = false;
    loop {
        let verifier = IdTokenVerifier::new_public_client(
            ClientId::new(client_id.to_owned()),
            issuer.clone(),
            keys.for_openidconnect(),
        )
        .set_time_fn(move || now.checked_sub_signed(LEEWAY_CHRONO).unwrap_or(now));
        let res = match nonce {
            NonceCheck::Equals(n) => token.claims(&verifier, n).map(|_| ()),
            NonceCheck::NotSent => token.claims(&verifier, |_: Option<&Nonce>| Ok(())).map(|_| ()),
            NonceCheck::Refreshed { original } => token
                .claims(&verifier, |got: Option<&Nonce>| match got {
                    Some(n) if Some(n.secret().as_str()) != original => {
                        Err("a refreshed ID token carries a nonce other than the original sign-in's".to_owned())
                    }
                    _ => Ok(()),
                })
                .map(|_| ()),
        };
        match res {
            Err(E::SignatureVerification(S::NoMatchingKey)) if !refetched => {
                refetched = true;
                match jwks.refresh(&discovery.jwks_uri, decoded.kid()).await {
                    Ok(Some(fresh)) => keys = fresh,
                    _ => return res.map_err(|e| Stopped::Claims(Box::new(e))),
                }
            }
            other => return other.map_err(|e| Stopped::Claims(Box::new(e))),
        }
    }
}

/// The checks of a token `openidconnect` accepted.
fn passed(out: &mut IdTokenCheck, decoded: &DecodedJwt, jwks_uri: &url::Url, client_id: &str, nonce: NonceCheck<'_>) {
    let iss = decoded.claim_str("iss").unwrap_or("(missing)");
    out.signature = SignatureStatus::Verified {
        alg: decoded.alg().unwrap_or_default().to_owned(),
        kid: decoded.kid().map(String::from),
        jwks_uri: jwks_uri.to_string(),
    };
    out.checks.push(
        Check::new("signature", true, format!("signed by the tenant's key {}", decoded.kid().unwrap_or("(no kid)")))
            .on("id_token"),
    );
    out.checks.push(Check::new("iss", true, format!("issuer {iss} is the tenant's v2.0 issuer")).on("id_token"));
    out.checks.push(
        Check::new("aud", true, format!("aud is the Entra app {client_id}, which IAS must trust")).on("id_token"),
    );
    out.checks.push(Check::new("exp", true, "not expired").on("id_token"));
    match nonce {
        NonceCheck::Equals(_) => {
            out.checks.push(Check::new("nonce", true, "nonce matches this sign-in").on("id_token"))
        }
        NonceCheck::Refreshed { .. } => out.checks.push(
            Check::new("nonce", true, "refreshed token: no nonce, or the original sign-in's (OIDC Core §12.2)")
                .on("id_token"),
        ),
        NonceCheck::NotSent => {}
    }
}

/// The checks of a token `openidconnect` refused, and the diagnosis of why.
fn failed(out: &mut IdTokenCheck, e: &E, decoded: &DecodedJwt, expected_iss: &str, client_id: &str) {
    let iss = decoded.claim_str("iss").unwrap_or("(missing)");
    let d = diagnose(e, iss, &decoded.audiences(), expected_iss, client_id);
    out.signature = match e {
        E::SignatureVerification(_) => SignatureStatus::Invalid { reason: e.to_string() },
        _ => SignatureStatus::Unverified { reason: format!("verification stopped: {e}") },
    };
    out.checks.push(Check::new(check_name(e), false, d.message.clone()).on("id_token"));
    out.error = Some(d);
}

/// What `openidconnect` leaves to us (`azp`, OIDC Core §3.1.3.7 item 5; `ver`), and what IAS needs (`email`).
fn consultant_checks(out: &mut IdTokenCheck, decoded: &DecodedJwt, client_id: &str, ver: &str) {
    if let Some(azp) = decoded.claim_str("azp") {
        let ok = azp == client_id;
        out.checks.push(Check::new("azp", ok, format!("azp is {azp}")).on("id_token"));
        if !ok && out.error.is_none() {
            out.error = Some(Diagnosis::new(code::TOKEN_WRONG_AZP, format!("The ID token was issued to {azp}, not to {client_id}."), "Another application's token reached this sign-in: start again, and check the client ID in the profile."));
        }
    }
    let has_email = decoded.claim_str("email").is_some();
    out.checks.push(Check::new("email", has_email, if has_email { "email present (IAS maps users by it)".to_owned() } else { "no email claim: add the `email` scope, and make sure the user has a mail address; IAS usually maps users by email".to_owned() }).on("id_token"));
    if ver != "2.0" && out.error.is_none() {
        out.error = Some(Diagnosis::new(
            code::ENTRA_NOT_V2,
            format!("The ID token has ver {ver}, not 2.0."),
            "Use Entra's v2.0 endpoints.",
        ));
    }
}

fn check_name(e: &E) -> &'static str {
    match e {
        E::Expired(_) => "exp",
        E::InvalidAudience(_) => "aud",
        E::InvalidIssuer(_) => "iss",
        E::InvalidNonce(_) => "nonce",
        _ => "signature",
    }
}

fn diagnose(e: &E, iss: &str, aud: &[String], expected_iss: &str, client_id: &str) -> Diagnosis {
    match e {
        E::Expired(_) => Diagnosis::new(code::TOKEN_EXPIRED, "The Entra ID token has expired.", "Sign in again, and check that this computer's clock is right."),
        E::InvalidAudience(_) => Diagnosis::new(
            code::TOKEN_WRONG_AUDIENCE,
            format!("The ID token's aud is {} but the profile's Entra client ID is {client_id}.", aud.join(", ")),
            "Set the profile's Entra client ID to the app registration you sign in with — the one IAS trusts.",
        ),
        E::InvalidIssuer(_) => Diagnosis::new(
            code::TOKEN_WRONG_ISSUER,
            format!("The ID token's issuer is {iss}, expected {expected_iss}."),
            "Check the tenant in the profile: the token must come from the tenant IAS trusts.",
        ),
        E::InvalidNonce(_) => Diagnosis::new(
            code::TOKEN_NONCE_MISMATCH,
            "The ID token's nonce does not match this sign-in (or is missing).",
            "The response may be replayed from another sign-in: start the sign-in again.",
        ),
        E::SignatureVerification(s) => match s {
            S::NoMatchingKey => Diagnosis::new(code::TOKEN_UNKNOWN_KID, "The ID token is signed with a key the tenant does not publish, even after TokenHop fetched the tenant's keys again.", "The token is not from this tenant: check the tenant and authority in the profile."),
            S::AmbiguousKeyId(_) => Diagnosis::new(code::TOKEN_AMBIGUOUS_KEY, "The ID token names no key (kid) and the tenant publishes several.", "Tokens from Entra always carry a kid: this token is not a genuine Entra token."),
            S::DisallowedAlg(alg) | S::UnsupportedAlg(alg) => Diagnosis::new(code::TOKEN_ALG_NOT_ALLOWED, format!("The ID token is signed with {alg}, which TokenHop never accepts."), "Entra signs with RS256; a token with `none` or HS256 is forged or from another issuer."),
            S::NoSignature => Diagnosis::new(code::TOKEN_ALG_NOT_ALLOWED, "The ID token is not signed (alg none).", "Entra always signs ID tokens: this token must not be trusted."),
            _ => Diagnosis::new(code::TOKEN_BAD_SIGNATURE, format!("The ID token's signature is invalid: {s}"), "The token was altered or signed by someone else: do not use it, and sign in again."),
        },
        other => Diagnosis::new(code::TOKEN_INVALID, format!("The ID token was rejected: {other}"), "Sign in again; if it persists, check the tenant and client ID."),
    }
}

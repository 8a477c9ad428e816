//! The checks of IAS and XSUAA tokens: each token decoded into the outcome, its signature verified against the
//! issuer's keys, and what consultants look at (expiry, `app_tid`, issuer, the trust's audience, scopes).

use std::time::SystemTime;

use serde_json::Value;
use url::Url;

use crate::diagnose::Diagnosis;
use crate::oidc::JwksCache;
use crate::profile::{Profile, TokenFormat};
use crate::report::{Check, SignatureStatus, Step, StepOutcome, TokenString};
use crate::token::{decode, DecodedJwt};
use crate::token_response::TokenResponse;

/// Puts the tokens of a response into the outcome: raw, claims and views. `checked_id_token` is what the Entra
/// ID-token check already found: its signature status and, so it is not decoded again, the token taken apart.
pub(crate) fn add_tokens(
    out: &mut StepOutcome,
    tokens: &TokenResponse,
    mut checked_id_token: Option<(SignatureStatus, Option<DecodedJwt>)>,
) {
    for (name, value) in [
        ("id_token", &tokens.id_token),
        ("access_token", &tokens.access_token),
        ("refresh_token", &tokens.refresh_token),
    ] {
        let Some(value) = value else { continue };
        let raw = value.expose_secret();
        out.tokens.insert(name.to_owned(), TokenString(raw.to_owned()));
        let (signature, decoded) = match checked_id_token.take_if(|_| name == "id_token") {
            Some((signature, decoded)) => (signature, decoded.or_else(|| decode(raw).ok())),
            None => {
                let decoded = decode(raw).ok();
                let reason =
                    if decoded.is_some() { "not checked yet" } else { "opaque token: only its issuer can read it" };
                (SignatureStatus::Unverified { reason: reason.into() }, decoded)
            }
        };
        let view = crate::token::decode::view(name, raw, decoded, signature);
        if let Some(claims) = &view.claims {
            out.claims.insert(name.to_owned(), claims.clone());
        }
        out.views.push(view);
    }
}

/// Checks every unverified JWT of the outcome against the issuer's keys, refetching once on an unknown kid.
/// `ias_client_id` is set for IAS, whose keys request carries `x-client_id`, `x-app_tid` and `x-azp` as SAP's
/// security libraries send them (`SapIdJwtSignatureValidator`, `@sap/xssec` `fetchJwks`).
pub(crate) async fn verify_outcome(
    jwks: &JwksCache,
    out: &mut StepOutcome,
    keys_url: &Url,
    ias_client_id: Option<&str>,
) {
    for view in out.views.iter_mut().filter(|v| v.claims.is_some() && v.name != "refresh_token") {
        let raw = view.raw.expose().to_owned();
        let claim = |name: &str| view.claims.as_ref()?.get(name)?.as_str().map(str::to_owned);
        let headers: Vec<(&str, String)> = match ias_client_id {
            None => vec![],
            Some(client_id) => {
                [("x-client_id", Some(client_id.to_owned())), ("x-app_tid", claim("app_tid")), ("x-azp", claim("azp"))]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect()
            }
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        view.signature = crate::token::inspect::verify_at(jwks, &raw, keys_url, &headers).await;
        let ok = matches!(view.signature, SignatureStatus::Verified { .. });
        let detail = match &view.signature {
            SignatureStatus::Verified { kid, .. } => {
                format!("signed by the issuer's key {}", kid.as_deref().unwrap_or("(no kid)"))
            }
            SignatureStatus::Invalid { reason } | SignatureStatus::Unverified { reason } => reason.clone(),
        };
        out.checks.push(Check::new("signature", ok, detail).on(view.name.clone()));
    }
}

/// What consultants check on IAS and XSUAA tokens, each with a sentence.
pub(crate) fn service_checks(now: SystemTime, profile: &Profile, out: &mut StepOutcome) {
    let now = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    for view in &out.views {
        if let Some(exp) = view.expires_at {
            // `exp` is whatever the server wrote: saturate rather than overflow.
            let mins = exp.saturating_sub(now) / 60;
            let (ok, detail) = if exp > now {
                (true, format!("expires in {mins} min"))
            } else {
                (false, format!("expired {} min ago", mins.saturating_neg()))
            };
            out.checks.push(Check::new("exp", ok, detail).on(view.name.clone()));
        }
    }
    let id_claims = out.claims.get("id_token").cloned();
    match out.step {
        Step::Ias => {
            if let Some(c) = &id_claims {
                let app_tid = c.get("app_tid").and_then(Value::as_str);
                out.checks.push(
                    Check::new(
                        "app_tid",
                        true,
                        match app_tid {
                            Some(t) => format!("app_tid {t} (sent to XSUAA as X-zid)"),
                            None => {
                                "no app_tid: X-zid is not sent, so XSUAA takes the zone from its own host name".into()
                            }
                        },
                    )
                    .on("id_token"),
                );
                out.checks.extend(ias_issuer_check(profile, c));
                if let Some(check) = trust_audience_check(profile, c) {
                    out.checks.push(check);
                }
            } else {
                out.checks.push(
                    Check::new("id_token", false, "IAS returned no ID token, which the XSUAA exchange needs")
                        .on("id_token"),
                );
            }
            if profile.ias.as_ref().is_some_and(|i| i.token_format == TokenFormat::Jwt)
                && !out.claims.contains_key("access_token")
            {
                out.checks.push(
                    Check::new("token_format", false, "the access token is opaque although token_format=jwt was asked")
                        .on("access_token"),
                );
            }
        }
        Step::Xsuaa => {
            if let Some(c) = out.claims.get("access_token") {
                let scopes: Vec<&str> = c
                    .get("scope")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                out.checks.push(
                    Check::new(
                        "scope",
                        !scopes.is_empty(),
                        if scopes.is_empty() {
                            "no scopes: assign role collections to the user".into()
                        } else {
                            scopes.join(" ")
                        },
                    )
                    .on("access_token"),
                );
            }
        }
        _ => {}
    }
    if let Some(bad) = out.views.iter().find(|v| matches!(v.signature, SignatureStatus::Invalid { .. })) {
        if let SignatureStatus::Invalid { reason } = &bad.signature {
            out.error = Some(Diagnosis::new(
                out.step.bad_signature_code(),
                format!("The {} from {} fails signature verification: {reason}", bad.name, out.step),
                "The token does not verify against the issuer's published keys: check the URL in the profile points at the tenant that issued it.",
            ));
        }
    }
}

/// The IAS token's issuer is the profile's IAS tenant: `iss`, or `ias_iss`, which names the SAP tenant when a custom
/// domain issued the token. Some tenants write `iss` without a scheme (SAP's security library issues #544, #797); IAS
/// itself calls such a tenant not OIDC-compliant.
fn ias_issuer_check(profile: &Profile, claims: &Value) -> Option<Check> {
    let expected = profile.ias.as_ref()?.url.trim().trim_end_matches('/');
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("(none)");
    if !iss.contains("://") {
        return Some(Check::new("iss", false, format!(
            "iss {iss} has no https:// scheme, so the tenant is not OIDC-compliant and integrations that compare issuers (XSUAA's trust) fail: \
             set the tenant's issuer to its https URL (Tenant Settings → OpenID Connect) or Enforce Compliant OIDC Issuer on the application"
        )).on("id_token"));
    }
    let ias_iss = claims.get("ias_iss").and_then(Value::as_str);
    let ok = [Some(iss), ias_iss].into_iter().flatten().any(|i| i.trim_end_matches('/') == expected);
    let detail =
        if ok { format!("issued by {iss}") } else { format!("iss {iss} is not the profile's IAS tenant {expected}") };
    Some(Check::new("iss", ok, detail).on("id_token"))
}

/// XSUAA accepts the IAS token only if its `aud` holds the relying party of the subaccount's OIDC trust to IAS
/// (UAA `ExternalOAuthAuthenticationManager`: `checkAudience(config.getRelyingPartyId())`), not the XSUAA client.
fn trust_audience_check(profile: &Profile, claims: &Value) -> Option<Check> {
    let relying_party = profile.xsuaa.as_ref()?.relying_party(profile.ias.as_ref())?;
    let auds = decode_audiences(claims);
    let ok = auds.iter().any(|a| a == relying_party);
    let detail = if ok {
        format!("aud contains {relying_party}, the relying party of the subaccount's trust to IAS, as XSUAA requires")
    } else {
        format!(
            "aud ({}) lacks {relying_party}, the relying party of the subaccount's trust to IAS: XSUAA will answer \"Some parties were not in the token audience\"",
            auds.join(", ")
        )
    };
    Some(Check::new("aud_trust", ok, detail).on("id_token"))
}

fn decode_audiences(claims: &Value) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => vec![],
    }
}

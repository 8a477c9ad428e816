//! Minting signed tokens, honest or broken by the active `Tamper`s.
//!
//! Every service builds its claims, then calls `mint`; the tamper list is empty unless a test asked
//! for a fault. Tampers are applied in order, so `SetClaim` after `Expired` wins.

use serde_json::{json, Map, Value};

use crate::faults::Tamper;
use crate::jwt::{hs256, rs256, signing_input};
use crate::keys::Key;

/// The key a token is signed with, and the header parameters its issuer adds.
pub(crate) struct Signer<'a> {
    pub key: &'a Key,
    /// The unpublished key `WrongKey` signs with.
    pub rogue: &'a Key,
    /// Extra header parameters (XSUAA adds `jku`).
    pub header: Map<String, Value>,
}

enum Alg {
    Rs256,
    Hs256,
    None,
}

/// Signs `claims` as a compact JWS (RS256, `typ` JWT, `kid`) with the tampers applied.
pub(crate) fn mint(claims: Map<String, Value>, signer: &Signer<'_>, tampers: &[Tamper]) -> String {
    let mut header = Map::new();
    header.insert("alg".into(), json!("RS256"));
    header.insert("typ".into(), json!("JWT"));
    header.insert("kid".into(), json!(signer.key.kid));
    header.extend(signer.header.clone());
    let mut claims = claims;
    let mut key = signer.key;
    let mut alg = Alg::Rs256;
    for tamper in tampers {
        match tamper {
            Tamper::WrongKey => key = signer.rogue,
            Tamper::DropClaim { claim } => {
                claims.remove(claim);
            }
            Tamper::SetClaim { claim, value } => {
                claims.insert(claim.clone(), value.clone());
            }
            Tamper::DropHeader { name } => {
                header.remove(name);
            }
            Tamper::SetHeader { name, value } => {
                header.insert(name.clone(), value.clone());
            }
            Tamper::Expired => expire(&mut claims),
            Tamper::AlgNone => {
                alg = Alg::None;
                header.insert("alg".into(), json!("none"));
            }
            Tamper::Hs256 => {
                alg = Alg::Hs256;
                header.insert("alg".into(), json!("HS256"));
            }
            Tamper::NoKidTwoKeys => {
                header.remove("kid");
            }
            Tamper::V1Token => make_v1(&mut claims),
        }
    }
    let input = signing_input(&Value::Object(header), &Value::Object(claims));
    let signature = match alg {
        Alg::Rs256 => rs256(key, input.as_bytes()),
        // Key confusion: the "secret" is the public modulus a verifier could find in the JWKS.
        Alg::Hs256 => hs256(key.n.as_bytes(), input.as_bytes()),
        Alg::None => Vec::new(),
    };
    format!("{input}.{}", crate::jwt::b64(signature))
}

/// Shifts `iat`/`nbf`/`exp` so the token was issued two hours ago and expired one hour ago.
fn expire(claims: &mut Map<String, Value>) {
    let shift = |claims: &mut Map<String, Value>, name: &str, by: i64| {
        if let Some(v) = claims.get(name).and_then(Value::as_i64) {
            claims.insert(name.into(), json!(v + by));
        }
    };
    let (iat, exp) = (claims.get("iat").and_then(Value::as_i64), claims.get("exp").and_then(Value::as_i64));
    let now = iat.unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp());
    let lifetime = exp.map(|e| e - now).unwrap_or(3600);
    let by = -(7200i64).max(lifetime + 3600);
    shift(claims, "iat", by);
    shift(claims, "nbf", by);
    shift(claims, "auth_time", by);
    claims.insert("exp".into(), json!(now - 3600));
}

/// Reshapes an Entra v2.0 ID token as the v1.0 endpoint would issue it.
fn make_v1(claims: &mut Map<String, Value>) {
    let tid = claims.get("tid").and_then(Value::as_str).unwrap_or_default().to_string();
    claims.insert("iss".into(), json!(format!("https://sts.windows.net/{tid}/")));
    claims.insert("ver".into(), json!("1.0"));
    if let Some(upn) = claims.remove("preferred_username") {
        claims.insert("upn".into(), upn.clone());
        claims.insert("unique_name".into(), upn);
    }
}

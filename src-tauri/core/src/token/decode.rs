//! Decoding a JWT (RFC 7519 §7.2 steps 1–8, without the signature check): three base64url segments whose
//! first two are JSON objects. Nothing here says the token is genuine; see `verify`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::report::{SignatureStatus, TokenString, TokenView};

/// A JWT taken apart.
#[derive(Debug, Clone)]
pub struct DecodedJwt {
    pub header: Value,
    pub claims: Value,
}

impl DecodedJwt {
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }

    /// `aud` as a list, whether the token carries a string or an array.
    pub fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not three dot-separated parts: an opaque token, or text that is no token.
    #[error("this is not a JWT: it has {parts} part(s) separated by dots instead of three")]
    NotJwt { parts: usize },
    /// A part is not base64url.
    #[error("the {part} of the JWT is not valid base64url")]
    Base64 { part: &'static str },
    /// A part is not a JSON object.
    #[error("the {part} of the JWT is not a JSON object")]
    Json { part: &'static str },
}

pub fn decode(raw: &str) -> Result<DecodedJwt, DecodeError> {
    let [header, payload, _] = parts(raw)?;
    Ok(DecodedJwt { header: segment(header, "header")?, claims: segment(payload, "payload")? })
}

/// The header alone, for a signature check that has no use for the claims.
pub fn decode_header(raw: &str) -> Result<Value, DecodeError> {
    let [header, _, _] = parts(raw)?;
    segment(header, "header")
}

fn parts(raw: &str) -> Result<[&str; 3], DecodeError> {
    let parts: Vec<&str> = raw.trim().split('.').collect();
    parts.try_into().map_err(|parts: Vec<&str>| DecodeError::NotJwt { parts: parts.len() })
}

fn segment(part: &str, name: &'static str) -> Result<Value, DecodeError> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| DecodeError::Base64 { part: name })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(DecodeError::Json { part: name }),
    }
}

/// The inspector's view of a token, from its [`decode`] (`None` for an opaque token, which gets no header or
/// claims).
pub fn view(name: &str, raw: &str, decoded: Option<DecodedJwt>, signature: SignatureStatus) -> TokenView {
    TokenView {
        name: name.to_owned(),
        raw: TokenString(raw.to_owned()),
        issued_at: decoded.as_ref().and_then(|d| d.claim_i64("iat")),
        expires_at: decoded.as_ref().and_then(|d| d.claim_i64("exp")),
        header: decoded.as_ref().map(|d| d.header.clone()),
        claims: decoded.map(|d| d.claims),
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(v: &str) -> String {
        URL_SAFE_NO_PAD.encode(v)
    }

    #[test]
    fn decodes_header_and_claims_without_trusting_them() {
        let raw = format!("{}.{}.sig", b64(r#"{"alg":"RS256","kid":"k1"}"#), b64(r#"{"aud":["a","b"],"exp":5}"#));
        let jwt = decode(&raw).unwrap();
        assert_eq!(jwt.alg(), Some("RS256"));
        assert_eq!(jwt.kid(), Some("k1"));
        assert_eq!(jwt.audiences(), vec!["a", "b"]);
        assert_eq!(jwt.claim_i64("exp"), Some(5));
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        let cases = [
            ("opaque-token", DecodeError::NotJwt { parts: 1 }),
            ("a.b", DecodeError::NotJwt { parts: 2 }),
            ("!!!.e30.x", DecodeError::Base64 { part: "header" }),
            (&*format!("{}.{}.x", b64("[1]"), b64("{}")), DecodeError::Json { part: "header" }),
            (&*format!("{}.{}.x", b64("{}"), b64("{truncated")), DecodeError::Json { part: "payload" }),
        ];
        for (raw, want) in cases {
            assert_eq!(decode(raw).unwrap_err(), want, "{raw}");
        }
    }
}

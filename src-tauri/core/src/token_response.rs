//! The pieces every token request shares: the token response (RFC 6749 §5.1, plus `id_token` of OIDC Core
//! §3.1.3.3), turning a failed response into a diagnosis, and the redacted record of the exchange.

use serde::Deserialize;

use crate::diagnose::{code, unexpected_body, Diagnosis};
use crate::http::HttpResponse;
use crate::report::HttpRecord;
use crate::secrets::Secret;

/// A successful token response. Tokens are held as [`Secret`]s until they are put into a report.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub access_token: Option<Secret>,
    #[serde(default)]
    pub id_token: Option<Secret>,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
    #[serde(default)]
    pub scope: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// Reads a token endpoint's answer: tokens, or a diagnosis made by `on_error` from an OAuth error body,
/// or by `unexpected_body` from anything that is not JSON (HTML pages, truncated bodies, 5xx).
pub fn read_token_response(
    service: &str,
    resp: &HttpResponse,
    on_error: impl Fn(u16, &str) -> Diagnosis,
) -> Result<TokenResponse, Diagnosis> {
    let json: Option<serde_json::Value> = serde_json::from_str(&resp.body).ok();
    let Some(json) = json.filter(serde_json::Value::is_object) else {
        return Err(unexpected_body(service, resp.status, resp.header("content-type"), &resp.body));
    };
    if !resp.is_success() || json.get("error").is_some() {
        return Err(on_error(resp.status, &resp.body));
    }
    let tokens: TokenResponse = serde_json::from_value(json).map_err(|e| {
        Diagnosis::new(
            code::OAUTH_MALFORMED_RESPONSE,
            format!("{service} answered with JSON that is not a token response: {e}"),
            "Check that the URL points at the token endpoint of the right service.",
        )
    })?;
    if tokens.access_token.is_none() && tokens.id_token.is_none() {
        return Err(Diagnosis::new(
            code::OAUTH_NO_TOKENS,
            format!("{service} answered HTTP {} but returned no token.", resp.status),
            "Check the grant type and scopes the application is allowed.",
        ));
    }
    Ok(tokens)
}

const SECRET_FIELDS: [&str; 9] = [
    "client_secret",
    "client_assertion",
    "assertion",
    "code",
    "code_verifier",
    "refresh_token",
    "password",
    "device_code",
    "access_token",
];
const TOKEN_FIELDS: [&str; 4] = ["access_token", "id_token", "refresh_token", "device_code"];

/// The exchange as it crossed the wire, with every secret and token replaced by `***`.
pub fn record(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
    resp: Option<&HttpResponse>,
) -> HttpRecord {
    let redact_header = |k: &str, v: &str| {
        if k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("x-approuter-authorization") {
            format!("{} ***", v.split_whitespace().next().unwrap_or(""))
        } else {
            v.to_owned()
        }
    };
    HttpRecord {
        method: method.to_owned(),
        url: url.to_owned(),
        request_headers: headers.iter().map(|(k, v)| (k.to_string(), redact_header(k, v))).collect(),
        request_body: form.map(|pairs| {
            let shown: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (*k, if SECRET_FIELDS.contains(k) { "***" } else { *v })).collect();
            crate::http::form_urlencode(&shown)
        }),
        status: resp.map(|r| r.status),
        response_headers: resp.map(|r| r.headers.clone()).unwrap_or_default(),
        response_body: resp.map(|r| redact_tokens_in_body(&r.body)),
    }
}

/// Replaces token values in a JSON body; other bodies are kept (capped at 64 KiB).
pub fn redact_tokens_in_body(body: &str) -> String {
    const CAP: usize = 64 * 1024;
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            for field in TOKEN_FIELDS {
                if let Some(v) = map.get_mut(field) {
                    *v = serde_json::Value::String("***".into());
                }
            }
            serde_json::to_string_pretty(&map).unwrap_or_default()
        }
        _ => {
            let mut end = body.len().min(CAP);
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body[..end].to_owned()
        }
    }
}

//! What the sandbox last issued and received, for assertions in tests (like kubelogin's test IdP).
//!
//! Requests are recorded with their secrets (`client_secret`, `password`, Basic credentials) replaced
//! by `***`; tokens are recorded as issued, since they are the sandbox's own. `Debug` shows only
//! token lengths.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A service of the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Entra,
    Ias,
    Xsuaa,
    Api,
}

/// Tokens one service issued in its last successful token response.
#[derive(Clone, Default, PartialEq, Serialize)]
pub struct TokensSeen {
    pub access_token: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
}

impl fmt::Debug for TokensSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = |t: &Option<String>| t.as_ref().map(String::len);
        f.debug_struct("TokensSeen")
            .field("access_token_len", &self.access_token.len())
            .field("id_token_len", &len(&self.id_token))
            .field("refresh_token_len", &len(&self.refresh_token))
            .finish()
    }
}

/// A request one of the token endpoints received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestSeen {
    pub service: Service,
    pub path: String,
    /// `basic`, `post` or `none`.
    pub client_auth: String,
    /// The client id, from the form or the decoded Basic credentials.
    pub client_id: Option<String>,
    /// The form parameters, secrets replaced by `***`.
    pub form: BTreeMap<String, String>,
    pub origin: Option<String>,
    pub x_zid: Option<String>,
}

impl RequestSeen {
    pub fn grant_type(&self) -> Option<&str> {
        self.form.get("grant_type").map(String::as_str)
    }
}

/// A call to the API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiCallSeen {
    /// `authorization` or `x-approuter-authorization`, or empty when no token came.
    pub header: String,
    pub status: u16,
}

/// A request for IAS's keys, with the headers SAP's security libraries send (`x-client_id`, `x-app_tid`,
/// `x-azp`; SAP Java `SapIdJwtSignatureValidator`, `@sap/xssec` `IdentityService.fetchJwks`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KeysRequestSeen {
    pub x_client_id: Option<String>,
    pub x_app_tid: Option<String>,
    pub x_azp: Option<String>,
}

/// Everything recorded so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Issued {
    /// The query of the last authorize request.
    pub authorize: Option<BTreeMap<String, String>>,
    pub entra: Option<TokensSeen>,
    pub ias: Option<TokensSeen>,
    pub xsuaa: Option<TokensSeen>,
    /// Token requests in arrival order (the last 100).
    pub requests: Vec<RequestSeen>,
    pub api_calls: Vec<ApiCallSeen>,
    /// Requests for IAS's keys (the last 100).
    pub ias_keys_requests: Vec<KeysRequestSeen>,
}

impl Issued {
    /// The last token request a service received.
    pub fn last_request(&self, service: Service) -> Option<&RequestSeen> {
        self.requests.iter().rev().find(|r| r.service == service)
    }

    pub(crate) fn record_keys_request(&mut self, request: KeysRequestSeen) {
        if self.ias_keys_requests.len() >= 100 {
            self.ias_keys_requests.remove(0);
        }
        self.ias_keys_requests.push(request);
    }

    pub(crate) fn record(&mut self, request: RequestSeen) {
        if self.requests.len() >= 100 {
            self.requests.remove(0);
        }
        self.requests.push(request);
    }
}

impl Issued {
    /// A copy for outside eyes (the control endpoint): every token and every secret form value — codes,
    /// verifiers, assertions, refresh tokens — replaced by `***`.
    pub fn redacted(&self) -> Issued {
        const HIDDEN: &str = "***";
        let tokens = |t: &Option<TokensSeen>| {
            t.as_ref().map(|_| TokensSeen {
                access_token: HIDDEN.into(),
                id_token: Some(HIDDEN.into()),
                refresh_token: Some(HIDDEN.into()),
            })
        };
        let mut out = self.clone();
        out.entra = tokens(&self.entra);
        out.ias = tokens(&self.ias);
        out.xsuaa = tokens(&self.xsuaa);
        for request in &mut out.requests {
            for (key, value) in request.form.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) || OUTSIDE_SECRET_FIELDS.contains(&key.as_str()) {
                    *value = HIDDEN.into();
                }
            }
        }
        out
    }
}

/// Form keys recorded for in-process tests, but redacted for the control endpoint.
const OUTSIDE_SECRET_FIELDS: [&str; 6] =
    ["code", "code_verifier", "assertion", "refresh_token", "device_code", "subject_token"];

/// Form keys whose values are never recorded.
pub(crate) const SECRET_FIELDS: [&str; 3] = ["client_secret", "password", "client_assertion"];

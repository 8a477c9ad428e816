//! What a run produces: one [`StepOutcome`] per hop of the chain, and the [`Progress`] events sent while
//! it runs. These are the shapes the UI, the CLI's `run --json` and the exports consume (DESIGN §3).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::diagnose::{code, Code, Diagnosis};

/// The hops of the chain, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Entra,
    Ias,
    Xsuaa,
    Api,
}

impl Step {
    /// A hop was asked for that the profile does not configure. (A profile cannot lack `[entra]`: it does not parse.)
    pub fn not_configured_code(self) -> Code {
        match self {
            Self::Ias => code::IAS_NOT_CONFIGURED,
            Self::Xsuaa => code::XSUAA_NOT_CONFIGURED,
            Self::Api | Self::Entra => code::API_NOT_CONFIGURED,
        }
    }

    /// A token of an IAS or XSUAA answer fails signature verification.
    pub fn bad_signature_code(self) -> Code {
        match self {
            Self::Xsuaa => code::XSUAA_BAD_SIGNATURE,
            _ => code::IAS_BAD_SIGNATURE,
        }
    }

    /// `run --refresh` found no kept refresh token for the hop.
    pub fn no_refresh_token_code(self) -> Code {
        match self {
            Self::Xsuaa => code::XSUAA_NO_REFRESH_TOKEN,
            _ => code::IAS_NO_REFRESH_TOKEN,
        }
    }

    pub const ALL: [Step; 4] = [Step::Entra, Step::Ias, Step::Xsuaa, Step::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entra => "entra",
            Self::Ias => "ias",
            Self::Xsuaa => "xsuaa",
            Self::Api => "api",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token as issued. Serializes as the plain string (the user asked for it), but `Debug` redacts it
/// so that a stray `{:?}` in a log line cannot leak it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(transparent)]
#[ts(type = "string")]
pub struct TokenString(pub String);

impl TokenString {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenString([redacted {} chars])", self.0.len())
    }
}

/// One named check on a token or a response, with a sentence a consultant can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Check {
    /// Short and stable: `ver`, `aud`, `iss`, `exp`, `signature`, `email`, `app_tid`, `aud_trust`, …
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// The token the check concerns (`id_token`, `access_token`, …), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub token: Option<String>,
}

impl Check {
    pub fn new(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> Self {
        Self { name: name.into(), ok, detail: detail.into(), token: None }
    }

    pub fn on(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

/// Whether a JWT's signature was checked against its issuer's published keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Verified with the key `kid` from `jwks_uri`.
    Verified { alg: String, kid: Option<String>, jwks_uri: String },
    /// Checked and wrong: the token must not be trusted.
    Invalid { reason: String },
    /// Not checked: unknown issuer, no network, or the caller did not ask.
    Unverified { reason: String },
}

/// A decoded token: header, claims, signature status. Opaque tokens have no header or claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenView {
    /// `id_token`, `access_token`, `refresh_token`, or `pasted` in the decoder.
    pub name: String,
    pub raw: TokenString,
    /// `None` for opaque tokens.
    #[ts(type = "Record<string, unknown> | null")]
    pub header: Option<serde_json::Value>,
    #[ts(type = "Record<string, unknown> | null")]
    pub claims: Option<serde_json::Value>,
    pub signature: SignatureStatus,
    /// Unix seconds from `iat` / `exp`, for the UI's countdown.
    #[ts(type = "number | null")]
    pub issued_at: Option<i64>,
    #[ts(type = "number | null")]
    pub expires_at: Option<i64>,
}

/// An HTTP request and its response as they crossed the wire, secrets redacted, body capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HttpRecord {
    pub method: String,
    pub url: String,
    /// Header name → value, `authorization` and secrets replaced by `***`.
    pub request_headers: Vec<(String, String)>,
    /// The form body with secret fields (`client_secret`, `assertion`, `code`, …) replaced by `***`.
    pub request_body: Option<String>,
    #[ts(type = "number | null")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The first 64 KiB of the body, tokens replaced by `***` for token endpoints.
    pub response_body: Option<String>,
}

/// How the Entra step signed the user in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SignInMethod {
    /// With the cached sign-in's refresh token: no browser.
    Silent,
    /// Authorization code + PKCE in the browser.
    Browser,
    DeviceCode,
    Password,
}

/// The Entra step's sign-in: how, and, when the cached sign-in could not be used, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SignInInfo {
    pub method: SignInMethod,
    /// Why the cached sign-in was not used (Entra's answer when it refused the refresh token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fallback_reason: Option<String>,
}

/// What one hop produced. Serialized, it is a `steps[]` entry of `run --json` (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StepOutcome {
    pub step: Step,
    pub ok: bool,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// Token name → raw token (`id_token`, `access_token`, `refresh_token`).
    pub tokens: BTreeMap<String, TokenString>,
    /// Token name → decoded claims, for JWTs.
    #[ts(type = "Record<string, Record<string, unknown>>")]
    pub claims: BTreeMap<String, serde_json::Value>,
    /// Every token decoded, for the inspector.
    pub views: Vec<TokenView>,
    pub checks: Vec<Check>,
    /// The HTTP exchange behind the step (the token request, or the API call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub http: Option<HttpRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<Diagnosis>,
    /// The Entra step only: how the user was signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sign_in: Option<SignInInfo>,
}

impl StepOutcome {
    /// A hop that failed before it produced anything.
    pub fn failed(step: Step, d: Diagnosis) -> Self {
        Self { error: Some(d), ..Self::new(step) }
    }

    pub fn new(step: Step) -> Self {
        Self {
            step,
            ok: false,
            elapsed_ms: 0,
            tokens: BTreeMap::new(),
            claims: BTreeMap::new(),
            views: Vec::new(),
            checks: Vec::new(),
            http: None,
            error: None,
            sign_in: None,
        }
    }

    pub fn token(&self, name: &str) -> Option<&str> {
        self.tokens.get(name).map(TokenString::expose)
    }
}

/// The whole run. `ok` is true only when every step asked for succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunReport {
    pub ok: bool,
    pub profile: String,
    pub steps: Vec<StepOutcome>,
    /// RFC 3339 start time of the run.
    pub started_at: String,
}

impl RunReport {
    pub fn step(&self, step: Step) -> Option<&StepOutcome> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// Where the chain reports its progress: the app forwards it to the page, the CLI writes it to stderr.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// Live progress of a run, in the order it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Progress {
    StepStarted {
        step: Step,
    },
    /// Another profile's sign-in has the person's attention (`behind`); this one waits its turn.
    SignInQueued {
        behind: String,
    },
    /// This profile's turn to sign in with the person: the browser or device code is for it now.
    SignInTurn,
    /// The authorization URL, for the user to open by hand if the browser did not start.
    BrowserOpened {
        url: String,
    },
    BrowserFailed {
        url: String,
        reason: String,
    },
    WaitingForSignIn {
        redirect_uri: String,
    },
    DeviceCode {
        user_code: String,
        verification_uri: String,
        message: String,
    },
    CallbackReceived,
    /// A request is on its way (`exchanging at IAS`, …).
    Request {
        step: Step,
        url: String,
    },
    Warning {
        step: Step,
        message: String,
    },
    StepFinished {
        outcome: Box<StepOutcome>,
    },
}

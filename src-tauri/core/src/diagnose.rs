//! Diagnoses: what happened, the likely cause and the fix, for people rather than logs.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A failure explained. `code` is stable (`entra.redirect_mismatch`, `xsuaa.unmapped_issuer`, …) so that
/// the UI and scripts can branch on it; `message` says what happened, `hint` the likely cause and fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Diagnosis {
    pub code: String,
    pub message: String,
    pub hint: String,
    /// The server's response verbatim (status line and body), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub raw: Option<String>,
}

impl Diagnosis {
    pub fn new(code: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), hint: hint.into(), raw: None }
    }

    pub fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }
}

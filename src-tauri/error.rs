//! `AppError`: every failure a command returns, serialized as `{code, message, hint}` for the UI.

use serde::Serialize;
use tokenhop_core::Diagnosis;

/// What the UI shows: what happened, then the likely cause and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl AppError {
    pub fn new(code: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), hint: hint.into() }
    }
}

impl From<Diagnosis> for AppError {
    fn from(d: Diagnosis) -> Self {
        Self { code: d.code, message: d.message, hint: d.hint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_error_serializes_as_code_message_hint() {
        let json = serde_json::to_value(AppError::new("profile.not_found", "No profile named dev", "Check the name"))
            .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "profile.not_found", "message": "No profile named dev", "hint": "Check the name"}),
            "the UI's AppError type relies on exactly this shape"
        );
    }
}

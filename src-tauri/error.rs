//! `AppError`: every failure a command returns, serialized as `{code, message, hint}` for the UI.

use serde::Serialize;
use tokenhop_core::diagnose::{Code, Diagnose};

/// What the UI shows: what happened, then the likely cause and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl AppError {
    pub fn new(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { code: code.as_str().to_owned(), message: message.into(), hint: hint.into() }
    }
}

/// Every engine error reaches the UI as its diagnosis.
impl<E: Diagnose> From<E> for AppError {
    fn from(e: E) -> Self {
        let d = e.diagnosis();
        Self { code: d.code, message: d.message, hint: d.hint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenhop_core::diagnose::code;
    use tokenhop_core::export::ExportError;
    use tokenhop_core::profile::ProfileError;

    #[test]
    fn app_error_serializes_as_code_message_hint() {
        let json =
            serde_json::to_value(AppError::new(code::PROFILE_NOT_FOUND, "No profile named dev", "Check the name"))
                .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "profile.not_found", "message": "No profile named dev", "hint": "Check the name"}),
            "the UI's AppError type relies on exactly this shape"
        );
    }

    #[test]
    fn profile_errors_keep_their_diagnosis_code_and_hint() {
        let err: AppError = ProfileError::NotFound { name: "dev".into() }.into();
        assert_eq!(err.code, "profile.not_found");
        assert!(err.message.contains("dev"), "the message names the profile: {}", err.message);
        assert!(!err.hint.is_empty(), "a hint tells the user what to do");
    }

    #[test]
    fn export_errors_become_sentences_with_their_code() {
        let err: AppError = ExportError::NoTokens.into();
        assert_eq!(err.code, "export.no_tokens");
        assert_eq!(err.message, "The run produced no tokens to export");
    }
}

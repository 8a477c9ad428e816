//! The TokenHop engine: Entra ID sign-in, the jwt-bearer exchanges at SAP IAS and XSUAA, the API call,
//! token decoding and checks, diagnoses, profiles, secrets and exports.
//!
//! Nothing here knows about Tauri: the desktop shell and the CLI both drive this crate.

pub mod diagnose;
pub mod export;
pub mod profile;
pub mod report;
pub mod secret;
pub mod secrets;

pub use diagnose::Diagnosis;
pub use report::{Check, RunReport, Step, StepOutcome, TokenView};
pub use secret::Secret;

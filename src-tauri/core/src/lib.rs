//! The TokenHop engine: Entra ID sign-in, the jwt-bearer exchanges at SAP IAS and XSUAA, the API call,
//! token decoding and checks, diagnoses, profiles, secrets and exports.
//!
//! Nothing here knows about Tauri: the desktop shell and the CLI both drive this crate.

pub mod app_info;
pub mod browser;
pub mod btp_api;
pub mod certificate;
pub mod chain;
pub mod client_assertion;
pub mod compare;
pub mod diagnose;
pub mod draft_secrets;
pub mod engine;
pub mod entra;
pub mod exchange;
pub mod export;
pub mod history;
mod hop;
pub mod http;
pub mod keep;
pub mod matrix;
pub mod oidc;
pub mod profile;
pub mod profiles;
pub mod progress;
pub mod redact;
pub mod refresh;
pub mod report;
pub mod run_clock;
pub mod secrets;
pub mod service;
pub mod token;
mod token_checks;
pub mod token_request;
pub mod token_response;

pub use diagnose::Diagnosis;
pub use engine::{Engine, RunRequest, SignInPolicy};

/// The clock every check and every signed assertion uses; tests pin it.
pub type Clock = std::sync::Arc<dyn Fn() -> std::time::SystemTime + Send + Sync>;
pub use report::{Check, Progress, RunReport, Step, StepOutcome, TokenView};
pub use secrets::Secret;

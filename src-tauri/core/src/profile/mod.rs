//! Profiles: one TOML file per tenant set-up (DESIGN §3 "Profile files").
//!
//! `model` holds the types; `validate` checks them with messages that name the field and the fix;
//! `file` parses and writes one file atomically; `store` manages the directory of them; `service_key`
//! turns a pasted BTP service key into a profile section. No secret is ever part of a profile.

pub mod error;
pub mod file;
mod index;
pub mod model;
pub mod service_key;
pub mod store;
mod summary;
pub mod validate;

pub use error::ProfileError;
pub use model::*;
pub use service_key::{
    apply_service_key, parse_service_key, AppliedKey, Credential, ServiceKey, ServiceKeyError, ServiceKeyView,
};
pub use store::{ProfileStore, APP_IDENTIFIER, CONFIG_DIR_ENV};
pub use summary::{ProfileList, ProfileLoadError, ProfileSummary};
pub use validate::{validate, FieldError};

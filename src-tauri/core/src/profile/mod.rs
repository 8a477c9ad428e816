//! Profiles: one TOML file per tenant set-up (DESIGN §3 "Profile files").
//!
//! `model` holds the types; `validate` checks them with messages that name the field and the fix;
//! `store` reads and writes the files atomically; `service_key` turns a pasted BTP service key into
//! a profile section. No secret is ever part of a profile.

pub mod model;

pub use model::*;

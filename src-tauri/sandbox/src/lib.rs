//! `tokenhop-sandbox`: simulated Entra ID v2.0, SAP IAS, XSUAA and a BTP sample API on 127.0.0.1,
//! speaking the real wire protocols and enforcing the real trust rules of DESIGN §1, so that the engine,
//! the app, e2e tests and newman can run the whole chain without a tenant.
//!
//! Start one with `Sandbox::start(SandboxConfig::default())`; break it on purpose with `Sandbox::faults()`;
//! drive its sign-in page from tests with `browser`.
//!
//! Out-of-process users (newman, e2e, the CLI) use the control endpoint on the Entra origin:
//! `GET /_sandbox/info` (URLs, tenant, client ids, users, faults; no secrets), `GET|POST|DELETE
//! /_sandbox/faults` (a `Fault` as JSON, e.g. `{"fault":"hang","endpoint":"ias_token"}`, or an array;
//! DELETE restores the honest service), `GET /_sandbox/issued` (`Issued`), and `POST /_sandbox/clock`
//! with `{"advance_secs": n}` to let codes, tokens and lockouts expire without sleeping. Each request needs
//! the sandbox's control token (`Authorization: Bearer`, see `Sandbox::control_token`), its own `Host`,
//! and JSON bodies; `/_sandbox/issued` redacts every secret and token.
//! It does not depend on the engine it is used to test, and it never binds anything but 127.0.0.1.

mod api;
pub mod browser;
mod config;
mod control;
mod entra;
mod faults;
mod html;
mod ias;
mod issued;
mod jwt;
mod keys;
mod mint;
mod mtls;
mod profile;
mod server;
mod state;
mod transport;
mod xsuaa;

pub use config::{SandboxConfig, SandboxUser};
pub use faults::{Endpoint, Fault, Faults, RefreshRefusal, Tamper, TokenKind};
pub use issued::{ApiCallSeen, Issued, KeysRequestSeen, RequestSeen, Service, TokensSeen};
pub use mtls::ClientCredential;
pub use server::{Sandbox, SandboxError};
pub use state::SandboxUrls;
pub use transport::OVERSIZED_BYTES;

//! What the desktop app tells its page about itself when it starts: its version and the sandbox profile.
//!
//! The shell fills it in (`app_info`); it lives here, beside the engine's other types that cross to the UI, so
//! that its TypeScript binding is generated with theirs. It holds no behaviour.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The answer of the shell's `app_info` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    /// Present when the app started its built-in sandbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sandbox: Option<SandboxInfo>,
}

/// The built-in sandbox's demo profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SandboxInfo {
    /// The profile's slug.
    pub profile: String,
}

/// How the built-in Sandbox profile's IAS and XSUAA clients authenticate; the user switches between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxCredentials {
    /// Client secrets, as BTP's default bindings carry them.
    Secrets,
    /// Client certificates over mutual TLS, as X.509 bindings carry them (XSUAA at its certificate host).
    Certificates,
}

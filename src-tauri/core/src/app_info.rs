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

/// How the built-in Sandbox profile's clients authenticate; the user switches between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxCredentials {
    /// Client secrets at IAS and XSUAA, as BTP's default bindings carry them.
    Secrets,
    /// Client certificates over mutual TLS at IAS and XSUAA, as X.509 bindings carry them (XSUAA at its
    /// certificate host).
    Certificates,
    /// Client assertions signed with the client's key (`private-key-jwt`) at Entra, a confidential app with a
    /// certificate credential, and at IAS; XSUAA keeps its secret.
    Assertions,
}

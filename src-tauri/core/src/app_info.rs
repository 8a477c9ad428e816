//! What the desktop app tells its page about itself when it starts: its version and the sandbox profile.
//!
//! The shell fills it in (`app_info`); it lives here, beside the engine's other types that cross to the UI, so
//! that its TypeScript binding is generated with theirs. It holds no behaviour.

use serde::Serialize;
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

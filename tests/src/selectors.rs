//! Every CSS selector the e2e tests use, in one place, so a UI rework changes one file.
//!
//! They are the UI's `data-testid`s, which the UI keeps stable on purpose; nothing here depends on layout or text.

/// Any element by its `data-testid`.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// The chain of a profile's run view.
pub mod chain {
    pub const RUN_BUTTON: &str = "[data-testid=run-button]";
    /// Any hop's node that failed.
    pub const FAILED_NODE: &str = "[data-testid^=chain-node-][data-state=failed]";

    /// The node of hop `step` (`entra`, `ias`, `xsuaa`, `api`).
    pub fn node(step: &str) -> String {
        format!("[data-testid=chain-node-{step}]")
    }
}

/// The window's frame: present as soon as the UI has mounted.
pub mod shell {
    pub const MAIN: &str = "[data-testid=main]";
}

pub mod sidebar {
    pub const OPEN_DECODER: &str = "[data-testid=open-decoder]";
}

/// "Decode a token": a pasted JWT goes to the `tokens_decode` command and comes back as claims.
pub mod decoder {
    pub const VIEW: &str = "[data-testid=decode-view]";
    pub const INPUT: &str = "[data-testid=decode-input]";
    /// The "Check the signature" box (on by default; off keeps a test offline).
    pub const VERIFY: &str = "[data-testid=decode-view] input[type=checkbox]";
    pub const ERROR: &str = "[data-testid=decode-error]";

    /// The value cell of claim `name` in the claims table.
    pub fn claim_value(name: &str) -> String {
        format!("[data-testid=claims] [data-testid=claim][data-claim={name}] [data-testid=claim-value]")
    }
}

//! `Secret`: a string that must never reach a log, a panic message or a file by accident.
//!
//! It has no `Serialize`, its `Debug` and `Display` print `***`, and it zeroizes its memory on drop.
//! The value comes out only through [`Secret::expose_secret`].

use std::fmt;

use zeroize::Zeroizing;

/// A client secret, password, authorization code, PKCE verifier or token held in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The plain value.
    ///
    /// **Security warning:** whatever receives it must not log, print or persist it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted_in_debug_and_display_output() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "***", "Debug must not show the value");
        assert_eq!(format!("{secret}"), "***", "Display must not show the value");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose_secret(), "hunter2");
    }
}

//! The end-to-end harness: the real TokenHop app under Xvfb, driven through tauri-driver and WebKitWebDriver.
//!
//! Tests in `tests/tests/*.rs` launch the app with [`TestApp::launch`], find elements by the selectors in
//! [`selectors`], act, wait for text, and take screenshots into `tests/artifacts/<test name>/`. For sign-in
//! flows, [`LocalServer`] serves the sandbox in-process and [`HeadlessBrowser`] is the "system browser" the app
//! opens (`$TOKENHOP_BROWSER`). Run them with `cargo xtask e2e`; a missing tool fails a test, it never skips it.

pub mod app;
#[cfg(unix)]
pub mod browser;
pub mod keyring;
pub mod sandbox;
pub mod screen;
pub mod selectors;
pub mod tools;
pub mod webdriver;

pub use app::{Launch, TestApp};

/// How long the tests wait for what every one of them waits for (a busy 2-core machine included).
pub mod wait {
    use std::time::Duration;

    /// The window is up and its first view has loaded.
    pub const UI_LOADED: Duration = Duration::from_secs(20);
    /// An element that follows a click.
    pub const SHORT: Duration = Duration::from_secs(10);
    /// A whole chain: Chromium's start, the sign-in page, the redirect, three exchanges and the API call.
    pub const CHAIN_DONE: Duration = Duration::from_secs(90);
}

/// An IAS client secret shaped like a real one, but not the sandbox's: IAS must refuse it.
pub const WRONG_IAS_SECRET: &str = "Wrong+IAS/secret=typed-by-e2e";

/// The sandbox's demo user, whom the sandbox's sign-in page signs in when the app runs with
/// [`Launch::signing_in_with`].
pub const SANDBOX_USER: &str = "alice@sandbox.onmicrosoft.com";
#[cfg(unix)]
pub use browser::{ForbiddenBrowser, HeadlessBrowser};
pub use sandbox::LocalServer;
pub use webdriver::{wait_for, Element, Session};

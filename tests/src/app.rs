//! The real TokenHop window under test: tauri-driver, a WebDriver session, an isolated home, and screenshots.
//!
//! `TestApp::launch` starts a private tauri-driver on free ports (which starts WebKitWebDriver, which starts the
//! app). The app inherits tauri-driver's environment — tauri-driver passes no environment of its own — so the
//! isolated `HOME`, XDG dirs and `TOKENHOP_CONFIG_DIR` are set there. Screenshots land in
//! `tests/artifacts/<test name>/<step>.png`; dropping the app (also when the test panics) takes `final.png`,
//! closes the session and stops the drivers.

use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::webdriver::{wait_for, Session};
use crate::{screen, selectors, tools};

/// How long the driver may take to come up and open the window.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Options for one launch; `TestApp::launch(name)` uses the defaults.
#[derive(Default)]
pub struct Launch {
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Launch {
    /// A command-line argument for the app.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// An environment variable for the app (e.g. `TOKENHOP_BROWSER`).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sign-ins through `browser` as the "system browser", where the sandbox's sign-in page submits itself as
    /// [`crate::SANDBOX_USER`].
    #[cfg(unix)]
    pub fn signing_in_with(self, browser: &crate::HeadlessBrowser) -> Self {
        self.env("TOKENHOP_BROWSER", browser.command().display().to_string())
            .env("TOKENHOP_SANDBOX_AUTO_SIGN_IN", crate::SANDBOX_USER)
    }

    pub fn start(self, test_name: &str) -> TestApp {
        TestApp::start(test_name, self).unwrap_or_else(|e| panic!("could not launch the app for {test_name}: {e:#}"))
    }
}

pub struct TestApp {
    session: Option<Session>,
    driver: Child,
    artifacts: PathBuf,
    home: tempfile::TempDir,
}

impl TestApp {
    /// Launches the app with an empty config dir and home; the test name names its artifacts folder.
    pub fn launch(test_name: &str) -> TestApp {
        Launch::default().start(test_name)
    }

    fn start(test_name: &str, launch: Launch) -> Result<TestApp> {
        tools::require_display();
        let application = tools::app_binary();
        let (tauri_driver, native_driver) = (tools::tauri_driver(), tools::native_driver());

        let artifacts = artifacts_root().join(test_name);
        // Old pictures from an earlier run would lie about this one.
        let _ = std::fs::remove_dir_all(&artifacts);
        std::fs::create_dir_all(&artifacts).with_context(|| format!("creating {}", artifacts.display()))?;

        let home = tempfile::Builder::new().prefix("tokenhop-e2e-").tempdir().context("creating a temp home")?;
        let config = home.path().join("tokenhop-config");
        std::fs::create_dir_all(&config)?;

        let (port, native_port) = (tools::free_port(), tools::free_port());
        let log = File::create(artifacts.join("driver-and-app.log"))?;
        let mut cmd = Command::new(&tauri_driver);
        cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(&native_driver)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CACHE_HOME", home.path().join(".cache"))
            .env("TOKENHOP_CONFIG_DIR", &config)
            .env("NO_AT_BRIDGE", "1")
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let driver = cmd.spawn().with_context(|| format!("starting {}", tauri_driver.display()))?;

        let mut app = TestApp { session: None, driver, artifacts, home };
        let base = format!("http://127.0.0.1:{port}");
        app.wait_until_driver_ready(&base)?;
        let capabilities = json!({ "tauri:options": { "application": application, "args": launch.args } });
        app.session = Some(Session::create(&base, capabilities)?);
        Ok(app)
    }

    /// tauri-driver forwards `/status` to WebKitWebDriver, so an answer means both are up.
    fn wait_until_driver_ready(&mut self, base: &str) -> Result<()> {
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(2)).build()?;
        wait_for(START_TIMEOUT, "tauri-driver to answer /status", || {
            if let Some(status) = self.driver.try_wait()? {
                anyhow::bail!("tauri-driver exited early ({status}); see {}", self.log().display());
            }
            Ok(http.get(format!("{base}/status")).send().ok().filter(|r| r.status().is_success()).map(drop))
        })
    }

    fn log(&self) -> PathBuf {
        self.artifacts.join("driver-and-app.log")
    }

    /// The session (also reachable through `Deref`).
    pub fn session(&self) -> &Session {
        self.session.as_ref().expect("the session is open while the app lives")
    }

    /// The config dir the app was given (`TOKENHOP_CONFIG_DIR`), for seeding or checking profile files.
    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("tokenhop-config")
    }

    /// This test's artifacts folder.
    pub fn artifacts(&self) -> &Path {
        &self.artifacts
    }

    /// Saves `<step>.png` (the window as the display shows it) in the artifacts folder and returns its path.
    pub fn screenshot(&self, step: &str) -> Result<PathBuf> {
        let path = self.artifacts.join(format!("{step}.png"));
        screen::capture_window(&path)?;
        Ok(path)
    }

    /// Fails, naming the hop and quoting the page, if a node of the chain shows a failure: a run's wait stops at
    /// once instead of running into its time limit.
    pub fn fail_on_failed_hop(&self) -> Result<()> {
        if let Some(failed) = self.find_all(selectors::chain::FAILED_NODE)?.first() {
            let label = self.property(failed, "ariaLabel").unwrap_or_default();
            let page = self.find(selectors::shell::MAIN).and_then(|m| self.text(&m)).unwrap_or_default();
            anyhow::bail!("a step failed: {label}\n--- page ---\n{page}");
        }
        Ok(())
    }

    /// Waits until the chain's API node is ok ([`crate::wait::CHAIN_DONE`] at most), failing at once, with the
    /// page, on a failed hop.
    pub fn wait_for_api_ok(&self) -> Result<()> {
        let api_ok = format!("{}[data-state=ok]", selectors::chain::node("api"));
        wait_for(crate::wait::CHAIN_DONE, "the API node to turn ok", || {
            if self.find_all(&api_ok)?.len() == 1 {
                return Ok(Some(()));
            }
            self.fail_on_failed_hop()?;
            Ok(None)
        })
    }

    /// Calls a Tauri command from the page; `Ok(value)` or `Err(AppError JSON)`.
    pub fn invoke(&self, command: &str, args: Value) -> Result<std::result::Result<Value, Value>> {
        self.session().invoke(command, args)
    }
}

impl Deref for TestApp {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session()
    }
}

impl Drop for TestApp {
    /// Runs on success and on panic alike; never panics itself (a panic while unwinding aborts the run).
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            if let Err(err) = screen::capture_window(&self.artifacts.join("final.png")) {
                eprintln!("e2e: could not take the final screenshot: {err:#}");
            }
            if let Err(err) = session.delete() {
                eprintln!("e2e: could not close the WebDriver session: {err:#}");
            }
        }
        stop(&mut self.driver);
    }
}

/// SIGTERM first: tauri-driver then stops WebKitWebDriver too (SIGKILL would leave it running).
fn stop(driver: &mut Child) {
    if cfg!(unix) {
        let _ = Command::new("kill").args(["-TERM", &driver.id().to_string()]).status();
        let stopped = wait_for(Duration::from_secs(5), "tauri-driver to exit", || Ok(driver.try_wait()?));
        if stopped.is_ok() {
            return;
        }
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// `tests/artifacts`, or `$TOKENHOP_E2E_ARTIFACTS`.
pub fn artifacts_root() -> PathBuf {
    std::env::var_os("TOKENHOP_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts"))
}

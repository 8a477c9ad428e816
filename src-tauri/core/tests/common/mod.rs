//! Shared setup for the engine's integration tests: an in-process sandbox, its profile parsed the way the
//! app parses profiles, a `MemoryStore` holding the sandbox's demo secrets, and an `Engine` whose "system
//! browser" is the sandbox's fake browser — an HTTP client that signs a user in on the sandbox page and
//! delivers the callback to the engine's loopback listener.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokenhop_core::browser::FnBrowser;
use tokenhop_core::chain;
use tokenhop_core::http::{HttpClient, HttpConfig};
use tokenhop_core::profile::Profile;
use tokenhop_core::report::{Progress, RunReport, Step, StepOutcome};
pub use tokenhop_core::secrets::{MemoryStore, SecretKind, SecretStore};
use tokenhop_core::Secret;
use tokenhop_core::{Engine, RunRequest};
use tokenhop_sandbox::{browser, Sandbox, SandboxConfig};
use tokio_util::sync::CancellationToken;
use url::Url;

/// The profile's slug, the account part of its secrets.
pub const SLUG: &str = "sandbox";
/// An assigned demo user of the sandbox tenant.
pub const ALICE: &str = "alice@sandbox.onmicrosoft.com";
/// A user who is not assigned to the Entra app (AADSTS50105).
pub const CAROL: &str = "carol@sandbox.onmicrosoft.com";
/// Long enough for the fake browser, short enough that a test waiting for a timeout stays quick.
pub const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// What the fake browser saw: the authorization URL it was given, and the callback it delivered.
#[derive(Default, Debug)]
pub struct BrowserLog {
    pub opened: Vec<String>,
    /// The redirect back to the loopback listener, and the listener's HTTP status (or the connect error).
    pub callbacks: Vec<(Url, Result<u16, String>)>,
    pub errors: Vec<String>,
}

pub struct Harness {
    pub sandbox: Sandbox,
    pub profile: Profile,
    pub secrets: MemoryStore,
    pub engine: Engine,
    pub browser: Arc<Mutex<BrowserLog>>,
}

pub async fn start() -> Harness {
    start_with(SandboxConfig::default(), ALICE).await
}

/// A sandbox from `config`, and an engine whose browser signs `user` in.
pub async fn start_with(config: SandboxConfig, user: &str) -> Harness {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let profile = profile_of(&sandbox);
    let secrets = demo_secrets(&sandbox);
    let log = Arc::new(Mutex::new(BrowserLog::default()));
    let engine = engine_with(HttpConfig::default(), signing_in_browser(user, log.clone()));
    Harness { sandbox, profile, secrets, engine, browser: log }
}

/// The sandbox's profile TOML, parsed as a profile file would be.
pub fn profile_of(sandbox: &Sandbox) -> Profile {
    let text = sandbox.profile_toml("Sandbox");
    toml::from_str::<Profile>(&text).unwrap_or_else(|e| panic!("the sandbox profile parses: {e}\n{text}"))
}

/// The demo client secrets (and Alice's password) of the sandbox, under [`SLUG`].
pub fn demo_secrets(sandbox: &Sandbox) -> MemoryStore {
    let c = sandbox.config();
    let store = MemoryStore::new();
    let alice = c.user(ALICE).expect("Alice is a sandbox user");
    for (kind, value) in [
        (SecretKind::EntraClientSecret, &c.entra_client_secret),
        (SecretKind::IasClientSecret, &c.ias_client_secret),
        (SecretKind::XsuaaClientSecret, &c.xsuaa_client_secret),
        (SecretKind::EntraPassword, &alice.password),
    ] {
        store.set(SLUG, kind, &Secret::new(value.as_str())).unwrap();
    }
    store
}

pub fn engine_with(http: HttpConfig, browser: Box<dyn tokenhop_core::browser::Browser>) -> Engine {
    let mut engine = Engine::new(HttpClient::new(http).expect("HTTP client builds"), browser);
    engine.loopback.timeout = LOOPBACK_TIMEOUT;
    engine
}

/// The fake browser: returns at once, and on the test's runtime signs `user` in on the sandbox page, then
/// GETs the redirect (the callback) at the loopback listener — what `browser::complete_sign_in` does, but
/// recording the callback URL and the listener's answer for assertions.
pub fn signing_in_browser(user: &str, log: Arc<Mutex<BrowserLog>>) -> Box<dyn tokenhop_core::browser::Browser> {
    let runtime = tokio::runtime::Handle::current();
    let user = user.to_owned();
    Box::new(FnBrowser(move |url: &str| {
        log.lock().unwrap().opened.push(url.to_owned());
        let (url, user, log) = (url.to_owned(), user.clone(), log.clone());
        runtime.spawn(async move {
            match browser::sign_in_redirect(&url, &user).await {
                Ok(callback) => {
                    let status = get(&callback).await;
                    log.lock().unwrap().callbacks.push((callback, status));
                }
                Err(e) => log.lock().unwrap().errors.push(e.to_string()),
            }
        });
        Ok(())
    }))
}

/// A browser that opens nothing (the user never signs in), recording the URL.
pub fn idle_browser(log: Arc<Mutex<BrowserLog>>) -> Box<dyn tokenhop_core::browser::Browser> {
    Box::new(FnBrowser(move |url: &str| {
        log.lock().unwrap().opened.push(url.to_owned());
        Ok(())
    }))
}

/// A plain GET as a browser would do it; the status, or why no answer came.
pub async fn get(url: &Url) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    client.get(url.clone()).send().await.map(|r| r.status().as_u16()).map_err(|e| format!("{e:?}"))
}

impl Harness {
    pub async fn run(&self) -> RunReport {
        self.run_until(None).await
    }

    pub async fn run_until(&self, until: Option<Step>) -> RunReport {
        run_profile(&self.engine, &self.profile, &self.secrets, until, CancellationToken::new()).await
    }
}

pub async fn run_profile(
    engine: &Engine,
    profile: &Profile,
    secrets: &dyn SecretStore,
    until: Option<Step>,
    cancel: CancellationToken,
) -> RunReport {
    let req = RunRequest { profile, slug: SLUG, until, secrets, sign_in: Default::default(), refresh: false };
    chain::run(engine, req, &|_: Progress| {}, cancel).await
}

/// The `grant_type` of every request Entra received since the sandbox last recorded, in order.
pub fn entra_grants(sandbox: &Sandbox) -> Vec<String> {
    let issued = sandbox.last_issued();
    issued
        .requests
        .iter()
        .filter(|r| r.service == tokenhop_sandbox::Service::Entra)
        .filter_map(|r| r.grant_type().map(String::from))
        .collect()
}

/// The step that failed (the run's last step), with a message naming everything when it did not fail.
pub fn failure(report: &RunReport) -> &StepOutcome {
    let last = report.steps.last().expect("the run has at least one step");
    assert!(!report.ok && !last.ok, "the run should have failed, but: {}", summary(report));
    last
}

/// The diagnosis code the run ended with; panics if it succeeded.
pub fn code(report: &RunReport) -> &str {
    failure(report)
        .error
        .as_ref()
        .map(|d| d.code.as_str())
        .unwrap_or_else(|| panic!("failed without a diagnosis: {}", summary(report)))
}

/// A one-line account of a run for assertion messages: each step, ok, its diagnosis and failed checks.
pub fn summary(report: &RunReport) -> String {
    report
        .steps
        .iter()
        .map(|s| {
            let failed: Vec<_> =
                s.checks.iter().filter(|c| !c.ok).map(|c| format!("{}: {}", c.name, c.detail)).collect();
            let err = s.error.as_ref().map(|d| format!("{} — {}", d.code, d.message)).unwrap_or_default();
            format!("[{} ok={} {err} failed checks {failed:?}]", s.step, s.ok)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts the run failed at `step` with diagnosis `code`.
pub fn assert_fails(report: &RunReport, step: Step, expected: &str) {
    let last = failure(report);
    assert_eq!(last.step, step, "failed at the wrong step: {}", summary(report));
    assert_eq!(code(report), expected, "wrong diagnosis: {}", summary(report));
}

/// The named check on `token` of a step, if run.
pub fn check<'a>(outcome: &'a StepOutcome, name: &str, token: Option<&str>) -> Option<&'a tokenhop_core::Check> {
    outcome.checks.iter().find(|c| c.name == name && (token.is_none() || c.token.as_deref() == token))
}

/// A `MakeWriter` collecting every log line in memory, for tests that read what was logged.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

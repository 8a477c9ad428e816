//! `AppState`: everything that outlives one command — the profile store, the layered secret store, the
//! engine (shared HTTP client and key cache), the running run's cancel handle, the last run (for export),
//! the matrix's cancel handles, the run history (session and disk) and the in-process sandbox that backs the
//! out-of-the-box "Sandbox" profile.
//!
//! The keychain is probed once the UI is interactive, or when a command first needs a secret
//! ([`AppState::probe_keychain`]): the probe talks to the Secret Service over D-Bus, which may first have to
//! be started (hundreds of milliseconds of another process's CPU), and the window must not wait for that or
//! share the CPU with it. Whatever touches secrets awaits [`AppState::secrets`].
//!
//! The sandbox starts only when a profile needs it: the first profile list while the Sandbox profile does
//! not exist yet, or reading or running that profile (so its URLs are current). It listens on free ports
//! (`TOKENHOP_SANDBOX_PORT` fixes them), its control endpoint wants its per-process token. Its RSA keys, up to
//! seconds of CPU, are generated after `app_ready` if it is running by then, else when first needed. A
//! user's own profile named "Sandbox" is never overwritten: the sandbox's profile then takes another name.
//!
//! The user switches the Sandbox profile between client secrets, client certificates and client assertions
//! ([`AppState::set_sandbox_credentials`]); the sandbox is started anew for each. For certificates it serves
//! certificate bindings (`SandboxConfig::x509`): IAS over TLS, XSUAA's certificate host, a CA of its own whose
//! certificate (no key) is written to the config dir for the profile's `ca_file`. For assertions its Entra app is
//! confidential and takes the demo key's assertions, as its IAS application does. The choice is the profile's own
//! `client_auth`, so it outlives a restart of the app. The demo client secrets, certificates and keys go to the
//! secret store's session layer only: never the keychain, never a file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use tokenhop_core::app_info::SandboxCredentials;
use tokenhop_core::browser;
use tokenhop_core::diagnose::code;
use tokenhop_core::history::{HistoryStore, RunRecord, SessionHistory};
use tokenhop_core::http::{HttpClient, HttpConfig};
use tokenhop_core::profile::file::{parse_profile, write_atomic, Overwrite};
use tokenhop_core::profile::{slugify, ClientAuth, Profile, ProfileError, ProfileStore};
use tokenhop_core::secrets::{EnvOverrides, KeychainStatus, Layered, SecretError, SecretKind};
use tokenhop_core::{Engine, RunReport, Secret};
use tokenhop_sandbox::{Sandbox, SandboxConfig};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::AppError;

/// The names the profile of the built-in sandbox may take, in order: the first that no user profile holds.
pub const SANDBOX_PROFILE_NAMES: [&str; 3] = ["Sandbox", "TokenHop Sandbox", "TokenHop Sandbox (built-in)"];
/// Set to `1` to start without the sandbox (and without touching its profile).
pub const NO_SANDBOX_ENV: &str = "TOKENHOP_NO_SANDBOX";
/// The sandbox's sign-in page submits itself as this user (for e2e tests with a headless browser).
pub const SANDBOX_AUTO_SIGN_IN_ENV: &str = "TOKENHOP_SANDBOX_AUTO_SIGN_IN";
/// Fixes the sandbox's ports (four consecutive ports from there); by default it takes free ones.
pub const SANDBOX_PORT_ENV: &str = "TOKENHOP_SANDBOX_PORT";

/// Set to `1` to make every Run sign in through the browser, as `tokenhop-cli run --fresh-sign-in` does (the
/// sign-in is still kept): for benchmarks of the interactive chain.
pub const FRESH_SIGN_IN_ENV: &str = "TOKENHOP_FRESH_SIGN_IN";

/// The CA certificate of a sandbox serving certificate bindings, in the config dir, for its profile's `ca_file`.
pub const SANDBOX_CA_FILE: &str = "sandbox-ca.pem";

/// The slug under which the wizard keeps secrets before the profile is saved.
pub const DRAFT_SLUG: &str = "__draft__";

/// The last finished run, kept for export.
pub struct LastRun {
    pub profile: Profile,
    /// Where the run's secrets came from (for an opted-in export of client secrets).
    pub slug: String,
    /// The kinds of that slug's secrets the run could use (a draft's are limited, see `chain_run`).
    pub secret_kinds: Vec<SecretKind>,
    pub report: RunReport,
}

/// The running sandbox and its profile.
pub struct SandboxHandle {
    pub slug: String,
    sandbox: Sandbox,
    credentials: SandboxCredentials,
    secrets_installed: OnceLock<()>,
}

/// The sandbox behind the Sandbox profile: not started yet, running, or unable to start (then no Sandbox profile).
enum SandboxSlot {
    NotStarted,
    Running(Arc<SandboxHandle>),
    Failed,
}

pub struct AppState {
    pub profiles: ProfileStore,
    secrets: OnceCell<(Layered, KeychainStatus)>,
    engine: OnceCell<Result<Engine, String>>,
    pub running: Mutex<Option<CancellationToken>>,
    pub last_run: Mutex<Option<LastRun>>,
    /// The Sandbox profile's name and slug, unless `TOKENHOP_NO_SANDBOX=1` (or every name is a user's).
    sandbox_profile: Option<(&'static str, String)>,
    /// The matrix's runs in flight, by profile slug: each one's cancel handle.
    pub matrix: Mutex<HashMap<String, CancellationToken>>,
    /// The last runs of each profile in this session, tokens included (memory only).
    session_history: Mutex<SessionHistory>,
    /// The run history on disk: no tokens, no secrets; the user can turn it off.
    pub history: HistoryStore,
    /// Held while the sandbox starts or is replaced, so that everyone else waits for that.
    sandbox: tokio::sync::Mutex<SandboxSlot>,
}

impl AppState {
    /// Opens the profile store (`$TOKENHOP_CONFIG_DIR` or the OS config dir). The keychain and the engine
    /// come later, off the window's start.
    pub fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let profiles = ProfileStore::open_or_default(None)?;
        let config_dir = profiles.config_dir().to_owned();
        Ok(Self::with_profiles(profiles, &config_dir))
    }

    fn with_profiles(profiles: ProfileStore, config_dir: &Path) -> Self {
        let sandbox = !std::env::var(NO_SANDBOX_ENV).is_ok_and(|v| v == "1");
        Self {
            sandbox_profile: sandbox.then(|| sandbox_profile_name(&profiles)).flatten().map(|n| (n, slugify(n))),
            profiles,
            matrix: Mutex::new(HashMap::new()),
            session_history: Mutex::new(SessionHistory::default()),
            history: HistoryStore::new(config_dir),
            secrets: OnceCell::new(),
            engine: OnceCell::new(),
            running: Mutex::new(None),
            last_run: Mutex::new(None),
            sandbox: tokio::sync::Mutex::new(SandboxSlot::NotStarted),
        }
    }

    /// The engine, built on first use (on a blocking thread: its HTTP client parses the OS's root
    /// certificates, tens of milliseconds the window should not wait for).
    pub async fn engine(&self) -> Result<&Engine, AppError> {
        let built = self
            .engine
            .get_or_init(|| async {
                tokio::task::spawn_blocking(|| {
                    HttpClient::new(HttpConfig::default())
                        .map(|http| Engine::new(http, browser::choose(None)))
                        .map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            })
            .await;
        built.as_ref().map_err(|reason| {
            AppError::new(
                code::APP_HTTP_CLIENT,
                format!("TokenHop could not set up its HTTP client: {reason}"),
                "Check that the system's CA certificates are readable (e.g. /etc/ssl/certs), then restart TokenHop.",
            )
        })
    }

    /// This session's runs. A panic while the lock was held leaves whole runs behind, so a poisoned lock is used.
    pub fn session_history(&self) -> std::sync::MutexGuard<'_, SessionHistory> {
        self.session_history.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps a finished run of a saved profile: in the session (whole) and, if the history is on, on disk
    /// (its record). A disk failure is logged, never the run's failure.
    pub fn record_run(&self, slug: &str, report: &RunReport) -> RunRecord {
        let record = self.session_history().push(slug, report.clone());
        if let Err(e) = self.history.append(&record) {
            tracing::warn!(error = %e, "the run could not be added to the history on disk");
        }
        record
    }

    /// Probes the keychain unless that is done or under way (on a blocking thread: it is D-Bus round trips).
    pub async fn probe_keychain(&self) -> &(Layered, KeychainStatus) {
        self.secrets
            .get_or_init(|| async {
                tokio::task::spawn_blocking(detect_secrets).await.unwrap_or_else(|e| {
                    let status = KeychainStatus::unavailable(format!("the keychain probe failed: {e}"));
                    (Layered::new(EnvOverrides::none(), None), status)
                })
            })
            .await
    }

    /// The secret store: environment, session, and the keychain if the probe found one.
    pub async fn secrets(&self) -> &Layered {
        &self.probe_keychain().await.0
    }

    /// Whether the keychain works, and if not why, for the UI to say once.
    pub async fn keychain(&self) -> &KeychainStatus {
        &self.probe_keychain().await.1
    }

    /// The slug the Sandbox profile has (or will have once the sandbox is up), without waiting.
    pub fn sandbox_slug(&self) -> Option<&str> {
        self.sandbox_profile.as_ref().map(|(_, slug)| slug.as_str())
    }

    /// Waits for the sandbox if `slug` is its profile: reading it needs the current URLs.
    pub async fn ready_for(&self, slug: &str) {
        if self.sandbox_slug() == Some(slug) {
            self.sandbox().await;
        }
    }

    /// As [`Self::ready_for`], and the sandbox's demo secrets are in the session: for running the profile
    /// or saying where its secrets come from.
    pub async fn ready_to_use(&self, slug: &str) {
        if self.sandbox_slug() == Some(slug) {
            if let Some(handle) = self.sandbox().await {
                self.ensure_sandbox_secrets(&handle).await;
            }
        }
    }

    /// Waits for the sandbox on the very first start, when its profile file does not exist yet.
    pub async fn ready_for_list(&self) {
        if let Some(slug) = self.sandbox_slug() {
            if !self.profiles.path_of(slug).is_file() {
                self.sandbox_ready().await;
            }
        }
    }

    /// The sandbox profile's slug once the sandbox is up; `None` if it is disabled or could not start.
    /// The first caller starts it; everyone else waits for that start.
    pub async fn sandbox_ready(&self) -> Option<&str> {
        self.sandbox().await?;
        self.sandbox_slug()
    }

    /// If the sandbox is running, puts its secrets in the session and generates its keys (for after the
    /// first paint). It does not start it, nor wait for its start: that waits until a profile needs it.
    pub async fn warm_up_sandbox(&self) {
        let running = match self.sandbox.try_lock().as_deref() {
            Ok(SandboxSlot::Running(handle)) => Some(handle.clone()),
            _ => None,
        };
        if let Some(handle) = running {
            self.ensure_sandbox_secrets(&handle).await;
            if let Err(e) = handle.sandbox.generate_keys().await {
                tracing::warn!(error = %e, "the sandbox has no signing keys; its runs will fail");
            }
        }
    }

    /// The sandbox's demo client secrets (and certificates or keys), in the session layer only (once per sandbox).
    async fn ensure_sandbox_secrets(&self, handle: &SandboxHandle) {
        let secrets = self.secrets().await;
        // The demo key of client assertions is one of the sandbox's keys: generated off this thread, if not yet.
        if handle.credentials == SandboxCredentials::Assertions && handle.secrets_installed.get().is_none() {
            if let Err(e) = handle.sandbox.generate_keys().await {
                tracing::warn!(error = %e, "the sandbox has no keys; the Sandbox profile's runs will fail");
            }
        }
        handle.secrets_installed.get_or_init(|| {
            if let Err(e) = install_sandbox_secrets(secrets, &handle.slug, &handle.sandbox, handle.credentials) {
                tracing::warn!(error = %e, "the Sandbox profile's secrets could not be set; its runs will ask for them");
            }
        });
    }

    /// The running sandbox, started with the profile's last choice of credentials if nobody started it yet.
    async fn sandbox(&self) -> Option<Arc<SandboxHandle>> {
        let mut slot = self.sandbox.lock().await;
        if let SandboxSlot::NotStarted = *slot {
            *slot = match self.start_sandbox(self.chosen_credentials()).await {
                Some(handle) => SandboxSlot::Running(Arc::new(handle)),
                None => SandboxSlot::Failed,
            };
        }
        match &*slot {
            SandboxSlot::Running(handle) => Some(handle.clone()),
            _ => None,
        }
    }

    /// The credentials the Sandbox profile on disk uses: the user's last choice.
    fn chosen_credentials(&self) -> SandboxCredentials {
        let slug = self.sandbox_slug().unwrap_or_default();
        match self.profiles.get(slug).ok().and_then(|p| p.ias).map(|ias| ias.client_auth) {
            Some(ClientAuth::X509) => SandboxCredentials::Certificates,
            Some(ClientAuth::PrivateKeyJwt) => SandboxCredentials::Assertions,
            _ => SandboxCredentials::Secrets,
        }
    }

    /// Switches the Sandbox profile's clients to client secrets, client certificates (mutual TLS at IAS and XSUAA,
    /// XSUAA at its certificate host) or client assertions (Entra and IAS). The sandbox is replaced by a new one
    /// serving them, so the profile's cached sign-in, which only the old one knew, is forgotten; and only with no
    /// run going, since runs talk to the sandbox being replaced. Returns the profile's slug.
    pub async fn set_sandbox_credentials(&self, credentials: SandboxCredentials) -> Result<String, AppError> {
        let no_sandbox = || {
            AppError::new(
                code::APP_NO_SANDBOX,
                "The built-in sandbox is not running, so its profile cannot be switched.",
                "Start TokenHop without TOKENHOP_NO_SANDBOX=1; if the sandbox could not start, the log says why.",
            )
        };
        self.sandbox().await.ok_or_else(no_sandbox)?;
        let mut slot = self.sandbox.lock().await;
        if let SandboxSlot::Running(current) = &*slot {
            if current.credentials == credentials {
                return Ok(current.slug.clone());
            }
        }
        if self.running.lock().unwrap_or_else(|p| p.into_inner()).is_some()
            || !self.matrix.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
        {
            return Err(AppError::new(
                code::APP_SANDBOX_BUSY,
                "A run is going, and it talks to the sandbox that switching would replace.",
                "Switch when the run has finished, or cancel it first.",
            ));
        }
        let replacement = Arc::new(self.start_sandbox(credentials).await.ok_or_else(no_sandbox)?);
        let replaced = std::mem::replace(&mut *slot, SandboxSlot::Running(replacement.clone()));
        drop(slot);
        // Its ports close now, unless a command still holds it for a moment: then when that lets go.
        if let SandboxSlot::Running(old) = replaced {
            if let Ok(old) = Arc::try_unwrap(old) {
                old.sandbox.shutdown().await;
            }
        }
        let secrets = self.secrets().await;
        if let Err(e) = secrets.sign_out(&replacement.slug) {
            tracing::warn!(error = %e, "the Sandbox profile's cached sign-in could not be forgotten; the next run signs in again");
        }
        self.ensure_sandbox_secrets(&replacement).await;
        Ok(replacement.slug.clone())
    }

    /// Starts a sandbox for the Sandbox profile, serving `credentials`, and writes the profile for it (and, for
    /// certificates, its CA for the profile's `ca_file`). `None`, logged, when it cannot.
    async fn start_sandbox(&self, credentials: SandboxCredentials) -> Option<SandboxHandle> {
        let (name, slug) = self.sandbox_profile.as_ref()?;
        let sandbox = match start_on_preferred_port(sandbox_config_from_env(credentials)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "the sandbox could not start; the Sandbox profile is not available");
                return None;
            }
        };
        let toml = match sandbox.ca_pem() {
            None if credentials == SandboxCredentials::Assertions => sandbox.private_key_jwt_profile_toml(name),
            None => sandbox.profile_toml(name),
            Some(pem) => {
                let ca_file = self.profiles.config_dir().join(SANDBOX_CA_FILE);
                if let Err(e) = write_atomic(&ca_file, pem.as_bytes(), Overwrite::Replace) {
                    tracing::warn!(error = %e, path = %ca_file.display(), "the sandbox's CA could not be written");
                    return None;
                }
                sandbox.x509_profile_toml(name, &ca_file.display().to_string())
            }
        };
        // The profile's slug is `slug`: its name was chosen for it.
        match upsert_profile(&self.profiles, &toml) {
            Ok(_) => {
                tracing::info!(urls = ?sandbox.urls(), ?credentials, "sandbox started");
                Some(SandboxHandle { slug: slug.clone(), sandbox, credentials, secrets_installed: OnceLock::new() })
            }
            Err(e) => {
                tracing::warn!(error = %e, "the Sandbox profile could not be written");
                None
            }
        }
    }
}

/// The app's secrets: the keychain and this session, never `TOKENHOP_*` variables. Those apply to every
/// profile at once, which suits one CLI run in a pipeline but would send one tenant's secret to every other
/// profile the app runs; the CLI alone reads them.
fn detect_secrets() -> (Layered, KeychainStatus) {
    Layered::detect(EnvOverrides::none())
}

/// The default sandbox for `credentials` (serving certificate bindings, or with a confidential Entra app for
/// assertions) on free ports or the environment's base port; and its auto sign-in user.
fn sandbox_config_from_env(credentials: SandboxCredentials) -> SandboxConfig {
    let base_port = std::env::var(SANDBOX_PORT_ENV).ok().and_then(|p| p.parse().ok());
    let auto_sign_in = std::env::var(SANDBOX_AUTO_SIGN_IN_ENV).ok().filter(|u| !u.trim().is_empty());
    SandboxConfig {
        base_port,
        auto_sign_in,
        x509: credentials == SandboxCredentials::Certificates,
        entra_confidential: credentials == SandboxCredentials::Assertions,
        ..SandboxConfig::default()
    }
}

/// The first of [`SANDBOX_PROFILE_NAMES`] whose file is free or already the sandbox's.
fn sandbox_profile_name(profiles: &ProfileStore) -> Option<&'static str> {
    let name = SANDBOX_PROFILE_NAMES.into_iter().find(|name| {
        let path = profiles.path_of(&slugify(name));
        !path.exists() || is_sandbox_file(&path)
    });
    if name.is_none() {
        tracing::warn!("every name for the Sandbox profile belongs to a profile of the user's; no sandbox");
    }
    name
}

/// Whether the profile file at `path` is one the app wrote for its sandbox (its Entra app on loopback), even
/// if it no longer parses: only such a file may be replaced.
fn is_sandbox_file(path: &Path) -> bool {
    let client_id = SandboxConfig::default().entra_client_id;
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(&client_id) && text.contains("http://127.0.0.1:"))
}

/// Tries the configured base port, then ephemeral ports (another TokenHop may hold those).
/// Keys come later ([`AppState::warm_up_sandbox`]).
async fn start_on_preferred_port(config: SandboxConfig) -> Result<Sandbox, tokenhop_sandbox::SandboxError> {
    match Sandbox::start_before_keys(config.clone()).await {
        Ok(s) => Ok(s),
        Err(e) if config.base_port.is_some() => {
            tracing::info!(error = %e, "sandbox base port taken; using ephemeral ports");
            Sandbox::start_before_keys(SandboxConfig { base_port: None, ..config }).await
        }
        Err(e) => Err(e),
    }
}

/// Puts the sandbox's demo client secrets in the session layer of `secrets`, under the profile `slug`, and the
/// certificates and keys that `credentials` needs: the demo clients' X.509 bindings, or the demo key that signs
/// client assertions. Any other demo certificate or key, a previous sandbox's, is forgotten.
fn install_sandbox_secrets(
    secrets: &Layered,
    slug: &str,
    sandbox: &Sandbox,
    credentials: SandboxCredentials,
) -> Result<(), SecretError> {
    let config = sandbox.config();
    secrets.set_for_session(slug, SecretKind::IasClientSecret, &Secret::new(config.ias_client_secret.as_str()))?;
    secrets.set_for_session(slug, SecretKind::XsuaaClientSecret, &Secret::new(config.xsuaa_client_secret.as_str()))?;
    if config.entra_confidential {
        secrets.set_for_session(
            slug,
            SecretKind::EntraClientSecret,
            &Secret::new(config.entra_client_secret.as_str()),
        )?;
    }
    let (ias, xsuaa, entra) = match credentials {
        SandboxCredentials::Secrets => (None, None, None),
        SandboxCredentials::Certificates => (
            sandbox.demo_client_certificate(&config.ias_client_id),
            sandbox.demo_client_certificate(&config.xsuaa_client_id),
            None,
        ),
        SandboxCredentials::Assertions => {
            (Some(sandbox.private_key_jwt_credential()), None, Some(sandbox.private_key_jwt_credential()))
        }
    };
    let pairs = [
        (SecretKind::IasClientCertificate, SecretKind::IasClientKey, ias),
        (SecretKind::XsuaaClientCertificate, SecretKind::XsuaaClientKey, xsuaa),
        (SecretKind::EntraClientCertificate, SecretKind::EntraClientKey, entra),
    ];
    for (certificate_kind, key_kind, demo) in pairs {
        match demo {
            Some(demo) => {
                secrets.set_for_session(slug, certificate_kind, &Secret::new(demo.certificate))?;
                secrets.set_for_session(slug, key_kind, &Secret::new(demo.key))?;
            }
            None => {
                secrets.forget_for_session(slug, certificate_kind)?;
                secrets.forget_for_session(slug, key_kind)?;
            }
        }
    }
    Ok(())
}

/// Creates the sandbox's profile given as TOML, or replaces the sandbox's own with the same slug; returns the
/// slug. A user's profile of that name is never replaced.
pub fn upsert_profile(profiles: &ProfileStore, toml: &str) -> Result<String, ProfileError> {
    let profile = parse_profile(toml, Path::new("sandbox profile"))?;
    let slug = slugify(&profile.name);
    let path = profiles.path_of(&slug);
    match (path.exists(), is_sandbox_file(&path)) {
        // Replaced even if it no longer parses: the sandbox profile is ours to keep current.
        (true, true) => profiles.update(&slug, &profile).map(|()| slug),
        (true, false) => Err(ProfileError::AlreadyExists { slug, name: profile.name }),
        (false, _) => profiles.create(&profile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenhop_core::secrets::{EnvOverrides, MemoryStore, SecretSource};

    /// A fresh config dir under the system temp dir, removed on drop.
    struct TempConfig(std::path::PathBuf);

    impl TempConfig {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("tokenhop-shell-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempConfig {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn sandbox_toml(ias_url: &str) -> String {
        format!(
            "name = \"Sandbox\"\n[entra]\nauthority = \"http://127.0.0.1:47100\"\ntenant = \"sandbox.onmicrosoft.com\"\n\
             client_id = \"3c5e7a91-2b4d-4f60-8e1a-9d7c5b3a1f02\"\n[ias]\nurl = \"{ias_url}\"\nclient_id = \"ias-client\"\n"
        )
    }

    #[test]
    fn sandbox_profile_is_created_then_updated_with_the_current_urls() {
        let dir = TempConfig::new("upsert");
        let store = ProfileStore::open(&dir.0).unwrap();

        let slug = upsert_profile(&store, &sandbox_toml("http://127.0.0.1:47101")).unwrap();
        assert_eq!(slug, "sandbox", "the UI opens the sandbox profile by this slug");
        let slug = upsert_profile(&store, &sandbox_toml("http://127.0.0.1:51234")).unwrap();

        let saved = store.get(&slug).unwrap();
        assert_eq!(
            saved.ias.unwrap().url,
            "http://127.0.0.1:51234",
            "a restart must point the profile at the new ports"
        );
        assert_eq!(store.list(None).unwrap().profiles.len(), 1, "updating must not create a second profile");
    }

    #[test]
    fn a_corrupt_sandbox_profile_is_replaced() {
        let dir = TempConfig::new("corrupt");
        let store = ProfileStore::open(&dir.0).unwrap();
        let broken = sandbox_toml("http://127.0.0.1:47101").replace("name = \"Sandbox\"", "name = [broken");
        std::fs::write(store.path_of("sandbox"), broken).unwrap();

        let slug = upsert_profile(&store, &sandbox_toml("http://127.0.0.1:47101")).unwrap();

        assert!(store.get(&slug).is_ok(), "the sandbox profile must be usable again after a start");
    }

    /// The keychain of these tests: a `MemoryStore` the test keeps a handle on, to look inside afterwards.
    struct SharedStore(std::sync::Arc<MemoryStore>);

    impl tokenhop_core::secrets::SecretStore for SharedStore {
        fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
            self.0.get(profile, kind)
        }
        fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
            self.0.set(profile, kind, value)
        }
        fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
            self.0.delete(profile, kind)
        }
    }

    /// An app state on `dir` whose keychain is `keychain` (a store the test looks inside), as the probe leaves it.
    fn state_with_keychain(dir: &Path, keychain: &std::sync::Arc<MemoryStore>) -> AppState {
        let state = AppState::with_profiles(ProfileStore::open(dir).unwrap(), dir);
        let secrets = Layered::new(EnvOverrides::none(), Some(Box::new(SharedStore(keychain.clone()))));
        let status = KeychainStatus { available: true, reason: None, detail: None };
        assert!(state.secrets.set((secrets, status)).is_ok(), "the keychain of a new state is not probed yet");
        state
    }

    /// Every file under `dir`, read as text (lossily), with its path.
    fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push((path.clone(), String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()));
            }
        }
        out
    }

    const CERTIFICATE_KINDS: [SecretKind; 4] = [
        SecretKind::IasClientCertificate,
        SecretKind::IasClientKey,
        SecretKind::XsuaaClientCertificate,
        SecretKind::XsuaaClientKey,
    ];

    /// Where each of the sandbox's demo secrets and certificates would come from.
    fn sources(state: &AppState, slug: &str, kinds: &[SecretKind]) -> Vec<SecretSource> {
        let secrets = &state.secrets.get().unwrap().0;
        kinds.iter().map(|kind| secrets.source(slug, *kind).unwrap()).collect()
    }

    #[tokio::test]
    async fn sandbox_secrets_and_keys_go_to_the_session_never_the_keychain_or_a_file() {
        use tokenhop_core::secrets::SecretStore as _;
        let dir = TempConfig::new("secrets");
        let keychain = std::sync::Arc::new(MemoryStore::new());
        let state = state_with_keychain(&dir.0, &keychain);
        let slug = state.sandbox_ready().await.expect("the sandbox starts").to_owned();
        state.ready_to_use(&slug).await;
        let demo_secret = state.sandbox().await.unwrap().sandbox.config().ias_client_secret.clone();
        let secret_kinds = [SecretKind::IasClientSecret, SecretKind::XsuaaClientSecret];
        assert_eq!(sources(&state, &slug, &secret_kinds), [SecretSource::Session; 2], "secrets in the session only");
        let ias = state.secrets().await.get(&slug, SecretKind::IasClientSecret).unwrap().unwrap();
        assert_eq!(ias.expose_secret(), demo_secret, "the run needs the sandbox's own secret");

        state.set_sandbox_credentials(SandboxCredentials::Certificates).await.unwrap();

        assert_eq!(sources(&state, &slug, &CERTIFICATE_KINDS), [SecretSource::Session; 4], "certificates too");
        let key = state.secrets().await.get(&slug, SecretKind::XsuaaClientKey).unwrap().unwrap();
        assert!(key.expose_secret().contains("PRIVATE KEY"), "a PEM key, as a binding carries it");
        for kind in SecretKind::ALL {
            assert!(keychain.get(&slug, kind).unwrap().is_none(), "the keychain must not receive the sandbox's {kind}");
        }
        for (path, text) in files_under(&dir.0) {
            assert!(!text.contains(&demo_secret), "no secret may reach {}", path.display());
            assert!(!text.contains("PRIVATE KEY"), "no private key may reach {}", path.display());
        }
    }

    #[tokio::test]
    async fn the_sandbox_profile_switches_to_certificates_and_keeps_the_choice_over_a_restart() {
        let dir = TempConfig::new("switch");
        let keychain = std::sync::Arc::new(MemoryStore::new());
        let state = state_with_keychain(&dir.0, &keychain);
        let slug = state.sandbox_ready().await.expect("the sandbox starts").to_owned();
        let before = state.profiles.get(&slug).unwrap();
        assert_eq!((before.ias.unwrap().client_auth, before.ca_file), (ClientAuth::Post, None), "secrets first");
        let old_xsuaa = state.sandbox().await.unwrap().sandbox.urls().xsuaa.clone();

        assert_eq!(state.set_sandbox_credentials(SandboxCredentials::Certificates).await.unwrap(), slug);

        let switched = state.profiles.get(&slug).unwrap();
        let handle = state.sandbox().await.unwrap();
        let (ias, xsuaa) = (switched.ias.as_ref().unwrap(), switched.xsuaa.as_ref().unwrap());
        assert_eq!((ias.client_auth, xsuaa.client_auth), (ClientAuth::X509, ClientAuth::X509));
        assert!(ias.url.starts_with("https://"), "IAS over TLS: {}", ias.url);
        assert_eq!(xsuaa.cert_url, handle.sandbox.urls().xsuaa_cert, "XSUAA at its certificate host");
        let ca_file = dir.0.join(SANDBOX_CA_FILE);
        assert_eq!(switched.ca_file.as_deref(), Some(ca_file.to_str().unwrap()), "the sandbox CA to trust");
        assert_eq!(std::fs::read_to_string(&ca_file).unwrap(), handle.sandbox.ca_pem().unwrap(), "the running CA");
        let facts = |kind| {
            let pem = state.secrets.get().unwrap().0.get(&slug, kind).unwrap().expect("a demo certificate");
            tokenhop_core::certificate::facts(pem.expose_secret(), std::time::SystemTime::now()).unwrap()
        };
        assert!(facts(SecretKind::XsuaaClientCertificate).subject.contains(&handle.sandbox.config().xsuaa_client_id));
        assert!(facts(SecretKind::IasClientCertificate).issuer.contains("TokenHop Sandbox CA"));
        let old_address = old_xsuaa.trim_start_matches("http://").to_owned();
        let connected = tokio::net::TcpStream::connect(&old_address).await;
        assert!(connected.is_err(), "the replaced sandbox is stopped, its ports closed: {old_address}");
        drop(handle);

        // A new start of the app: a new sandbox, serving certificates again, and a new CA in the same file.
        let restarted = state_with_keychain(&dir.0, &keychain);
        assert_eq!(restarted.sandbox_ready().await, Some(slug.as_str()));
        let after = restarted.profiles.get(&slug).unwrap();
        let new_handle = restarted.sandbox().await.unwrap();
        assert_eq!(new_handle.credentials, SandboxCredentials::Certificates, "the user's choice outlives a restart");
        assert_eq!(after.xsuaa.unwrap().cert_url, new_handle.sandbox.urls().xsuaa_cert, "the new certificate host");
        assert_eq!(std::fs::read_to_string(&ca_file).unwrap(), new_handle.sandbox.ca_pem().unwrap(), "the new CA");

        assert_eq!(restarted.set_sandbox_credentials(SandboxCredentials::Secrets).await.unwrap(), slug);
        let back = restarted.profiles.get(&slug).unwrap();
        assert_eq!((back.ias.unwrap().client_auth, back.ca_file), (ClientAuth::Post, None));
        assert_eq!((back.xsuaa.as_ref().unwrap().client_auth, back.xsuaa.unwrap().cert_url), (ClientAuth::Post, None));
        assert_eq!(sources(&restarted, &slug, &CERTIFICATE_KINDS), [SecretSource::Missing; 4], "old keys forgotten");
    }

    #[tokio::test]
    async fn the_sandbox_profile_switches_to_client_assertions_at_entra_and_ias() {
        let dir = TempConfig::new("assertions");
        let keychain = std::sync::Arc::new(MemoryStore::new());
        let state = state_with_keychain(&dir.0, &keychain);
        let slug = state.sandbox_ready().await.expect("the sandbox starts").to_owned();
        state.set_sandbox_credentials(SandboxCredentials::Certificates).await.unwrap();

        state.set_sandbox_credentials(SandboxCredentials::Assertions).await.unwrap();

        let profile = state.profiles.get(&slug).unwrap();
        assert!(profile.entra.confidential, "a certificate credential is a confidential app's");
        assert_eq!(profile.entra.client_auth, Some(ClientAuth::PrivateKeyJwt));
        let (ias, xsuaa) = (profile.ias.unwrap(), profile.xsuaa.unwrap());
        assert_eq!((ias.client_auth, xsuaa.client_auth), (ClientAuth::PrivateKeyJwt, ClientAuth::Post));
        assert_eq!((profile.ca_file, xsuaa.cert_url), (None, None), "no certificate binding any more");
        let signing = [
            SecretKind::EntraClientCertificate,
            SecretKind::EntraClientKey,
            SecretKind::IasClientCertificate,
            SecretKind::IasClientKey,
        ];
        assert_eq!(sources(&state, &slug, &signing), [SecretSource::Session; 4], "the demo key signs for both");
        let x509 = [SecretKind::XsuaaClientCertificate, SecretKind::XsuaaClientKey];
        assert_eq!(sources(&state, &slug, &x509), [SecretSource::Missing; 2], "the X.509 binding is forgotten");
        let handle = state.sandbox().await.unwrap();
        let key = state.secrets().await.get(&slug, SecretKind::IasClientKey).unwrap().unwrap();
        assert_eq!(key.expose_secret(), handle.sandbox.private_key_jwt_credential().key, "the key IAS trusts");
        for kind in SecretKind::ALL {
            use tokenhop_core::secrets::SecretStore as _;
            assert!(keychain.get(&slug, kind).unwrap().is_none(), "the keychain must not receive the sandbox's {kind}");
        }

        let restarted = state_with_keychain(&dir.0, &keychain);
        restarted.sandbox_ready().await.expect("the sandbox starts again");
        let handle = restarted.sandbox().await.unwrap();
        assert_eq!(handle.credentials, SandboxCredentials::Assertions, "the user's choice outlives a restart");
        assert!(handle.sandbox.config().entra_confidential);
    }

    #[tokio::test]
    async fn the_sandbox_is_not_switched_under_a_run() {
        let dir = TempConfig::new("busy");
        let state = state_with_keychain(&dir.0, &std::sync::Arc::new(MemoryStore::new()));
        let slug = state.sandbox_ready().await.expect("the sandbox starts").to_owned();
        let before = std::fs::read_to_string(state.profiles.path_of(&slug)).unwrap();
        *state.running.lock().unwrap() = Some(CancellationToken::new());

        let refused = state.set_sandbox_credentials(SandboxCredentials::Certificates).await.unwrap_err();

        assert_eq!(refused.code, code::APP_SANDBOX_BUSY.as_str());
        assert_eq!(std::fs::read_to_string(state.profiles.path_of(&slug)).unwrap(), before, "the profile is unchanged");
        assert_eq!(state.sandbox().await.unwrap().credentials, SandboxCredentials::Secrets, "the same sandbox runs");
    }

    #[tokio::test]
    async fn without_the_sandbox_there_is_nothing_to_switch() {
        let dir = TempConfig::new("no-sandbox");
        let state = state_with_keychain(&dir.0, &std::sync::Arc::new(MemoryStore::new()));
        let state = AppState { sandbox_profile: None, ..state };

        let refused = state.set_sandbox_credentials(SandboxCredentials::Certificates).await.unwrap_err();

        assert_eq!(refused.code, code::APP_NO_SANDBOX.as_str());
        assert!(files_under(&dir.0).is_empty(), "nothing is written: {:?}", files_under(&dir.0));
    }

    #[test]
    fn a_user_profile_named_sandbox_is_never_overwritten() {
        let dir = TempConfig::new("users-sandbox");
        let store = ProfileStore::open(&dir.0).unwrap();
        let users = sandbox_toml("https://acme.accounts.ondemand.com")
            .replace("http://127.0.0.1:47100", "https://login.microsoftonline.com")
            .replace("3c5e7a91-2b4d-4f60-8e1a-9d7c5b3a1f02", "11111111-2222-3333-4444-555555555555");
        std::fs::write(store.path_of("sandbox"), &users).unwrap();

        assert!(upsert_profile(&store, &sandbox_toml("http://127.0.0.1:47101")).is_err(), "the user's file stays");
        assert_eq!(std::fs::read_to_string(store.path_of("sandbox")).unwrap(), users, "byte for byte");
        assert_eq!(sandbox_profile_name(&store), Some("TokenHop Sandbox"), "the sandbox takes another name");
    }

    #[test]
    fn the_sandbox_listens_on_free_ports_unless_told_otherwise() {
        std::env::remove_var(SANDBOX_PORT_ENV);
        assert_eq!(
            sandbox_config_from_env(SandboxCredentials::Secrets).base_port,
            None,
            "no fixed ports another program could hold or expect"
        );
    }

    #[tokio::test]
    async fn the_app_being_ready_does_not_start_the_sandbox() {
        let dir = TempConfig::new("not-started");
        let state = AppState::with_profiles(ProfileStore::open(&dir.0).unwrap(), &dir.0);
        state.warm_up_sandbox().await;
        assert!(
            matches!(*state.sandbox.lock().await, SandboxSlot::NotStarted),
            "the sandbox starts only when a profile needs it"
        );
    }

    #[test]
    fn environment_secrets_do_not_reach_the_apps_profiles() {
        let kind = SecretKind::IasClientSecret;
        std::env::set_var(kind.env_var(), "one-tenant's-secret");
        let (secrets, _) = detect_secrets();
        std::env::remove_var(kind.env_var());
        assert_ne!(
            secrets.source("another-tenant", kind).unwrap(),
            SecretSource::Env,
            "a TOKENHOP_* variable applies to every profile: the app must not use it"
        );
    }
}

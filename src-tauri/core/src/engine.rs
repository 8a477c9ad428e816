//! What a run needs besides its profile: the [`Engine`] that outlives runs (HTTP client, key cache, browser,
//! clock), the [`RunRequest`] of one run, the network side of a run ([`Net`]) and the secrets it looks up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::browser::Browser;
use crate::diagnose::{code, Diagnosis};
use crate::entra::loopback::LoopbackConfig;
use crate::http::{http_failure, HttpClient, HttpError};
use crate::oidc::JwksCache;
use crate::profile::Profile;
use crate::report::{Progress, ProgressFn, Step};
use crate::secrets::{Secret, SecretKind, SecretStore};
use crate::Clock;

/// What outlives a run: the HTTP client (kept-alive connections), the key cache, the browser and clock.
pub struct Engine {
    pub http: HttpClient,
    pub jwks: Arc<JwksCache>,
    pub browser: Box<dyn Browser>,
    pub clock: Clock,
    pub loopback: LoopbackConfig,
    /// Whose turn it is to sign in with a person, across every run of this engine.
    pub(crate) turn: SignInTurn,
    /// The client and key cache of each `ca_file` content, so that runs of a profile with a `ca_file` keep their
    /// connections and fetched keys like any other (building a client parses the OS's roots: tens of ms).
    trusts: Mutex<HashMap<Trust, (HttpClient, Arc<JwksCache>)>>,
    /// Clients that present a client certificate (mutual TLS), one per trust and certificate, so that runs and
    /// matrix cells reuse their connections instead of a TLS handshake per hop.
    identity_clients: IdentityClients,
}

/// Which roots a client trusts: the OS's alone (`None`), or also those of a `ca_file` (its path and the SHA-256
/// of its content: a file rewritten with another CA gets a client of its own).
type Trust = Option<(String, [u8; 32])>;

/// (trust, the certificate's SHA-256 thumbprint) → the client presenting that certificate. The key is part of
/// the client, never of the map's key; a certificate's key was checked to belong to it.
type IdentityClients = Mutex<HashMap<(Trust, String), HttpClient>>;

impl Engine {
    pub fn new(http: HttpClient, browser: Box<dyn Browser>) -> Self {
        let jwks = Arc::new(JwksCache::new(http.clone(), Duration::from_secs(30)));
        Self {
            http,
            jwks,
            browser,
            clock: Arc::new(SystemTime::now),
            loopback: LoopbackConfig::default(),
            turn: SignInTurn::default(),
            trusts: Default::default(),
            identity_clients: Default::default(),
        }
    }

    /// The client presenting `identity` with `net`'s trust: the cached one for this trust and certificate, or a
    /// new one, kept for the next run.
    pub(crate) fn identity_client(
        &self,
        net: &Net,
        identity: &crate::certificate::ClientIdentity,
    ) -> Result<HttpClient, crate::http::HttpError> {
        let key = (net.trust.clone(), identity.facts.sha256_thumbprint.clone());
        let mut clients = self.identity_clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = net.http.with_identity(identity)?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.clock)()
    }
}

/// The one sign-in at a time that needs a person (a browser tab, a device code), across every run of the
/// engine: the app's Run and Run all, the CLI's matrix. A person can answer one sign-in at a time, and a
/// loopback listener per tenant waiting at once would time out while they work through the others. Silent
/// sign-ins, the password flow and every hop after the sign-in take no turn.
pub(crate) struct SignInTurn {
    gate: Semaphore,
    holder: Mutex<String>,
}

impl Default for SignInTurn {
    fn default() -> Self {
        Self { gate: Semaphore::new(1), holder: Mutex::default() }
    }
}

impl SignInTurn {
    /// Waits until nobody else is signing in (saying who is, meanwhile); the turn ends when the permit drops.
    /// A run cancelled while it waits drops this future with the rest of its step.
    /// (`None` only if the gate were closed, which nothing does.)
    pub(crate) async fn take(&self, slug: &str, progress: ProgressFn<'_>) -> Option<SemaphorePermit<'_>> {
        let permit = match self.gate.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                let behind = self.holder.lock().unwrap_or_else(|p| p.into_inner()).clone();
                progress(Progress::SignInQueued { behind });
                self.gate.acquire().await.ok()?
            }
        };
        *self.holder.lock().unwrap_or_else(|p| p.into_inner()) = slug.to_owned();
        progress(Progress::SignInTurn);
        Some(permit)
    }
}

/// The network side of one run: the engine's client and key cache, or, when the profile names a `ca_file`, ones
/// that also trust its roots.
pub(crate) struct Net {
    pub(crate) http: HttpClient,
    pub(crate) jwks: Arc<JwksCache>,
    trust: Trust,
}

impl Net {
    /// The engine's own for a profile without `ca_file`; else the ones kept for that file's content, built on its
    /// first run. The file is read on every run, so that a CA changed on disk is trusted from the next run on.
    pub(crate) fn for_profile(engine: &Engine, profile: &Profile) -> Result<Self, Diagnosis> {
        let Some(path) = profile.ca_file.as_deref() else {
            return Ok(Self { http: engine.http.clone(), jwks: engine.jwks.clone(), trust: None });
        };
        let path = std::path::Path::new(path);
        let pem = std::fs::read(path).map_err(|e| {
            let e = HttpError::CaFile { path: path.display().to_string(), reason: e.to_string() };
            http_failure("The profile's ca_file", &e)
        })?;
        let trust = Some((path.display().to_string(), Sha256::digest(&pem).into()));
        let mut trusts = engine.trusts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((http, jwks)) = trusts.get(&trust) {
            return Ok(Self { http: http.clone(), jwks: jwks.clone(), trust });
        }
        let http = engine.http.with_ca_pem(path, &pem).map_err(|e| http_failure("The profile's ca_file", &e))?;
        let jwks = Arc::new(JwksCache::new(http.clone(), Duration::from_secs(30)));
        trusts.insert(trust.clone(), (http.clone(), jwks.clone()));
        Ok(Self { http, jwks, trust })
    }
}

/// One run: which profile, how far, where its secrets come from.
pub struct RunRequest<'a> {
    pub profile: &'a Profile,
    /// The profile's slug, the account part of its keychain entries.
    pub slug: &'a str,
    /// Stop after this hop; `None` runs every configured hop.
    pub until: Option<Step>,
    pub secrets: &'a dyn SecretStore,
    /// How the Entra step may sign in.
    pub sign_in: SignInPolicy,
    /// Refresh IAS and XSUAA from their kept refresh tokens instead of signing in and exchanging (`--refresh`).
    pub refresh: bool,
}

/// How the Entra step may sign the user in: the CLI's `--fresh-sign-in` and `--no-browser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInPolicy {
    /// Redeem the profile's cached sign-in when there is one (and the profile remembers sign-ins).
    pub reuse_cached: bool,
    /// A browser, or a person entering a device code, may be asked for; if not, the step fails with
    /// `entra.sign_in_required` where one would be needed.
    pub interactive: bool,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self { reuse_cached: true, interactive: true }
    }
}

/// A run under way: what each of its hops reads.
pub(crate) struct Run<'a> {
    pub engine: &'a Engine,
    pub net: Net,
    pub req: &'a RunRequest<'a>,
    pub progress: ProgressFn<'a>,
}

impl RunRequest<'_> {
    /// The profile's secret of `kind`, or `Ok(None)` when none is stored.
    pub(crate) fn secret(&self, kind: SecretKind) -> Result<Option<Secret>, Diagnosis> {
        self.secrets.get(self.slug, kind).map_err(|e| {
            Diagnosis::new(
                code::SECRETS_UNAVAILABLE,
                format!("The {kind} could not be read: {e}"),
                format!("Set {} for this run, or unlock the keychain.", kind.env_var()),
            )
        })
    }

    /// The profile's secret of `kind`, which the hop cannot do without.
    pub(crate) fn required_secret(&self, kind: SecretKind) -> Result<Secret, Diagnosis> {
        self.secret(kind)?.ok_or_else(|| missing_secret(kind, self.slug))
    }
}

fn missing_secret(kind: SecretKind, slug: &str) -> Diagnosis {
    Diagnosis::new(
        code::SECRETS_MISSING,
        format!("No {kind} is stored for this profile."),
        format!(
            "Store it with `tokenhop-cli secret set {slug} {kind}` (or in the app), or set {} for this run.",
            kind.env_var()
        ),
    )
}

//! What a run needs besides its profile: the [`Engine`] that outlives runs (HTTP client, key cache, browser,
//! clock), the [`RunRequest`] of one run, the network side of a run ([`Net`]) and the secrets it looks up.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::browser::Browser;
use crate::diagnose::{http_failure, Diagnosis};
use crate::entra::loopback::LoopbackConfig;
use crate::http::HttpClient;
use crate::oidc::JwksCache;
use crate::profile::Profile;
use crate::report::Step;
use crate::secrets::{Secret, SecretKind, SecretStore};

/// The clock every check uses; tests pin it.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// What outlives a run: the HTTP client (kept-alive connections), the key cache, the browser and clock.
pub struct Engine {
    pub http: HttpClient,
    pub jwks: Arc<JwksCache>,
    pub browser: Box<dyn Browser>,
    pub clock: Clock,
    pub loopback: LoopbackConfig,
    /// Clients that present a client certificate (mutual TLS), one per trust (`ca_file`) and certificate, so that
    /// runs and matrix cells reuse their connections instead of a TLS handshake per hop.
    identity_clients: IdentityClients,
}

/// (the profile's `ca_file`, the certificate's SHA-256 thumbprint) → the client presenting that certificate. The
/// key is part of the client, never of the map's key; a certificate's key was checked to belong to it.
type IdentityClients = std::sync::Mutex<std::collections::HashMap<(Option<String>, String), HttpClient>>;

impl Engine {
    pub fn new(http: HttpClient, browser: Box<dyn Browser>) -> Self {
        let jwks = Arc::new(JwksCache::new(http.clone(), Duration::from_secs(30)));
        Self {
            http,
            jwks,
            browser,
            clock: Arc::new(SystemTime::now),
            loopback: LoopbackConfig::default(),
            identity_clients: Default::default(),
        }
    }

    /// The client presenting `identity` with `net`'s trust: the cached one for this `ca_file` and certificate, or
    /// a new one, kept for the next run.
    pub(crate) fn identity_client(
        &self,
        net: &Net,
        ca_file: Option<&str>,
        identity: &crate::certificate::ClientIdentity,
    ) -> Result<HttpClient, crate::http::HttpError> {
        let key = (ca_file.map(str::to_owned), identity.facts.sha256_thumbprint.clone());
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

/// The network side of one run: the engine's client and key cache, or, when the profile names a `ca_file`, ones
/// that also trust its roots.
pub(crate) struct Net {
    pub(crate) http: HttpClient,
    pub(crate) jwks: Arc<JwksCache>,
}

impl Net {
    pub(crate) fn for_profile(engine: &Engine, profile: &Profile) -> Result<Self, Diagnosis> {
        match profile.ca_file.as_deref() {
            None => Ok(Self { http: engine.http.clone(), jwks: engine.jwks.clone() }),
            Some(path) => {
                let http = engine
                    .http
                    .with_ca_file(std::path::Path::new(path))
                    .map_err(|e| http_failure("The profile's ca_file", &e))?;
                let jwks = Arc::new(JwksCache::new(http.clone(), Duration::from_secs(30)));
                Ok(Self { http, jwks })
            }
        }
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

impl RunRequest<'_> {
    /// The profile's secret of `kind`, or `Ok(None)` when none is stored.
    pub(crate) fn secret(&self, kind: SecretKind) -> Result<Option<Secret>, Diagnosis> {
        self.secrets.get(self.slug, kind).map_err(|e| {
            Diagnosis::new(
                "secrets.unavailable",
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
        "secrets.missing",
        format!("No {kind} is stored for this profile."),
        format!(
            "Store it with `tokenhop-cli secret set {slug} {kind}` (or in the app), or set {} for this run.",
            kind.env_var()
        ),
    )
}

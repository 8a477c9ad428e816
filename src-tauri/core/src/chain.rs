//! Runs the chain of DESIGN §1 — Entra sign-in → IAS → XSUAA → API — emitting progress and cancellable at
//! any point. Each hop yields a [`StepOutcome`]; a failed hop ends the run.
//!
//! | step  | runs when                                  | sends                          | needs secret           |
//! |-------|--------------------------------------------|--------------------------------|------------------------|
//! | entra | always                                     | auth code / device code / ROPC | entra (confidential)   |
//! | ias   | `until` ≥ ias, `[ias]` configured          | Entra `id_token` as assertion  | IAS client secret, or certificate + key (x509) |
//! | xsuaa | `until` ≥ xsuaa, `[xsuaa]` configured      | IAS `id_token` as assertion    | XSUAA client secret, or certificate + key (x509) |
//! | api   | `until` ≥ api, `[api]` configured          | XSUAA `access_token` (else IAS)| —                      |
//!
//! A profile's `ca_file` adds trusted roots to every request of the run; a certificate client's exchange goes
//! over mutual TLS on a client derived for its identity, after the certificate and key passed the checks of
//! [`crate::certificate`] (a bad pair fails the hop before anything is sent).
//!
//! Asking (`until`) for a hop the profile does not configure fails that hop with a diagnosis. Discovery,
//! every issuer's keys and a connection to the API are readied while the user signs in, so they stay off the
//! critical path.
//!
//! How the Entra step signs in ([`SignInPolicy`], the profile's `remember_sign_in`):
//!
//! | cached sign-in | refresh at Entra          | interactive allowed | then                                        |
//! |----------------|---------------------------|---------------------|---------------------------------------------|
//! | none / unused  | —                         | yes                 | the profile's flow (browser, device, ROPC)  |
//! | none / unused  | —                         | no                  | `entra.sign_in_required` (ROPC still runs)  |
//! | yes            | tokens                    | —                   | silent: every check, plus same `sub`, `tid` |
//! | yes            | refused (`invalid_grant`) | yes                 | forget it, the flow, and say why            |
//! | yes            | refused (`invalid_grant`) | no                  | forget it, `entra.sign_in_required` + why   |
//! | yes            | any other failure         | —                   | the step fails with that diagnosis          |
//!
//! After a successful Entra step the new refresh token (Entra rotates it on every use) replaces the cached
//! one. With [`RunRequest::refresh`] the Entra step is skipped and IAS and XSUAA redeem their kept refresh
//! tokens instead of exchanging again ([`crate::refresh`]).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::browser::Browser;
use crate::certificate::load_identity;
use crate::diagnose::{http_failure, Diagnosis};
use crate::entra::cache::{self, SignedInUser};
use crate::entra::id_token::NonceCheck;
use crate::entra::loopback::LoopbackConfig;
use crate::entra::refresh::RefreshFailure;
use crate::entra::{self, SignInContext, SignInSecrets};
use crate::exchange::{self, Service};
use crate::http::{parse_url, HttpClient};
use crate::keep::Keeper;
use crate::oauth::TokenResponse;
use crate::oidc::{discover, JwksCache};
use crate::profile::{Flow, Profile, TokenFormat};
use crate::report::{
    Check, Progress, RunReport, SignInInfo, SignInMethod, SignatureStatus, Step, StepOutcome, TokenString,
};
use crate::secrets::{SecretKind, SecretStore};
use crate::token::{decode, DecodedJwt};
use crate::token_request::{Inputs, TokenRequest};

/// The clock every check uses; tests pin it.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// What outlives a run: the HTTP client (kept-alive connections), the key cache, the browser and clock.
pub struct Engine {
    pub http: HttpClient,
    pub jwks: Arc<JwksCache>,
    pub browser: Box<dyn Browser>,
    pub clock: Clock,
    pub loopback: LoopbackConfig,
}

impl Engine {
    pub fn new(http: HttpClient, browser: Box<dyn Browser>) -> Self {
        let jwks = Arc::new(JwksCache::new(http.clone(), std::time::Duration::from_secs(30)));
        Self { http, jwks, browser, clock: Arc::new(SystemTime::now), loopback: LoopbackConfig::default() }
    }

    fn now(&self) -> SystemTime {
        (self.clock)()
    }
}

/// The network side of one run: the engine's client and key cache, or, when the profile names a `ca_file`, ones
/// that also trust its roots.
struct Net {
    http: HttpClient,
    jwks: Arc<JwksCache>,
}

impl Net {
    fn for_profile(engine: &Engine, profile: &Profile) -> Result<Self, Diagnosis> {
        match profile.ca_file.as_deref() {
            None => Ok(Self { http: engine.http.clone(), jwks: engine.jwks.clone() }),
            Some(path) => {
                let http = engine
                    .http
                    .with_ca_file(std::path::Path::new(path))
                    .map_err(|e| http_failure("The profile's ca_file", &e))?;
                let jwks = Arc::new(JwksCache::new(http.clone(), std::time::Duration::from_secs(30)));
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

pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

pub async fn run(
    engine: &Engine,
    req: RunRequest<'_>,
    progress: ProgressFn<'_>,
    cancel: CancellationToken,
) -> RunReport {
    let started_at = time::OffsetDateTime::from(engine.now())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let last = req.until.unwrap_or_else(|| last_configured(req.profile));
    let mut report = RunReport { ok: false, profile: req.profile.name.clone(), steps: Vec::new(), started_at };
    let net = match Net::for_profile(engine, req.profile) {
        Ok(net) => net,
        Err(d) => {
            let outcome = failed(Step::Entra, d);
            progress(Progress::StepFinished { outcome: outcome.clone() });
            report.steps.push(outcome);
            return report;
        }
    };
    prefetch(&net, req.profile, last);
    // Refreshing the later hops needs no Entra token.
    let first = if req.refresh { Step::Ias } else { Step::Entra };

    let keeper = Keeper::default();

    for step in Step::ALL.into_iter().filter(|s| *s >= first).take_while(|s| *s <= last) {
        progress(Progress::StepStarted { step });
        let t0 = Instant::now();
        let previous = report.steps.last();
        let mut outcome = tokio::select! {
            o = run_step(engine, &net, &req, step, previous, &keeper, progress, &cancel) => o,
            _ = cancel.cancelled() => failed(step, Diagnosis::new("cancelled", "The run was cancelled.", "Run the chain again when ready.")),
        };
        outcome.elapsed_ms = t0.elapsed().as_millis() as u64;
        let ok = outcome.ok;
        if ok && req.profile.keeps_refresh_tokens() {
            keeper.later_hop(&outcome);
        }
        progress(Progress::StepFinished { outcome: outcome.clone() });
        report.steps.push(outcome);
        if !ok {
            break;
        }
    }
    report.ok = report.steps.iter().all(|s| s.ok);
    keeper.flush(req.secrets, req.slug, progress);
    report
}

/// The last hop the profile configures: where a run without `until` stops.
pub fn last_configured(p: &Profile) -> Step {
    if p.api.is_some() {
        Step::Api
    } else if p.xsuaa.is_some() {
        Step::Xsuaa
    } else if p.ias.is_some() {
        Step::Ias
    } else {
        Step::Entra
    }
}

/// What crosses to the next hop: Entra's and IAS's `id_token`, XSUAA's `access_token`.
fn forwarded(o: &StepOutcome) -> Option<&str> {
    let name = match o.step {
        Step::Entra | Step::Ias => "id_token",
        Step::Xsuaa => "access_token",
        Step::Api => return None,
    };
    o.token(name)
}

/// Readies, while the user signs in, what the hops after the callback need: the IAS and XSUAA keys
/// (their fetch leaves a kept-alive connection to each token endpoint's host), and a connection to the API.
fn prefetch(net: &Net, p: &Profile, last: Step) {
    let needed = |hop: Step, url: Option<&String>| url.filter(|_| last >= hop).and_then(|u| parse_url(u).ok());
    let ias_client = p.ias.as_ref().map(|c| c.client_id.clone());
    let keys = [
        needed(Step::Ias, p.ias.as_ref().map(|c| &c.url)).map(|u| (Service::Ias.keys_url(&u), ias_client)),
        needed(Step::Xsuaa, p.xsuaa.as_ref().map(|c| &c.url)).map(|u| (Service::Xsuaa.keys_url(&u), None)),
    ];
    for (url, client_id) in keys.into_iter().flatten() {
        let jwks = net.jwks.clone();
        tokio::spawn(async move {
            let headers: Vec<(&str, &str)> = client_id.as_deref().map(|c| ("x-client_id", c)).into_iter().collect();
            let _ = jwks.get_with(&url, &headers).await;
        });
    }
    if let Some(url) = needed(Step::Api, p.api.as_ref().map(|a| &a.url)) {
        let http = net.http.clone();
        tokio::spawn(async move { http.preconnect(&url).await });
    }
}

async fn run_step(
    engine: &Engine,
    net: &Net,
    req: &RunRequest<'_>,
    step: Step,
    previous: Option<&StepOutcome>,
    keeper: &Keeper,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> StepOutcome {
    let input = previous.and_then(forwarded);
    let not_configured = |section: &str| {
        failed(
            step,
            Diagnosis::new(
                format!("{section}.not_configured"),
                format!("The profile has no [{section}] section, so the {step} step cannot run."),
                format!("Add the [{section}] section to the profile, or run only up to the previous step."),
            ),
        )
    };
    match step {
        Step::Entra => entra_step(engine, net, req, keeper, progress, cancel).await,
        Step::Ias | Step::Xsuaa if req.refresh => crate::refresh::from_kept(engine, req, step, progress).await,
        Step::Ias => match &req.profile.ias {
            None => not_configured("ias"),
            Some(ias) => {
                let request = TokenRequest::ias_jwt_bearer(ias);
                exchange_step(
                    engine,
                    net,
                    req,
                    &request,
                    ExchangeInputs { issuer: &ias.url, assertion: input, zid: None },
                    progress,
                )
                .await
            }
        },
        Step::Xsuaa => match &req.profile.xsuaa {
            None => not_configured("xsuaa"),
            Some(x) => {
                // X-zid names the subaccount's zone: the profile's, else the IAS token's app_tid.
                let app_tid = || previous?.claims.get("id_token")?.get("app_tid")?.as_str();
                let zid = x.zid.as_deref().or_else(app_tid);
                let request = TokenRequest::xsuaa_jwt_bearer(x);
                exchange_step(
                    engine,
                    net,
                    req,
                    &request,
                    ExchangeInputs { issuer: &x.url, assertion: input, zid },
                    progress,
                )
                .await
            }
        },
        Step::Api => match &req.profile.api {
            None => not_configured("api"),
            Some(api) => crate::api::call(&net.http, api, input.unwrap_or_default(), progress).await,
        },
    }
}

pub(crate) fn failed(step: Step, d: Diagnosis) -> StepOutcome {
    let mut o = StepOutcome::new(step);
    o.error = Some(d);
    o
}

pub(crate) fn secret(req: &RunRequest<'_>, kind: SecretKind) -> Result<Option<crate::Secret>, Diagnosis> {
    req.secrets.get(req.slug, kind).map_err(|e| {
        Diagnosis::new(
            "secrets.unavailable",
            format!("The {kind} could not be read: {e}"),
            format!("Set {} for this run, or unlock the keychain.", kind.env_var()),
        )
    })
}

pub(crate) fn missing_secret(kind: SecretKind, slug: &str) -> Diagnosis {
    Diagnosis::new(
        "secrets.missing",
        format!("No {kind} is stored for this profile."),
        format!(
            "Store it with `tokenhop-cli secret set {slug} {kind}` (or in the app), or set {} for this run.",
            kind.env_var()
        ),
    )
}

async fn entra_step(
    engine: &Engine,
    net: &Net,
    req: &RunRequest<'_>,
    keeper: &Keeper,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> StepOutcome {
    let entra_cfg = &req.profile.entra;
    let url = match entra::discovery_url(entra_cfg) {
        Ok(u) => u,
        Err(e) => return failed(Step::Entra, http_failure("Entra discovery", &e)),
    };
    progress(Progress::Request { step: Step::Entra, url: url.to_string() });
    let discovery = match discover(&net.http, &url).await {
        Ok(d) => d,
        Err(e) => return failed(Step::Entra, discovery_diagnosis(&e)),
    };
    // The tenant's keys arrive while the user signs in.
    let jwks = net.jwks.clone();
    let jwks_uri = discovery.jwks_uri.clone();
    tokio::spawn(async move {
        let _ = jwks.get(&jwks_uri).await;
    });

    let client_secret = if entra_cfg.confidential {
        match secret(req, SecretKind::EntraClientSecret) {
            Ok(Some(s)) => Some(s),
            Ok(None) => return failed(Step::Entra, missing_secret(SecretKind::EntraClientSecret, req.slug)),
            Err(d) => return failed(Step::Entra, d),
        }
    } else {
        None
    };

    // A refresh token given by environment (CI) is used even when the profile keeps no sign-in.
    let remember = req.profile.remembers_sign_in();
    let given = req.secrets.overridden(SecretKind::EntraRefreshToken);
    let cached = match ((remember || given) && req.sign_in.reuse_cached).then(|| cache::load(req.secrets, req.slug)) {
        Some(Ok(cached)) => cached,
        Some(Err(e)) => {
            let message = format!("The cached sign-in could not be read ({e}); signing in again.");
            progress(Progress::Warning { step: Step::Entra, message });
            None
        }
        None => None,
    };
    let mut fallback_reason = None;
    if let Some(cached) = cached {
        progress(Progress::Request { step: Step::Entra, url: discovery.token_endpoint.to_string() });
        let (result, http) =
            entra::refresh::redeem(&net.http, &discovery, entra_cfg, &cached.refresh_token, client_secret.as_ref())
                .await;
        let silent = SignInInfo { method: SignInMethod::Silent, fallback_reason: None };
        match result {
            Ok(tokens) => {
                let original = cached.user.as_ref();
                let nonce = NonceCheck::Refreshed { original: original.and_then(|u| u.nonce.as_deref()) };
                let signed_in = SignedIn { tokens, http, nonce, original, how: silent };
                return finish_entra(engine, net, req, &discovery, signed_in, keeper, progress).await;
            }
            Err(RefreshFailure::Failed(d)) => {
                let mut out = failed(Step::Entra, d);
                out.http = Some(http);
                out.sign_in = Some(silent);
                return out;
            }
            Err(RefreshFailure::Refused { reason, .. }) => {
                // The grant is gone for good (expired, revoked, or it needs the user): forget it.
                if let Err(e) = cache::forget(req.secrets, req.slug) {
                    tracing::warn!(error = %e, "could not forget a refused sign-in");
                }
                fallback_reason = Some(reason);
            }
        }
    }

    let method = match entra_cfg.flow {
        Flow::AuthorizationCode => SignInMethod::Browser,
        Flow::DeviceCode => SignInMethod::DeviceCode,
        Flow::Password => SignInMethod::Password,
    };
    if !req.sign_in.interactive && method != SignInMethod::Password {
        let mut out = failed(Step::Entra, sign_in_required(req, fallback_reason.as_deref()));
        out.sign_in = Some(SignInInfo { method, fallback_reason });
        return out;
    }
    if let Some(reason) = &fallback_reason {
        let message = format!("Entra refused the cached sign-in ({reason}); signing in again.");
        progress(Progress::Warning { step: Step::Entra, message });
    }
    let password = if entra_cfg.flow == Flow::Password {
        match secret(req, SecretKind::EntraPassword) {
            Ok(p) => p,
            Err(d) => return failed(Step::Entra, d),
        }
    } else {
        None
    };
    let mut loopback = engine.loopback.clone();
    loopback.host = entra_cfg.redirect_host;
    loopback.port = entra_cfg.redirect_port;
    let signed_in = entra::sign_in(SignInContext {
        http: &net.http,
        discovery: &discovery,
        entra: entra_cfg,
        secrets: SignInSecrets { client_secret, password },
        browser: engine.browser.as_ref(),
        loopback,
        progress,
        cancel,
    })
    .await;

    let how = SignInInfo { method, fallback_reason };
    let tokens = match signed_in.tokens {
        Ok(t) => t,
        Err(d) => {
            let mut out = failed(Step::Entra, d);
            out.http = signed_in.http;
            out.sign_in = Some(how);
            return out;
        }
    };
    let nonce = signed_in.nonce.as_ref().map_or(NonceCheck::NotSent, NonceCheck::Equals);
    let Some(http) = signed_in.http else {
        // Every flow that returns tokens made a token request.
        return failed(
            Step::Entra,
            Diagnosis::new(
                "entra.no_request",
                "The sign-in returned tokens without a token request.",
                "Report this as a bug.",
            ),
        );
    };
    let signed_in = SignedIn { tokens, http, nonce, original: None, how };
    finish_entra(engine, net, req, &discovery, signed_in, keeper, progress).await
}

/// A token response from Entra, and what the checks of its ID token need to know about how it was obtained.
struct SignedIn<'a> {
    tokens: TokenResponse,
    http: crate::report::HttpRecord,
    nonce: NonceCheck<'a>,
    /// The user of the cached sign-in that was refreshed: the new ID token must be theirs.
    original: Option<&'a SignedInUser>,
    how: SignInInfo,
}

/// Checks the ID token, as for every sign-in, and on success keeps the sign-in for the next run.
async fn finish_entra(
    engine: &Engine,
    net: &Net,
    req: &RunRequest<'_>,
    discovery: &crate::oidc::Discovery,
    signed_in: SignedIn<'_>,
    keeper: &Keeper,
    progress: ProgressFn<'_>,
) -> StepOutcome {
    let entra_cfg = &req.profile.entra;
    let mut out = StepOutcome::new(Step::Entra);
    out.http = Some(signed_in.http);
    let silent = signed_in.how.method == SignInMethod::Silent;
    out.sign_in = Some(signed_in.how);
    let tokens = signed_in.tokens;
    let Some(id_token) = tokens.id_token.as_ref() else {
        out.error = Some(Diagnosis::new(
            "entra.no_id_token",
            "Entra returned no ID token.",
            "Add the `openid` scope to the profile's Entra scopes.",
        ));
        return out;
    };
    let now = chrono::DateTime::<chrono::Utc>::from(engine.now());
    let check = entra::id_token::verify(
        id_token.expose_secret(),
        discovery,
        &net.jwks,
        &entra_cfg.client_id,
        signed_in.nonce,
        now,
    )
    .await;
    out.checks = check.checks;
    add_tokens(&mut out, &tokens, Some((check.signature, check.decoded)));
    tenant_check(&mut out, entra_cfg, &discovery.issuer);
    out.error = check.error;
    if silent {
        same_user_check(&mut out, signed_in.original);
    }
    out.ok = out.error.is_none();
    if out.ok && req.profile.remembers_sign_in() {
        keep_sign_in(engine, &out, &tokens, signed_in.original, keeper, progress);
    }
    out
}

/// OIDC Core §12.2: a refreshed ID token's `sub` is the original one's; and it must be the same tenant.
fn same_user_check(out: &mut StepOutcome, original: Option<&SignedInUser>) {
    let claims = out.claims.get("id_token");
    let claim = |name: &str| claims.and_then(|c| c.get(name)).and_then(Value::as_str).unwrap_or("(missing)").to_owned();
    let Some(original) = original else {
        let detail = "not compared: the refresh token came without its original sign-in (TOKENHOP_ENTRA_REFRESH_TOKEN)";
        out.checks.push(Check::new("same_user", true, detail).on("id_token"));
        return;
    };
    for (name, was) in [("sub", &original.sub), ("tid", &original.tid)] {
        let now = claim(name);
        let ok = &now == was;
        let detail = if ok {
            format!("{name} is the original sign-in's")
        } else {
            format!("{name} is {now}, the original sign-in's was {was}")
        };
        out.checks.push(Check::new(format!("original_{name}"), ok, detail).on("id_token"));
        if !ok && out.error.is_none() {
            out.error = Some(Diagnosis::new(
                "entra.sign_in_changed_user",
                format!("The refreshed ID token is for another {} than the cached sign-in ({name} changed).", if name == "sub" { "user" } else { "tenant" }),
                "Do not use these tokens. Forget the cached sign-in (`tokenhop-cli profile sign-out NAME`, or Sign out in the app) and sign in again.",
            ));
        }
    }
}

/// Keeps this sign-in for the next run, in place of the cached one (Entra rotates refresh tokens on every
/// use); when Entra sends no new refresh token after a refresh, the cached one stays.
fn keep_sign_in(
    engine: &Engine,
    out: &StepOutcome,
    tokens: &TokenResponse,
    original: Option<&SignedInUser>,
    keeper: &Keeper,
    progress: ProgressFn<'_>,
) {
    if original.is_some() && tokens.refresh_token.is_none() {
        return;
    }
    let Some(refresh_token) = tokens.refresh_token.as_ref() else {
        let message = "Entra returned no refresh token, so the next run signs in again: add the `offline_access` scope to the profile.";
        progress(Progress::Warning { step: Step::Entra, message: message.into() });
        return;
    };
    let claims = out.claims.get("id_token");
    let claim = |name: &str| claims.and_then(|c| c.get(name)).and_then(Value::as_str).map(str::to_owned);
    let (Some(sub), Some(tid)) = (claim("sub"), claim("tid")) else { return };
    let refreshed_at = engine.now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let user = SignedInUser {
        sub,
        tid,
        username: claim("preferred_username").or_else(|| claim("email")),
        // The original sign-in's nonce stays the one a refreshed token may carry.
        nonce: original.map_or_else(|| claim("nonce"), |o| o.nonce.clone()),
        refreshed_at,
    };
    keeper.sign_in(refresh_token.clone(), user);
}

fn sign_in_required(req: &RunRequest<'_>, refused: Option<&str>) -> Diagnosis {
    let message = match refused {
        Some(reason) => format!("Entra refused the cached sign-in ({reason}), and this run may not open a browser."),
        None if !req.profile.remembers_sign_in() => {
            "The profile does not keep its sign-in (remember_sign_in = false), and this run may not open a browser."
                .to_owned()
        }
        None => "There is no cached sign-in for this profile, and this run may not open a browser.".to_owned(),
    };
    Diagnosis::new(
        "entra.sign_in_required",
        message,
        format!(
            "Sign in once without --no-browser (`tokenhop-cli run {}`), which keeps the sign-in in the keychain, or set {} for this run.",
            req.slug,
            SecretKind::EntraRefreshToken.env_var()
        ),
    )
}

/// `iss` must be `{authority}/{tid}/v2.0`, and `tid` the profile's tenant when that is a GUID.
fn tenant_check(out: &mut StepOutcome, entra_cfg: &crate::profile::EntraConfig, issuer: &str) {
    let Some(claims) = out.claims.get("id_token") else { return };
    let tid = claims.get("tid").and_then(Value::as_str).unwrap_or("");
    let is_guid = uuid::Uuid::parse_str(entra_cfg.tenant.trim()).is_ok();
    let ok = issuer.contains(tid) && (!is_guid || tid.eq_ignore_ascii_case(entra_cfg.tenant.trim()));
    out.checks.push(Check::new("tid", ok, format!("tenant {tid} issued the token")).on("id_token"));
}

fn discovery_diagnosis(e: &crate::oidc::DiscoveryError) -> Diagnosis {
    use crate::oidc::DiscoveryError as D;
    match e {
        D::Http(h) => http_failure("Entra discovery", h),
        D::NotFound { url, status, body } => Diagnosis::new(
            "entra.discovery_not_found",
            format!("{url} answered HTTP {status} instead of an OpenID configuration."),
            "Check the tenant (GUID or domain such as contoso.onmicrosoft.com) and the authority in the profile.",
        )
        .with_raw(format!("HTTP {status}\n{body}")),
        D::Malformed { url, reason, body } => Diagnosis::new(
            "entra.discovery_malformed",
            format!("The OpenID configuration at {url} is malformed: {reason}"),
            "Check the authority: it must serve Entra's v2.0 endpoints.",
        )
        .with_raw(body.clone()),
    }
}

/// What the previous hop handed over to an exchange.
struct ExchangeInputs<'a> {
    /// The service's own URL from the profile, whose keys sign what it answers.
    issuer: &'a str,
    assertion: Option<&'a str>,
    zid: Option<&'a str>,
}

async fn exchange_step(
    engine: &Engine,
    net: &Net,
    req: &RunRequest<'_>,
    request: &TokenRequest,
    handed: ExchangeInputs<'_>,
    progress: ProgressFn<'_>,
) -> StepOutcome {
    let service = request.service;
    let step = if service == Service::Ias { Step::Ias } else { Step::Xsuaa };
    let kind = if service == Service::Ias { SecretKind::IasClientSecret } else { SecretKind::XsuaaClientSecret };
    let url = match parse_url(&request.url) {
        Ok(u) => u,
        Err(e) => return failed(step, http_failure(service.name(), &e)),
    };
    let Some(assertion) = handed.assertion else {
        return failed(
            step,
            Diagnosis::new(
                "chain.no_input",
                "The previous step produced no ID token to exchange.",
                "Run the chain from the start.",
            ),
        );
    };
    let mut checks = Vec::new();
    let (client, secret) = if request.client_certificate {
        match certificate_client(engine, net, req, service) {
            Ok((client, check)) => {
                checks.push(check);
                (client, None)
            }
            Err(d) => return failed(step, d),
        }
    } else {
        match secret(req, kind) {
            Ok(Some(s)) => (net.http.clone(), Some(s)),
            Ok(None) => return failed(step, missing_secret(kind, req.slug)),
            Err(d) => return failed(step, d),
        }
    };
    progress(Progress::Request { step, url: url.to_string() });
    let inputs =
        Inputs { client_secret: secret.as_ref(), assertion: Some(assertion), refresh_token: None, zid: handed.zid };
    let (result, http) = exchange::send(&client, request, &url, &inputs).await;
    let mut out = StepOutcome::new(step);
    out.http = Some(http);
    out.checks = checks;
    let tokens = match result {
        Ok(t) => t,
        Err(d) => {
            out.error = Some(d);
            return out;
        }
    };
    add_tokens(&mut out, &tokens, None);
    if let Ok(issuer) = parse_url(handed.issuer) {
        let client_id = (service == Service::Ias).then_some(request.client_id.as_str());
        verify_outcome(&net.jwks, &mut out, &service.keys_url(&issuer), client_id).await;
    }
    service_checks(engine, req, &mut out);
    out.ok = out.error.is_none();
    out
}

/// The HTTP client that presents the service's client certificate, once the certificate and key from the
/// keychain passed their checks, and a check that shows the certificate's validity (warning 14 days ahead).
fn certificate_client(
    engine: &Engine,
    net: &Net,
    req: &RunRequest<'_>,
    service: Service,
) -> Result<(HttpClient, Check), Diagnosis> {
    let (cert_kind, key_kind) = match service {
        Service::Ias => (SecretKind::IasClientCertificate, SecretKind::IasClientKey),
        Service::Xsuaa => (SecretKind::XsuaaClientCertificate, SecretKind::XsuaaClientKey),
    };
    let certificate = secret(req, cert_kind)?.ok_or_else(|| missing_certificate(cert_kind, req.slug))?;
    let key = secret(req, key_kind)?.ok_or_else(|| missing_certificate(key_kind, req.slug))?;
    let identity = load_identity(certificate.expose_secret(), &key, engine.now()).map_err(|e| {
        let mut d = e.diagnosis();
        d.message = format!("{} client certificate: {}", service.name(), d.message);
        d
    })?;
    let check = Check::new("client_certificate", !identity.facts.expires_soon(), identity.facts.validity_sentence());
    let client = net.http.with_identity(&identity).map_err(|e| http_failure(service.name(), &e))?;
    Ok((client, check))
}

fn missing_certificate(kind: SecretKind, slug: &str) -> Diagnosis {
    Diagnosis::new(
        "secrets.missing",
        format!("No {kind} is stored for this profile, and `client_auth = \"x509\"` needs it."),
        format!(
            "Apply the X.509 service key with `tokenhop-cli profile key {slug} --ias|--xsuaa FILE`, which stores the certificate \
             and key in the keychain, or set {} (PEM) for this run.",
            kind.env_var()
        ),
    )
}

/// Puts the tokens of a response into the outcome: raw, claims and views. `checked_id_token` is what the Entra
/// ID-token check already found: its signature status and, so it is not decoded again, the token taken apart.
pub(crate) fn add_tokens(
    out: &mut StepOutcome,
    tokens: &TokenResponse,
    mut checked_id_token: Option<(SignatureStatus, Option<DecodedJwt>)>,
) {
    for (name, value) in [
        ("id_token", &tokens.id_token),
        ("access_token", &tokens.access_token),
        ("refresh_token", &tokens.refresh_token),
    ] {
        let Some(value) = value else { continue };
        let raw = value.expose_secret();
        out.tokens.insert(name.to_owned(), TokenString(raw.to_owned()));
        let (signature, decoded) = match checked_id_token.take_if(|_| name == "id_token") {
            Some((signature, decoded)) => (signature, decoded.or_else(|| decode(raw).ok())),
            None => {
                let decoded = decode(raw).ok();
                let reason =
                    if decoded.is_some() { "not checked yet" } else { "opaque token: only its issuer can read it" };
                (SignatureStatus::Unverified { reason: reason.into() }, decoded)
            }
        };
        let view = crate::token::decode::view(name, raw, decoded, signature);
        if let Some(claims) = &view.claims {
            out.claims.insert(name.to_owned(), claims.clone());
        }
        out.views.push(view);
    }
}

/// Checks every unverified JWT of the outcome against the issuer's keys, refetching once on an unknown kid.
/// `ias_client_id` is set for IAS, whose keys request carries `x-client_id`, `x-app_tid` and `x-azp` as SAP's
/// security libraries send them (`SapIdJwtSignatureValidator`, `@sap/xssec` `fetchJwks`).
pub(crate) async fn verify_outcome(
    jwks: &JwksCache,
    out: &mut StepOutcome,
    keys_url: &Url,
    ias_client_id: Option<&str>,
) {
    for view in out.views.iter_mut().filter(|v| v.claims.is_some() && v.name != "refresh_token") {
        let raw = view.raw.expose().to_owned();
        let claim = |name: &str| view.claims.as_ref()?.get(name)?.as_str().map(str::to_owned);
        let headers: Vec<(&str, String)> = match ias_client_id {
            None => vec![],
            Some(client_id) => {
                [("x-client_id", Some(client_id.to_owned())), ("x-app_tid", claim("app_tid")), ("x-azp", claim("azp"))]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect()
            }
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        view.signature = crate::token::inspect::verify_at(jwks, &raw, keys_url, &headers).await;
        let ok = matches!(view.signature, SignatureStatus::Verified { .. });
        let detail = match &view.signature {
            SignatureStatus::Verified { kid, .. } => {
                format!("signed by the issuer's key {}", kid.as_deref().unwrap_or("(no kid)"))
            }
            SignatureStatus::Invalid { reason } | SignatureStatus::Unverified { reason } => reason.clone(),
        };
        out.checks.push(Check::new("signature", ok, detail).on(view.name.clone()));
    }
}

/// What consultants check on IAS and XSUAA tokens, each with a sentence.
pub(crate) fn service_checks(engine: &Engine, req: &RunRequest<'_>, out: &mut StepOutcome) {
    let now = engine.now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    for view in &out.views {
        if let Some(exp) = view.expires_at {
            // `exp` is whatever the server wrote: saturate rather than overflow.
            let mins = exp.saturating_sub(now) / 60;
            let (ok, detail) = if exp > now {
                (true, format!("expires in {mins} min"))
            } else {
                (false, format!("expired {} min ago", mins.saturating_neg()))
            };
            out.checks.push(Check::new("exp", ok, detail).on(view.name.clone()));
        }
    }
    let id_claims = out.claims.get("id_token").cloned();
    match out.step {
        Step::Ias => {
            if let Some(c) = &id_claims {
                let app_tid = c.get("app_tid").and_then(Value::as_str);
                out.checks.push(
                    Check::new(
                        "app_tid",
                        true,
                        match app_tid {
                            Some(t) => format!("app_tid {t} (sent to XSUAA as X-zid)"),
                            None => {
                                "no app_tid: X-zid is not sent, so XSUAA takes the zone from its own host name".into()
                            }
                        },
                    )
                    .on("id_token"),
                );
                out.checks.extend(ias_issuer_check(req.profile, c));
                if let Some(check) = trust_audience_check(req.profile, c) {
                    out.checks.push(check);
                }
            } else {
                out.checks.push(
                    Check::new("id_token", false, "IAS returned no ID token, which the XSUAA exchange needs")
                        .on("id_token"),
                );
            }
            if req.profile.ias.as_ref().is_some_and(|i| i.token_format == TokenFormat::Jwt)
                && !out.claims.contains_key("access_token")
            {
                out.checks.push(
                    Check::new("token_format", false, "the access token is opaque although token_format=jwt was asked")
                        .on("access_token"),
                );
            }
        }
        Step::Xsuaa => {
            if let Some(c) = out.claims.get("access_token") {
                let scopes: Vec<&str> = c
                    .get("scope")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                out.checks.push(
                    Check::new(
                        "scope",
                        !scopes.is_empty(),
                        if scopes.is_empty() {
                            "no scopes: assign role collections to the user".into()
                        } else {
                            scopes.join(" ")
                        },
                    )
                    .on("access_token"),
                );
            }
        }
        _ => {}
    }
    if let Some(bad) = out.views.iter().find(|v| matches!(v.signature, SignatureStatus::Invalid { .. })) {
        if let SignatureStatus::Invalid { reason } = &bad.signature {
            out.error = Some(Diagnosis::new(
                format!("{}.bad_signature", out.step),
                format!("The {} from {} fails signature verification: {reason}", bad.name, out.step),
                "The token does not verify against the issuer's published keys: check the URL in the profile points at the tenant that issued it.",
            ));
        }
    }
}

/// The IAS token's issuer is the profile's IAS tenant: `iss`, or `ias_iss`, which names the SAP tenant when a custom
/// domain issued the token. Some tenants write `iss` without a scheme (SAP's security library issues #544, #797); IAS
/// itself calls such a tenant not OIDC-compliant.
fn ias_issuer_check(profile: &Profile, claims: &Value) -> Option<Check> {
    let expected = profile.ias.as_ref()?.url.trim().trim_end_matches('/');
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("(none)");
    if !iss.contains("://") {
        return Some(Check::new("iss", false, format!(
            "iss {iss} has no https:// scheme, so the tenant is not OIDC-compliant and integrations that compare issuers (XSUAA's trust) fail: \
             set the tenant's issuer to its https URL (Tenant Settings → OpenID Connect) or Enforce Compliant OIDC Issuer on the application"
        )).on("id_token"));
    }
    let ias_iss = claims.get("ias_iss").and_then(Value::as_str);
    let ok = [Some(iss), ias_iss].into_iter().flatten().any(|i| i.trim_end_matches('/') == expected);
    let detail =
        if ok { format!("issued by {iss}") } else { format!("iss {iss} is not the profile's IAS tenant {expected}") };
    Some(Check::new("iss", ok, detail).on("id_token"))
}

/// XSUAA accepts the IAS token only if its `aud` holds the relying party of the subaccount's OIDC trust to IAS
/// (UAA `ExternalOAuthAuthenticationManager`: `checkAudience(config.getRelyingPartyId())`), not the XSUAA client.
fn trust_audience_check(profile: &Profile, claims: &Value) -> Option<Check> {
    let relying_party = profile.xsuaa.as_ref()?.relying_party(profile.ias.as_ref())?;
    let auds = decode_audiences(claims);
    let ok = auds.iter().any(|a| a == relying_party);
    let detail = if ok {
        format!("aud contains {relying_party}, the relying party of the subaccount's trust to IAS, as XSUAA requires")
    } else {
        format!(
            "aud ({}) lacks {relying_party}, the relying party of the subaccount's trust to IAS: XSUAA will answer \"Some parties were not in the token audience\"",
            auds.join(", ")
        )
    };
    Some(Check::new("aud_trust", ok, detail).on("id_token"))
}

fn decode_audiences(claims: &Value) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => vec![],
    }
}

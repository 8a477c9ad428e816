//! The Entra step: discovery, then the cached sign-in redeemed silently or the profile's flow (browser, device
//! code, ROPC), the ID token checked, and the sign-in kept for the next run.

use std::time::SystemTime;

use serde_json::Value;

use crate::certificate::load_signing_key;
use crate::client_assertion::{AssertionSigner, ClientCredential, Flavor};
use crate::diagnose::{code, Diagnose, Diagnosis};
use crate::engine::{Engine, Net, RunRequest};
use crate::entra::cache::{self, SignedInUser};
use crate::entra::id_token::NonceCheck;
use crate::entra::refresh::RefreshFailure;
use crate::entra::{self, SignInContext, SignInSecrets};
use crate::http::http_failure;
use crate::keep::Keeper;
use crate::oidc::discover;
use crate::profile::{EntraConfig, Flow};
use crate::report::{Check, Progress, ProgressFn, SignInInfo, SignInMethod, Step, StepOutcome};
use crate::secrets::{Secret, SecretKind};
use crate::token_checks::add_tokens;
use crate::token_response::TokenResponse;
use tokio_util::sync::CancellationToken;

pub(super) async fn entra_step(
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
        Err(e) => return StepOutcome::failed(Step::Entra, http_failure("Entra discovery", &e)),
    };
    progress(Progress::Request { step: Step::Entra, url: url.to_string() });
    let discovery = match discover(&net.http, &url).await {
        Ok(d) => d,
        Err(e) => return StepOutcome::failed(Step::Entra, discovery_diagnosis(&e)),
    };
    // The tenant's keys arrive while the user signs in.
    let jwks = net.jwks.clone();
    let jwks_uri = discovery.jwks_uri.clone();
    tokio::spawn(async move {
        let _ = jwks.get(&jwks_uri).await;
    });

    let client = match entra_credential(engine, req) {
        Ok(c) => c,
        Err(d) => return StepOutcome::failed(Step::Entra, d),
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
            entra::refresh::redeem(&net.http, &discovery, entra_cfg, &cached.refresh_token, client.as_ref()).await;
        let silent = SignInInfo { method: SignInMethod::Silent, fallback_reason: None };
        match result {
            Ok(tokens) => {
                let original = cached.user.as_ref();
                let nonce = NonceCheck::Refreshed { original: original.and_then(|u| u.nonce.as_deref()) };
                let signed_in = SignedIn { tokens, http, nonce, original, how: silent };
                return finish_entra(engine, net, req, &discovery, signed_in, keeper, progress).await;
            }
            Err(RefreshFailure::Failed(d)) => {
                let mut out = StepOutcome::failed(Step::Entra, d);
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
        let mut out = StepOutcome::failed(Step::Entra, sign_in_required(req, fallback_reason.as_deref()));
        out.sign_in = Some(SignInInfo { method, fallback_reason });
        return out;
    }
    if let Some(reason) = &fallback_reason {
        let message = format!("Entra refused the cached sign-in ({reason}); signing in again.");
        progress(Progress::Warning { step: Step::Entra, message });
    }
    let password = if entra_cfg.flow == Flow::Password {
        match req.secret(SecretKind::EntraPassword) {
            Ok(p) => p,
            Err(d) => return StepOutcome::failed(Step::Entra, d),
        }
    } else {
        None
    };
    // A person signs in to one tenant at a time; the password flow needs nobody.
    let _turn = match method {
        SignInMethod::Browser | SignInMethod::DeviceCode => engine.turn.take(req.slug, progress).await,
        _ => None,
    };
    let mut loopback = engine.loopback.clone();
    loopback.host = entra_cfg.redirect_host;
    loopback.port = entra_cfg.redirect_port;
    let signed_in = entra::sign_in(SignInContext {
        http: &net.http,
        discovery: &discovery,
        entra: entra_cfg,
        secrets: SignInSecrets { client, password },
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
            let mut out = StepOutcome::failed(Step::Entra, d);
            out.http = signed_in.http;
            out.sign_in = Some(how);
            return out;
        }
    };
    let nonce = signed_in.nonce.as_ref().map_or(NonceCheck::NotSent, NonceCheck::Equals);
    let Some(http) = signed_in.http else {
        // Every flow that returns tokens made a token request.
        return StepOutcome::failed(
            Step::Entra,
            Diagnosis::new(
                code::ENTRA_NO_REQUEST,
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
            code::ENTRA_NO_ID_TOKEN,
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
                code::ENTRA_SIGN_IN_CHANGED_USER,
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
        code::ENTRA_SIGN_IN_REQUIRED,
        message,
        format!(
            "Sign in once without --no-browser (`tokenhop-cli run {}`), which keeps the sign-in in the keychain, or set {} for this run.",
            req.slug,
            SecretKind::EntraRefreshToken.env_var()
        ),
    )
}

/// `iss` must be `{authority}/{tid}/v2.0`, and `tid` the profile's tenant when that is a GUID.
fn tenant_check(out: &mut StepOutcome, entra_cfg: &EntraConfig, issuer: &str) {
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
            code::ENTRA_DISCOVERY_NOT_FOUND,
            format!("{url} answered HTTP {status} instead of an OpenID configuration."),
            "Check the tenant (GUID or domain such as contoso.onmicrosoft.com) and the authority in the profile.",
        )
        .with_raw(format!("HTTP {status}\n{body}")),
        D::Malformed { url, reason, body } => Diagnosis::new(
            code::ENTRA_DISCOVERY_MALFORMED,
            format!("The OpenID configuration at {url} is malformed: {reason}"),
            "Check the authority: it must serve Entra's v2.0 endpoints.",
        )
        .with_raw(body.clone()),
    }
}

/// A confidential app's credential: the client secret, or (`client_auth = "private-key-jwt"`) a signer of client
/// assertions with the key and certificate from the keychain, checked before anything is sent. Public apps send
/// none (Entra refuses credentials from them: AADSTS700025).
fn entra_credential(engine: &Engine, req: &RunRequest<'_>) -> Result<Option<ClientCredential>, Diagnosis> {
    let entra = &req.profile.entra;
    if !entra.confidential {
        return Ok(None);
    }
    if !entra.client_auth.unwrap_or_default().uses_assertion() {
        return req.required_secret(SecretKind::EntraClientSecret).map(|s| Some(ClientCredential::Secret(s)));
    }
    let (key_kind, cert_kind) = (SecretKind::EntraClientKey, SecretKind::EntraClientCertificate);
    let key = req.secret(key_kind)?.ok_or_else(|| crate::hop::missing_key(key_kind, cert_kind, req.slug))?;
    let certificate = req.secret(cert_kind)?;
    let key = load_signing_key(&key, certificate.as_ref().map(Secret::expose_secret), engine.now()).map_err(|e| {
        let mut d = e.diagnosis();
        d.message = format!("Entra client assertion key: {}", d.message);
        d
    })?;
    let signer = AssertionSigner::new(key, &entra.client_id, Flavor::Entra, engine.clock.clone())?;
    Ok(Some(ClientCredential::Assertion(Box::new(signer))))
}

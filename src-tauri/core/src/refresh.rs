//! Refreshing the later hops (RFC 6749 §6): IAS's and XSUAA's tokens renewed from their refresh tokens
//! instead of another jwt-bearer exchange — the app's "Refresh" on a token, and `tokenhop-cli run --refresh`.
//! Renewed tokens get the checks exchanged ones get (signature against the issuer's keys, expiry, the
//! consultant checks).
//!
//! These refresh tokens stay in memory, in the last run's report, unless the profile sets
//! `keep_refresh_tokens = true`: then the chain keeps them in the keychain (kinds `ias-refresh-token` and
//! `xsuaa-refresh-token`, overridable by `TOKENHOP_IAS_REFRESH_TOKEN` / `TOKENHOP_XSUAA_REFRESH_TOKEN`),
//! never in a file. The Entra sign-in is refreshed elsewhere (`entra::refresh`).

use crate::chain::{self, add_tokens, failed, secret, service_checks, verify_outcome, Engine, ProgressFn, RunRequest};
use crate::diagnose::{http_failure, Diagnosis};
use crate::exchange::{self, Service};
use crate::http::parse_url;
use crate::profile::{ClientAuth, TokenFormat};
use crate::report::{Progress, Step, StepOutcome};
use crate::secret::Secret;
use crate::secrets::SecretKind;
use crate::token_request::{Inputs, TokenRequest, Value};

/// Where a hop's refresh grant goes, and with which client.
struct Hop<'a> {
    service: Service,
    url: &'a str,
    client_id: &'a str,
    auth: ClientAuth,
    client_secret: SecretKind,
    refresh_token: SecretKind,
    extra: Vec<(&'static str, &'a str)>,
}

fn hop<'a>(req: &'a RunRequest<'_>, step: Step) -> Result<Hop<'a>, Diagnosis> {
    let not_configured = |section: &str| {
        Diagnosis::new(
            format!("{section}.not_configured"),
            format!("The profile has no [{section}] section, so its tokens cannot be refreshed."),
            format!("Add the [{section}] section to the profile."),
        )
    };
    match step {
        Step::Ias => {
            let ias = req.profile.ias.as_ref().ok_or_else(|| not_configured("ias"))?;
            let mut extra = vec![];
            if ias.token_format == TokenFormat::Jwt {
                extra.push(("token_format", "jwt"));
            }
            Ok(Hop {
                service: Service::Ias,
                url: &ias.url,
                client_id: &ias.client_id,
                auth: ias.client_auth,
                client_secret: SecretKind::IasClientSecret,
                refresh_token: SecretKind::IasRefreshToken,
                extra,
            })
        }
        Step::Xsuaa => {
            let x = req.profile.xsuaa.as_ref().ok_or_else(|| not_configured("xsuaa"))?;
            Ok(Hop {
                service: Service::Xsuaa,
                url: &x.url,
                client_id: &x.client_id,
                auth: x.client_auth,
                client_secret: SecretKind::XsuaaClientSecret,
                refresh_token: SecretKind::XsuaaRefreshToken,
                extra: vec![],
            })
        }
        Step::Entra | Step::Api => Err(Diagnosis::new(
            "refresh.not_refreshable",
            format!("The {step} step has no refresh token TokenHop can redeem."),
            "Only the IAS and XSUAA tokens can be refreshed; run the chain again for the others.",
        )),
    }
}

/// Renews the tokens of `step` (IAS or XSUAA) from `refresh_token`, checked as an exchange's would be.
pub async fn refresh_step(
    engine: &Engine,
    req: &RunRequest<'_>,
    step: Step,
    refresh_token: &Secret,
    progress: ProgressFn<'_>,
) -> StepOutcome {
    let hop = match hop(req, step) {
        Ok(h) => h,
        Err(d) => return failed(step, d),
    };
    let base = match parse_url(hop.url) {
        Ok(u) => u,
        Err(e) => return failed(step, http_failure(hop.service.name(), &e)),
    };
    let client_secret = match secret(req, hop.client_secret) {
        Ok(Some(s)) => s,
        Ok(None) => return failed(step, chain::missing_secret(hop.client_secret, req.slug)),
        Err(d) => return failed(step, d),
    };
    let mut request = TokenRequest::refresh(hop.service, hop.url, hop.client_id, hop.auth);
    request.form.extend(hop.extra.iter().map(|(k, v)| (*k, Value::text(*v))));
    let url = match parse_url(&request.url) {
        Ok(u) => u,
        Err(e) => return failed(step, http_failure(hop.service.name(), &e)),
    };
    progress(Progress::Request { step, url: url.to_string() });
    let inputs =
        Inputs { client_secret: Some(&client_secret), assertion: None, refresh_token: Some(refresh_token), zid: None };
    let (result, http) = exchange::send(&engine.http, &request, &url, &inputs).await;
    let mut out = StepOutcome::new(step);
    out.http = Some(http);
    let tokens = match result {
        Ok(t) => t,
        Err(d) => {
            out.error = Some(d);
            return out;
        }
    };
    add_tokens(&mut out, &tokens, None);
    let ias_client = (hop.service == Service::Ias).then_some(hop.client_id);
    verify_outcome(&engine.jwks, &mut out, &hop.service.keys_url(&base), ias_client).await;
    service_checks(engine, req, &mut out);
    out.ok = out.error.is_none();
    out
}

/// `run --refresh`: the hop from the refresh token kept in the keychain (or given by environment).
pub(crate) async fn from_kept(
    engine: &Engine,
    req: &RunRequest<'_>,
    step: Step,
    progress: ProgressFn<'_>,
) -> StepOutcome {
    let kind = match hop(req, step) {
        Ok(h) => h.refresh_token,
        Err(d) => return failed(step, d),
    };
    match secret(req, kind) {
        Ok(Some(token)) => refresh_step(engine, req, step, &token, progress).await,
        Ok(None) => failed(
            step,
            Diagnosis::new(
                format!("{step}.no_refresh_token"),
                format!("No {} refresh token is kept for this profile.", step.as_str().to_uppercase()),
                format!(
                    "Set `keep_refresh_tokens = true` in the profile and run once without --refresh, or set {} for this run.",
                    kind.env_var()
                ),
            ),
        ),
        Err(d) => failed(step, d),
    }
}

/// With `keep_refresh_tokens`: keeps the refresh token a successful IAS or XSUAA refresh returned (the app's
/// "Refresh"; a run keeps its own through [`crate::keep::Keeper`]).
pub fn keep(req: &RunRequest<'_>, outcome: &StepOutcome, progress: ProgressFn<'_>) {
    let keeper = crate::keep::Keeper::default();
    keeper.later_hop(outcome);
    keeper.flush(req.secrets, req.slug, progress);
}

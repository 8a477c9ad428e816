//! Refreshing the later hops (RFC 6749 §6): IAS's and XSUAA's tokens renewed from their refresh tokens
//! instead of another jwt-bearer exchange — the app's "Refresh" on a token, and `tokenhop-cli run --refresh`.
//! Renewed tokens get the checks exchanged ones get (signature against the issuer's keys, expiry, the
//! consultant checks).
//!
//! These refresh tokens stay in memory, in the last run's report, unless the profile sets
//! `keep_refresh_tokens = true`: then the chain keeps them in the keychain (kinds `ias-refresh-token` and
//! `xsuaa-refresh-token`, overridable by `TOKENHOP_IAS_REFRESH_TOKEN` / `TOKENHOP_XSUAA_REFRESH_TOKEN`),
//! never in a file. The Entra sign-in is refreshed elsewhere (`entra::refresh`).

use crate::diagnose::{code, Diagnosis};
use crate::engine::{Engine, Net, Run, RunRequest};
use crate::hop::{self, Handed};
use crate::report::{ProgressFn, Step, StepOutcome};
use crate::secrets::{Secret, SecretKind};
use crate::token_request::TokenRequest;

/// A hop's refresh grant, the URL whose keys sign its tokens, and where its refresh token is kept.
struct Hop<'a> {
    request: TokenRequest,
    issuer: &'a str,
    kept_as: SecretKind,
}

fn hop<'a>(req: &'a RunRequest<'_>, step: Step) -> Result<Hop<'a>, Diagnosis> {
    let not_configured = |section: &str| {
        Diagnosis::new(
            step.not_configured_code(),
            format!("The profile has no [{section}] section, so its tokens cannot be refreshed."),
            format!("Add the [{section}] section to the profile."),
        )
    };
    match step {
        Step::Ias => {
            let ias = req.profile.ias.as_ref().ok_or_else(|| not_configured("ias"))?;
            Ok(Hop { request: TokenRequest::ias_refresh(ias), issuer: &ias.url, kept_as: SecretKind::IasRefreshToken })
        }
        Step::Xsuaa => {
            let x = req.profile.xsuaa.as_ref().ok_or_else(|| not_configured("xsuaa"))?;
            Ok(Hop { request: TokenRequest::xsuaa_refresh(x), issuer: &x.url, kept_as: SecretKind::XsuaaRefreshToken })
        }
        Step::Entra | Step::Api => Err(Diagnosis::new(
            code::REFRESH_NOT_REFRESHABLE,
            format!("The {step} step has no refresh token TokenHop can redeem."),
            "Only the IAS and XSUAA tokens can be refreshed; run the chain again for the others.",
        )),
    }
}

/// Renews the tokens of `step` (IAS or XSUAA) from `refresh_token`, checked as an exchange's would be: the
/// app's "Refresh" on a token.
pub async fn refresh_step(
    engine: &Engine,
    req: &RunRequest<'_>,
    step: Step,
    refresh_token: &Secret,
    progress: ProgressFn<'_>,
) -> StepOutcome {
    match Net::for_profile(engine, req.profile) {
        Ok(net) => refresh(&Run { engine, net, req, progress }, step, refresh_token).await,
        Err(d) => StepOutcome::failed(step, d),
    }
}

async fn refresh(run: &Run<'_>, step: Step, refresh_token: &Secret) -> StepOutcome {
    let hop = match hop(run.req, step) {
        Ok(h) => h,
        Err(d) => return StepOutcome::failed(step, d),
    };
    let handed = Handed { refresh_token: Some(refresh_token), ..Handed::default() };
    hop::send_checked(run, &hop.request, hop.issuer, handed).await
}

/// `run --refresh`: the hop from the refresh token kept in the keychain (or given by environment).
pub(crate) async fn from_kept(run: &Run<'_>, step: Step) -> StepOutcome {
    let req = run.req;
    let kind = match hop(req, step) {
        Ok(h) => h.kept_as,
        Err(d) => return StepOutcome::failed(step, d),
    };
    match req.secret(kind) {
        Ok(Some(token)) => refresh(run, step, &token).await,
        Ok(None) => StepOutcome::failed(
            step,
            Diagnosis::new(
                step.no_refresh_token_code(),
                format!("No {} refresh token is kept for this profile.", step.as_str().to_uppercase()),
                format!(
                    "Set `keep_refresh_tokens = true` in the profile and run once without --refresh, or set {} for this run.",
                    kind.env_var()
                ),
            ),
        ),
        Err(d) => StepOutcome::failed(step, d),
    }
}

/// With `keep_refresh_tokens`: keeps the refresh token a successful IAS or XSUAA refresh returned (the app's
/// "Refresh"; a run keeps its own through [`crate::keep::Keeper`]).
pub fn keep(req: &RunRequest<'_>, outcome: &StepOutcome, progress: ProgressFn<'_>) {
    let keeper = crate::keep::Keeper::default();
    keeper.later_hop(outcome);
    keeper.flush(req.secrets, req.slug, progress);
}

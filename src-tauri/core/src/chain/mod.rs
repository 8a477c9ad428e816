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

mod sign_in;

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::diagnose::{code, Diagnosis};
use crate::engine::{Engine, Net, Run, RunRequest};
use crate::hop::{self, Handed};
use crate::http::parse_url;
use crate::keep::Keeper;
use crate::profile::Profile;
use crate::report::{Progress, ProgressFn, RunReport, Step, StepOutcome};
use crate::service::Service;
use crate::token_request::TokenRequest;

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
            let outcome = StepOutcome::failed(Step::Entra, d);
            progress(Progress::StepFinished { outcome: Box::new(outcome.clone()) });
            report.steps.push(outcome);
            return report;
        }
    };
    prefetch(&net, req.profile, last);
    let run = Run { engine, net, req: &req, progress };
    // Refreshing the later hops needs no Entra token.
    let first = if req.refresh { Step::Ias } else { Step::Entra };

    let keeper = Keeper::default();

    for step in Step::ALL.into_iter().filter(|s| *s >= first).take_while(|s| *s <= last) {
        progress(Progress::StepStarted { step });
        let t0 = Instant::now();
        let previous = report.steps.last();
        let mut outcome = tokio::select! {
            o = run_step(&run, step, previous, &keeper, &cancel) => o,
            _ = cancel.cancelled() => StepOutcome::failed(step, Diagnosis::new(code::CANCELLED, "The run was cancelled.", "Run the chain again when ready.")),
        };
        outcome.elapsed_ms = t0.elapsed().as_millis() as u64;
        let ok = outcome.ok;
        if ok && req.profile.keeps_refresh_tokens() {
            keeper.later_hop(&outcome);
        }
        progress(Progress::StepFinished { outcome: Box::new(outcome.clone()) });
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
    run: &Run<'_>,
    step: Step,
    previous: Option<&StepOutcome>,
    keeper: &Keeper,
    cancel: &CancellationToken,
) -> StepOutcome {
    let Run { engine, net, req, progress } = run;
    let (engine, net, req, progress) = (*engine, net, *req, *progress);
    let input = previous.and_then(forwarded);
    let not_configured = |section: &str| {
        StepOutcome::failed(
            step,
            Diagnosis::new(
                step.not_configured_code(),
                format!("The profile has no [{section}] section, so the {step} step cannot run."),
                format!("Add the [{section}] section to the profile, or run only up to the previous step."),
            ),
        )
    };
    match step {
        Step::Entra => sign_in::entra_step(engine, net, req, keeper, progress, cancel).await,
        Step::Ias | Step::Xsuaa if req.refresh => crate::refresh::from_kept(run, step).await,
        Step::Ias => match &req.profile.ias {
            None => not_configured("ias"),
            Some(ias) => {
                let request = TokenRequest::ias_jwt_bearer(ias);
                exchange(run, &request, &ias.url, Handed { assertion: input, ..Handed::default() }).await
            }
        },
        Step::Xsuaa => match &req.profile.xsuaa {
            None => not_configured("xsuaa"),
            Some(x) => {
                // X-zid names the subaccount's zone: the profile's, else the IAS token's app_tid.
                let app_tid = || previous?.claims.get("id_token")?.get("app_tid")?.as_str();
                let zid = x.zid.as_deref().or_else(app_tid);
                let request = TokenRequest::xsuaa_jwt_bearer(x);
                let handed = Handed { assertion: input, zid, ..Handed::default() };
                exchange(run, &request, &x.url, handed).await
            }
        },
        Step::Api => match &req.profile.api {
            None => not_configured("api"),
            Some(api) => crate::btp_api::call(&net.http, api, input.unwrap_or_default(), progress).await,
        },
    }
}

/// The jwt-bearer exchange of the previous hop's token, which it must have handed over.
async fn exchange(run: &Run<'_>, request: &TokenRequest, issuer: &str, handed: Handed<'_>) -> StepOutcome {
    if handed.assertion.is_none() {
        return StepOutcome::failed(
            hop::step_of(request.service),
            Diagnosis::new(
                code::CHAIN_NO_INPUT,
                "The previous step produced no ID token to exchange.",
                "Run the chain from the start.",
            ),
        );
    }
    hop::send_checked(run, request, issuer, handed).await
}

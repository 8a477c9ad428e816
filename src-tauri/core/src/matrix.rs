//! The testers' matrix: many profiles run at once, each through [`chain::run`], reporting per profile.
//!
//! The policy, shared by `tokenhop-cli run NAME…|--all|--env` and the app's "Run all":
//!
//! | what                                   | how many at once                                   |
//! |----------------------------------------|----------------------------------------------------|
//! | runs in flight                         | `parallel` (default [`DEFAULT_PARALLEL`])          |
//! | sign-ins that need a person (browser,  | one: the next waits until the previous one's       |
//! | device code)                           | callback arrived or its Entra step ended           |
//! | sign-ins without a person (password),  | as many as runs in flight                          |
//! | and every hop after the sign-in        |                                                    |
//!
//! A person can answer one browser tab at a time, and a loopback listener per tenant waiting in parallel
//! would time out while they work through the others; the hops after the sign-in are machine work and overlap.
//! Every run has its own cancel token; a run cancelled while queued ends at once with the engine's `cancelled`
//! diagnosis. Reports come back in the order the profiles were given.
//!
//! This module does not choose the profiles, print anything or keep history: the CLI and the shell do.

use std::sync::Mutex;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::chain;
use crate::engine::{Engine, RunRequest};
use crate::profile::{Flow, Profile};
use crate::report::{Progress, RunReport, Step};
use crate::secrets::SecretStore;

/// Runs in flight when the caller does not say.
pub const DEFAULT_PARALLEL: usize = 4;

/// One profile of the matrix.
pub struct MatrixEntry {
    pub slug: String,
    pub profile: Profile,
    /// Cancels this run only; cancel every entry's token to cancel the matrix.
    pub cancel: CancellationToken,
}

/// What a matrix run reports while it goes, per profile (`slug`), in the order it happens.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MatrixEvent {
    /// Waiting for one of the `parallel` places.
    Queued { slug: String },
    /// Its sign-in needs a person, who is signing in to `behind` first.
    WaitingForSignIn { slug: String, behind: String },
    /// Its turn: the browser (or device code) is for this profile now.
    SigningIn { slug: String },
    /// An event of the run itself.
    Progress { slug: String, progress: Progress },
    /// The run is over (succeeded, failed or cancelled).
    Finished { slug: String, report: Box<RunReport> },
}

pub type MatrixEventFn<'a> = &'a (dyn Fn(MatrixEvent) + Send + Sync);

/// Whether the profile's sign-in needs a person at a browser or a device-code page, and so waits its turn.
pub fn signs_in_interactively(profile: &Profile) -> bool {
    matches!(profile.entra.flow, Flow::AuthorizationCode | Flow::DeviceCode)
}

/// The hops a run of `profile` asks for: up to `until`, else up to its last configured hop.
pub fn hops_asked(profile: &Profile, until: Option<Step>) -> Vec<Step> {
    let last = until.unwrap_or_else(|| chain::last_configured(profile));
    Step::ALL.into_iter().take_while(|s| *s <= last).collect()
}

/// Runs every entry up to `until` (else each profile's last configured hop), `parallel` at a time, and
/// returns their reports in the entries' order.
pub async fn run(
    engine: &Engine,
    entries: &[MatrixEntry],
    until: Option<Step>,
    parallel: usize,
    secrets: &dyn SecretStore,
    on_event: MatrixEventFn<'_>,
) -> Vec<RunReport> {
    for e in entries {
        on_event(MatrixEvent::Queued { slug: e.slug.clone() });
    }
    let turn = SignInTurn::new();
    // Collected first: a lazy `map` closure held across the awaits would make the future not `Send` (the shell
    // spawns it on Tauri's runtime).
    let runs: Vec<_> = entries.iter().map(|entry| run_one(engine, entry, until, secrets, &turn, on_event)).collect();
    stream::iter(runs).buffered(parallel.max(1)).collect().await
}

/// The one browser sign-in at a time, and whose it is.
struct SignInTurn {
    gate: Semaphore,
    holder: Mutex<String>,
}

impl SignInTurn {
    fn new() -> Self {
        Self { gate: Semaphore::new(1), holder: Mutex::default() }
    }
}

async fn run_one(
    engine: &Engine,
    entry: &MatrixEntry,
    until: Option<Step>,
    secrets: &dyn SecretStore,
    turn: &SignInTurn,
    on_event: MatrixEventFn<'_>,
) -> RunReport {
    let slug = &entry.slug;
    let permit = if signs_in_interactively(&entry.profile) {
        wait_for_turn(turn, slug, &entry.cancel, on_event).await
    } else {
        None
    };
    // Released as soon as the person is done with the browser: at the callback, else when the step ends.
    let permit = Mutex::new(permit);
    let release = || drop(permit.lock().unwrap_or_else(|p| p.into_inner()).take());
    let progress = |p: Progress| {
        let signed_in = matches!(&p, Progress::CallbackReceived)
            || matches!(&p, Progress::StepFinished { outcome } if outcome.step == Step::Entra);
        if signed_in {
            release();
        }
        on_event(MatrixEvent::Progress { slug: slug.clone(), progress: p });
    };
    // Cached sign-ins are reused (issue 26), so a re-run matrix signs in silently where it can.
    let request =
        RunRequest { profile: &entry.profile, slug, until, secrets, sign_in: Default::default(), refresh: false };
    let report = chain::run(engine, request, &progress, entry.cancel.clone()).await;
    release();
    on_event(MatrixEvent::Finished { slug: slug.clone(), report: Box::new(report.clone()) });
    report
}

/// Waits until no other profile is signing in; `None` when cancelled meanwhile (the run then ends at once).
async fn wait_for_turn<'t>(
    turn: &'t SignInTurn,
    slug: &str,
    cancel: &CancellationToken,
    on_event: MatrixEventFn<'_>,
) -> Option<SemaphorePermit<'t>> {
    let permit = match turn.gate.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            let behind = turn.holder.lock().unwrap_or_else(|p| p.into_inner()).clone();
            on_event(MatrixEvent::WaitingForSignIn { slug: slug.to_owned(), behind });
            tokio::select! {
                p = turn.gate.acquire() => p.ok()?,
                _ = cancel.cancelled() => return None,
            }
        }
    };
    *turn.holder.lock().unwrap_or_else(|p| p.into_inner()) = slug.to_owned();
    on_event(MatrixEvent::SigningIn { slug: slug.to_owned() });
    Some(permit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(dead_code)]
    fn the_matrix_can_run_on_a_multi_threaded_runtime(engine: &Engine, secrets: &dyn SecretStore) {
        fn send<T: Send>(_: T) {}
        send(run(engine, &[], None, 1, secrets, &|_| {}));
    }

    #[test]
    fn only_browser_and_device_code_sign_ins_wait_their_turn() {
        let profile = |flow| {
            let mut p: Profile = toml::from_str(
                "name = \"t\"\n[entra]\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"00000000-0000-0000-0000-000000000000\"\n",
            )
            .unwrap();
            p.entra.flow = flow;
            p
        };
        for (flow, waits) in [(Flow::AuthorizationCode, true), (Flow::DeviceCode, true), (Flow::Password, false)] {
            assert_eq!(
                signs_in_interactively(&profile(flow)),
                waits,
                "{flow:?}: only a person's sign-in is serialized"
            );
        }
    }
}

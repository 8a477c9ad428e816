//! The testers' matrix: many profiles run at once, each through [`chain::run`], reporting per profile.
//!
//! The policy, shared by `tokenhop-cli run NAME…|--all|--env` and the app's "Run all":
//!
//! | what                                   | how many at once                                   |
//! |----------------------------------------|----------------------------------------------------|
//! | runs in flight                         | `parallel` (default [`DEFAULT_PARALLEL`])          |
//! | sign-ins that need a person (browser,  | one, across every run of the engine (the app's     |
//! | device code)                           | single Run too): the next waits for the sign-in    |
//! | silent sign-ins (cached), password,    | as many as runs in flight                          |
//! | and every hop after the sign-in        |                                                    |
//!
//! The turns are the engine's ([`crate::engine`]'s `SignInTurn`): a profile waits only when it actually needs a
//! person, after its cached sign-in could not be used.
//! Every run has its own cancel token; a run cancelled while queued ends at once with the engine's `cancelled`
//! diagnosis. Reports come back in the order the profiles were given.
//!
//! This module does not choose the profiles, print anything or keep history: the CLI and the shell do.

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
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
    // Collected first: a lazy `map` closure held across the awaits would make the future not `Send` (the shell
    // spawns it on Tauri's runtime).
    let runs: Vec<_> = entries.iter().map(|entry| run_one(engine, entry, until, secrets, on_event)).collect();
    stream::iter(runs).buffered(parallel.max(1)).collect().await
}

async fn run_one(
    engine: &Engine,
    entry: &MatrixEntry,
    until: Option<Step>,
    secrets: &dyn SecretStore,
    on_event: MatrixEventFn<'_>,
) -> RunReport {
    let slug = &entry.slug;
    // The engine gives the sign-in turns (one person, one browser tab at a time); the matrix says whose.
    let progress = |p: Progress| {
        on_event(match p {
            Progress::SignInQueued { behind } => MatrixEvent::WaitingForSignIn { slug: slug.clone(), behind },
            Progress::SignInTurn => MatrixEvent::SigningIn { slug: slug.clone() },
            progress => MatrixEvent::Progress { slug: slug.clone(), progress },
        })
    };
    // Cached sign-ins are reused (issue 26), so a re-run matrix signs in silently where it can, without a turn.
    let request =
        RunRequest { profile: &entry.profile, slug, until, secrets, sign_in: Default::default(), refresh: false };
    let report = chain::run(engine, request, &progress, entry.cancel.clone()).await;
    on_event(MatrixEvent::Finished { slug: slug.clone(), report: Box::new(report.clone()) });
    report
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

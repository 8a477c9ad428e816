//! Running the chain: a saved profile or the wizard's draft, progress streamed over a `Channel` a frame at a time
//! ([`tokenhop_core::progress`]), one run at a time, cancellable. A cancelled run resolves with its report (the
//! cancelled step failed with code `cancelled`) rather than rejecting; the report is kept for export.

use tauri::ipc::Channel;
use tauri::State;
use tokenhop_core::diagnose::code;
use tokenhop_core::draft_secrets::{reusable_by_draft, OnlyKinds};
use tokenhop_core::profile::Profile;
use tokenhop_core::progress::Batcher;
use tokenhop_core::run_clock::RunClock;
use tokenhop_core::secrets::{SecretKind, SecretStore};
use tokenhop_core::{chain, refresh, Progress, RunReport, RunRequest, Secret, SignInPolicy, Step, StepOutcome};
use tokio_util::sync::CancellationToken;

use crate::state::{AppState, LastRun, DRAFT_SLUG, FRESH_SIGN_IN_ENV};
use crate::AppError;

/// Runs `draft` (secrets under the saved profile `slug` where the draft leaves them pointed, else the draft
/// slug's) or the saved profile `slug`, up to `until`.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn chain_run(
    state: State<'_, AppState>,
    slug: Option<String>,
    draft: Option<Profile>,
    until: Option<Step>,
    on_progress: Channel<Vec<Progress>>,
) -> Result<RunReport, AppError> {
    // Only saved profiles have a history; the wizard's drafts do not.
    let from_saved = draft.is_none();
    // A draft under a saved profile's slug gets that profile's secrets only where it sends them unchanged.
    let (profile, slug, saved) = match (draft, slug) {
        (Some(draft), Some(slug)) if slug != DRAFT_SLUG => {
            state.ready_to_use(&slug).await;
            let saved = state.profiles.get(&slug)?;
            (draft, slug, Some(saved))
        }
        (Some(draft), _) => (draft, DRAFT_SLUG.to_owned(), None),
        (None, Some(slug)) => {
            state.ready_to_use(&slug).await;
            (state.profiles.get(&slug)?, slug, None)
        }
        (None, None) => {
            return Err(AppError::new(
                code::CHAIN_NO_PROFILE,
                "No profile was given to run.",
                "Pick a profile, or fill in the wizard, then run.",
            ))
        }
    };
    // A draft is whatever the page sends: it runs only once it is a valid profile.
    if saved.is_some() || slug == DRAFT_SLUG {
        let errors = tokenhop_core::profile::validate(&profile);
        if !errors.is_empty() {
            return Err(tokenhop_core::profile::ProfileError::Invalid(errors).into());
        }
    }
    let all = state.secrets().await;
    let secret_kinds = match &saved {
        Some(saved) => reusable_by_draft(saved, &profile),
        None => SecretKind::ALL.to_vec(),
    };
    // A draft run under a saved profile reads only the secrets it may reuse and writes nothing; a saved profile's
    // own run (or a new draft's) uses the store as it is, so that it can keep its sign-in.
    let limited = saved.as_ref().map(|_| OnlyKinds::new(all, secret_kinds.clone()));
    let secrets: &dyn SecretStore = match &limited {
        Some(limited) => limited,
        None => all,
    };
    let cancel = Running::start(&state)?;
    // Nothing at once: every message costs the page's process CPU the chain's requests need.
    let progress = Batcher::start(|_| false, move |batch| drop(on_progress.send(batch)));
    let clock = RunClock::start();
    let send = |p: Progress| {
        clock.observe(&p);
        progress.send(p)
    };
    let req = RunRequest {
        profile: &profile,
        slug: &slug,
        until,
        secrets,
        sign_in: SignInPolicy {
            reuse_cached: !std::env::var(FRESH_SIGN_IN_ENV).is_ok_and(|v| v == "1"),
            interactive: true,
        },
        refresh: false,
    };
    let report = chain::run(state.engine().await?, req, &send, cancel.token()).await;
    drop(cancel);
    clock.log_finished(&report);
    progress.finish().await;
    if from_saved {
        state.record_run(&slug, &report);
    }
    *state.last_run.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(LastRun { profile, slug, secret_kinds, report: report.clone() });
    Ok(report)
}

/// Renews the last run's IAS or XSUAA tokens from that step's refresh token (the inspector's "Refresh"); the
/// new outcome replaces the step's in the last run, so exports carry the renewed tokens.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn chain_refresh(state: State<'_, AppState>, step: Step) -> Result<StepOutcome, AppError> {
    let (profile, slug, secret_kinds, refresh_token) = {
        let last = state.last_run.lock().unwrap_or_else(|p| p.into_inner());
        let last = last.as_ref().ok_or_else(nothing_to_refresh)?;
        let token = last.report.step(step).and_then(|o| o.token("refresh_token")).ok_or_else(nothing_to_refresh)?;
        (last.profile.clone(), last.slug.clone(), last.secret_kinds.clone(), Secret::new(token))
    };
    // The refresh sends the client secret where the run sent it: a draft's run could use only some secrets.
    let all = state.secrets().await;
    let limited = (secret_kinds != SecretKind::ALL).then(|| OnlyKinds::new(all, secret_kinds));
    let secrets: &dyn SecretStore = match &limited {
        Some(limited) => limited,
        None => all,
    };
    let req = RunRequest {
        profile: &profile,
        slug: &slug,
        until: Some(step),
        secrets,
        sign_in: Default::default(),
        refresh: true,
    };
    let outcome = refresh::refresh_step(state.engine().await?, &req, step, &refresh_token, &|_| {}).await;
    if outcome.ok {
        if profile.keeps_refresh_tokens() {
            refresh::keep(&req, &outcome, &|_| {});
        }
        let mut last = state.last_run.lock().unwrap_or_else(|p| p.into_inner());
        let replaced = last.as_mut().and_then(|l| l.report.steps.iter_mut().find(|o| o.step == step));
        if let Some(slot) = replaced {
            *slot = outcome.clone();
        }
    }
    Ok(outcome)
}

fn nothing_to_refresh() -> AppError {
    AppError::new(
        code::CHAIN_NOTHING_TO_REFRESH,
        "The last run left no refresh token for this step.",
        "Run the chain; IAS and XSUAA return refresh tokens with their tokens.",
    )
}

/// Cancels the running run, if any; the run then resolves with its report.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn chain_cancel(state: State<'_, AppState>) {
    if let Some(token) = state.running.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        token.cancel();
    }
}

/// The running run's cancel handle in `AppState`, cleared when the run ends (also on panic).
struct Running<'a> {
    state: &'a AppState,
    token: CancellationToken,
}

impl<'a> Running<'a> {
    fn start(state: &'a AppState) -> Result<Self, AppError> {
        let mut slot = state.running.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Err(AppError::new(
                code::CHAIN_BUSY,
                "A run is already in progress.",
                "Wait for it to finish, or cancel it first.",
            ));
        }
        let token = CancellationToken::new();
        *slot = Some(token.clone());
        Ok(Self { state, token })
    }

    fn token(&self) -> CancellationToken {
        self.token.clone()
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *self.state.running.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

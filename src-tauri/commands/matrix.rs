//! "Run all": the profiles the sidebar shows, run through core's matrix (browser sign-ins one at a time, the
//! rest in parallel), each event sent over a `Channel` as it happens. Every run can be cancelled alone or all
//! together; each finished run joins the history.

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::ipc::Channel;
use tauri::State;
use tokenhop_core::diagnose::code;
use tokenhop_core::history::RunRecord;
use tokenhop_core::matrix::{self, MatrixEntry, MatrixEvent, DEFAULT_PARALLEL};
use tokenhop_core::Step;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::AppError;

/// Runs `slugs` up to `until`, `parallel` at a time; resolves with each run's record, in the order given.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn matrix_run(
    state: State<'_, AppState>,
    slugs: Vec<String>,
    until: Option<Step>,
    parallel: Option<usize>,
    on_event: Channel<MatrixEvent>,
) -> Result<Vec<RunRecord>, AppError> {
    let mut entries = Vec::with_capacity(slugs.len());
    for slug in slugs {
        state.ready_to_use(&slug).await;
        let profile = state.profiles.get(&slug)?;
        entries.push(MatrixEntry { slug, profile, cancel: CancellationToken::new() });
    }
    let _running = InFlight::start(&state, &entries)?;
    let engine = state.engine().await?;
    let secrets = state.secrets().await;
    let records = Mutex::new(HashMap::new());
    let send = |event: MatrixEvent| {
        if let MatrixEvent::Finished { slug, report } = &event {
            let record = state.record_run(slug, report);
            records.lock().unwrap_or_else(|p| p.into_inner()).insert(slug.clone(), record);
        }
        let _ = on_event.send(event);
    };
    matrix::run(engine, &entries, until, parallel.unwrap_or(DEFAULT_PARALLEL), secrets, &send).await;
    let mut records = records.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(entries.iter().filter_map(|e| records.remove(&e.slug)).collect())
}

/// Cancels the matrix run of `slug`, or every one when `slug` is absent; each then finishes as cancelled.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn matrix_cancel(state: State<'_, AppState>, slug: Option<String>) {
    let running = state.matrix.lock().unwrap_or_else(|p| p.into_inner());
    running.iter().filter(|(s, _)| slug.as_ref().is_none_or(|wanted| wanted == *s)).for_each(|(_, t)| t.cancel());
}

/// The matrix's cancel handles in `AppState` while its runs are in flight (removed on drop, also on panic).
struct InFlight<'a> {
    state: &'a AppState,
    slugs: Vec<String>,
}

impl<'a> InFlight<'a> {
    fn start(state: &'a AppState, entries: &[MatrixEntry]) -> Result<Self, AppError> {
        let mut running = state.matrix.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(busy) = entries.iter().find(|e| running.contains_key(&e.slug)) {
            return Err(AppError::new(
                code::MATRIX_BUSY,
                format!("“{}” is already running in the matrix.", busy.profile.name),
                "Wait for it to finish, or cancel it first.",
            ));
        }
        running.extend(entries.iter().map(|e| (e.slug.clone(), e.cancel.clone())));
        Ok(Self { state, slugs: entries.iter().map(|e| e.slug.clone()).collect() })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut running = self.state.matrix.lock().unwrap_or_else(|p| p.into_inner());
        for slug in &self.slugs {
            running.remove(slug);
        }
    }
}

//! The run history: this session's runs (openable again, tokens and all), the records on disk (no tokens),
//! comparing two runs, and the user's switch to keep no history on disk.

use tauri::State;
use tokenhop_core::compare::{compare, RunComparison};
use tokenhop_core::diagnose::code;
use tokenhop_core::history::{HistoryList, RunRecord};
use tokenhop_core::RunReport;

use crate::state::AppState;
use crate::AppError;

#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn history_list(state: State<'_, AppState>, slug: String) -> Result<HistoryList, AppError> {
    let session = state.session_history().records(&slug);
    let saved = state.history.list(&slug).map_err(history_error)?;
    let saved = saved.into_iter().filter(|r| !session.iter().any(|s| s.id == r.id)).collect();
    Ok(HistoryList { session, saved, enabled: state.history.enabled() })
}

/// A run of this session, whole, to show it again in the run view.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn history_get(state: State<'_, AppState>, id: String) -> Result<RunReport, AppError> {
    let session = state.session_history();
    session.get(&id).map(|(_, report)| report.clone()).ok_or_else(|| {
        AppError::new(
            code::HISTORY_NOT_IN_SESSION,
            "That run is no longer in this session's history.",
            "The app keeps the last 20 runs of each profile until it closes; run the profile again.",
        )
    })
}

/// Two runs side by side (from this session or from disk).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn history_compare(state: State<'_, AppState>, left: String, right: String) -> Result<RunComparison, AppError> {
    Ok(compare(&record(&state, &left)?, &record(&state, &right)?))
}

/// Keep (or stop keeping) run records on disk.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn history_set_enabled(state: State<'_, AppState>, enabled: bool) -> Result<(), AppError> {
    state.history.set_enabled(enabled).map_err(history_error)
}

/// Deletes the history on disk and this session's runs.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn history_clear(state: State<'_, AppState>) -> Result<(), AppError> {
    *state.session_history() = Default::default();
    state.history.clear().map_err(history_error)
}

fn record(state: &AppState, id: &str) -> Result<RunRecord, AppError> {
    let in_session = state.session_history().get(id).map(|(r, _)| r.clone());
    match in_session {
        Some(r) => Ok(r),
        None => state.history.find(id).map_err(history_error)?.ok_or_else(|| {
            AppError::new(code::HISTORY_NOT_FOUND, "That run is not in the history any more.", "Pick another run.")
        }),
    }
}

fn history_error(e: std::io::Error) -> AppError {
    AppError::new(
        code::HISTORY_IO,
        format!("The run history could not be read or written: {e}"),
        "Check that the TokenHop config folder is writable; turning the history off avoids it.",
    )
}

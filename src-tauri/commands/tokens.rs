//! "Decode a token": any pasted JWT, decoded and (on request) checked against its issuer's keys.

use tauri::State;
use tokenhop_core::token::inspect::inspect;
use tokenhop_core::TokenView;

use crate::state::AppState;
use crate::AppError;

#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn tokens_decode(state: State<'_, AppState>, token: String, verify: bool) -> Result<TokenView, AppError> {
    let engine = state.engine().await?;
    Ok(inspect(&engine.http, &engine.jwks, &token, verify).await)
}

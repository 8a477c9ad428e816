//! Thin `#[tauri::command]`s: parse arguments, call `tokenhop-core`, map errors. One file per area.

pub mod app;

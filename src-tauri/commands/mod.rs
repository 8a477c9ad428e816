//! Thin `#[tauri::command]`s: parse arguments, call `tokenhop-core`, map errors. One file per area, each
//! command named `<area>_<verb>` as `ui/src/lib/api.ts` calls it. Arguments may hold secrets or tokens:
//! every command is instrumented with `skip_all`, so none is ever logged.

pub mod app;
pub mod chain;
pub mod export;
pub mod profiles;
pub mod secrets;
pub mod tokens;

use serde::Serialize;

use crate::AppError;

#[derive(Debug, Serialize)]
pub struct AppInfo {
    version: &'static str,
}

#[tauri::command]
pub fn app_info() -> Result<AppInfo, AppError> {
    Ok(AppInfo { version: env!("CARGO_PKG_VERSION") })
}

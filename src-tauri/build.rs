/// Every command of `generate_handler!` in `lib.rs`. Declaring them makes Tauri check each call against
/// the capability file; without this list, app commands are not checked at all.
const COMMANDS: &[&str] = &[
    "app_info",
    "app_ready",
    "keychain_status",
    "sandbox_set_credentials",
    "profiles_list",
    "profiles_get",
    "profiles_validate",
    "profiles_save",
    "profiles_rename",
    "profiles_duplicate",
    "profiles_delete",
    "profiles_import",
    "profiles_export",
    "service_key_parse",
    "secrets_set",
    "secrets_delete",
    "secrets_status",
    "secrets_certificate",
    "chain_run",
    "chain_cancel",
    "chain_refresh",
    "profiles_sign_in",
    "profiles_sign_out",
    "tokens_decode",
    "export_render",
    "export_copy",
    "export_save",
    "matrix_run",
    "matrix_cancel",
    "history_list",
    "history_get",
    "history_compare",
    "history_set_enabled",
    "history_clear",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}

fn main() {
    // Declaring the app's commands makes Tauri check every call against the capability file;
    // without this list, app commands are not checked at all.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"])),
    )
    .expect("failed to run tauri-build");
}

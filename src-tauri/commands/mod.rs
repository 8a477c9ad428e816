//! Thin `#[tauri::command]`s: parse arguments, call `tokenhop-core`, map errors. One file per area, each
//! command named `<area>_<verb>` as `ui/src/lib/api.ts` calls it. Arguments may hold secrets or tokens:
//! every command is instrumented with `skip_all`, so none is ever logged.

pub mod app;
pub mod chain;
pub mod export;
pub mod history;
pub mod matrix;
pub mod profiles;
pub mod secrets;
pub mod tokens;

#[cfg(test)]
mod tests {
    //! The command list lives in four places that must agree: what the UI calls, `generate_handler!`, the
    //! build script's manifest (which makes Tauri check calls at all) and the capability file.

    use std::collections::BTreeSet;

    fn read(path: &str) -> String {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    /// The command names of `call<T>("name", …)` in the UI's api.ts.
    fn ui_calls(text: &str) -> BTreeSet<String> {
        text.split("call<")
            .skip(1)
            .filter_map(|rest| rest.split_once(">(\"").map(|(_, after)| after.split('"').next().unwrap_or_default()))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_ui_handler_manifest_and_capability_name_the_same_commands() {
        let ui = ui_calls(&read("ui/src/lib/api.ts"));
        let lib = read("src-tauri/lib.rs");
        let handlers = lib.split("generate_handler![").nth(1).unwrap().split(']').next().unwrap();
        let handler: BTreeSet<String> = handlers
            .split(',')
            .filter_map(|s| s.trim().rsplit("::").next())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let build = read("src-tauri/build.rs");
        let manifest: BTreeSet<String> = build
            .split("= &[")
            .nth(1)
            .unwrap()
            .split("];")
            .next()
            .unwrap()
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        let capability: BTreeSet<String> = read("src-tauri/capabilities/default.json")
            .split('"')
            .filter_map(|s| s.strip_prefix("allow-"))
            .map(|s| s.replace('-', "_"))
            .collect();

        assert!(ui.len() >= 20, "the UI's calls were not found: {ui:?}");
        assert_eq!(handler, ui, "generate_handler! in lib.rs vs ui/src/lib/api.ts");
        assert_eq!(manifest, ui, "COMMANDS in build.rs vs ui/src/lib/api.ts");
        assert_eq!(capability, ui, "capabilities/default.json vs ui/src/lib/api.ts");
    }
}

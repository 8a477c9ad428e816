//! The floor for start-up and memory: a bare Tauri 2 app, generated into `target/bench/floor/`.
//!
//! One window with a static page that calls `invoke("ready")` on load; the command prints
//! `floor: ready after N ms (setup at …, page load began at …)`, the line and milestones TokenHop prints. It is
//! its own Cargo project (its own `[workspace]` table), pinned to our `Cargo.lock` so it gets the very same
//! `tauri`, and built with our `[profile.release]` copied over. It deliberately has no plugins, no state and no
//! UI framework.

use std::path::Path;

use anyhow::{Context, Result};

const MAIN_RS: &str = r#"//! Bare Tauri 2 window: the start-up and memory floor of `cargo xtask bench`.
use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();
static SETUP_AT: OnceLock<u128> = OnceLock::new();
static PAGE_LOAD_AT: OnceLock<u128> = OnceLock::new();

fn since_start() -> u128 {
    START.get().map_or(0, |t| t.elapsed().as_millis())
}

#[tauri::command]
fn ready() {
    let shown = |at: Option<&u128>| at.map_or("?".to_owned(), u128::to_string);
    eprintln!(
        "floor: ready after {} ms (setup at {} ms, page load began at {} ms)",
        since_start(),
        shown(SETUP_AT.get()),
        shown(PAGE_LOAD_AT.get())
    );
}

fn main() {
    START.get_or_init(Instant::now);
    tauri::Builder::default()
        .setup(|_| {
            let _ = SETUP_AT.set(since_start());
            Ok(())
        })
        .on_page_load(|_, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started {
                let _ = PAGE_LOAD_AT.set(since_start());
            }
        })
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("the floor app runs");
}
"#;

const BUILD_RS: &str = "fn main() {\n    tauri_build::build()\n}\n";

const INDEX_HTML: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>floor</title></head>
<body><p>floor</p>
<script>window.addEventListener("load", () => window.__TAURI_INTERNALS__.invoke("ready"));</script>
</body></html>
"#;

const TAURI_CONF: &str = r#"{
  "productName": "tokenhop-floor",
  "version": "0.1.0",
  "identifier": "app.tokenhop.benchfloor",
  "build": { "frontendDist": "dist" },
  "app": {
    "windows": [{ "label": "main", "title": "floor", "width": 1200, "height": 800 }],
    "security": { "csp": null }
  },
  "bundle": { "active": false, "icon": ["icons/icon.png"] }
}
"#;

const CAPABILITY: &str = r#"{ "identifier": "default", "windows": ["main"], "permissions": ["core:default"] }
"#;

/// Writes the floor project. `tauri_version` is the exact version from our lock file.
pub fn generate(repo: &Path, dir: &Path, tauri_version: &str, build_version: &str) -> Result<()> {
    for sub in ["src", "dist", "icons", "capabilities"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let profile = release_profile(repo)?;
    let manifest = format!(
        "[package]\nname = \"tokenhop-floor\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         # Not part of TokenHop's workspace.\n[workspace]\n\n\
         [build-dependencies]\ntauri-build = {{ version = \"={build_version}\", features = [] }}\n\n\
         [dependencies]\ntauri = {{ version = \"={tauri_version}\", features = [] }}\n\n\
         [features]\ncustom-protocol = [\"tauri/custom-protocol\"]\n\n{profile}"
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    write_if_changed(&dir.join("build.rs"), BUILD_RS)?;
    write_if_changed(&dir.join("src/main.rs"), MAIN_RS)?;
    write_if_changed(&dir.join("dist/index.html"), INDEX_HTML)?;
    write_if_changed(&dir.join("tauri.conf.json"), TAURI_CONF)?;
    write_if_changed(&dir.join("capabilities/default.json"), CAPABILITY)?;
    // Our lock file, so every shared dependency resolves to the version TokenHop uses.
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).context("copying Cargo.lock")?;
    }
    let icon = dir.join("icons/icon.png");
    if !icon.exists() {
        std::fs::copy(repo.join("icons/128x128.png"), &icon).context("copying an icon for the floor app")?;
    }
    Ok(())
}

/// The `[profile.release]` table of the root manifest, verbatim.
fn release_profile(repo: &Path) -> Result<String> {
    let text = std::fs::read_to_string(repo.join("Cargo.toml"))?;
    let start = text.find("[profile.release]").context("no [profile.release] in Cargo.toml")?;
    let rest = &text[start..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
    Ok(format!("{}\n", rest[..end].trim_end()))
}

/// The version of `name` recorded in a Cargo.lock.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"\nversion = \"");
    let at = lock.find(&needle)? + needle.len();
    lock[at..].split('"').next().map(String::from)
}

/// Leaves unchanged files alone so cargo does not rebuild the floor for nothing.
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_version_reads_the_exact_package_not_a_prefix_match() {
        let lock = "[[package]]\nname = \"tauri-build\"\nversion = \"2.5.3\"\n\n[[package]]\nname = \"tauri\"\nversion = \"2.9.4\"\n";
        assert_eq!(locked_version(lock, "tauri").as_deref(), Some("2.9.4"));
        assert_eq!(locked_version(lock, "tauri-build").as_deref(), Some("2.5.3"));
        assert_eq!(locked_version(lock, "wry"), None);
    }
}

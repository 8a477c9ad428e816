//! Managing profiles from the sidebar of the real window: duplicate, rename, and delete (which asks first),
//! checking after each action both what the list shows and what is in `<config dir>/profiles/`.
//!
//! The only profile at start is the Sandbox one the app writes itself; nothing is seeded, no sign-in runs.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;
use tokenhop_e2e::selectors::testid;
use tokenhop_e2e::{wait::SHORT, wait::UI_LOADED, wait_for, TestApp};

fn item(slug: &str) -> String {
    format!("{}[data-slug=\"{slug}\"]", testid("profile-item"))
}

#[test]
fn duplicate_rename_and_delete_change_the_list_and_the_profile_files() {
    let app = TestApp::launch("duplicate_rename_and_delete_change_the_list_and_the_profile_files");
    app.wait_for_element(&item("sandbox"), UI_LOADED).expect("the Sandbox profile is listed at start");
    let dir = app.config_dir().join("profiles");
    assert_eq!(files(&dir), set(&["sandbox.toml"]), "only the Sandbox profile exists at start");
    let sandbox: toml::Table = read(&dir.join("sandbox.toml"));
    app.screenshot("01-start").expect("screenshot");

    // Duplicate: a new name, a new file with the same settings; the original stays.
    menu_action(&app, "sandbox", "profile-duplicate");
    app.wait_for_element(&testid("name-dialog"), SHORT).expect("the duplicate dialog opens");
    let prefilled = app.find(&testid("name-input")).and_then(|i| app.property(&i, "value")).expect("the name field");
    assert_eq!(prefilled, "Sandbox copy", "the dialog proposes a name");
    fill(&app, "name-input", "ACME dev");
    app.screenshot("02-duplicate-dialog").expect("screenshot");
    app.click(&app.find(&testid("name-confirm")).expect("Duplicate")).expect("confirming");
    let listed = wait_for_list(&app, &["ACME dev", "Sandbox"]);
    let dev = slug_of(&listed, "ACME dev");
    assert_eq!(files(&dir), set(&["sandbox.toml", &format!("{dev}.toml")]), "the duplicate has its own file");
    let copy: toml::Table = read(&dir.join(format!("{dev}.toml")));
    assert_eq!(copy["name"].as_str(), Some("ACME dev"), "the file carries the new name");
    for section in ["entra", "ias", "xsuaa", "api"] {
        assert_eq!(copy[section], sandbox[section], "the duplicate keeps the [{section}] settings");
    }
    app.screenshot("03-duplicated").expect("screenshot");

    // Rename: the list shows the new name only; the file moves to the new slug.
    menu_action(&app, &dev, "profile-rename");
    app.wait_for_element(&testid("name-dialog"), SHORT).expect("the rename dialog opens");
    fill(&app, "name-input", "ACME test");
    app.click(&app.find(&testid("name-confirm")).expect("Rename")).expect("confirming");
    let listed = wait_for_list(&app, &["ACME test", "Sandbox"]);
    let test = slug_of(&listed, "ACME test");
    assert_ne!(test, dev, "a new name gives a new slug");
    assert_eq!(files(&dir), set(&["sandbox.toml", &format!("{test}.toml")]), "the file was renamed, not copied");
    let renamed: toml::Table = read(&dir.join(format!("{test}.toml")));
    assert_eq!(renamed["name"].as_str(), Some("ACME test"), "the renamed file carries the new name");
    assert_eq!(renamed["entra"], sandbox["entra"], "renaming keeps the settings");
    app.screenshot("04-renamed").expect("screenshot");

    // Delete asks first: "Keep it" changes nothing.
    menu_action(&app, &test, "profile-delete");
    app.wait_for_element(&testid("confirm-delete"), SHORT).expect("deleting asks for confirmation");
    app.screenshot("05-confirm-delete").expect("screenshot");
    app.click(&app.find(&testid("delete-cancel")).expect("Keep it")).expect("keeping it");
    wait_gone(&app, &testid("confirm-delete"));
    wait_for_list(&app, &["ACME test", "Sandbox"]);
    assert!(dir.join(format!("{test}.toml")).is_file(), "a cancelled delete keeps the file");

    // Confirmed: gone from the list and from disk.
    menu_action(&app, &test, "profile-delete");
    app.wait_for_element(&testid("confirm-delete"), SHORT).expect("deleting asks for confirmation");
    app.click(&app.find(&testid("delete-confirm")).expect("Delete")).expect("confirming the delete");
    wait_for_list(&app, &["Sandbox"]);
    assert_eq!(files(&dir), set(&["sandbox.toml"]), "the deleted profile's file is removed");
    app.screenshot("06-deleted").expect("screenshot");
}

/// Selects the profile (its menu button shows on the selected row) and picks `action` from its menu.
fn menu_action(app: &TestApp, slug: &str, action: &str) {
    let select = app.find(&format!("{} {}", item(slug), testid("profile-select"))).expect("the profile row");
    app.click(&select).expect("selecting the profile");
    app.wait_for_element(&format!("{}[data-slug=\"{slug}\"]", testid("profile-view")), SHORT)
        .expect("the profile opens");
    let menu = app.find(&format!("{} {}", item(slug), testid("profile-menu"))).expect("the row's menu button");
    app.click(&menu).expect("opening the menu");
    let entry = app.wait_for_element(&format!("{} {}", item(slug), testid(action)), SHORT).expect("the menu entry");
    app.click(&entry).expect("choosing the menu entry");
}

/// Replaces a field's value by typing (the `input` events are what Svelte binds to).
fn fill(app: &TestApp, field: &str, value: &str) {
    let input = app.find(&testid(field)).expect("the field");
    app.clear(&input).expect("clearing");
    app.type_text(&input, value).expect("typing");
    assert_eq!(app.property(&input, "value").ok(), Some(Value::from(value)), "{field} holds what was typed");
}

fn wait_gone(app: &TestApp, css: &str) {
    wait_for(SHORT, &format!("`{css}` to close"), || Ok(app.find_all(css)?.is_empty().then_some(())))
        .expect("the dialog closes");
}

/// Waits until the sidebar lists exactly these names (in any order); returns `(slug, name)` pairs.
fn wait_for_list(app: &TestApp, names: &[&str]) -> Vec<(String, String)> {
    let wanted: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    let mut last = Vec::new();
    let found = wait_for(SHORT, &format!("the sidebar to list {names:?}"), || {
        last = sidebar(app)?;
        let shown: BTreeSet<String> = last.iter().map(|(_, name)| name.clone()).collect();
        Ok((shown == wanted && shown.len() == last.len()).then(|| last.clone()))
    });
    found.unwrap_or_else(|e| panic!("{e:#}; the sidebar lists {last:?}"))
}

fn slug_of(listed: &[(String, String)], name: &str) -> String {
    listed.iter().find(|(_, n)| n == name).map(|(slug, _)| slug.clone()).expect("the name is listed")
}

/// The sidebar's rows as `(slug, name)`.
fn sidebar(app: &TestApp) -> anyhow::Result<Vec<(String, String)>> {
    let script = "return [...document.querySelectorAll('[data-testid=profile-item]')].map((li) => \
                    [li.dataset.slug, li.querySelector('[data-testid=profile-name]')?.textContent?.trim() ?? '']);";
    let rows = app.execute(script, vec![])?;
    let rows = rows.as_array().context("the sidebar script returns a list")?;
    Ok(rows
        .iter()
        .map(|r| (r[0].as_str().unwrap_or("").to_string(), r[1].as_str().unwrap_or("").to_string()))
        .collect())
}

/// The `*.toml` file names in the profiles dir (temp files of an atomic write are not profiles).
fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".toml"))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn read(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{} is not TOML: {e}", path.display()))
}

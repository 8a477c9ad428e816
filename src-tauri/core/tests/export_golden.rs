//! Golden-file tests: every export format of one fixed run (pinned time and ids) must match the files
//! under `tests/golden/` byte for byte. After an intended change, rewrite them with
//! `UPDATE_GOLDEN=1 cargo test -p tokenhop-core --test export_golden` and review the diff.

#[path = "export_fixture.rs"]
mod fixture;

use std::path::PathBuf;

use tokenhop_core::export::{render, ExportFile, ExportFormat, ExportOptions};
use tokenhop_core::profile::{ClientAuth, Profile};

fn golden_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(case)
}

fn check(case: &str, files: &[ExportFile]) {
    let dir = golden_dir(case);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            std::fs::write(dir.join(&f.file_name), &f.contents).unwrap();
        }
        return;
    }
    for f in files {
        let path = dir.join(&f.file_name);
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} is missing ({e}); run with UPDATE_GOLDEN=1 to create it", path.display()));
        if expected != f.contents {
            let line = expected.lines().zip(f.contents.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
            panic!(
                "{} differs from the export (first difference at line {line}); run with UPDATE_GOLDEN=1 and review the diff",
                path.display()
            );
        }
    }
}

fn render_all(case: &str, profile: &Profile, options: impl Fn() -> ExportOptions) {
    let report = fixture::report();
    for format in ExportFormat::ALL {
        let files = render(format, profile, &report, &options()).unwrap();
        check(case, &files);
    }
}

#[test]
fn every_format_matches_its_golden_file_with_basic_ias_and_post_xsuaa() {
    render_all("basic-ias-post-xsuaa", &fixture::profile(ClientAuth::Basic, ClientAuth::Post), fixture::options);
}

#[test]
fn every_format_matches_its_golden_file_with_opted_in_secrets() {
    render_all(
        "opted-in-secrets",
        &fixture::profile(ClientAuth::Post, ClientAuth::Basic),
        fixture::options_with_secrets,
    );
}

#[test]
fn the_same_run_renders_identically_twice() {
    let profile = fixture::profile(ClientAuth::Basic, ClientAuth::Basic);
    let report = fixture::report();
    for format in ExportFormat::ALL {
        let a = render(format, &profile, &report, &fixture::options()).unwrap();
        let b = render(format, &profile, &report, &fixture::options()).unwrap();
        assert_eq!(a, b, "{format}: pinned time and ids must give identical output");
    }
}

#[test]
fn files_are_named_after_the_profile_and_the_time() {
    let profile = fixture::profile(ClientAuth::Basic, ClientAuth::Basic);
    let report = fixture::report();
    let names: Vec<String> = ExportFormat::ALL
        .into_iter()
        .flat_map(|f| render(f, &profile, &report, &fixture::options()).unwrap())
        .map(|f| f.file_name)
        .collect();
    assert_eq!(
        names,
        [
            "acme-dev-20261114-093000.postman_collection.json",
            "acme-dev-20261114-093000.postman_environment.json",
            "acme-dev-20261114-093000.sh",
            "acme-dev-20261114-093000.http",
            "acme-dev-20261114-093000.env",
        ]
    );
}

//! Atomic writes, tested with a real writer process killed (SIGKILL) mid-write: every profile file must
//! still parse afterwards, holding either an old or a new complete version.
//!
//! The writer is this test binary re-run with `--exact profile_atomic_writer_child` and `WRITER_DIR` set; it
//! rewrites large profiles in a loop until it is killed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::{Profile, ProfileStore};

const WRITER_DIR: &str = "TOKENHOP_TEST_ATOMIC_WRITER_DIR";
const PROFILES: usize = 3;

fn big_profile(name: &str, generation: usize) -> Profile {
    let text = format!(
        "name = \"{name}\"\nenvironment = \"gen-{generation}\"\n[entra]\ntenant = \"contoso.com\"\nclient_id = \"c\"\n"
    );
    let mut profile = parse_profile(&text, Path::new("big.toml")).unwrap();
    // About 1.5 MB per file, so that a kill lands inside a write often.
    profile.entra.scopes.extend((0..60_000).map(|i| format!("api://g{generation}/s{i}")));
    profile
}

/// The writer: only does something when started by the test below.
#[test]
fn profile_atomic_writer_child() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else { return };
    let store = ProfileStore::open(&dir).unwrap();
    let slugs: Vec<String> = (0..PROFILES)
        .map(|i| {
            let name = format!("Big {i}");
            store.resolve(&name).or_else(|_| store.create(&big_profile(&name, 0))).unwrap()
        })
        .collect();
    println!("ready");
    for generation in 1.. {
        for (i, slug) in slugs.iter().enumerate() {
            store.update(slug, &big_profile(&format!("Big {i}"), generation)).unwrap();
        }
    }
}

/// The writer's temp files in `dir` (a write in progress, or one a kill interrupted).
fn temp_files(dir: &Path) -> std::collections::BTreeSet<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().map(|e| e.file_name()).filter(|n| n.to_string_lossy().ends_with(".tmp")).collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_writer_killed_mid_write_never_leaves_a_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles");
    let mut killed_mid_write = 0;
    for round in 0..6 {
        let before = temp_files(&profiles);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["profile_atomic_writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(WRITER_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if round == 0 {
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            assert!(lines.any(|l| l.is_ok_and(|l| l.contains("ready"))), "the writer must start");
        }
        // Wait for the event, not a time: a write in progress shows as a new temp file; kill it then.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while temp_files(&profiles).is_subset(&before) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        child.kill().unwrap(); // SIGKILL on Unix: no destructor, no cleanup.
        child.wait().unwrap();
        // A temp file that outlived its writer is a write the kill cut off.
        if !temp_files(&profiles).is_subset(&before) {
            killed_mid_write += 1;
        }

        let store = ProfileStore::open(dir.path()).unwrap();
        let list = store.list(None).unwrap();
        assert!(list.errors.is_empty(), "round {round}: a killed writer left a broken file: {:?}", list.errors);
        assert_eq!(list.profiles.len(), PROFILES, "round {round}: every profile must still be there");
        for summary in &list.profiles {
            let profile = store.get(&summary.slug).unwrap();
            assert_eq!(profile.entra.scopes.len(), 60_004, "round {round}: {} must be complete", summary.slug);
        }
    }
    assert!(killed_mid_write > 0, "no kill landed inside a write, so the test proved nothing");
    eprintln!("kills that landed inside a write: {killed_mid_write} of 6");
}

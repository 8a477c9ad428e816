//! Profile store at scale: list and search 1,000 profiles (issue 5: "well under 50 ms").
//!
//! `cargo bench -p tokenhop-core --bench profile_store` (or `cargo xtask bench`). A plain harness: it prints
//! the median and worst of several runs, cold (every file parsed) and warm (the index of unchanged files) and does not assert, since timings depend on the machine.

use std::path::Path;
use std::time::{Duration, Instant};

use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::ProfileStore;

const PROFILES: usize = 1_000;
const RUNS: usize = 15;

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = ProfileStore::open(dir.path()).expect("the store opens");
    for i in 0..PROFILES {
        let text = format!(
            "name = \"Customer {i:04}\"\nenvironment = \"{env}\"\n[entra]\ntenant = \"tenant{i}.onmicrosoft.com\"\n\
             client_id = \"00000000-0000-0000-0000-{i:012}\"\n[ias]\nurl = \"https://t{i}.accounts.ondemand.com\"\n\
             client_id = \"ias-{i}\"\n[xsuaa]\nurl = \"https://sub{i}.authentication.eu10.hana.ondemand.com\"\n\
             client_id = \"sb-app-{i}!t1\"\n[api]\nurl = \"https://api{i}.cfapps.eu10.hana.ondemand.com/v1\"\n",
            env = ["dev", "test", "prod"][i % 3]
        );
        store.create(&parse_profile(&text, Path::new("bench.toml")).unwrap()).unwrap();
    }
    report("list 1,000 cold (new store, every file parsed)", || {
        let cold = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(cold.list(None).unwrap().profiles.len(), PROFILES)
    });
    report("list 1,000 warm (unchanged files not re-parsed)", || assert_eq!(store.list(None).unwrap().profiles.len(), PROFILES));
    report("search 1,000 (\"t77\")", || assert!(!store.list(Some("t77")).unwrap().profiles.is_empty()));
    report("search 1,000 (no match)", || assert!(store.list(Some("zzz-none")).unwrap().profiles.is_empty()));
}

fn report(label: &str, mut f: impl FnMut()) {
    f(); // warm the page cache
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    println!("{label}: median {:?}, worst {:?} over {RUNS} runs", times[RUNS / 2], times[RUNS - 1]);
}

//! Profile store at scale: list and search 100, 1,000 and 10,000 profiles (issue 5: 1,000 "well under 50 ms";
//! issue 8: the cost grows linearly).
//!
//! `cargo bench -p tokenhop-core --bench profile_store [-- --sizes 100,1000,10000 --machine]`, or
//! `cargo xtask bench`. A plain harness: it prints the median and worst of several runs per size, cold (every
//! file parsed) and warm (the index of unchanged files), and asserts only correctness, never a timing.
//! `--machine` adds one `bench-store size=N op=OP median_us=… min_us=… max_us=…` line per result for the xtask.

use std::path::Path;
use std::time::{Duration, Instant};

use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::ProfileStore;

const RUNS: usize = 15;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1_000, 10_000]);
    let machine = args.iter().any(|a| a == "--machine");
    for size in sizes {
        bench_size(size, machine);
    }
}

fn profile_text(i: usize) -> String {
    format!(
        "name = \"Customer {i:05}\"\nenvironment = \"{env}\"\n[entra]\ntenant = \"tenant{i}.onmicrosoft.com\"\n\
         client_id = \"00000000-0000-0000-0000-{i:012}\"\n[ias]\nurl = \"https://t{i}.accounts.ondemand.com\"\n\
         client_id = \"ias-{i}\"\n[xsuaa]\nurl = \"https://sub{i}.authentication.eu10.hana.ondemand.com\"\n\
         client_id = \"sb-app-{i}!t1\"\n[api]\nurl = \"https://api{i}.cfapps.eu10.hana.ondemand.com/v1\"\n",
        env = ["dev", "test", "prod"][i % 3]
    )
}

fn bench_size(size: usize, machine: bool) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = ProfileStore::open(dir.path()).expect("the store opens");
    for i in 0..size {
        store.create(&parse_profile(&profile_text(i), Path::new("bench.toml")).unwrap()).unwrap();
    }
    let n = size.to_string();
    let report = |op: &str, label: &str, f: &mut dyn FnMut()| report(size, op, &format!("{label} {n}"), machine, f);
    report("list_cold", "list (new store, every file parsed)", &mut || {
        let cold = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(cold.list(None).unwrap().profiles.len(), size)
    });
    report("list_warm", "list (unchanged files not re-parsed)", &mut || {
        assert_eq!(store.list(None).unwrap().profiles.len(), size)
    });
    report("search_hit", "search \"t77\"", &mut || assert!(!store.list(Some("t77")).unwrap().profiles.is_empty()));
    report("search_miss", "search with no match", &mut || {
        assert!(store.list(Some("zzz-none")).unwrap().profiles.is_empty())
    });
}

fn report(size: usize, op: &str, label: &str, machine: bool, f: &mut dyn FnMut()) {
    f(); // warm the page cache
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let (median, min, max) = (times[RUNS / 2], times[0], times[RUNS - 1]);
    println!("{label}: median {median:?}, worst {max:?} over {RUNS} runs");
    if machine {
        println!(
            "bench-store size={size} op={op} median_us={} min_us={} max_us={}",
            median.as_micros(),
            min.as_micros(),
            max.as_micros()
        );
    }
}

//! `cargo xtask bench`: release builds, then start-up, memory, chain latency, profile-store scale and size,
//! each beside its floor measured in the same run (issue 8). Prints a markdown table and writes
//! `target/bench/bench.json` and `target/bench/bench.md`.
//!
//! Nothing here asserts a timing: the numbers are reported, and the targets are shown next to them. Every
//! artefact (the generated floor app, its build, config dirs, logs) lives under `target/bench/`.

mod build;
pub(crate) mod chain;
mod curl_floor;
mod first_paint;
mod floor;
mod machine;
mod matrix;
mod memory;
mod report;
mod sandbox;
mod size;
pub(crate) mod startup;
mod stats;
mod store;
mod window_runs;

use std::path::PathBuf;

use anyhow::Result;

use crate::step::Step;
use crate::Workspace;
pub use stats::Samples;

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Runs per measurement (the median, min and max are reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Skip the `.deb` bundle (it takes minutes on a small machine).
    #[arg(long)]
    pub no_deb: bool,
    /// Skip `npm run build` and the release builds (reuse what is in target/).
    #[arg(long)]
    pub no_build: bool,
    /// Measure only these (comma-separated): startup, chain, matrix, store, size.
    #[arg(long, value_delimiter = ',', default_value = "startup,chain,matrix,store,size")]
    pub only: Vec<String>,
    /// Profiles in the matrix measurement (the figure to report is for 20).
    #[arg(long, default_value_t = matrix::PROFILES)]
    pub matrix_profiles: usize,
}

impl Args {
    fn wants(&self, part: &str) -> bool {
        self.only.iter().any(|p| p == part)
    }
}

/// Everything measured, in the order the table shows it.
#[derive(Debug, Default)]
pub struct Results {
    pub machine: machine::Machine,
    pub startup: Option<startup::StartupResult>,
    pub chain: Option<chain::ChainResult>,
    pub matrix: Option<matrix::MatrixResult>,
    pub store: Option<store::StoreResult>,
    pub size: Option<size::SizeResult>,
    /// Parts that could not be measured, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Paths the benchmark uses, all under `target/bench/`.
pub struct BenchDirs {
    pub root: PathBuf,
}

impl BenchDirs {
    fn new(ws: &Workspace) -> Self {
        BenchDirs { root: ws.target.join("bench") }
    }
    pub fn floor_src(&self) -> PathBuf {
        self.root.join("floor")
    }
    pub fn floor_target(&self) -> PathBuf {
        self.root.join("floor-target")
    }
    pub fn scratch(&self) -> PathBuf {
        self.root.join("scratch")
    }
}

pub fn run(ws: &Workspace, args: &Args) -> Result<()> {
    let dirs = BenchDirs::new(ws);
    std::fs::create_dir_all(&dirs.root)?;
    let runs = args.runs.max(1);
    let mut results = Results { machine: machine::Machine::detect(), ..Results::default() };

    crate::setup::run(ws, true)?;
    let built = if args.no_build { build::existing(ws, &dirs)? } else { build::all(ws, &dirs)? };

    if args.wants("startup") {
        record(&mut results.skipped, "cold start and memory", startup::measure(&built, &dirs, runs), |r| {
            results.startup = Some(r)
        });
    }
    if args.wants("chain") {
        record(&mut results.skipped, "chain latency", chain::measure(&built, &dirs, runs), |r| results.chain = Some(r));
    }
    if args.wants("matrix") {
        let measured = matrix::measure(&built, &dirs, runs, args.matrix_profiles.max(1));
        record(&mut results.skipped, "matrix", measured, |r| results.matrix = Some(r));
    }
    if args.wants("store") {
        record(&mut results.skipped, "profile store", store::measure(ws), |r| results.store = Some(r));
    }
    if args.wants("size") {
        let deb = !args.no_deb;
        record(&mut results.skipped, "size", size::measure(ws, &built, deb), |r| results.size = Some(r));
    }

    let step = Step::start("bench: report");
    let markdown = report::markdown(&results, runs);
    let json = report::json(&results, runs);
    std::fs::write(dirs.root.join("bench.md"), &markdown)?;
    std::fs::write(dirs.root.join("bench.json"), serde_json::to_string_pretty(&json)?)?;
    println!("\n{markdown}");
    step.finish(&format!("wrote {} and bench.json", dirs.root.join("bench.md").display()));
    Ok(())
}

/// Keeps a measurement's result, or notes why it is missing and carries on with the others.
fn record<T>(skipped: &mut Vec<(String, String)>, what: &str, result: Result<T>, keep: impl FnOnce(T)) {
    match result {
        Ok(r) => keep(r),
        Err(e) => {
            crate::step::note(format!("{what}: not measured: {e:#}"));
            skipped.push((what.to_owned(), format!("{e:#}")));
        }
    }
}

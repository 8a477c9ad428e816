//! `cargo xtask test` and `cargo xtask e2e`: every suite in turn, each judged on its exit status AND its counts.
//!
//! A suite fails when its runner exits non-zero, reports a failed test, prints no summary, or ran zero tests.
//! All suites run even after one fails, so one run shows every problem; the last line is always the plain
//! `N passed, M failed` over all of them (a suite that failed without counting anything counts as one failure).

use std::process::ExitStatus;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::app;
use crate::bindings;
use crate::counts::{self, Counts};
use crate::setup;
use crate::step::{self, Step};
use crate::Workspace;

/// Time limits for running each suite. Test binaries are compiled beforehand ([`build_all`]), without a limit,
/// so a slow cold build never counts against them. CI gives a whole run 90 minutes; a hung test must cost a suite, not the run.
const RUST_LIMIT: Duration = Duration::from_secs(15 * 60);
const UI_LIMIT: Duration = Duration::from_secs(10 * 60);
const E2E_LIMIT: Duration = Duration::from_secs(15 * 60);
/// Formatting and lints; clippy checks every crate again (its artifacts are not the build's), cold in 10 minutes.
const CHECK_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Every cargo command of the suites selects the whole workspace with the app's shipping feature, so cargo
/// resolves one feature set for all of them and every crate is compiled once: which packages a command selects
/// decides the features of their shared dependencies (tokio, hyper, serde, …), and with them each crate's hash.
/// (`cargo test -p tokenhop-e2e` alone, or a plain `cargo build -p tokenhop`, would each build most of the tree
/// again.) The e2e tests are picked out of the workspace by their test targets instead; see [`e2e_selection`].
pub(crate) const WORKSPACE: &[&str] = &["--workspace", "--features", "tokenhop/custom-protocol"];

/// The package whose test targets are the end-to-end suite.
const E2E_PACKAGE: &str = "tokenhop-e2e";

/// How a runner's output is read.
#[derive(Clone, Copy)]
enum Reader {
    Cargo,
    Vitest,
    /// A checker, not a test runner: its exit status is the whole verdict.
    ExitStatus,
}

struct Outcome {
    name: &'static str,
    counts: Counts,
    problem: Option<String>,
}

pub fn test_all(ws: &Workspace) -> Result<()> {
    setup::run(ws, true)?;
    let mut outcomes = vec![formatted(ws)];
    let built = app::build_ui(ws).and_then(|()| build_all(ws));
    outcomes.push(rust(ws));
    outcomes.push(lints(ws));
    outcomes.push(bindings_committed(ws));
    outcomes.push(in_ui(ws, "UI unit tests (vitest)", &["test"], Reader::Vitest));
    outcomes.push(in_ui(ws, "UI type check (svelte-check)", &["run", "check"], Reader::ExitStatus));
    outcomes.push(accessibility(ws));
    outcomes.push(match built {
        Ok(()) => e2e(ws, &[]),
        Err(err) => {
            Outcome { name: "end-to-end", counts: Counts::default(), problem: Some(format!("not run: {err:#}")) }
        }
    });
    summarize(&outcomes)
}

/// The property tests of every parser that reads outside input (`core/tests/parsers_never_panic.rs`).
const FUZZ_TESTS: &[&str] = &["test", "-p", "tokenhop-core", "--test", "parsers_never_panic"];
/// Cases per property and round; each round draws new inputs (proptest seeds from the OS).
const FUZZ_CASES_PER_ROUND: u32 = 50_000;

/// Runs the parser properties round after round, `FUZZ_CASES_PER_ROUND` cases each, for about `minutes`;
/// stops at the first failure, whose output names the shrunk input.
pub fn fuzz(ws: &Workspace, minutes: u64) -> Result<()> {
    let step = Step::start("build: parser property tests");
    step::run(&mut step::command(step::cargo(), &[FUZZ_TESTS, &["--no-run"]].concat(), &ws.root))?;
    step.finish("ok");
    let deadline = std::time::Instant::now() + Duration::from_secs(minutes * 60);
    let mut rounds = 0u64;
    while rounds == 0 || std::time::Instant::now() < deadline {
        let mut cmd = step::command(step::cargo(), FUZZ_TESTS, &ws.root);
        cmd.env("PROPTEST_CASES", FUZZ_CASES_PER_ROUND.to_string());
        let outcome = suite("parser properties", &mut cmd, Reader::Cargo, Duration::from_secs(minutes.max(1) * 60 * 2));
        if let Some(problem) = outcome.problem {
            anyhow::bail!("round {} failed: {problem}", rounds + 1);
        }
        rounds += 1;
    }
    println!("fuzz: {rounds} round(s) of {FUZZ_CASES_PER_ROUND} cases per property, no failure");
    Ok(())
}

pub fn e2e_only(ws: &Workspace, filter: &[String]) -> Result<()> {
    setup::run(ws, true)?;
    app::build_ui(ws)?;
    build_all(ws)?;
    summarize(&[e2e(ws, filter)])
}

/// One cargo build of the app with the UI embedded (`target/debug/tokenhop`, which the e2e tests start) and of
/// every test binary, in [`WORKSPACE`]'s feature set, so the suites compile nothing more. Test binaries are
/// compiled here, without a time limit, so a slow cold build never counts against a suite's; `--keep-going`
/// builds all that compiles, so one broken test target leaves the other suites nothing to compile either.
fn build_all(ws: &Workspace) -> Result<()> {
    let step = Step::start("build: the app (UI embedded) and every test binary");
    let args = [&["build"], WORKSPACE, &["--bins", "--tests", "--keep-going"]].concat();
    step::run(&mut step::command(step::cargo(), &args, &ws.root))?;
    let binary = ws.app_binary();
    if !binary.is_file() {
        bail!("cargo build succeeded but {} does not exist", binary.display());
    }
    step.finish(&format!("ok: {}", binary.display()));
    Ok(())
}

/// Rust unit, integration and doc tests of every crate but the e2e one, which needs a display and runs apart.
/// The app is tested with `custom-protocol` on, as it ships.
fn rust(ws: &Workspace) -> Outcome {
    let name = "Rust tests (cargo test --workspace)";
    let args = [&["test"], WORKSPACE, &["--exclude", E2E_PACKAGE, "--no-fail-fast"]].concat();
    suite(name, &mut step::command(step::cargo(), &args, &ws.root), Reader::Cargo, RUST_LIMIT)
}

/// `cargo fmt --all --check`: the code is formatted as `.rustfmt.toml` says; the diff is printed.
fn formatted(ws: &Workspace) -> Outcome {
    let cmd = &mut step::command(step::cargo(), &["fmt", "--all", "--check"], &ws.root);
    suite("Rust formatting (cargo fmt --check)", cmd, Reader::ExitStatus, CHECK_LIMIT)
}

/// `cargo clippy --all-targets -D warnings` over the workspace, in [`WORKSPACE`]'s feature set like the build.
fn lints(ws: &Workspace) -> Outcome {
    let args = [&["clippy"], WORKSPACE, &["--all-targets", "--", "-D", "warnings"]].concat();
    suite(
        "Rust lints (cargo clippy -D warnings)",
        &mut step::command(step::cargo(), &args, &ws.root),
        Reader::ExitStatus,
        CHECK_LIMIT,
    )
}

/// The committed TypeScript bindings must be what the Rust types generate today, or the UI was checked against
/// types the Rust side no longer has. A check, not a test: it counts as one failure or none.
fn bindings_committed(ws: &Workspace) -> Outcome {
    let name = "TypeScript bindings match the Rust types";
    let step = Step::start(format!("check: {name}"));
    let problem = match bindings::check(ws) {
        Ok(problem) => problem,
        Err(err) => Some(format!("could not generate the bindings: {err:#}")),
    };
    step.finish(problem.as_deref().map_or("ok", |_| "FAILED"));
    Outcome { name, counts: Counts::default(), problem }
}

fn in_ui(ws: &Workspace, name: &'static str, npm_args: &[&str], reader: Reader) -> Outcome {
    let mut cmd = step::command(setup::npm_program(), npm_args, &ws.ui());
    cmd.env("NO_COLOR", "1");
    suite(name, &mut cmd, reader, UI_LIMIT)
}

/// axe-core on each main view of the mock build, light and dark, in headless Chromium (`ui/a11y/`): one test per
/// view and scheme, so a failure names the view.
fn accessibility(ws: &Workspace) -> Outcome {
    let mut cmd = step::command(setup::npm_program(), &["run", "a11y"], &ws.ui());
    cmd.env("NO_COLOR", "1");
    if let Some(chromium) = setup::find_chromium() {
        cmd.env("CHROMIUM", chromium);
    }
    suite("accessibility (axe-core, light and dark)", &mut cmd, Reader::Vitest, UI_LIMIT)
}

/// `--test NAME` for each test target of the e2e package: with `--workspace` (which keeps the feature set of the
/// build) cargo then runs just those. Fails if another package has a test target of the same name, which
/// would then run under Xvfb too.
fn e2e_selection(ws: &Workspace) -> Result<Vec<String>> {
    let out = std::process::Command::new(step::cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(&ws.root)
        .output()
        .context("running cargo metadata")?;
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    let tests_of = |package: &serde_json::Value| -> Vec<String> {
        let targets = package["targets"].as_array().into_iter().flatten();
        targets
            .filter(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "test")))
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    };
    let packages = meta["packages"].as_array().context("cargo metadata lists no packages")?;
    let (e2e, others): (Vec<_>, Vec<_>) = packages.iter().partition(|p| p["name"] == E2E_PACKAGE);
    let names = tests_of(e2e.first().with_context(|| format!("no package {E2E_PACKAGE} in the workspace"))?);
    if names.is_empty() {
        bail!("{E2E_PACKAGE} has no test targets");
    }
    for other in others {
        if let Some(clash) = tests_of(other).into_iter().find(|n| names.contains(n)) {
            bail!("{} has a test target named `{clash}` like an e2e test: rename one of them", other["name"]);
        }
    }
    Ok(names.into_iter().flat_map(|n| ["--test".to_owned(), n]).collect())
}

/// An unlocked Secret Service in the session, its keyring in a throwaway directory, as on a desktop: the
/// app then stores secrets in a real keychain, and no "create a keyring" prompt waits for an answer.
/// `sh -c UNLOCKED_KEYRING sh <program> <args>` starts it, then runs the program (the bench starts its apps so).
pub(crate) const UNLOCKED_KEYRING: &str = r#"d=$(mktemp -d); printf %s e2e | env HOME="$d" XDG_DATA_HOME="$d" gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null; exec "$@""#;

/// The real app under Xvfb, on its own session bus with an unlocked keyring, driven through tauri-driver one
/// test at a time.
fn e2e(ws: &Workspace, filter: &[String]) -> Outcome {
    let name = "end-to-end (tauri-driver under Xvfb)";
    let Some(driver) = setup::find_tauri_driver(ws) else {
        let problem = Some("tauri-driver is missing although set-up ran".to_string());
        return Outcome { name, counts: Counts::default(), problem };
    };
    let selection = match e2e_selection(ws) {
        Ok(selection) => selection,
        Err(err) => return Outcome { name, counts: Counts::default(), problem: Some(format!("{err:#}")) },
    };
    let mut args: Vec<String> = [
        "-a",
        "--server-args=-screen 0 1600x1000x24",
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        UNLOCKED_KEYRING,
        "sh",
        "env",
        "NO_AT_BRIDGE=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(step::cargo().to_string_lossy().into_owned());
    args.extend([&["test"], WORKSPACE, &["--no-fail-fast"]].concat().iter().map(|s| s.to_string()));
    // A `--test` of the caller's replaces the whole selection; a name filter narrows it.
    if !filter.iter().any(|f| f == "--test" || f.starts_with("--test=")) {
        args.extend(selection);
    }
    args.extend(filter.iter().cloned());
    args.extend(["--", "--test-threads=1"].map(String::from));
    let mut cmd = step::command("xvfb-run", &args, &ws.root);
    cmd.env("TOKENHOP_E2E_APP", ws.app_binary()).env("TOKENHOP_E2E_TAURI_DRIVER", driver);
    suite(name, &mut cmd, Reader::Cargo, E2E_LIMIT)
}

fn suite(name: &'static str, cmd: &mut std::process::Command, reader: Reader, limit: Duration) -> Outcome {
    let step = Step::start(format!("suite: {name}"));
    let (counts, problem) = match step::run_captured(cmd, limit) {
        Ok(run) if run.timed_out => {
            let counts = counts_of(reader, &run.lines).unwrap_or_default();
            (counts, Some(format!("stopped after the time limit of {} minutes (a test hung?)", limit.as_secs() / 60)))
        }
        Ok(run) => judge(reader, run.status, &run.lines),
        Err(err) => (Counts::default(), Some(format!("{err:#}"))),
    };
    let verdict = match (&problem, reader) {
        (None, Reader::ExitStatus) => "ok".to_string(),
        (None, _) => format!("ok: {} passed, {} skipped", counts.passed, counts.skipped),
        (Some(problem), _) => format!("FAILED: {problem}"),
    };
    step.finish(&verdict);
    Outcome { name, counts, problem }
}

fn judge(reader: Reader, status: ExitStatus, lines: &[String]) -> (Counts, Option<String>) {
    if let Reader::ExitStatus = reader {
        return (Counts::default(), (!status.success()).then(|| format!("exited with {status}")));
    }
    let Some(counts) = counts_of(reader, lines) else {
        return (Counts::default(), Some(format!("printed no test summary (exited with {status})")));
    };
    let problem = if counts.failed > 0 {
        Some(format!("{} of {} tests failed", counts.failed, counts.failed + counts.passed))
    } else if !status.success() {
        Some(format!("exited with {status}"))
    } else if counts.passed == 0 {
        Some("ran zero tests".to_string())
    } else {
        None
    };
    (counts, problem)
}

fn counts_of(reader: Reader, lines: &[String]) -> Option<Counts> {
    match reader {
        Reader::Cargo => counts::from_cargo(lines),
        Reader::Vitest => counts::from_vitest(lines),
        Reader::ExitStatus => None,
    }
}

fn summarize(outcomes: &[Outcome]) -> Result<()> {
    let summary = Step::start("summary");
    let mut total = Counts::default();
    for outcome in outcomes {
        let mut counts = outcome.counts;
        if outcome.problem.is_some() && counts.failed == 0 {
            counts.failed = 1;
        }
        total += counts;
        let verdict = outcome.problem.as_deref().unwrap_or("ok");
        step::note(format!("{:<40} {:>5} passed {:>3} failed  {verdict}", outcome.name, counts.passed, counts.failed));
    }
    let failed_suites = outcomes.iter().filter(|o| o.problem.is_some()).count();
    summary.finish(&match failed_suites {
        0 => "all suites passed".to_string(),
        n => format!("FAILED: {n} of {} suites", outcomes.len()),
    });
    // The plain count line is always the very last line, for people and for CI systems that read it.
    let skipped = if total.skipped > 0 { format!(", {} skipped", total.skipped) } else { String::new() };
    println!("{} passed, {} failed{skipped}", total.passed, total.failed);
    if failed_suites > 0 {
        return Err(crate::Reported.into());
    }
    Ok(())
}

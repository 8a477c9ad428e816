//! `cargo xtask test` and `cargo xtask e2e`: every suite in turn, each judged on its exit status AND its counts.
//!
//! A suite fails when its runner exits non-zero, reports a failed test, prints no summary, or ran zero tests.
//! All suites run even after one fails, so one run shows every problem; the last line is always the plain
//! `N passed, M failed` over all of them (a suite that failed without counting anything counts as one failure).

use std::process::ExitStatus;
use std::time::Duration;

use anyhow::Result;

use crate::app;
use crate::counts::{self, Counts};
use crate::setup;
use crate::step::{self, Step};
use crate::Workspace;

/// Time limits for running each suite. Test binaries are compiled beforehand, without a limit, so a slow cold
/// build never counts against them. CI gives a whole run 90 minutes; a hung test must cost a suite, not the run.
const RUST_LIMIT: Duration = Duration::from_secs(15 * 60);
const UI_LIMIT: Duration = Duration::from_secs(10 * 60);
const E2E_LIMIT: Duration = Duration::from_secs(15 * 60);

const RUST_TESTS: &[&str] =
    &["test", "--workspace", "--exclude", "tokenhop-e2e", "--features", "tokenhop/custom-protocol", "--no-fail-fast"];
const E2E_TESTS: &[&str] = &["test", "-p", "tokenhop-e2e", "--no-fail-fast"];

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
    let mut outcomes = Vec::new();
    let built = app::build_ui(ws).and_then(|()| app::build_app(ws));
    outcomes.push(rust(ws));
    outcomes.push(in_ui(ws, "UI unit tests (vitest)", &["test"], Reader::Vitest));
    outcomes.push(in_ui(ws, "UI type check (svelte-check)", &["run", "check"], Reader::ExitStatus));
    outcomes.push(match built {
        Ok(_) => e2e(ws, &[]),
        Err(err) => Outcome { name: "end-to-end", counts: Counts::default(), problem: Some(format!("not run: {err:#}")) },
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
    build_tests(ws, "parser property tests", FUZZ_TESTS)?;
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
    app::build_app(ws)?;
    summarize(&[e2e(ws, filter)])
}

/// Rust unit, integration and doc tests of every crate but the e2e one, which needs a display and runs apart.
/// The app is tested with `custom-protocol` on, as it ships, which also lets it share the build of `tauri`
/// with the e2e binary instead of compiling it twice.
fn rust(ws: &Workspace) -> Outcome {
    let name = "Rust tests (cargo test --workspace)";
    if let Err(err) = build_tests(ws, "Rust tests", RUST_TESTS) {
        return Outcome { name, counts: Counts::default(), problem: Some(format!("did not compile: {err:#}")) };
    }
    let mut cmd = step::command(step::cargo(), RUST_TESTS, &ws.root);
    suite(name, &mut cmd, Reader::Cargo, RUST_LIMIT)
}

/// `cargo <args> --no-run`: compiles the test binaries so the suite's time limit covers only running them.
fn build_tests(ws: &Workspace, what: &str, args: &[&str]) -> Result<()> {
    let step = Step::start(format!("build: {what}"));
    step::run(&mut step::command(step::cargo(), &[args, &["--no-run"]].concat(), &ws.root))?;
    step.finish("ok");
    Ok(())
}

fn in_ui(ws: &Workspace, name: &'static str, npm_args: &[&str], reader: Reader) -> Outcome {
    let mut cmd = step::command(setup::npm_program(), npm_args, &ws.ui());
    cmd.env("NO_COLOR", "1");
    suite(name, &mut cmd, reader, UI_LIMIT)
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
    if let Err(err) = build_tests(ws, "end-to-end tests", E2E_TESTS) {
        return Outcome { name, counts: Counts::default(), problem: Some(format!("did not compile: {err:#}")) };
    }
    let mut args: Vec<String> = [
        "-a", "--server-args=-screen 0 1600x1000x24", "dbus-run-session", "--", "sh", "-c", UNLOCKED_KEYRING, "sh",
        "env", "NO_AT_BRIDGE=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(step::cargo().to_string_lossy().into_owned());
    args.extend(E2E_TESTS.iter().map(|s| s.to_string()));
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

//! Memory over ten chain runs in the real window: the bench presses Ctrl+Enter (the Run shortcut) with
//! xdotool, as a person would, and waits for the app's `run finished` log line before the next press. So the
//! figure includes what the webview keeps of each run (nodes, tokens, claims), not only the engine's side.
//! PSS of the process tree is taken idle after start and after runs 1, [`RUNS`] and [`LONG_RUNS`]. The same runs
//! give the chain's latency inside the app, warm: each `run finished` line carries the time from the sign-in
//! callback to the end of the run (runs 2–30: the first pays for the sandbox's key generation, and on a small
//! machine a few milliseconds move with its other load, so every warm run counts). The scripted
//! browser signs in after [`SIGN_IN`], as a person would after the window has settled.

use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::build::Built;
use super::chain::{curl_browser, free_port, Linger};
use super::startup::{isolated, Watched};
use super::{memory, BenchDirs, Samples};
use crate::step::note;

pub const RUNS: usize = 10;
/// Further runs after the tenth, to tell a leak (keeps growing) from caches filling up (levels off).
pub const LONG_RUNS: usize = 30;
const SETTLE: Duration = Duration::from_secs(2);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const BETWEEN_RUNS: Duration = Duration::from_millis(500);
/// How long the scripted browser takes to sign in. No person is faster; with an instant sign-in the
/// callback arrived while the web process was still redrawing the window for the Run click (tens of ms of
/// its CPU on the same two cores), which the chain's latency then measured too.
pub const SIGN_IN: Duration = Duration::from_millis(500);

/// PSS of the app's process tree around ten runs of the Sandbox chain.
#[derive(Debug, Default)]
pub struct RunsMemory {
    pub runs: usize,
    pub idle_mib: f64,
    pub after_first_mib: f64,
    pub after_last_mib: f64,
    /// After run [`LONG_RUNS`].
    pub after_long_mib: f64,
    /// Per-process PSS idle, after run 1, after run 10 and after the last run, for the notes.
    pub breakdown: [String; 4],
    /// Sign-in callback → end of run, as the app logs it, for runs 2 to [`LONG_RUNS`].
    pub warm_chain_ms: Samples,
}

pub fn measure(built: &Built, dirs: &BenchDirs, display: &str) -> Result<RunsMemory> {
    let home = dirs.scratch().join("runs-app");
    let mut cmd = isolated(&built.app, display, &home)?;
    let linger = Linger::start()?;
    cmd.env("TOKENHOP_SANDBOX_PORT", free_port()?.to_string())
        .env("TOKENHOP_BROWSER", curl_browser(&home, SIGN_IN, &linger)?)
        // Every run signs in, so the figure stays the interactive chain's (the CLI bench times silent re-runs).
        .env("TOKENHOP_FRESH_SIGN_IN", "1")
        .env("RUST_LOG", "info");
    let app = Watched::spawn(cmd)?;
    let outcome = (|| -> Result<RunsMemory> {
        app.wait_for("ready after", Duration::from_secs(60))?;
        std::thread::sleep(SETTLE);
        let mut breakdown: [String; 4] = Default::default();
        let mut pss = |at: usize| {
            let procs = memory::tree_pss(app.pid_of(&built.app));
            breakdown[at] = memory::breakdown(&procs);
            memory::total_mib(&procs)
        };
        let idle_mib = pss(0);
        let window = main_window(display)?;
        let (mut after_first_mib, mut after_last_mib) = (0.0, 0.0);
        let mut warm_chain_ms = Samples::default();
        for k in 1..=LONG_RUNS {
            // The log line comes from Rust before the UI has shown the report and enabled Run again; a person
            // does not press again within milliseconds either.
            std::thread::sleep(BETWEEN_RUNS);
            xdotool(display, &["windowfocus", "--sync", &window, "key", "ctrl+Return"])?;
            let (_, line) =
                app.wait_for("run finished", RUN_TIMEOUT).with_context(|| format!("run {k} of {LONG_RUNS}"))?;
            linger.release();
            if !line.contains("ok=true") {
                bail!("run {k} of {LONG_RUNS} failed: {line}");
            }
            if k >= 2 {
                warm_chain_ms.push(field(&line, "after_callback_ms").with_context(|| format!("no time in: {line}"))?);
            }
            if k == 1 {
                std::thread::sleep(SETTLE);
                after_first_mib = pss(1);
            } else if k == RUNS {
                std::thread::sleep(SETTLE);
                after_last_mib = pss(2);
            }
        }
        std::thread::sleep(SETTLE);
        let after_long_mib = pss(3);
        note(format!(
            "runs in the window: idle {idle_mib:.1} MiB, after run 1 {after_first_mib:.1}, run {RUNS} {after_last_mib:.1}, run {LONG_RUNS} {after_long_mib:.1}"
        ));
        note(format!(
            "  idle: {}\n      after run 1: {}\n      after run {RUNS}: {}\n      after run {LONG_RUNS}: {}",
            breakdown[0], breakdown[1], breakdown[2], breakdown[3]
        ));
        Ok(RunsMemory {
            runs: RUNS,
            idle_mib,
            after_first_mib,
            after_last_mib,
            after_long_mib,
            breakdown,
            warm_chain_ms,
        })
    })();
    app.end();
    outcome
}

/// The number after `name=` in a log line (quoted or not).
pub fn field(line: &str, name: &str) -> Option<f64> {
    let value = line.split(&format!("{name}=")).nth(1)?.split_whitespace().next()?;
    value.trim_matches('"').parse().ok()
}

/// The id of the visible TokenHop window (GTK also maps a small helper window of the same name).
fn main_window(display: &str) -> Result<String> {
    let out = xdotool(display, &["search", "--sync", "--onlyvisible", "--name", "^TokenHop$"])?;
    out.lines().last().map(str::to_owned).context("no visible TokenHop window")
}

fn xdotool(display: &str, args: &[&str]) -> Result<String> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .context("running xdotool (cargo xtask setup installs it)")?;
    if !out.status.success() {
        bail!("xdotool {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

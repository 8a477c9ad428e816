//! Chain latency: the engine from the loopback callback to the API response, against raw HTTP with curl.
//!
//! Engine side: `tokenhop-cli run Sandbox --json` with a curl "browser" that posts the sandbox sign-in form and
//! follows the redirect to the loopback listener (no browser start-up in the number). With `RUST_LOG=info` the
//! CLI logs the `run finished` line the app logs too, with the time from the sign-in callback to the built
//! report (code redemption, ID-token check, IAS, XSUAA, API, all token checks): the figure compared with the
//! floor, measured the same way as the window's. Also taken here, from outside: the CLI's `sign-in response
//! received` line on stderr → the JSON report on stdout, which adds the report's printing and two pipe
//! wake-ups of this process on a busy machine. The JSON's per-step `elapsed_ms` (IAS + XSUAA + API) is
//! reported too. Floor: [`super::curl_floor`]. Also the whole run with headless Chromium as the browser,
//! sign-in included. The interactive runs pass `--fresh-sign-in`, so each signs in again.
//!
//! Silent re-runs: `run Sandbox` with the refresh token the last interactive run got, given as a CI job gives
//! it (`TOKENHOP_ENTRA_REFRESH_TOKEN`: the bench's processes may have no keychain), and a browser that fails if
//! it is started. The figure is the CLI's `silent_ms` (its `run finished` line): the whole chain from the start of the
//! run to the report — discovery, the refresh at Entra and its ID-token check, IAS, XSUAA, API — five
//! requests against the curl floor's four (code redemption, IAS, XSUAA, API). Also the process from spawn
//! to exit, as a CI job sees it.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::build::Built;
use super::sandbox::{Sandbox, USER};
use super::{curl_floor, window_runs, BenchDirs, Samples};
use crate::step::{note, Step};

#[derive(Debug, Default)]
pub struct ChainResult {
    /// Callback arrival → report built, from the CLI's `run finished` line.
    pub engine_ms: Samples,
    /// The CLI's callback line on stderr → its JSON report on stdout, as this process sees them arrive.
    pub outside_ms: Samples,
    /// Sum of the JSON's `elapsed_ms` for IAS, XSUAA and API.
    pub steps_ms: Samples,
    /// The same four requests with curl over kept-alive connections.
    pub floor_ms: Samples,
    /// The same, started after curl has waited as long as the window bench's sign-in.
    pub floor_after_pause_ms: Samples,
    /// Whole `run` with headless Chromium signing in (process start to exit).
    pub whole_chromium_ms: Samples,
    /// Silent re-run (the cached sign-in): the run's start → report, as the CLI logs it.
    pub silent_ms: Samples,
    /// Silent re-run: process spawn → exit.
    pub silent_whole_ms: Samples,
    pub floor_detail: String,
}

/// A free TCP port on loopback (the next three are assumed free too, as the sandbox needs four).
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn browser_script(dir: &Path, name: &str, body: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(path)
}

/// A "browser" that submits the sandbox sign-in form as USER, after `pause`, follows the redirect to the
/// loopback listener, and then stays open on `linger` until the bench releases it.
pub fn curl_browser(dir: &Path, pause: Duration, linger: &Linger) -> Result<PathBuf> {
    let user = super::curl_floor::form_encode(USER);
    let body = format!(
        "u=\"$1\"; base=\"${{u%%\\?*}}\"; q=\"${{u#*\\?}}\"\n\
         (sleep {pause}; curl -s -o /dev/null -L --data \"$q&username={user}\" \"$base\" --next -s -o /dev/null '{linger}') \
         >/dev/null 2>&1 </dev/null &",
        pause = pause.as_secs_f64(),
        linger = linger.url,
    );
    browser_script(dir, "curl-browser.sh", &body)
}

/// Where the curl "browser" waits after the sign-in, as a browser stays open on the page the loopback listener
/// answered. A curl that exited at once did so while the chain it had started ran: with its shell, a few
/// hundred microseconds of CPU on one of two cores, which slowed the median CLI chain by 0.2 ms and gave it a tail.
pub struct Linger {
    url: String,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Linger {
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the linger endpoint")?;
        let url = format!("http://{}/", listener.local_addr()?);
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                keep.lock().unwrap_or_else(|p| p.into_inner()).push(stream);
            }
        });
        Ok(Self { url, held })
    }

    /// Closes the held connections, so the browsers waiting on them exit now, and gives them a moment to, so
    /// their exit does not fall in the next measurement either.
    pub fn release(&self) {
        let released = std::mem::take(&mut *self.held.lock().unwrap_or_else(|p| p.into_inner()));
        if !released.is_empty() {
            drop(released);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Linger {
    fn drop(&mut self) {
        self.release();
    }
}

/// A headless Chromium as the browser, started in a process group of its own whose id goes to
/// `chromium.pgid`: the run ends when the callback arrives, while Chromium would stay on the result page
/// for ever, so [`end_chromium`] ends it after each run (left running, they pile up and skew what follows).
fn chromium_browser(dir: &Path) -> Result<PathBuf> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists());
    let chromium = chromium.context("Chromium is not installed (cargo xtask setup installs it)")?;
    let pgid = dir.join("chromium.pgid");
    let body = format!(
        "d=$(mktemp -d -p '{}')\nsetsid {chromium} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
         --disable-background-networking --disable-component-update --disable-sync --user-data-dir=\"$d\" \"$1\" \
         >/dev/null 2>&1 </dev/null &\necho $! > '{}'",
        dir.display(),
        pgid.display()
    );
    browser_script(dir, "chromium-browser.sh", &body)
}

/// Ends the Chromium that [`chromium_browser`] started last, with all its helper processes.
fn end_chromium(dir: &Path) {
    let Ok(pgid) = std::fs::read_to_string(dir.join("chromium.pgid")) else { return };
    let group = format!("-{}", pgid.trim());
    for signal in ["-TERM", "-KILL"] {
        let _ = Command::new("kill").args([signal, "--", &group]).stderr(Stdio::null()).status();
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = std::fs::remove_file(dir.join("chromium.pgid"));
}

/// What one `tokenhop-cli run --json` took, in ms.
struct CliRun {
    /// Callback → report built, as the CLI logs it.
    engine: f64,
    /// Callback line on stderr → JSON on stdout, as seen here.
    outside: f64,
    /// IAS + XSUAA + API `elapsed_ms` from the JSON.
    steps: f64,
    /// Spawn → exit.
    whole: f64,
    /// The Entra refresh token this run got, for the silent re-runs.
    refresh_token: String,
}

/// `run Sandbox --json` with `browser` and `args`, as the bench starts it.
fn cli_command(built: &Built, sandbox: &Sandbox, config: &Path, browser: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(&built.cli);
    cmd.arg("--config-dir")
        .arg(config)
        .args(["run", "Sandbox", "--json", "--timeout", "60", "--browser"])
        .arg(browser)
        .args(args)
        .env("TOKENHOP_IAS_CLIENT_SECRET", &sandbox.ias_secret)
        .env("TOKENHOP_XSUAA_CLIENT_SECRET", &sandbox.xsuaa_secret)
        .env("RUST_LOG", "info")
        .env_remove("TOKENHOP_ENTRA_REFRESH_TOKEN")
        .stdin(Stdio::null());
    cmd
}

/// What one silent `tokenhop-cli run` took, in ms: (its `silent_ms`, spawn → exit).
fn cli_silent_run(
    built: &Built,
    sandbox: &Sandbox,
    config: &Path,
    no_browser: &Path,
    token: &str,
) -> Result<(f64, f64)> {
    let spawned = Instant::now();
    let out = cli_command(built, sandbox, config, no_browser, &[])
        .env("TOKENHOP_ENTRA_REFRESH_TOKEN", token)
        .output()
        .context("starting tokenhop-cli run")?;
    let whole = spawned.elapsed().as_secs_f64() * 1000.0;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("run --json printed no JSON; stderr:\n{stderr}"))?;
    if !out.status.success() || report["ok"] != true || report["steps"][0]["sign_in"]["method"] != "silent" {
        bail!("the re-run was not a successful silent one ({}); stderr:\n{stderr}", out.status);
    }
    let line = stderr.lines().find(|l| l.contains("run finished")).context("no `run finished` line")?;
    let silent = window_runs::field(line, "silent_ms").with_context(|| format!("no silent_ms in: {line}"))?;
    Ok((silent, whole))
}

fn cli_run(built: &Built, sandbox: &Sandbox, config: &Path, browser: &Path) -> Result<CliRun> {
    let spawned = Instant::now();
    let mut child = cli_command(built, sandbox, config, browser, &["--fresh-sign-in"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting tokenhop-cli run")?;
    let (tx, rx) = mpsc::channel();
    let mut stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        let mut first = [0u8; 1];
        let n = stdout.read(&mut first).unwrap_or(0);
        let at = Instant::now();
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        let _ = tx.send((at, format!("{}{rest}", String::from_utf8_lossy(&first[..n]))));
    });
    let mut callback = None;
    let mut finished = None;
    let mut log = Vec::new();
    for line in BufReader::new(child.stderr.take().expect("piped")).lines().map_while(Result::ok) {
        if callback.is_none() && line.contains("sign-in response received") {
            callback = Some(Instant::now());
        }
        if line.contains("run finished") {
            finished = window_runs::field(&line, "after_callback_ms");
        }
        log.push(line);
    }
    let status = child.wait()?;
    let exited = Instant::now();
    let (json_at, json) = rx.recv_timeout(Duration::from_secs(10)).context("no stdout from tokenhop-cli run")?;
    let report: serde_json::Value = serde_json::from_str(&json)
        .with_context(|| format!("run --json printed no JSON; stderr:\n{}", log.join("\n")))?;
    if !status.success() || report["ok"] != true {
        bail!("the chain failed ({status}); stderr:\n{}", log.join("\n"));
    }
    let callback = callback.context("the CLI never reported the sign-in response")?;
    let engine =
        finished.with_context(|| format!("no `run finished` line with after_callback_ms:\n{}", log.join("\n")))?;
    let steps: f64 = report["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["step"] != "entra")
        .filter_map(|s| s["elapsed_ms"].as_f64())
        .sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(CliRun {
        engine,
        outside: ms(json_at.duration_since(callback)),
        steps,
        whole: ms(exited.duration_since(spawned)),
        refresh_token: report["steps"][0]["tokens"]["refresh_token"].as_str().unwrap_or_default().to_owned(),
    })
}

pub fn measure(built: &Built, dirs: &BenchDirs, runs: usize) -> Result<ChainResult> {
    let step = Step::start(format!("bench: chain latency, {runs} runs (engine via tokenhop-cli, floor via curl)"));
    let scratch = dirs.scratch().join("chain");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let sandbox = Sandbox::start(&built.cli, free_port()?)?;
    let profile = scratch.join("sandbox.toml");
    std::fs::write(&profile, &sandbox.profile_toml)?;
    let config = scratch.join("config");
    let import =
        Command::new(&built.cli).arg("--config-dir").arg(&config).args(["profile", "import"]).arg(&profile).output()?;
    if !import.status.success() {
        bail!("profile import failed: {}", String::from_utf8_lossy(&import.stderr));
    }
    let linger = Linger::start()?;
    let fast = curl_browser(&scratch, Duration::ZERO, &linger)?;
    let mut result = ChainResult::default();
    cli_run(built, &sandbox, &config, &fast).context("warm-up run")?;
    linger.release();
    let floor = curl_floor::Floor::prepare(&sandbox)?;
    floor.measure(None).context("curl floor warm-up")?;
    let pause = curl_floor::Pause::start(window_runs::SIGN_IN)?;
    let mut refresh_token = String::new();
    for i in 1..=runs {
        let run = cli_run(built, &sandbox, &config, &fast)?;
        linger.release();
        let (floor_ms, detail) = floor.measure(None)?;
        let (paused_ms, _) = floor.measure(Some(&pause))?;
        note(format!(
            "run {i}: engine {:.2} ms (from outside {:.1} ms; IAS+XSUAA+API elapsed {:.0} ms), curl floor {floor_ms:.1} ms [{detail}], after a pause {paused_ms:.1} ms",
            run.engine, run.outside, run.steps
        ));
        result.engine_ms.push(run.engine);
        result.outside_ms.push(run.outside);
        result.steps_ms.push(run.steps);
        result.floor_ms.push(floor_ms);
        result.floor_after_pause_ms.push(paused_ms);
        result.floor_detail = detail;
        refresh_token = run.refresh_token;
    }
    // With the last sign-in's refresh token, `run` redeems it and opens no browser.
    let no_browser = browser_script(&scratch, "no-browser.sh", "exit 1")?;
    cli_silent_run(built, &sandbox, &config, &no_browser, &refresh_token).context("silent warm-up run")?;
    for i in 1..=runs {
        let (silent, whole) = cli_silent_run(built, &sandbox, &config, &no_browser, &refresh_token)?;
        note(format!("silent re-run {i}: {silent:.2} ms (process {whole:.0} ms)"));
        result.silent_ms.push(silent);
        result.silent_whole_ms.push(whole);
    }
    match chromium_browser(&scratch) {
        Ok(chromium) => {
            for _ in 0..runs {
                let run = cli_run(built, &sandbox, &config, &chromium);
                end_chromium(&scratch);
                result.whole_chromium_ms.push(run?.whole);
            }
        }
        Err(e) => note(format!("whole run with Chromium: skipped: {e}")),
    }
    step.finish(&format!(
        "engine {} ms, silent re-run {} ms, floor {} ms",
        result.engine_ms.show(1),
        result.silent_ms.show(1),
        result.floor_ms.show(1)
    ));
    Ok(result)
}

//! Chain latency: the engine from the loopback callback to the API response, against raw HTTP with curl.
//!
//! Engine side: `tokenhop-cli run Sandbox --json` with a curl "browser" that posts the sandbox sign-in form and
//! follows the redirect to the loopback listener (no browser start-up in the number). The CLI prints `sign-in
//! response received` on stderr when the callback arrives and the JSON report on stdout once the API answered;
//! the time between the two arrivals, taken here, is "callback → API response" (code redemption, ID-token check,
//! IAS, XSUAA, API, all token checks). The JSON's per-step `elapsed_ms` (IAS + XSUAA + API) is reported too.
//! Floor: [`super::curl_floor`]. Also the whole run with headless Chromium as the browser, sign-in included.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::build::Built;
use super::sandbox::{Sandbox, USER};
use super::{curl_floor, window_runs, BenchDirs, Samples};
use crate::step::{note, Step};

#[derive(Debug, Default)]
pub struct ChainResult {
    /// Callback arrival → JSON report on stdout, measured here.
    pub engine_ms: Samples,
    /// Sum of the JSON's `elapsed_ms` for IAS, XSUAA and API.
    pub steps_ms: Samples,
    /// The same four requests with curl over kept-alive connections.
    pub floor_ms: Samples,
    /// The same, started after curl has waited as long as the window bench's sign-in.
    pub floor_after_pause_ms: Samples,
    /// Whole `run` with headless Chromium signing in (process start to exit).
    pub whole_chromium_ms: Samples,
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

/// A "browser" that submits the sandbox sign-in form as USER, after `pause`, and follows the redirect to the
/// loopback listener.
pub fn curl_browser(dir: &Path, pause: Duration) -> Result<PathBuf> {
    let user = super::b64::form_encode(USER);
    let body = format!(
        "u=\"$1\"; base=\"${{u%%\\?*}}\"; q=\"${{u#*\\?}}\"\n\
         (sleep {pause}; curl -s -o /dev/null -L --data \"$q&username={user}\" \"$base\") >/dev/null 2>&1 </dev/null &",
        pause = pause.as_secs_f64()
    );
    browser_script(dir, "curl-browser.sh", &body)
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

/// One `tokenhop-cli run --json`: (callback → stdout, IAS+XSUAA+API elapsed, spawn → exit) in ms.
fn cli_run(built: &Built, sandbox: &Sandbox, config: &Path, browser: &Path) -> Result<(f64, f64, f64)> {
    let spawned = Instant::now();
    let mut child = Command::new(&built.cli)
        .arg("--config-dir")
        .arg(config)
        .args(["run", "Sandbox", "--json", "--timeout", "60", "--browser"])
        .arg(browser)
        .env("TOKENHOP_IAS_CLIENT_SECRET", &sandbox.ias_secret)
        .env("TOKENHOP_XSUAA_CLIENT_SECRET", &sandbox.xsuaa_secret)
        .stdin(Stdio::null())
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
    let mut log = Vec::new();
    for line in BufReader::new(child.stderr.take().expect("piped")).lines().map_while(Result::ok) {
        if callback.is_none() && line.contains("sign-in response received") {
            callback = Some(Instant::now());
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
    let steps: f64 = report["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["step"] != "entra")
        .filter_map(|s| s["elapsed_ms"].as_f64())
        .sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok((ms(json_at.duration_since(callback)), steps, ms(exited.duration_since(spawned))))
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
    let fast = curl_browser(&scratch, Duration::ZERO)?;
    let mut result = ChainResult::default();
    cli_run(built, &sandbox, &config, &fast).context("warm-up run")?;
    let floor = curl_floor::Floor::prepare(&sandbox)?;
    floor.measure(None).context("curl floor warm-up")?;
    let pause = curl_floor::Pause::start(window_runs::SIGN_IN)?;
    for i in 1..=runs {
        let (engine, steps, _) = cli_run(built, &sandbox, &config, &fast)?;
        let (floor_ms, detail) = floor.measure(None)?;
        let (paused_ms, _) = floor.measure(Some(&pause))?;
        note(format!(
            "run {i}: engine {engine:.1} ms (IAS+XSUAA+API elapsed {steps:.0} ms), curl floor {floor_ms:.1} ms [{detail}], after a pause {paused_ms:.1} ms"
        ));
        result.engine_ms.push(engine);
        result.steps_ms.push(steps);
        result.floor_ms.push(floor_ms);
        result.floor_after_pause_ms.push(paused_ms);
        result.floor_detail = detail;
    }
    match chromium_browser(&scratch) {
        Ok(chromium) => {
            for _ in 0..runs {
                let run = cli_run(built, &sandbox, &config, &chromium);
                end_chromium(&scratch);
                let (_, _, whole) = run?;
                result.whole_chromium_ms.push(whole);
            }
        }
        Err(e) => note(format!("whole run with Chromium: skipped: {e}")),
    }
    step.finish(&format!("engine {} ms, floor {} ms", result.engine_ms.show(1), result.floor_ms.show(1)));
    Ok(result)
}

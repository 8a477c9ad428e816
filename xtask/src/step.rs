//! Printing steps and running child processes, so every phase of the xtask reads the same way in a log.
//!
//! Children inherit stderr; `run_captured` also copies stdout line by line to ours while keeping it for parsing.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The cargo that runs us (so a pinned toolchain stays pinned), or `cargo` from `PATH`.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A named phase: prints `==> name` when it starts and `<== name: verdict (time)` when it ends.
pub struct Step {
    name: String,
    started: Instant,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Self {
        let name = name.into();
        println!("\n==> {name}");
        flush();
        Step { name, started: Instant::now() }
    }

    pub fn finish(self, verdict: &str) {
        println!("<== {}: {verdict} ({})", self.name, seconds(self.started.elapsed()));
        flush();
    }
}

pub fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// Prints one line inside a step.
pub fn note(line: impl AsRef<str>) {
    println!("    {}", line.as_ref());
    flush();
}

fn flush() {
    let _ = std::io::stdout().flush();
}

/// A `Command` for `program args…` in `dir`.
pub fn command<S: AsRef<OsStr>>(program: impl AsRef<OsStr>, args: &[S], dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    cmd
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `cmd` with inherited stdio and fails unless it exits with status 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = describe(cmd);
    note(format!("$ {shown}"));
    let status = cmd.status().with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs `cmd`, echoing its stdout as it comes and returning it with the exit status (which is not judged here).
pub fn run_captured(cmd: &mut Command) -> Result<(ExitStatus, Vec<String>)> {
    let shown = describe(cmd);
    note(format!("$ {shown}"));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let mut lines = Vec::new();
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).split(b'\n') {
        let line = String::from_utf8_lossy(&line.context("reading the child's output")?).into_owned();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        lines.push(line);
    }
    let status = child.wait().with_context(|| format!("waiting for `{shown}`"))?;
    Ok((status, lines))
}

/// True when `program` is found on `PATH`.
pub fn on_path(program: &str) -> bool {
    which(program).is_some()
}

/// The full path of `program` on `PATH`, like `command -v`.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(format!("{program}{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| candidate.is_file())
}

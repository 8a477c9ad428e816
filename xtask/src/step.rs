//! Printing steps and running child processes, so every phase of the xtask reads the same way in a log.
//!
//! Children inherit stderr; `run_captured` also copies stdout line by line to ours while keeping it for parsing.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
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

/// What a captured run produced.
pub struct Captured {
    pub status: ExitStatus,
    pub lines: Vec<String>,
    /// True when the run was stopped because it outlived its time limit.
    pub timed_out: bool,
}

/// Runs `cmd`, echoing its stdout as it comes and keeping it for parsing; the exit status is not judged here.
/// A run still going after `limit` is stopped with its whole process tree, so a hung test fails the suite
/// instead of hanging CI.
pub fn run_captured(cmd: &mut Command, limit: Duration) -> Result<Captured> {
    let shown = describe(cmd);
    note(format!("$ {shown}   (time limit {})", minutes(limit)));
    let mut child = cmd.stdout(Stdio::piped()).spawn().with_context(|| format!("could not start `{shown}`"))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let (line_tx, line_rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut out = std::io::stdout();
        for line in BufReader::new(stdout).split(b'\n').map_while(|l| l.ok()) {
            let line = String::from_utf8_lossy(&line).into_owned();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().with_context(|| format!("waiting for `{shown}`"))? {
            break status;
        }
        if !timed_out && Instant::now() >= deadline {
            timed_out = true;
            println!("\n    !!! `{shown}` is still running after {}: stopping it", minutes(limit));
            kill_tree(&mut child);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Something the run left behind may still hold the pipe open: do not wait for it for long.
    let grace = Instant::now() + Duration::from_secs(5);
    while !reader.is_finished() && Instant::now() < grace {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Captured { status, lines: line_rx.try_iter().collect(), timed_out })
}

fn minutes(d: Duration) -> String {
    format!("{} min", d.as_secs().div_ceil(60))
}

/// Kills `child` and, on Linux, every process below it (found through /proc), children first.
fn kill_tree(child: &mut std::process::Child) {
    #[cfg(target_os = "linux")]
    {
        let mut tree = vec![child.id()];
        let mut i = 0;
        while i < tree.len() {
            tree.extend(children_of(tree[i]));
            i += 1;
        }
        for pid in tree.iter().skip(1).rev() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
    let _ = child.kill();
}

#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the last ')'.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().is_some_and(|stat| {
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
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

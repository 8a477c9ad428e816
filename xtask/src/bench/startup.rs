//! Cold start to interactive, and idle memory, of TokenHop against the bare Tauri window.
//!
//! Both run on our own Xvfb display with a fresh, isolated home and config dir per run (no WebKit cache, no
//! profiles), each in its own D-Bus session (`dbus-run-session`) with an unlocked keyring, as on any desktop:
//! without a bus, GTK autolaunches one that outlives the run, and whatever it activated (portals, a keyring
//! asking for a password) then works during the next runs. Memory is that of the app's own process tree, not
//! of the session's services. The time is wall time from `spawn` to the `… ready after N ms` line on the
//! child's stderr, taken in this process; the app's own figure (from `main`) is kept too. Memory is the PSS
//! of the process tree 2 s after ready. Runs alternate app and floor so drift on a shared machine hits both
//! alike; one warm-up of each is discarded (it fills the page cache with the binaries and WebKit's libraries).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::build::Built;
use super::memory;
use super::{BenchDirs, Samples};
use crate::step::{note, Step};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const IDLE_BEFORE_MEMORY: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct Side {
    /// Spawn to the ready line, measured here.
    pub start_ms: Samples,
    /// The process's own figure, from its `main`.
    pub self_ms: Samples,
    /// Milestones before the page runs, also from `main`: Tauri's setup (GTK and the event loop are up) and
    /// the web view beginning to load the page.
    pub setup_ms: Samples,
    pub page_load_ms: Samples,
    pub idle_mib: Samples,
    /// Per run, each process's start, CPU and major faults at ready ([`memory::ProcessClock`]).
    pub process_clocks: Vec<String>,
    /// Per-process PSS of the last run, for the notes.
    pub breakdown: String,
}

#[derive(Debug, Default)]
pub struct StartupResult {
    pub app: Side,
    pub floor: Side,
    /// PSS and in-app chain latency over the runs in the window; `None` if they could not be measured.
    pub after_runs: Option<super::window_runs::RunsMemory>,
    pub display: String,
}

/// A running child and the lines of its stderr as they arrive, each with its arrival time.
pub struct Watched {
    pub child: Child,
    pub spawned: Instant,
    pub lines: mpsc::Receiver<(Instant, String)>,
}

impl Watched {
    pub fn spawn(mut cmd: Command) -> Result<Self> {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let spawned = Instant::now();
        let mut child = cmd.spawn().with_context(|| format!("starting {:?}", cmd.get_program()))?;
        let stderr = child.stderr.take().expect("stderr was piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Ok(Watched { child, spawned, lines })
    }

    /// Waits for a line containing `needle`; returns its arrival time and text.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<(Instant, String)> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if line.contains(needle) => return Ok((at, line)),
                Ok((_, line)) => seen.push(line),
                Err(_) => {
                    let tail = seen.iter().rev().take(8).rev().cloned().collect::<Vec<_>>().join("\n      ");
                    bail!("no `{needle}` line within {} s; last stderr lines:\n      {tail}", timeout.as_secs())
                }
            }
        }
    }

    pub fn end(mut self) {
        memory::end_tree(self.child.id());
        let _ = self.child.wait();
    }

    /// The pid of `binary` in the tree (under `dbus-run-session`), which is the root of the app's processes.
    pub fn pid_of(&self, binary: &Path) -> u32 {
        let wanted = binary.canonicalize().unwrap_or_else(|_| binary.to_owned());
        memory::tree(self.child.id())
            .into_iter()
            .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == wanted))
            .unwrap_or(self.child.id())
    }
}

/// Our own X server, ended when dropped.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Result<Self> {
        let n = (90..140).find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        });
        let n = n.context("no free X display number between :90 and :139")?;
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb (cargo xtask setup installs it)")?;
        let socket = format!("/tmp/.X11-unix/X{n}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&socket).exists() {
            if Instant::now() > deadline {
                bail!("Xvfb {display} did not come up within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Xvfb { child, display })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command for `binary` on `display`, in a D-Bus session of its own, with a fresh home and config dir under
/// `home`.
pub fn isolated(binary: &Path, display: &str, home: &Path) -> Result<Command> {
    let _ = std::fs::remove_dir_all(home);
    for sub in ["config", "data", "cache", "tokenhop"] {
        std::fs::create_dir_all(home.join(sub))?;
    }
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "sh", "-c", crate::suites::UNLOCKED_KEYRING, "sh"]).arg(binary);
    cmd.current_dir(home)
        .env("DISPLAY", display)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("TOKENHOP_CONFIG_DIR", home.join("tokenhop"))
        .env("NO_AT_BRIDGE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("TOKENHOP_BROWSER");
    Ok(cmd)
}

/// One start: spawn, wait for ready, optionally wait idle and take the PSS, end the tree.
fn one_start(binary: &Path, display: &str, home: &Path, side: &mut Side, keep: bool) -> Result<()> {
    let mut cmd = isolated(binary, display, home)?;
    // The in-process sandbox of the app: a free base port, so a developer's running app does not collide.
    cmd.env("TOKENHOP_SANDBOX_PORT", super::chain::free_port()?.to_string());
    let watched = Watched::spawn(cmd)?;
    let ready = watched.wait_for("ready after", READY_TIMEOUT);
    let (at, line) = match ready {
        Ok(r) => r,
        Err(e) => {
            watched.end();
            return Err(e);
        }
    };
    if keep {
        let root = watched.pid_of(binary);
        let clocks = memory::clocks(root).iter().map(ToString::to_string).collect::<Vec<_>>();
        side.process_clocks.push(clocks.join("; "));
        side.start_ms.push(at.duration_since(watched.spawned).as_secs_f64() * 1000.0);
        let figure = |label: &str| -> Option<f64> { line.split(label).nth(1)?.split_whitespace().next()?.parse().ok() };
        for (label, samples) in [
            ("ready after ", &mut side.self_ms),
            ("setup at ", &mut side.setup_ms),
            ("page load began at ", &mut side.page_load_ms),
        ] {
            if let Some(ms) = figure(label) {
                samples.push(ms);
            }
        }
        std::thread::sleep(IDLE_BEFORE_MEMORY);
        let procs = memory::tree_pss(root);
        side.idle_mib.push(memory::total_mib(&procs));
        side.breakdown = memory::breakdown(&procs);
    }
    watched.end();
    Ok(())
}

pub fn measure(built: &Built, dirs: &BenchDirs, runs: usize) -> Result<StartupResult> {
    let step = Step::start(format!("bench: cold start and idle memory, {runs} runs each (app and floor alternating)"));
    let x = Xvfb::start()?;
    note(format!("Xvfb on {}", x.display));
    let mut result = StartupResult { display: x.display.clone(), ..Default::default() };
    for i in 0..=runs {
        let keep = i > 0;
        let home = dirs.scratch().join("start-app");
        one_start(&built.app, &x.display, &home, &mut result.app, keep).context("TokenHop")?;
        one_start(&built.floor, &x.display, &dirs.scratch().join("start-floor"), &mut result.floor, keep)
            .context("floor app")?;
        if keep {
            let side = |s: &Side| {
                let milestone = |m: &Samples| m.0.get(i - 1).map_or("?".to_owned(), |ms| format!("{ms:.0}"));
                format!(
                    "{:.0} ms / {:.0} MiB (setup at {}, page load at {} ms; {})",
                    s.start_ms.0[i - 1],
                    s.idle_mib.0[i - 1],
                    milestone(&s.setup_ms),
                    milestone(&s.page_load_ms),
                    s.process_clocks[i - 1]
                )
            };
            note(format!("run {i}: app {}\n      floor {}", side(&result.app), side(&result.floor)));
        }
    }
    match super::window_runs::measure(built, dirs, &x.display) {
        Ok(m) => result.after_runs = Some(m),
        Err(e) => note(format!("memory after {} runs: not measured: {e:#}", super::window_runs::RUNS)),
    }
    step.finish(&format!("app {} ms, floor {} ms", result.app.start_ms.show(0), result.floor.start_ms.show(0)));
    Ok(result)
}

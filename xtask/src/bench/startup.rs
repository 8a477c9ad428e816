//! Cold start to interactive and to first paint, and idle memory, of TokenHop against the bare Tauri window.
//!
//! Both run on our own Xvfb display with a fresh, isolated home and config dir per run (no WebKit cache, no
//! profiles), each in its own D-Bus session (`dbus-run-session`) with an unlocked keyring, as on any desktop:
//! without a bus, GTK autolaunches one that outlives the run, and whatever it activated (portals, a keyring
//! asking for a password) then works during the next runs. Memory is that of the app's own process tree, not
//! of the session's services. The time is wall time from `spawn` to the `… ready after N ms` line on the
//! child's stderr, taken in this process; the app's own figure (from `main`) is kept too. Memory is the PSS
//! of the process tree 2 s after ready. Runs alternate app and floor so drift on a shared machine hits both
//! alike; one warm-up of each is discarded (it fills the page cache with the binaries and WebKit's libraries).
//!
//! First paint is taken in the same starts, from outside the app ([`first_paint`]): from `spawn` to the
//! window being mapped and holding more than one colour. The floor runs twice per round: as Tauri sets up
//! WebKit, and with the WebKit settings TokenHop applies to itself (no accelerated compositing, no JavaScript
//! JIT), so that memory is also compared like for like.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::build::Built;
use super::first_paint;
use super::memory;
use super::{BenchDirs, Samples};
use crate::step::{note, Step};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const IDLE_BEFORE_MEMORY: Duration = Duration::from_secs(2);
/// The WebKit settings TokenHop's `webkit_defaults` applies (src-tauri/lib.rs), for the like-for-like floor.
pub const APP_WEBKIT_ENV: [(&str, &str); 2] = [("WEBKIT_DISABLE_COMPOSITING_MODE", "1"), ("JSC_useJIT", "0")];

#[derive(Debug, Default)]
pub struct Side {
    /// Spawn to the ready line, measured here.
    pub start_ms: Samples,
    /// Spawn to the window holding more than one colour, seen from outside ([`first_paint`]).
    pub paint_ms: Samples,
    /// Spawn to the window being mapped.
    pub mapped_ms: Samples,
    /// Colours in the window at first paint, per run (a skeleton has a few, the page more).
    pub paint_colours: Vec<usize>,
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
    /// The floor again, with TokenHop's WebKit settings ([`APP_WEBKIT_ENV`]).
    pub floor_webkit: Side,
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

/// One start: spawn, wait for ready and for the first paint, optionally wait idle and take the PSS, end the
/// tree. `shots`, when given, is where the first paint and the idle window are saved as `<name>-first-paint.ppm`
/// and `<name>-idle.ppm`.
fn one_start(start: &Start, display: &str, side: &mut Side, keep: bool, shots: Option<&Path>) -> Result<()> {
    let mut cmd = isolated(start.binary, display, &start.home)?;
    // The in-process sandbox of the app: a free base port, so a developer's running app does not collide.
    cmd.env("TOKENHOP_SANDBOX_PORT", super::chain::free_port()?.to_string());
    cmd.envs(start.env.iter().copied());
    let painter = first_paint::Watcher::start(display, Instant::now(), READY_TIMEOUT)?;
    let watched = match Watched::spawn(cmd) {
        Ok(w) => w,
        Err(e) => {
            painter.abandon();
            return Err(e);
        }
    };
    let ready = watched.wait_for("ready after", READY_TIMEOUT);
    let (at, line) = match ready {
        Ok(r) => r,
        Err(e) => {
            painter.abandon();
            watched.end();
            return Err(e);
        }
    };
    let paint = painter.join();
    if keep {
        let paint = match paint {
            Ok(p) => p,
            Err(e) => {
                watched.end();
                return Err(e.context("first paint"));
            }
        };
        side.paint_ms.push(paint.painted_ms);
        side.mapped_ms.push(paint.mapped_ms);
        side.paint_colours.push(paint.colours);
        let root = watched.pid_of(start.binary);
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
        if let Some(dir) = shots {
            let _ = paint.image.save_ppm(&dir.join(format!("{}-first-paint.ppm", start.name)));
            if let Ok(idle) = first_paint::grab_screen_window(display) {
                let _ = idle.save_ppm(&dir.join(format!("{}-idle.ppm", start.name)));
            }
        }
    }
    watched.end();
    Ok(())
}

/// What one side of the comparison starts.
struct Start<'a> {
    name: &'static str,
    binary: &'a Path,
    home: std::path::PathBuf,
    env: &'a [(&'a str, &'a str)],
}

pub fn measure(built: &Built, dirs: &BenchDirs, runs: usize) -> Result<StartupResult> {
    let step = Step::start(format!(
        "bench: cold start, first paint and idle memory, {runs} runs each (app, floor, floor with the app's WebKit settings, alternating)"
    ));
    let x = Xvfb::start()?;
    note(format!("Xvfb on {}", x.display));
    let mut result = StartupResult { display: x.display.clone(), ..Default::default() };
    let starts = [
        Start { name: "app", binary: &built.app, home: dirs.scratch().join("start-app"), env: &[] },
        Start { name: "floor", binary: &built.floor, home: dirs.scratch().join("start-floor"), env: &[] },
        Start {
            name: "floor-webkit",
            binary: &built.floor,
            home: dirs.scratch().join("start-floor-webkit"),
            env: &APP_WEBKIT_ENV,
        },
    ];
    for i in 0..=runs {
        let keep = i > 0;
        let shots = (i == runs).then_some(dirs.root.as_path());
        let sides = [&mut result.app, &mut result.floor, &mut result.floor_webkit];
        for (start, side) in starts.iter().zip(sides) {
            one_start(start, &x.display, side, keep, shots).with_context(|| start.name)?;
        }
        if keep {
            let side = |s: &Side| {
                let milestone = |m: &Samples| m.0.get(i - 1).map_or("?".to_owned(), |ms| format!("{ms:.0}"));
                format!(
                    "painted {} ms ({} colours; mapped {}), ready {:.0} ms / {:.0} MiB (setup at {}, page load at {} ms; {})",
                    milestone(&s.paint_ms),
                    s.paint_colours[i - 1],
                    milestone(&s.mapped_ms),
                    s.start_ms.0[i - 1],
                    s.idle_mib.0[i - 1],
                    milestone(&s.setup_ms),
                    milestone(&s.page_load_ms),
                    s.process_clocks[i - 1]
                )
            };
            note(format!(
                "run {i}: app {}\n      floor {}\n      floor, app's WebKit settings {}",
                side(&result.app),
                side(&result.floor),
                side(&result.floor_webkit)
            ));
        }
    }
    note(format!("first paint and idle window of the last run: {}/*-first-paint.ppm, *-idle.ppm", dirs.root.display()));
    match super::window_runs::measure(built, dirs, &x.display) {
        Ok(m) => result.after_runs = Some(m),
        Err(e) => note(format!("memory after {} runs: not measured: {e:#}", super::window_runs::RUNS)),
    }
    step.finish(&format!(
        "first paint: app {} ms, floor {} ms; ready: app {} ms, floor {} ms",
        result.app.paint_ms.show(0),
        result.floor.paint_ms.show(0),
        result.app.start_ms.show(0),
        result.floor.start_ms.show(0)
    ));
    Ok(result)
}

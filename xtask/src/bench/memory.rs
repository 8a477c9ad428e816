//! Memory of a process tree: proportional set size (PSS) from `/proc/<pid>/smaps_rollup`, summed over a
//! process and all its descendants (for a Tauri app on Linux: WebKitWebProcess and WebKitNetworkProcess).
//!
//! PSS charges each shared page to the processes sharing it in proportion, so the sum over a tree is what
//! the tree costs the machine. Also here: when the tree's processes started, and ending a tree we started, pid
//! by pid.

use std::collections::HashMap;

/// One process of the tree and its PSS.
#[derive(Debug, Clone)]
pub struct ProcessPss {
    pub pid: u32,
    pub name: String,
    pub pss_kib: u64,
}

/// `pid` and every process below it, parents first.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if let Some(ppid) = std::fs::read_to_string(format!("/proc/{child}/stat")).ok().and_then(|s| parent_of(&s)) {
            children.entry(ppid).or_default().push(child);
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        out.extend(children.get(&out[i]).into_iter().flatten().copied());
        i += 1;
    }
    out
}

/// The parent pid from a `/proc/<pid>/stat` line; the name in parentheses may itself hold spaces or `)`.
fn parent_of(stat: &str) -> Option<u32> {
    stat_field(stat, 4)?.parse().ok()
}

/// Field `n` (1-based, as in proc(5)) of a `/proc/<pid>/stat` line, for the fields after the name.
fn stat_field(stat: &str, n: usize) -> Option<&str> {
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(n.checked_sub(3)?)
}

/// A process of a tree: when it started after the tree's root, and the CPU time and major page faults it has
/// had so far (proc(5)'s `starttime`, `utime` + `stime` and `majflt`; times in clock ticks, 10 ms on Linux).
/// Taken when the app is ready, they tell where a slow start went: before the web view's processes were
/// spawned or after, on CPU work or on waiting, on reading from disk or not.
#[derive(Debug)]
pub struct ProcessClock {
    pub name: String,
    pub started_after_ms: u64,
    pub cpu_ms: u64,
    pub major_faults: u64,
}

impl std::fmt::Display for ProcessClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} +{} ms: {} ms CPU, {} major faults",
            self.name, self.started_after_ms, self.cpu_ms, self.major_faults
        )
    }
}

/// [`ProcessClock`]s of `root` and every process below it, parents first.
pub fn clocks(root: u32) -> Vec<ProcessClock> {
    const MS_PER_TICK: u64 = 10;
    let stat = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    let number = |stat: &str, n: usize| -> Option<u64> { stat_field(stat, n)?.parse().ok() };
    let stats: Vec<(u32, String)> = tree(root).into_iter().filter_map(|pid| Some((pid, stat(pid)?))).collect();
    let Some(root_at) = stats.first().filter(|(pid, _)| *pid == root).and_then(|(_, s)| number(s, 22)) else {
        return Vec::new();
    };
    stats
        .iter()
        .filter_map(|(pid, stat)| {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?.trim().to_owned();
            Some(ProcessClock {
                name,
                started_after_ms: number(stat, 22)?.saturating_sub(root_at) * MS_PER_TICK,
                cpu_ms: (number(stat, 14)? + number(stat, 15)?) * MS_PER_TICK,
                major_faults: number(stat, 12)?,
            })
        })
        .collect()
}

/// The `Pss:` line of `/proc/<pid>/smaps_rollup`, in KiB.
fn pss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// PSS of `pid` and its descendants, one entry per process still alive.
pub fn tree_pss(pid: u32) -> Vec<ProcessPss> {
    tree(pid)
        .into_iter()
        .filter_map(|p| {
            let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default().trim().to_owned();
            pss_kib(p).map(|pss_kib| ProcessPss { pid: p, name, pss_kib })
        })
        .collect()
}

pub fn total_mib(procs: &[ProcessPss]) -> f64 {
    procs.iter().map(|p| p.pss_kib).sum::<u64>() as f64 / 1024.0
}

/// `WebKitWebProcess[4242] 95.1 MiB, …` for the notes.
pub fn breakdown(procs: &[ProcessPss]) -> String {
    procs
        .iter()
        .map(|p| format!("{}[{}] {:.1} MiB", p.name, p.pid, p.pss_kib as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ends a tree we spawned: SIGTERM to each pid found under `root`, then SIGKILL to whatever is left.
pub fn end_tree(root: u32) {
    let pids = tree(root);
    signal(&pids, "-TERM");
    for _ in 0..20 {
        if pids.iter().all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists() || is_zombie(*p)) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    signal(&pids, "-KILL");
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').map(|i| s[i + 1..].trim_start().starts_with('Z')))
        .unwrap_or(true)
}

fn signal(pids: &[u32], sig: &str) {
    let mut cmd = std::process::Command::new("kill");
    cmd.arg(sig).args(pids.iter().map(|p| p.to_string()));
    let _ = cmd.stderr(std::process::Stdio::null()).status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_is_read_after_a_process_name_that_contains_spaces_and_parentheses() {
        assert_eq!(parent_of("4242 (Web Content (x)) S 17 4242 4242 0 -1"), Some(17));
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn a_child_is_listed_after_its_parent_and_stat_fields_are_read_after_the_name() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().expect("sleep runs");
        let clocks = clocks(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(clocks.first().map(|c| c.started_after_ms), Some(0), "the root comes first: {clocks:?}");
        assert!(clocks.iter().skip(1).any(|c| c.name == "sleep"), "the child is listed: {clocks:?}");
        assert_eq!(stat_field("4242 (Web Content (x)) S 17 4242", 3), Some("S"));
    }

    #[test]
    fn our_own_process_has_a_positive_pss() {
        let me = tree_pss(std::process::id());
        assert!(total_mib(&me) > 0.0, "smaps_rollup must be readable for our own process: {me:?}");
    }
}

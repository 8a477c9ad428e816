//! Profile-store scale: runs the core benchmark (`cargo bench -p tokenhop-core --bench profile_store`) at
//! 100, 1,000 and 10,000 profiles in release mode and reads its `bench-store …` lines.

use anyhow::{bail, Result};

use crate::step::{self, Step};
use crate::Workspace;

pub const SIZES: [usize; 3] = [100, 1_000, 10_000];

/// One line of the core benchmark.
#[derive(Debug, Clone)]
pub struct StoreRow {
    pub size: usize,
    pub op: String,
    pub median_us: f64,
    pub min_us: f64,
    pub max_us: f64,
}

#[derive(Debug, Default)]
pub struct StoreResult {
    pub rows: Vec<StoreRow>,
}

impl StoreResult {
    pub fn get(&self, size: usize, op: &str) -> Option<&StoreRow> {
        self.rows.iter().find(|r| r.size == size && r.op == op)
    }
}

/// `bench-store size=100 op=list_cold median_us=1 min_us=2 max_us=3` → a row.
pub fn parse_line(line: &str) -> Option<StoreRow> {
    let rest = line.strip_prefix("bench-store ")?;
    let field = |name: &str| rest.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
    Some(StoreRow {
        size: field("size")?.parse().ok()?,
        op: field("op")?.to_owned(),
        median_us: field("median_us")?.parse().ok()?,
        min_us: field("min_us")?.parse().ok()?,
        max_us: field("max_us")?.parse().ok()?,
    })
}

pub fn measure(ws: &Workspace) -> Result<StoreResult> {
    let step = Step::start("bench: profile store at 100, 1,000 and 10,000 profiles");
    let sizes = SIZES.map(|s| s.to_string()).join(",");
    let mut cmd = step::command(
        step::cargo(),
        &["bench", "-p", "tokenhop-core", "--bench", "profile_store", "--", "--sizes", &sizes, "--machine"],
        &ws.root,
    );
    // Building the benchmark in release mode is most of this on a small machine.
    let run = step::run_captured(&mut cmd, std::time::Duration::from_secs(30 * 60))?;
    if !run.status.success() || run.timed_out {
        bail!("the profile-store benchmark failed ({})", run.status);
    }
    let rows: Vec<StoreRow> = run.lines.iter().filter_map(|l| parse_line(l)).collect();
    if rows.is_empty() {
        bail!("the profile-store benchmark printed no `bench-store` lines");
    }
    step.finish(&format!("{} results", rows.len()));
    Ok(StoreResult { rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_lines_parse_and_other_lines_are_ignored() {
        let row = parse_line("bench-store size=1000 op=list_warm median_us=812 min_us=790 max_us=1200").unwrap();
        assert_eq!((row.size, row.op.as_str(), row.median_us), (1000, "list_warm", 812.0));
        assert!(parse_line("list 1000: median 812µs").is_none(), "human lines are not results");
    }
}

//! The testers' matrix: 20 sandbox profiles in one `tokenhop-cli run --all` (sign-ins and hops overlapping,
//! `--parallel` at a time) against the same 20 profiles run one after the other as 20 `tokenhop-cli run NAME`
//! — what a tester did before — and against `--all --parallel 1` in one process (the matrix's own overhead,
//! without the parallelism).
//!
//! The sign-ins are silent: the profiles use the password flow (no browser, no person). Issue 26's silent
//! re-run from the cached sign-in (a refresh token) would be the realistic case; until it is on main the password
//! flow stands in for it, with the same number of round trips to Entra's token endpoint (one). Times are whole
//! process runs, spawn to exit, as a CI job sees them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::build::Built;
use super::chain::free_port;
use super::sandbox::{Sandbox, USER};
use super::{BenchDirs, Samples};
use crate::step::{note, Step};

/// How many profiles the matrix runs.
pub const PROFILES: usize = 20;
/// `--parallel` of the measured matrix (the CLI's default).
pub const PARALLEL: usize = 4;
/// Alice's password in the sandbox (`SandboxUser::new`: the given name, lower-cased, + `-demo-password`). A demo
/// value the sandbox prints nowhere, as it has no profile with the password flow.
const PASSWORD: &str = "alice-demo-password";

#[derive(Debug, Default)]
pub struct MatrixResult {
    pub profiles: usize,
    pub parallel: usize,
    /// `run --all --parallel PARALLEL`, spawn to exit.
    pub matrix_ms: Samples,
    /// 20 × `run NAME`, one after the other.
    pub sequential_ms: Samples,
    /// `run --all --parallel 1`: one process, one run at a time.
    pub one_at_a_time_ms: Samples,
}

pub fn measure(built: &Built, dirs: &BenchDirs, runs: usize, profiles: usize) -> Result<MatrixResult> {
    let step =
        Step::start(format!("bench: matrix of {profiles} profiles against {profiles} sequential runs, {runs} runs"));
    let scratch = dirs.scratch().join("matrix");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let sandbox = Sandbox::start(&built.cli, free_port()?)?;
    let config = scratch.join("config");
    let names: Vec<String> = (1..=profiles).map(|i| format!("Tenant {i:02}")).collect();
    for name in &names {
        let toml = sandbox.profile_toml.replacen("name = \"Sandbox\"", &format!("name = \"{name}\""), 1).replacen(
            "flow = \"authorization-code\"",
            &format!("flow = \"password\"\nusername = \"{USER}\""),
            1,
        );
        let file = scratch.join(format!("{name}.toml"));
        std::fs::write(&file, toml)?;
        let import = cli(built, &sandbox, &config).args(["profile", "import"]).arg(&file).output()?;
        if !import.status.success() {
            bail!("profile import failed: {}", String::from_utf8_lossy(&import.stderr));
        }
    }
    let parallel = PARALLEL.to_string();
    let matrix =
        |parallel: &str| timed(cli(built, &sandbox, &config).args(["run", "--all", "--json", "--parallel", parallel]));
    matrix(&parallel).context("warm-up matrix")?;
    let mut result = MatrixResult { profiles, parallel: PARALLEL, ..MatrixResult::default() };
    for i in 1..=runs {
        let all = matrix(&parallel)?;
        let one_at_a_time = matrix("1")?;
        let started = Instant::now();
        for name in &names {
            timed(cli(built, &sandbox, &config).args(["run", name, "--json"]))?;
        }
        let sequential = started.elapsed().as_secs_f64() * 1000.0;
        note(format!(
            "run {i}: matrix {all:.0} ms, one process one at a time {one_at_a_time:.0} ms, {profiles} sequential runs {sequential:.0} ms"
        ));
        result.matrix_ms.push(all);
        result.one_at_a_time_ms.push(one_at_a_time);
        result.sequential_ms.push(sequential);
    }
    step.finish(&format!("matrix {} ms, sequential {} ms", result.matrix_ms.show(0), result.sequential_ms.show(0)));
    Ok(result)
}

fn cli(built: &Built, sandbox: &Sandbox, config: &Path) -> Command {
    let mut cmd = Command::new(&built.cli);
    cmd.arg("--config-dir")
        .arg(config)
        .env("TOKENHOP_IAS_CLIENT_SECRET", &sandbox.ias_secret)
        .env("TOKENHOP_XSUAA_CLIENT_SECRET", &sandbox.xsuaa_secret)
        .env("TOKENHOP_ENTRA_PASSWORD", PASSWORD)
        .stdin(Stdio::null());
    cmd
}

/// Spawn to exit in ms; the run must succeed.
fn timed(cmd: &mut Command) -> Result<f64> {
    let started = Instant::now();
    let out = cmd.output().context("starting tokenhop-cli")?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if !out.status.success() {
        bail!("tokenhop-cli failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    Ok(ms)
}

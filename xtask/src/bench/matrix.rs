//! The testers' matrix: 20 sandbox profiles in one `tokenhop-cli run --all` (sign-ins and hops overlapping,
//! `--parallel` at a time) against the same 20 profiles run one after the other as 20 `tokenhop-cli run NAME`
//! — what a tester did before — and against `--all --parallel 1` in one process (the matrix's own overhead,
//! without the parallelism).
//!
//! The sign-ins are silent, as a tester's re-runs and a CI job's are: the profiles keep the browser flow, and each
//! run redeems a refresh token (given by `TOKENHOP_ENTRA_REFRESH_TOKEN`, as CI gives it) with `--no-browser`, so a
//! run that would need a person fails the bench instead of waiting. The refresh token comes from one password
//! sign-in of a seed profile first. Times are whole process runs, spawn to exit, as a CI job sees them.

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
    let seed_config = scratch.join("seed");
    let seed = sandbox.profile_toml.replacen("name = \"Sandbox\"", "name = \"Seed\"", 1).replacen(
        "flow = \"authorization-code\"",
        &format!("flow = \"password\"\nusername = \"{USER}\""),
        1,
    );
    import(built, &sandbox, &seed_config, &scratch.join("Seed.toml"), &seed)?;
    let refresh_token = sign_in_once(built, &sandbox, &seed_config)?;
    for name in &names {
        let toml = sandbox.profile_toml.replacen("name = \"Sandbox\"", &format!("name = \"{name}\""), 1);
        import(built, &sandbox, &config, &scratch.join(format!("{name}.toml")), &toml)?;
    }
    let silent = |cmd: &mut Command| -> Result<f64> {
        timed(cmd.arg("--no-browser").env("TOKENHOP_ENTRA_REFRESH_TOKEN", &refresh_token))
    };
    let parallel = PARALLEL.to_string();
    let matrix =
        |parallel: &str| silent(cli(built, &sandbox, &config).args(["run", "--all", "--json", "--parallel", parallel]));
    matrix(&parallel).context("warm-up matrix")?;
    let mut result = MatrixResult { profiles, parallel: PARALLEL, ..MatrixResult::default() };
    for i in 1..=runs {
        let all = matrix(&parallel)?;
        let one_at_a_time = matrix("1")?;
        let started = Instant::now();
        for name in &names {
            silent(cli(built, &sandbox, &config).args(["run", name, "--json"]))?;
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

fn import(built: &Built, sandbox: &Sandbox, config: &Path, file: &Path, toml: &str) -> Result<()> {
    std::fs::write(file, toml)?;
    let out = cli(built, sandbox, config).args(["profile", "import"]).arg(file).output()?;
    if !out.status.success() {
        bail!("profile import failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// One password sign-in of the seed profile; its Entra refresh token, which every measured run redeems.
fn sign_in_once(built: &Built, sandbox: &Sandbox, config: &Path) -> Result<String> {
    let out = cli(built, sandbox, config).args(["run", "Seed", "--until", "entra", "--json"]).output()?;
    if !out.status.success() {
        bail!("the seed sign-in failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).context("the seed run's JSON")?;
    report["steps"][0]["tokens"]["refresh_token"]
        .as_str()
        .map(str::to_owned)
        .context("the seed sign-in returned no refresh token (offline_access?)")
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

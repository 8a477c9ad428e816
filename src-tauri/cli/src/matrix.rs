//! `tokenhop-cli run NAME NAME… | --all | --env ENV [--parallel N] [--junit FILE]`: many profiles at once,
//! through [`tokenhop_core::matrix`] (sign-ins one at a time, the rest `--parallel` at a time).
//!
//! stderr carries each run's progress, prefixed with its profile; stdout a table of profiles × hops (✓/✗,
//! times, the failing hop's diagnosis code), or with `--json` `{"ok", "runs": [<single-run object>, …]}`.
//! One NAME with `--junit` still prints the single-run object. Exit status 0 only when every run succeeded.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::Args;
use tokenhop_core::diagnose::{code, Diagnose};
use tokenhop_core::matrix::{self, MatrixEntry, MatrixEvent, DEFAULT_PARALLEL};
use tokenhop_core::report::{RunReport, Step};
use tokenhop_core::secrets::{EnvOverrides, Layered, SecretKind};
use tokenhop_core::{Diagnosis, Secret};
use tokio_util::sync::CancellationToken;

use crate::junit;
use crate::profile::open_store;
use crate::profile::print_diagnosis;
use crate::run::{progress_line, RunArgs};

/// Which profiles, how many at once, and the CI report.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Run every profile.
    #[arg(long, conflicts_with_all = ["names", "env"])]
    all: bool,
    /// Run every profile whose `environment` is ENV (case-insensitive).
    #[arg(long, value_name = "ENV", conflicts_with = "names")]
    env: Option<String>,
    /// Runs in flight at once; sign-ins that need a person still go one at a time.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARALLEL, value_parser = clap::value_parser!(u16).range(1..=64).map(usize::from))]
    parallel: usize,
    /// Also write the runs as JUnit XML to FILE (one testsuite per profile, one testcase per hop).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

impl MatrixArgs {
    /// Whether `run` goes through the matrix rather than the single-run path.
    pub fn wanted(&self, names: &[String]) -> bool {
        names.len() != 1 || self.all || self.env.is_some() || self.junit.is_some()
    }
}

pub async fn run(args: RunArgs, config_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let mut stderr = std::io::stderr();
    let entries = match select(&args, config_dir) {
        Ok(entries) => entries,
        Err(d) => {
            print_diagnosis(&mut stderr, &d)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let (secrets, _) = Layered::detect(EnvOverrides::from_process());
    let engine = args.engine()?;
    let cancel_all = CancellationToken::new();
    for entry in &entries {
        let (all, one) = (cancel_all.clone(), entry.cancel.clone());
        tokio::spawn(async move {
            all.cancelled().await;
            one.cancel();
        });
    }
    let on_ctrl_c = cancel_all.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });

    let names: HashMap<&str, &str> = entries.iter().map(|e| (e.slug.as_str(), e.profile.name.as_str())).collect();
    let show = |event: MatrixEvent| show_event(&names, event);
    let parallel = args.matrix.parallel;
    let reports = matrix::run(&engine, &entries, args.until(), parallel, &secrets, &show).await;
    cancel_all.cancel();

    let hops: Vec<Vec<Step>> = entries.iter().map(|e| matrix::hops_asked(&e.profile, args.until())).collect();
    if let Some(path) = &args.matrix.junit {
        let suites: Vec<junit::Suite> = entries
            .iter()
            .zip(&reports)
            .zip(&hops)
            .map(|((e, report), hops)| junit::Suite {
                slug: &e.slug,
                report,
                hops: hops.clone(),
                secrets: if report.ok { Vec::new() } else { secrets_of(&secrets, &e.slug) },
            })
            .collect();
        if let Err(e) = junit::write(path, &suites) {
            let d = Diagnosis::new(
                code::CLI_JUNIT_WRITE,
                format!("Could not write the JUnit report to {}: {e}", path.display()),
                "Check that the folder exists and is writable.",
            );
            print_diagnosis(&mut stderr, &d)?;
            return Ok(ExitCode::FAILURE);
        }
    }

    let ok = reports.iter().all(|r| r.ok);
    if args.json {
        let single = args.names.len() == 1 && !args.matrix.all && args.matrix.env.is_none();
        let json = match reports.as_slice() {
            [one] if single => serde_json::to_string_pretty(one)?,
            _ => serde_json::to_string_pretty(&serde_json::json!({ "ok": ok, "runs": reports }))?,
        };
        println!("{json}");
    } else {
        print!("{}", table(&reports, &hops));
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The profiles asked for, in the order given (NAMEs), else sorted by name (`--all`, `--env`).
fn select(args: &RunArgs, config_dir: Option<PathBuf>) -> Result<Vec<MatrixEntry>, Diagnosis> {
    if args.export.is_some() {
        return Err(Diagnosis::new(
            code::CLI_EXPORT_NEEDS_ONE_PROFILE,
            "--export writes the tokens of one run, and this runs several profiles.",
            "Run one profile with --export, or leave --export out.",
        ));
    }
    let store = open_store(config_dir)?;
    let slugs: Vec<String> = if args.matrix.all || args.matrix.env.is_some() {
        let list = store.list(None).map_err(|e| e.diagnosis())?;
        let wanted = args.matrix.env.as_deref().map(str::trim);
        list.profiles
            .into_iter()
            .filter(|p| {
                wanted.is_none_or(|env| p.environment.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(env)))
            })
            .map(|p| p.slug)
            .collect()
    } else {
        let mut slugs = Vec::new();
        for name in &args.names {
            let slug = store.resolve(name).map_err(|e| e.diagnosis())?;
            if !slugs.contains(&slug) {
                slugs.push(slug);
            }
        }
        slugs
    };
    if slugs.is_empty() {
        let what = match &args.matrix.env {
            Some(env) => format!("No profile has the environment “{env}”."),
            None => "There are no profiles to run.".to_owned(),
        };
        return Err(Diagnosis::new(code::CLI_NO_PROFILES, what, "List them with `tokenhop-cli profile list`."));
    }
    slugs
        .into_iter()
        .map(|slug| {
            let profile = store.get(&slug).map_err(|e| e.diagnosis())?;
            Ok(MatrixEntry { slug, profile, cancel: CancellationToken::new() })
        })
        .collect()
}

/// The secrets a profile's run used, to scrub from the responses a report quotes.
fn secrets_of(store: &Layered, slug: &str) -> Vec<Secret> {
    SecretKind::ALL.into_iter().filter_map(|kind| store.get(slug, kind).ok().flatten()).collect()
}

/// One stderr line per event, prefixed with the profile's name.
fn show_event(names: &HashMap<&str, &str>, event: MatrixEvent) {
    let name = |slug: &str| names.get(slug).copied().unwrap_or(slug).to_owned();
    let line = match event {
        MatrixEvent::Queued { .. } | MatrixEvent::Finished { .. } => None,
        MatrixEvent::WaitingForSignIn { slug, behind } => {
            Some(format!("[{}] waiting to sign in: {} is signing in first", name(&slug), name(&behind)))
        }
        MatrixEvent::SigningIn { slug } => Some(format!("[{}] signing in", name(&slug))),
        MatrixEvent::Progress { slug, progress } => {
            progress_line(progress).map(|l| format!("[{}] {}", name(&slug), l.trim_start()))
        }
    };
    if let Some(line) = line {
        let _ = std::io::stderr().lock().write_all(format!("{line}\n").as_bytes());
    }
}

/// Profiles × hops: `✓ 12 ms`, `✗ 9 ms ias.invalid_client`, `–` for a hop not reached, blank if not asked.
fn table(reports: &[RunReport], hops: &[Vec<Step>]) -> String {
    let columns: Vec<Step> = Step::ALL.into_iter().filter(|s| hops.iter().any(|h| h.contains(s))).collect();
    let mut rows: Vec<Vec<String>> =
        vec![std::iter::once("PROFILE".to_owned()).chain(columns.iter().map(|s| s.as_str().to_uppercase())).collect()];
    for (report, asked) in reports.iter().zip(hops) {
        let mut row = vec![report.profile.clone()];
        for step in &columns {
            row.push(match report.step(*step) {
                Some(o) if o.ok => format!("✓ {} ms", o.elapsed_ms),
                Some(o) => {
                    let code = o.error.as_ref().map_or("check_failed", |e| e.code.as_str());
                    format!("✗ {} ms {code}", o.elapsed_ms)
                }
                None if asked.contains(step) => "–".to_owned(),
                None => String::new(),
            });
        }
        rows.push(row);
    }
    let widths: Vec<usize> =
        (0..=columns.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let passed = reports.iter().filter(|r| r.ok).count();
    out.push_str(&format!("{passed} of {} profiles got through", reports.len()));
    let broken: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            let failed = r.steps.iter().find(|s| !s.ok)?;
            Some(format!("{} at {}", r.profile, failed.step))
        })
        .collect();
    if !broken.is_empty() {
        out.push_str(&format!("; broken: {}", broken.join(", ")));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use tokenhop_core::report::StepOutcome;

    use super::*;

    fn outcome(step: Step, ok: bool, ms: u64, code: Option<tokenhop_core::diagnose::Code>) -> StepOutcome {
        let mut o = StepOutcome::new(step);
        o.ok = ok;
        o.elapsed_ms = ms;
        o.error = code.map(|c| Diagnosis::new(c, "m", "h"));
        o
    }

    #[test]
    fn the_table_shows_each_hop_its_time_and_the_failing_code() {
        let ok = RunReport {
            ok: true,
            profile: "ACME dev".into(),
            steps: vec![outcome(Step::Entra, true, 412, None), outcome(Step::Ias, true, 12, None)],
            started_at: String::new(),
        };
        let broken = RunReport {
            ok: false,
            profile: "ACME test".into(),
            steps: vec![
                outcome(Step::Entra, true, 398, None),
                outcome(Step::Ias, false, 9, Some(tokenhop_core::diagnose::code::IAS_INVALID_CLIENT)),
            ],
            started_at: String::new(),
        };
        let text = table(&[ok, broken], &[vec![Step::Entra, Step::Ias], vec![Step::Entra, Step::Ias, Step::Xsuaa]]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["PROFILE", "ENTRA", "IAS", "XSUAA"]);
        assert_eq!(lines[1], "ACME dev   ✓ 412 ms  ✓ 12 ms", "a hop not asked for stays blank");
        assert_eq!(lines[2], "ACME test  ✓ 398 ms  ✗ 9 ms ias.invalid_client  –");
        assert_eq!(lines[3], "1 of 2 profiles got through; broken: ACME test at ias");
    }
}

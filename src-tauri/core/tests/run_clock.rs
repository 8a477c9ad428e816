//! The `run finished` line both front ends log, which `cargo xtask bench` reads: the failed step, and the time
//! since the sign-in callback only when there was one.

mod common;

use common::LogBuffer;
use tokenhop_core::report::{Progress, RunReport, SignInInfo, SignInMethod, Step, StepOutcome};
use tokenhop_core::run_clock::RunClock;
use tracing_subscriber::util::SubscriberInitExt;

/// What `log_finished` writes for a run that saw `events` and ended as `report`.
fn logged(events: &[Progress], report: &RunReport) -> String {
    let logs = LogBuffer::default();
    let _logging = tracing_subscriber::fmt().with_ansi(false).with_writer(logs.clone()).finish().set_default();
    let clock = RunClock::start();
    events.iter().for_each(|p| clock.observe(p));
    clock.log_finished(report);
    logs.text()
}

fn report(steps: Vec<StepOutcome>) -> RunReport {
    RunReport { ok: steps.iter().all(|s| s.ok), profile: "Sandbox".into(), steps, started_at: String::new() }
}

#[test]
fn the_line_the_bench_reads_names_the_failed_step_and_the_time_since_the_callback() {
    let mut entra = StepOutcome::new(Step::Entra);
    entra.ok = true;
    let ias = StepOutcome::new(Step::Ias);
    let events = [Progress::StepStarted { step: Step::Entra }, Progress::CallbackReceived];
    let line = logged(&events, &report(vec![entra, ias]));

    assert!(line.contains("run finished") && line.contains("ok=false"), "{line}");
    assert!(line.contains("failed=\"ias\""), "{line}");
    let ms = line.split("after_callback_ms=\"").nth(1).and_then(|rest| rest.split('"').next());
    assert!(ms.is_some_and(|ms| ms.parse::<f64>().is_ok()), "a number of milliseconds: {line}");
}

#[test]
fn a_run_that_never_reached_the_callback_logs_no_time_after_it() {
    let line = logged(&[Progress::StepStarted { step: Step::Entra }], &report(vec![StepOutcome::new(Step::Entra)]));
    assert!(line.contains("run finished") && line.contains("failed=\"entra\""), "{line}");
    assert!(!line.contains("after_callback_ms"), "{line}");
}

#[test]
fn a_silent_run_logs_its_whole_time_as_silent_ms() {
    let mut entra = StepOutcome::new(Step::Entra);
    entra.ok = true;
    entra.sign_in = Some(SignInInfo { method: SignInMethod::Silent, fallback_reason: None });
    let events =
        [Progress::StepStarted { step: Step::Entra }, Progress::StepFinished { outcome: Box::new(entra.clone()) }];
    let line = logged(&events, &report(vec![entra]));
    let ms = line.split("silent_ms=\"").nth(1).and_then(|rest| rest.split('"').next());
    assert!(ms.is_some_and(|ms| ms.parse::<f64>().is_ok()), "the bench reads silent_ms: {line}");
    assert!(!line.contains("after_callback_ms"), "a silent run has no callback: {line}");
}

//! How long a run took, logged by both front ends as one `run finished` line: the whole run, and the time from
//! the sign-in callback to the end — the chain's latency without the person signing in, which
//! `cargo xtask bench` reads for the app and the CLI alike.

use std::sync::OnceLock;
use std::time::Instant;

use crate::report::{Progress, RunReport};

pub struct RunClock {
    started: Instant,
    callback: OnceLock<Instant>,
}

impl RunClock {
    pub fn start() -> Self {
        Self { started: Instant::now(), callback: OnceLock::new() }
    }

    /// Notes when the sign-in callback arrived (the first [`Progress::CallbackReceived`]); other events pass by.
    pub fn observe(&self, p: &Progress) {
        if *p == Progress::CallbackReceived {
            let _ = self.callback.set(Instant::now());
        }
    }

    /// One line per run, naming the step where it broke. Called as soon as the run's report is built, before
    /// anything is shown, so the time is the chain's own.
    pub fn log_finished(&self, report: &RunReport) {
        let failed = report.steps.iter().find(|s| !s.ok).map(|s| s.step.as_str());
        let after_callback_ms = self.callback.get().map(|t| format!("{:.2}", t.elapsed().as_secs_f64() * 1000.0));
        let ms = self.started.elapsed().as_millis() as u64;
        tracing::info!(ok = report.ok, failed, ms, after_callback_ms, "run finished");
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::util::SubscriberInitExt;

    use super::*;
    use crate::report::{Step, StepOutcome};

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `log_finished` writes for a run that saw `events` and ended as `report`.
    fn logged(events: &[Progress], report: &RunReport) -> String {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let _logging = subscriber.set_default();
        let clock = RunClock::start();
        events.iter().for_each(|p| clock.observe(p));
        clock.log_finished(report);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        text
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
}

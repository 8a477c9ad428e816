//! How long a run took, logged by both front ends as one `run finished` line: the whole run, and the time from
//! the sign-in callback to the end — the chain's latency without the person signing in, which
//! `cargo xtask bench` reads for the app and the CLI alike. A silent run (the cached sign-in) has no callback:
//! its line carries `silent_ms`, the whole run to the microsecond, which the bench reads instead.

use std::sync::OnceLock;
use std::time::Instant;

use crate::report::{Progress, RunReport, SignInMethod};

pub struct RunClock {
    started: Instant,
    callback: OnceLock<Instant>,
    /// When the last step finished: the run's end, before it keeps its sign-in in the keychain.
    last_step: std::sync::Mutex<Option<Instant>>,
}

impl RunClock {
    pub fn start() -> Self {
        Self { started: Instant::now(), callback: OnceLock::new(), last_step: Default::default() }
    }

    /// Notes when the sign-in callback arrived (the first [`Progress::CallbackReceived`]) and when each step
    /// finished; other events pass by.
    pub fn observe(&self, p: &Progress) {
        match p {
            Progress::CallbackReceived => {
                let _ = self.callback.set(Instant::now());
            }
            Progress::StepFinished { .. } => {
                *self.last_step.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now())
            }
            _ => {}
        }
    }

    /// One line per run, naming the step where it broke. Called as soon as the run's report is built, before
    /// anything is shown; the times end when the last step finished, so they are the chain's own (not the
    /// keychain's, which keeps the sign-in after that).
    pub fn log_finished(&self, report: &RunReport) {
        let end = self.last_step.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or_else(Instant::now);
        let ms_since = |t: Instant| end.saturating_duration_since(t).as_secs_f64() * 1000.0;
        let failed = report.steps.iter().find(|s| !s.ok).map(|s| s.step.as_str());
        let after_callback_ms = self.callback.get().map(|t| format!("{:.2}", ms_since(*t)));
        let silent =
            report.steps.first().and_then(|s| s.sign_in.as_ref()).is_some_and(|i| i.method == SignInMethod::Silent);
        let silent_ms = silent.then(|| format!("{:.2}", ms_since(self.started)));
        let ms = ms_since(self.started) as u64;
        tracing::info!(ok = report.ok, failed, ms, after_callback_ms, silent_ms, "run finished");
    }
}

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

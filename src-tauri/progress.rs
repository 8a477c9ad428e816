//! The engine's progress, delivered to the page at most once a frame.
//!
//! Every message over a Tauri `Channel` costs the main thread and the web process real work (an `eval` or an
//! IPC fetch, then the page's handler), on the same cores the chain runs on. After the sign-in callback the
//! chain's four requests take about 10 ms on loopback, and it emits a dozen events meanwhile: sent one by one,
//! they made it about a fifth slower in the app than with none (10.7 against 8.4 ms, `cargo xtask bench`'s
//! window runs). A frame is as fast as a person can see, so events are gathered for one frame after the first
//! of a quiet spell and sent together; a slow hop against a real tenant still shows within that frame.

use std::time::Duration;

use tokenhop_core::Progress;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::{timeout_at, Instant};

/// One frame at 60 Hz.
pub const FRAME: Duration = Duration::from_millis(16);

/// Forwards progress to `deliver` in batches; [`Batcher::finish`] delivers what is pending.
pub struct Batcher {
    tx: UnboundedSender<Progress>,
    task: JoinHandle<()>,
}

impl Batcher {
    pub fn start(deliver: impl Fn(Vec<Progress>) + Send + 'static) -> Self {
        let (tx, mut rx) = unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                let until = Instant::now() + FRAME;
                let open = loop {
                    match timeout_at(until, rx.recv()).await {
                        Ok(Some(p)) => batch.push(p),
                        Ok(None) => break false,
                        Err(_) => break true,
                    }
                };
                deliver(batch);
                if !open {
                    return;
                }
            }
        });
        Self { tx, task }
    }

    /// Queues an event; never blocks the engine.
    pub fn send(&self, p: Progress) {
        // The task only ends after `finish` has dropped the sender, so this cannot fail before.
        let _ = self.tx.send(p);
    }

    /// Delivers the events still gathering, at once, and ends.
    pub async fn finish(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokenhop_core::Step;

    use super::*;

    type Seen = Arc<Mutex<Vec<Vec<Progress>>>>;

    fn batcher() -> (Batcher, Seen) {
        let seen: Seen = Arc::default();
        let sink = seen.clone();
        (Batcher::start(move |batch| sink.lock().unwrap().push(batch)), seen)
    }

    fn started(step: Step) -> Progress {
        Progress::StepStarted { step }
    }

    #[tokio::test(start_paused = true)]
    async fn events_within_a_frame_arrive_together_and_in_order() {
        let (progress, seen) = batcher();
        progress.send(started(Step::Entra));
        progress.send(Progress::CallbackReceived);
        tokio::time::sleep(FRAME / 2).await;
        progress.send(started(Step::Ias));
        tokio::time::sleep(FRAME).await;
        assert_eq!(*seen.lock().unwrap(), [vec![started(Step::Entra), Progress::CallbackReceived, started(Step::Ias)]]);

        // A quiet spell ends the batch: the next event opens a new one.
        progress.send(started(Step::Xsuaa));
        tokio::time::sleep(FRAME * 2).await;
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert_eq!(seen.lock().unwrap()[1], [started(Step::Xsuaa)]);
        progress.finish().await;
        assert_eq!(seen.lock().unwrap().len(), 2, "nothing pending, nothing more delivered");
    }

    #[tokio::test(start_paused = true)]
    async fn finish_delivers_what_is_pending_without_waiting_for_the_frame() {
        let (progress, seen) = batcher();
        progress.send(started(Step::Api));
        let before = Instant::now();
        progress.finish().await;
        assert_eq!(*seen.lock().unwrap(), [vec![started(Step::Api)]]);
        assert!(before.elapsed() < FRAME, "the paused clock moved: finish waited for the frame");
    }
}

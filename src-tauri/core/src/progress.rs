//! Progress delivered at most once a frame: what the app sends to its page and the CLI writes to stderr.
//!
//! Every delivery costs someone else CPU on the cores the chain runs on: a message over a Tauri `Channel` makes
//! the app's main thread and web process run an `eval` or IPC fetch and the page's handler; a write to stderr
//! wakes whatever reads the pipe. After the sign-in callback the chain's four requests take about 8–10 ms on
//! loopback and emit a dozen events meanwhile. Sent one by one they made the chain in the app window a fifth
//! slower than with none sent (10.7 against 8.4 ms) and the CLI's 0.3–0.45 ms slower (interleaved A/B runs;
//! README, Benchmarks). A frame is as fast as a person can see, so events are gathered for one frame and sent
//! together; a slow hop against a real tenant still shows within that frame. What a person acts on or waits
//! for can be sent at once instead (the CLI does so for the sign-in URL, the device code and the callback).

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::report::Progress;

/// One frame at 60 Hz.
pub const FRAME: Duration = Duration::from_millis(16);

/// Forwards progress to `deliver` in batches, in order; [`Batcher::finish`] delivers what is pending.
///
/// The delivering task wakes once per frame, for the frame's first event, and otherwise only for an event
/// marked at once: the events between queue without waking it, so the engine's hops are not interleaved with
/// a dozen polls of this task.
pub struct Batcher {
    tx: UnboundedSender<Progress>,
    at_once: fn(&Progress) -> bool,
    urgent: Arc<Notify>,
    finished: CancellationToken,
    task: JoinHandle<()>,
}

impl Batcher {
    /// Starts the delivering task on the current Tokio runtime. An event for which `at_once` holds is delivered
    /// without waiting for the frame's end, with whatever was gathering before it.
    pub fn start(at_once: fn(&Progress) -> bool, deliver: impl Fn(Vec<Progress>) + Send + 'static) -> Self {
        let (tx, rx) = unbounded_channel();
        let (urgent, finished) = (Arc::new(Notify::new()), CancellationToken::new());
        let task = tokio::spawn(deliver_batches(rx, at_once, urgent.clone(), finished.clone(), deliver));
        Self { tx, at_once, urgent, finished, task }
    }

    /// Queues an event; never blocks the engine.
    pub fn send(&self, p: Progress) {
        let wake = (self.at_once)(&p);
        // The task only ends once `finish` has dropped the sender, so this cannot fail before.
        let _ = self.tx.send(p);
        if wake {
            self.urgent.notify_one();
        }
    }

    /// Delivers the events still gathering, at once, and ends.
    pub async fn finish(self) {
        drop(self.tx);
        self.finished.cancel();
        let _ = self.task.await;
    }
}

async fn deliver_batches(
    mut rx: UnboundedReceiver<Progress>,
    at_once: fn(&Progress) -> bool,
    urgent: Arc<Notify>,
    finished: CancellationToken,
    deliver: impl Fn(Vec<Progress>),
) {
    while let Some(first) = rx.recv().await {
        if !at_once(&first) {
            tokio::select! {
                _ = sleep_until(Instant::now() + FRAME) => {}
                _ = urgent.notified() => {}
                _ = finished.cancelled() => {}
            }
        }
        let mut batch = vec![first];
        while !batch.last().is_some_and(at_once) {
            let Ok(p) = rx.try_recv() else { break };
            batch.push(p);
        }
        // An urgent event that opened the frame, or queued behind another, left its wake-up unused: drop it so
        // it does not cut the next frame short.
        let _ = urgent.notified().now_or_never();
        deliver(batch);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::report::Step;

    type Seen = Arc<Mutex<Vec<Vec<Progress>>>>;

    fn batcher(at_once: fn(&Progress) -> bool) -> (Batcher, Seen) {
        let seen: Seen = Arc::default();
        let sink = seen.clone();
        (Batcher::start(at_once, move |batch| sink.lock().unwrap().push(batch)), seen)
    }

    fn never(_: &Progress) -> bool {
        false
    }

    fn sign_in_landed(p: &Progress) -> bool {
        *p == Progress::CallbackReceived
    }

    fn started(step: Step) -> Progress {
        Progress::StepStarted { step }
    }

    fn batches(seen: &Seen) -> Vec<Vec<Progress>> {
        seen.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn events_within_a_frame_arrive_together_and_in_order() {
        let (progress, seen) = batcher(never);
        progress.send(started(Step::Entra));
        progress.send(Progress::CallbackReceived);
        tokio::time::sleep(FRAME / 2).await;
        progress.send(started(Step::Ias));
        tokio::time::sleep(FRAME / 4).await;
        assert!(batches(&seen).is_empty(), "delivered before the frame ended");
        tokio::time::sleep(FRAME).await;
        assert_eq!(batches(&seen), [vec![started(Step::Entra), Progress::CallbackReceived, started(Step::Ias)]]);

        // A quiet spell ends the batch: the next event opens a new one.
        progress.send(started(Step::Xsuaa));
        tokio::time::sleep(FRAME * 2).await;
        assert_eq!(batches(&seen)[1..], [vec![started(Step::Xsuaa)]]);
        progress.finish().await;
        assert_eq!(batches(&seen).len(), 2, "nothing pending, nothing more delivered");
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_marked_at_once_goes_out_with_what_gathered_before_it() {
        let (progress, seen) = batcher(sign_in_landed);
        progress.send(started(Step::Entra));
        tokio::time::sleep(FRAME / 4).await;
        progress.send(Progress::CallbackReceived);
        tokio::task::yield_now().await;
        assert_eq!(batches(&seen), [vec![started(Step::Entra), Progress::CallbackReceived]]);

        progress.send(started(Step::Ias));
        progress.send(started(Step::Xsuaa));
        tokio::time::sleep(FRAME / 2).await;
        assert_eq!(batches(&seen).len(), 1, "the other events wait for their frame's end");
        tokio::time::sleep(FRAME).await;
        assert_eq!(batches(&seen)[1..], [vec![started(Step::Ias), started(Step::Xsuaa)]]);
        progress.finish().await;
        assert_eq!(batches(&seen).len(), 2, "nothing pending, nothing more delivered");
    }

    #[tokio::test(start_paused = true)]
    async fn finish_delivers_what_is_pending_without_waiting_for_the_frame() {
        for (name, at_once) in [("never", never as fn(&Progress) -> bool), ("sign_in_landed", sign_in_landed)] {
            let (progress, seen) = batcher(at_once);
            progress.send(started(Step::Entra));
            progress.send(Progress::CallbackReceived);
            progress.send(started(Step::Api));
            let before = Instant::now();
            progress.finish().await;
            assert_eq!(
                batches(&seen).concat(),
                [started(Step::Entra), Progress::CallbackReceived, started(Step::Api)],
                "{name}"
            );
            assert!(before.elapsed() < FRAME, "{name}: finish waited for the frame (paused clock)");
        }
    }
}

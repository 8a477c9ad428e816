//! The matrix against a real sandbox: browser sign-ins one at a time and in the order given, the hops after
//! them in parallel, a failing tenant that does not stop the others, and cancelling one run.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tokenhop_core::browser::FnBrowser;
use tokenhop_core::matrix::{self, MatrixEntry, MatrixEvent};
use tokenhop_core::report::{Progress, Step};
use tokenhop_core::Secret;
use tokenhop_core::{chain, RunRequest};
use tokenhop_sandbox::{browser, Sandbox, SandboxConfig};
use tokio_util::sync::CancellationToken;

/// Entries `slugs` of the sandbox profile, each with the demo secrets under its slug.
fn entries(sandbox: &Sandbox, slugs: &[&str], secrets: &MemoryStore) -> Vec<MatrixEntry> {
    let demo = demo_secrets(sandbox);
    slugs
        .iter()
        .map(|slug| {
            for kind in [SecretKind::IasClientSecret, SecretKind::XsuaaClientSecret, SecretKind::EntraPassword] {
                let value = demo.get(SLUG, kind).unwrap().unwrap();
                secrets.set(slug, kind, &Secret::new(value.expose_secret())).unwrap();
            }
            let mut profile = profile_of(sandbox);
            profile.name = slug.to_string();
            MatrixEntry { slug: slug.to_string(), profile, cancel: CancellationToken::new() }
        })
        .collect()
}

/// A browser that signs Alice in after `think` (a person at work), counting the sign-ins open at once.
struct CountingBrowser {
    open_now: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
    /// Sign-ins opened in all.
    opened: Arc<AtomicUsize>,
}

fn counting_browser(think: Duration) -> (Box<dyn tokenhop_core::browser::Browser>, CountingBrowser) {
    let counts = CountingBrowser { open_now: Arc::default(), most_at_once: Arc::default(), opened: Arc::default() };
    let (open_now, most, opened) = (counts.open_now.clone(), counts.most_at_once.clone(), counts.opened.clone());
    let runtime = tokio::runtime::Handle::current();
    let browser = FnBrowser(move |url: &str| {
        opened.fetch_add(1, Ordering::SeqCst);
        let now = open_now.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        let (url, open_now) = (url.to_owned(), open_now.clone());
        runtime.spawn(async move {
            tokio::time::sleep(think).await;
            let callback = browser::sign_in_redirect(&url, ALICE).await;
            open_now.fetch_sub(1, Ordering::SeqCst);
            if let Ok(callback) = callback {
                let _ = get(&callback).await;
            }
        });
        Ok(())
    });
    (Box::new(browser), counts)
}

fn recorder() -> (Arc<Mutex<Vec<MatrixEvent>>>, impl Fn(MatrixEvent) + Send + Sync) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (events, move |e: MatrixEvent| sink.lock().unwrap().push(e))
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_sign_ins_go_one_at_a_time_and_every_tenant_gets_through() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let (browser, counts) = counting_browser(Duration::from_millis(150));
    let engine = engine_with(Default::default(), browser);
    let secrets = MemoryStore::new();
    let entries = entries(&sandbox, &["dev", "test", "prod"], &secrets);
    let (events, on_event) = recorder();

    let reports = matrix::run(&engine, &entries, None, 3, &secrets, &on_event).await;

    let summaries: Vec<String> = reports.iter().map(summary).collect();
    assert!(reports.iter().all(|r| r.ok), "every tenant gets through: {summaries:?}");
    assert_eq!(reports.iter().map(|r| r.profile.as_str()).collect::<Vec<_>>(), ["dev", "test", "prod"]);
    assert_eq!(counts.most_at_once.load(Ordering::SeqCst), 1, "a person signs in to one tenant at a time");
    let events = events.lock().unwrap().clone();
    let turns: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            MatrixEvent::SigningIn { slug } => Some(slug.as_str()),
            _ => None,
        })
        .collect();
    let mut each = turns.clone();
    each.sort_unstable();
    assert_eq!(each, ["dev", "prod", "test"], "every tenant gets one turn, in the order they reach it: {turns:?}");
    let waited: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| match e {
            MatrixEvent::WaitingForSignIn { slug, behind } => Some((slug.as_str(), behind.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(waited.len(), 2, "with three at once, two wait: {waited:?}");
    for (slug, behind) in &waited {
        assert_ne!(slug, behind);
        assert!(turns.contains(behind), "{slug} is told who is signing in: {behind}");
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_failing_at_ias_does_not_stop_the_others_and_password_sign_ins_do_not_queue() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let engine = engine_with(Default::default(), idle_browser(Default::default()));
    let secrets = MemoryStore::new();
    let mut entries = entries(&sandbox, &["a", "b", "c"], &secrets);
    for e in &mut entries {
        e.profile.entra.flow = tokenhop_core::profile::Flow::Password;
        e.profile.entra.username = Some(ALICE.into());
    }
    entries[1].profile.ias.as_mut().unwrap().client_id = "0e0e0e0e-1111-4222-8333-444455556666".into();
    let (events, on_event) = recorder();

    let reports = matrix::run(&engine, &entries, Some(Step::Xsuaa), 2, &secrets, &on_event).await;

    let summaries: Vec<String> = reports.iter().map(summary).collect();
    assert!(reports[0].ok && reports[2].ok, "{summaries:?}");
    assert!(!reports[1].ok);
    assert_eq!(failure(&reports[1]).step, Step::Ias, "{summaries:?}");
    assert!(code(&reports[1]).starts_with("ias."), "{summaries:?}");
    assert_eq!(reports[0].steps.last().unwrap().step, Step::Xsuaa, "until is honoured");
    let events = events.lock().unwrap().clone();
    assert!(
        !events.iter().any(|e| matches!(e, MatrixEvent::WaitingForSignIn { .. } | MatrixEvent::SigningIn { .. })),
        "nobody waits for a person when no person signs in"
    );
    let finished = events.iter().filter(|e| matches!(e, MatrixEvent::Finished { .. })).count();
    assert_eq!(finished, 3);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_cancelled_while_it_waits_for_its_sign_in_ends_at_once_and_the_others_go_on() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let (browser, _) = counting_browser(Duration::from_millis(300));
    let engine = engine_with(Default::default(), browser);
    let secrets = MemoryStore::new();
    let entries = entries(&sandbox, &["first", "second", "third"], &secrets);
    // Whichever run queues first behind another's sign-in is cancelled while it waits.
    let cancels: Vec<(String, CancellationToken)> =
        entries.iter().map(|e| (e.slug.clone(), e.cancel.clone())).collect();
    let cancelled = Mutex::new(None::<String>);
    let on_event = |e: MatrixEvent| {
        if let MatrixEvent::WaitingForSignIn { slug, .. } = &e {
            let mut cancelled = cancelled.lock().unwrap();
            if cancelled.is_none() {
                *cancelled = Some(slug.clone());
                cancels.iter().filter(|(s, _)| s == slug).for_each(|(_, c)| c.cancel());
            }
        }
    };

    let reports = matrix::run(&engine, &entries, None, 3, &secrets, &on_event).await;

    let summaries: Vec<String> = reports.iter().map(summary).collect();
    let cancelled = cancelled.lock().unwrap().clone().expect("with three browser sign-ins at once, one waits");
    for report in &reports {
        if report.profile == cancelled {
            assert_eq!(code(report), "cancelled", "{summaries:?}");
            assert_eq!(failure(report).step, Step::Entra);
        } else {
            assert!(report.ok, "the others go on: {summaries:?}");
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_run_and_a_matrix_share_the_one_browser_sign_in() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let (browser, counts) = counting_browser(Duration::from_millis(200));
    let engine = engine_with(Default::default(), browser);
    let secrets = MemoryStore::new();
    let mut entries = entries(&sandbox, &["matrix-a", "matrix-b", "solo"], &secrets);
    let solo = entries.pop().unwrap();
    let solo_events = Mutex::new(Vec::new());
    let solo_progress = |p: Progress| solo_events.lock().unwrap().push(p);

    let request = RunRequest {
        profile: &solo.profile,
        slug: "solo",
        until: None,
        secrets: &secrets,
        sign_in: Default::default(),
        refresh: false,
    };
    let (reports, solo_report) = tokio::join!(
        matrix::run(&engine, &entries, None, 2, &secrets, &|_| {}),
        chain::run(&engine, request, &solo_progress, CancellationToken::new()),
    );

    assert!(
        reports.iter().all(|r| r.ok) && solo_report.ok,
        "{:?} {}",
        reports.iter().map(summary).collect::<Vec<_>>(),
        summary(&solo_report)
    );
    assert_eq!(
        counts.most_at_once.load(Ordering::SeqCst),
        1,
        "one browser sign-in at a time, Run and Run all together"
    );
    let turns = solo_events.lock().unwrap().iter().filter(|p| matches!(p, Progress::SignInTurn)).count();
    assert_eq!(turns, 1, "the single run took its turn like the matrix's runs");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_re_runs_take_no_turn_and_open_no_browser() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let (browser, counts) = counting_browser(Duration::from_millis(50));
    let engine = engine_with(Default::default(), browser);
    let secrets = MemoryStore::new();
    let entries = entries(&sandbox, &["dev", "test", "prod"], &secrets);
    let first = matrix::run(&engine, &entries, None, 3, &secrets, &|_| {}).await;
    assert!(first.iter().all(|r| r.ok), "{:?}", first.iter().map(summary).collect::<Vec<_>>());
    let opened = counts.opened.load(Ordering::SeqCst);
    assert_eq!(opened, 3, "the first matrix signs in to each tenant in the browser");

    let (events, on_event) = recorder();
    let again = matrix::run(&engine, &entries, None, 3, &secrets, &on_event).await;

    assert!(again.iter().all(|r| r.ok), "{:?}", again.iter().map(summary).collect::<Vec<_>>());
    assert_eq!(counts.opened.load(Ordering::SeqCst), opened, "no browser the second time");
    let events = events.lock().unwrap().clone();
    assert!(
        !events.iter().any(|e| matches!(e, MatrixEvent::WaitingForSignIn { .. } | MatrixEvent::SigningIn { .. })),
        "silent sign-ins neither wait nor take a turn"
    );
    sandbox.shutdown().await;
}

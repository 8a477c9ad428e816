//! No secret leaks: full runs (authorization code with a confidential Entra app and Basic client auth,
//! then the password flow with client secrets in the body) with every crate logging at TRACE — the engine,
//! reqwest, hyper, axum — must not put a client secret, the password, the authorization code, the PKCE
//! verifier or any token into the logs, into `{:?}` of the report, or into any file under the config dir.
//!
//! The sandbox and the fake browser run on their own runtime without the subscriber: they stand for
//! Entra, IAS and the user's browser, whose logs are not TokenHop's.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;
use tokenhop_core::http::{basic_auth, HttpConfig};
use tokenhop_core::profile::{ClientAuth, Flow, ProfileStore};
use tokenhop_core::report::{RunReport, Step};
use tokenhop_sandbox::{Sandbox, SandboxConfig, Service};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::util::SubscriberInitExt;

/// Every secret value a run handled: what was configured, and what crossed the wire.
fn secrets_of(sandbox: &Sandbox, reports: &[&RunReport], log: &BrowserLog) -> Vec<(String, String)> {
    let c = sandbox.config();
    let mut needles = vec![
        ("Entra client secret".to_owned(), c.entra_client_secret.clone()),
        ("IAS client secret".to_owned(), c.ias_client_secret.clone()),
        ("XSUAA client secret".to_owned(), c.xsuaa_client_secret.clone()),
        ("password".to_owned(), c.user(ALICE).unwrap().password.clone()),
    ];
    for (id, secret) in [(&c.ias_client_id, &c.ias_client_secret), (&c.xsuaa_client_id, &c.xsuaa_client_secret)] {
        needles.push(("Basic credentials".into(), basic_auth(id, secret).trim_start_matches("Basic ").to_owned()));
    }
    for (callback, _) in &log.callbacks {
        let code =
            callback.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code came back");
        needles.push(("authorization code".into(), code));
    }
    let issued = sandbox.last_issued();
    let verifiers: Vec<_> = issued
        .requests
        .iter()
        .filter(|r| r.service == Service::Entra)
        .filter_map(|r| r.form.get("code_verifier").cloned())
        .collect();
    assert!(!verifiers.is_empty(), "the sandbox saw the PKCE verifier");
    needles.extend(verifiers.into_iter().map(|v| ("PKCE verifier".to_owned(), v)));
    for report in reports {
        for step in &report.steps {
            for (name, token) in &step.tokens {
                needles.push((format!("{} {name}", step.step), token.expose().to_owned()));
            }
        }
    }
    for (service, seen) in [("entra", &issued.entra), ("ias", &issued.ias), ("xsuaa", &issued.xsuaa)] {
        let seen = seen.as_ref().expect("tokens issued");
        needles.push((format!("{service} access_token as issued"), seen.access_token.clone()));
        needles.extend(seen.refresh_token.clone().map(|t| (format!("{service} refresh_token as issued"), t)));
    }
    assert!(needles.iter().all(|(_, v)| v.len() >= 8), "every needle is long enough to mean something");
    needles
}

/// The first secret found in `haystack`, by name, with a little context.
fn leak_in(haystack: &str, needles: &[(String, String)]) -> Option<String> {
    needles.iter().find_map(|(name, value)| {
        haystack.find(value.as_str()).map(|at| {
            let from = haystack[..at].char_indices().rev().nth(80).map_or(0, |(i, _)| i);
            format!("{name} at byte {at}: …{}…", &haystack[from..at])
        })
    })
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_secret_reaches_the_logs_the_report_debug_or_the_config_dir() {
    let services = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SandboxConfig { entra_confidential: true, ..SandboxConfig::default() };
    let sandbox = services.block_on(Sandbox::start(config)).expect("sandbox starts");
    let secrets = demo_secrets(&sandbox);
    let mut profile = profile_of(&sandbox);
    let config_dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::open(config_dir.path()).unwrap();
    store.create(&profile).unwrap();

    let browser_log = Arc::new(Mutex::new(BrowserLog::default()));
    let browser = {
        let _on_services = services.enter();
        signing_in_browser(ALICE, browser_log.clone())
    };

    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let engine_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (auth_code, password) = {
        // The TRACE subscriber (and the `log` bridge for reqwest) holds for everything the engine does.
        let _logging = subscriber.set_default();
        engine_rt.block_on(async {
            let engine = engine_with(HttpConfig::default(), browser);
            let auth_code = run_profile(&engine, &profile, &secrets, None, CancellationToken::new()).await;
            profile.entra.flow = Flow::Password;
            profile.entra.username = Some(ALICE.into());
            profile.ias.as_mut().unwrap().client_auth = ClientAuth::Post;
            profile.xsuaa.as_mut().unwrap().client_auth = ClientAuth::Post;
            let password = run_profile(&engine, &profile, &secrets, None, CancellationToken::new()).await;
            (auth_code, password)
        })
    };
    for report in [&auth_code, &password] {
        assert!(report.ok, "{}", summary(report));
        assert_eq!(report.steps.len(), Step::ALL.len());
    }

    let needles = secrets_of(&sandbox, &[&auth_code, &password], &browser_log.lock().unwrap());
    let logs = logs.text();
    if let Ok(path) = std::env::var("TOKENHOP_LEAK_TEST_LOG") {
        std::fs::write(path, &logs).unwrap(); // to read what was logged, when this test is in doubt
    }
    assert!(logs.contains("reqwest::"), "the subscriber captured reqwest's logs through the `log` bridge:\n{logs}");
    if let Some(leak) = leak_in(&logs, &needles) {
        panic!("a secret is in the logs: {leak}");
    }
    for report in [&auth_code, &password] {
        if let Some(leak) = leak_in(&format!("{report:?}"), &needles) {
            panic!("a secret is in the report's Debug output: {leak}");
        }
        if let Some(leak) = leak_in(&format!("{report:#?}"), &needles) {
            panic!("a secret is in the report's pretty Debug output: {leak}");
        }
    }
    let mut files = Vec::new();
    files_under(config_dir.path(), &mut files);
    assert!(!files.is_empty(), "the profile was written");
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        if let Some(leak) = leak_in(&text, &needles) {
            panic!("a secret is in {}: {leak}", file.display());
        }
    }
    services.block_on(sandbox.shutdown());
}

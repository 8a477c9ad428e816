//! `tokenhop-cli run NAME [--until STEP] [--browser CMD] [--timeout SECS] [--fresh-sign-in] [--no-browser]
//! [--refresh] [--json] [--export FORMAT --out DIR [--write-client-certs]]`
//! (several NAMEs, `--all`, `--env` or `--junit` go through [`crate::matrix`]).
//!
//! A run reuses the profile's cached sign-in (a refresh token in the keychain) when there is one and opens no
//! browser then; `--fresh-sign-in` ignores it, `--no-browser` fails with `entra.sign_in_required` where a
//! browser would be needed, `--refresh` renews IAS and XSUAA from their kept refresh tokens.
//!
//! Progress goes to stderr as it happens, a frame at a time ([`tokenhop_core::progress`]); the result goes to
//! stdout — a human summary, or with `--json` the one JSON object of DESIGN §3. Exit status 0 only when every
//! step asked for succeeded. Ctrl-C cancels the run and frees the loopback port.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokenhop_core::diagnose::code;

use clap::{Args, ValueEnum};
use tokenhop_core::chain;
use tokenhop_core::diagnose::Diagnose;
use tokenhop_core::export::{self, ExportFormat, ExportOptions};
use tokenhop_core::http::{HttpClient, HttpConfig};
use tokenhop_core::progress::Batcher;
use tokenhop_core::report::{Progress, RunReport, SignInMethod, Step};
use tokenhop_core::run_clock::RunClock;
use tokenhop_core::secrets::{EnvOverrides, Layered};
use tokenhop_core::{browser, Diagnosis};
use tokenhop_core::{Engine, RunRequest, SignInPolicy};
use tokio_util::sync::CancellationToken;

use crate::profile::{open_store, print_diagnosis};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Profile names or slugs; more than one run as a matrix (see --parallel).
    #[arg(value_name = "NAME", required_unless_present_any = ["all", "env"])]
    pub(crate) names: Vec<String>,
    #[command(flatten)]
    pub(crate) matrix: crate::matrix::MatrixArgs,
    /// Stop after this step.
    #[arg(long, value_enum)]
    until: Option<UntilStep>,
    /// Program that opens the sign-in URL (given as its last argument); default: $TOKENHOP_BROWSER, else the system browser.
    #[arg(long, value_name = "CMD")]
    browser: Option<String>,
    /// Seconds to wait for the browser sign-in.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    timeout: u64,
    /// Ignore the cached sign-in and sign in through the browser (the new sign-in is then cached).
    #[arg(long, conflicts_with = "refresh")]
    fresh_sign_in: bool,
    /// Never open a browser: without a usable cached sign-in the Entra step fails with entra.sign_in_required.
    #[arg(long)]
    no_browser: bool,
    /// Renew the IAS and XSUAA tokens from their kept refresh tokens (profile setting keep_refresh_tokens)
    /// instead of signing in and exchanging again.
    #[arg(long)]
    refresh: bool,
    /// Print one JSON object with every step instead of a summary.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also write the run's tokens in this format (files are 0600 and contain live tokens).
    #[arg(long, value_name = "FORMAT", requires = "out")]
    pub(crate) export: Option<ExportFormat>,
    /// Folder for --export.
    #[arg(long, value_name = "DIR", requires = "export")]
    out: Option<PathBuf>,
    /// With --export curl: also write the x509 clients' certificates and PRIVATE KEYS beside the script (0600),
    /// which then uses them. Without it, TokenHop never writes a key and the script asks for the files.
    #[arg(long)]
    write_client_certs: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum UntilStep {
    Entra,
    Ias,
    Xsuaa,
    Api,
}

impl From<UntilStep> for Step {
    fn from(s: UntilStep) -> Self {
        match s {
            UntilStep::Entra => Step::Entra,
            UntilStep::Ias => Step::Ias,
            UntilStep::Xsuaa => Step::Xsuaa,
            UntilStep::Api => Step::Api,
        }
    }
}

impl RunArgs {
    pub(crate) fn until(&self) -> Option<Step> {
        self.until.map(Step::from)
    }

    /// The engine every run of this invocation shares (browser, sign-in timeout, HTTP client).
    pub(crate) fn engine(&self) -> anyhow::Result<Engine> {
        let http = HttpClient::new(HttpConfig::default())?;
        let mut engine = Engine::new(http, browser::choose(self.browser.as_deref()));
        engine.loopback.timeout = Duration::from_secs(self.timeout);
        Ok(engine)
    }
}

pub async fn run(args: RunArgs, config_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    if args.matrix.wanted(&args.names) {
        return crate::matrix::run(args, config_dir).await;
    }
    let mut stderr = std::io::stderr();
    let loaded = open_profile(config_dir, &args.names[0]);
    let (slug, profile) = match loaded {
        Ok(p) => p,
        Err(d) => {
            print_diagnosis(&mut stderr, &d)?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let (secrets, _) = Layered::detect(EnvOverrides::from_process());
    let engine = args.engine()?;

    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let request = RunRequest {
        profile: &profile,
        slug: &slug,
        until: args.until(),
        secrets: &secrets,
        sign_in: SignInPolicy { reuse_cached: !args.fresh_sign_in, interactive: !args.no_browser },
        refresh: args.refresh,
    };
    let progress = Batcher::start(for_the_person, show_progress);
    let clock = RunClock::start();
    let send = |p: Progress| {
        clock.observe(&p);
        progress.send(p)
    };
    let report = chain::run(&engine, request, &send, cancel).await;
    // With RUST_LOG=info, the `run finished` line the app logs too (what `cargo xtask bench` reads).
    clock.log_finished(&report);
    progress.finish().await;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    if let (Some(format), Some(dir)) = (args.export, args.out.as_deref()) {
        let mut options = ExportOptions::new(time::OffsetDateTime::now_utc());
        if args.write_client_certs {
            if format != ExportFormat::Curl {
                let d = Diagnosis::new(
                    code::EXPORT_CLIENT_CERTS_CURL_ONLY,
                    "--write-client-certs writes the files the curl script passes to --cert and --key.",
                    "Use it with --export curl; Postman and .http clients keep certificates in their own settings.",
                );
                print_diagnosis(&mut stderr, &d)?;
                return Ok(ExitCode::FAILURE);
            }
            match export::ExportCertificates::from_store(&secrets, &slug, &profile) {
                Ok(certificates) => options.client_certificates = Some(certificates),
                Err(e) => {
                    print_diagnosis(&mut stderr, &e.diagnosis())?;
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        let files =
            export::render(format, &profile, &report, &options).and_then(|files| export::write_files(&files, dir));
        match files {
            Ok(paths) => {
                for p in paths {
                    let what = match p.extension().and_then(|e| e.to_str()) {
                        Some("key") => "the client's private key, as you asked; delete it when done",
                        Some("crt") => "a client certificate",
                        _ => "contains live tokens; keep it private",
                    };
                    eprintln!("wrote {} ({what})", p.display());
                }
            }
            Err(e) => {
                print_diagnosis(&mut stderr, &e.diagnosis())?;
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn open_profile(
    config_dir: Option<PathBuf>,
    name: &str,
) -> Result<(String, tokenhop_core::profile::Profile), Diagnosis> {
    let store = open_store(config_dir)?;
    let slug = store.resolve(name).map_err(|e| e.diagnosis())?;
    let profile = store.get(&slug).map_err(|e| e.diagnosis())?;
    Ok((slug, profile))
}

/// What a person acts on or waits for, shown at once: where to sign in, the device code, the sign-in landing.
/// The steps' own events follow a frame at a time.
fn for_the_person(p: &Progress) -> bool {
    matches!(
        p,
        Progress::BrowserOpened { .. }
            | Progress::BrowserFailed { .. }
            | Progress::WaitingForSignIn { .. }
            | Progress::SignInQueued { .. }
            | Progress::DeviceCode { .. }
            | Progress::CallbackReceived
    )
}

/// One line per event, the batch written with one `write` (stderr is unbuffered: `eprintln!` would write each
/// piece separately, and each write wakes whoever reads the pipe).
fn show_progress(batch: Vec<Progress>) {
    let lines: String = batch.into_iter().filter_map(progress_line).map(|line| line + "\n").collect();
    if !lines.is_empty() {
        let _ = std::io::stderr().lock().write_all(lines.as_bytes());
    }
}

pub(crate) fn progress_line(p: Progress) -> Option<String> {
    Some(match p {
        Progress::StepStarted { step } => format!("→ {step}"),
        Progress::BrowserOpened { url } => {
            format!("  opened the browser for sign-in; if it did not open, visit:\n  {url}")
        }
        Progress::BrowserFailed { url, reason } => {
            format!("  could not open a browser ({reason}); open this URL to sign in:\n  {url}")
        }
        Progress::WaitingForSignIn { redirect_uri } => {
            format!("  waiting for you to sign in (listening on {redirect_uri})…")
        }
        Progress::DeviceCode { message, .. } => format!("  {message}"),
        Progress::CallbackReceived => "  sign-in response received".to_owned(),
        Progress::Request { url, .. } => format!("  calling {url}"),
        Progress::Warning { message, .. } => format!("  warning: {message}"),
        Progress::SignInQueued { behind } => format!("  waiting to sign in: {behind} is signing in first"),
        // The matrix names the profile whose turn it is; a single run has only its own.
        Progress::SignInTurn | Progress::StepFinished { .. } => return None,
    })
}

fn print_summary(report: &RunReport) {
    println!("{} — {}", report.profile, if report.ok { "all steps succeeded" } else { "the chain failed" });
    for s in &report.steps {
        let how = s.sign_in.as_ref().map(|i| sign_in_label(i.method)).unwrap_or_default();
        println!("{} {:<6} {:>6} ms{how}", if s.ok { "✓" } else { "✗" }, s.step.as_str(), s.elapsed_ms);
        if let Some(reason) = s.sign_in.as_ref().and_then(|i| i.fallback_reason.as_deref()) {
            println!("    the cached sign-in was refused: {reason}");
        }
        for c in &s.checks {
            let name = match &c.token {
                Some(token) => format!("{token}.{}", c.name),
                None => c.name.clone(),
            };
            println!("    {} {:<28} {}", if c.ok { "ok " } else { "BAD" }, name, c.detail);
        }
        if let Some(e) = &s.error {
            println!("    error: {}\n    hint:  {}", e.message, e.hint);
        }
        if let Some(http) = s.http.as_ref().filter(|_| s.step == Step::Api) {
            if let Some(body) = &http.response_body {
                println!("    response: {}", body.chars().take(400).collect::<String>());
            }
        }
    }
}

fn sign_in_label(method: SignInMethod) -> &'static str {
    match method {
        SignInMethod::Silent => "  (signed in silently)",
        SignInMethod::Browser => "  (signed in through the browser)",
        SignInMethod::DeviceCode => "  (signed in with a device code)",
        SignInMethod::Password => "  (signed in with a password)",
    }
}

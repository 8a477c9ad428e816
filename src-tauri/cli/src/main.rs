//! `tokenhop-cli`: the TokenHop engine for automation and CI (DESIGN §3 "CLI").
//!
//! Logs go to stderr (`RUST_LOG`), results to stdout; errors print the diagnosis, never a debug dump.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser;
use tokenhop_cli::{decode, profile, run, sandbox, secret, Cli, Cmd};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Profile(c) => profile::run(c, cli.config_dir),
        Cmd::Secret(c) => secret::run(c, cli.config_dir),
        Cmd::Run(args) => one_thread().block_on(run::run(args, cli.config_dir)),
        Cmd::Decode(args) => one_thread().block_on(decode::run(args)),
        Cmd::Sandbox(args) => threads().block_on(sandbox::run(args)),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
}

/// The engine's runtime: a run is a sequence of dependent requests, so one thread serves it best. On a
/// worker pool every response hops between threads (the connection task on one, the run on another);
/// `cargo xtask bench` measured those wake-ups at about 1 ms per chain run.
fn one_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// The sandbox serves many connections at once (the app's and a browser's).
fn threads() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

//! `tokenhop-cli`: the TokenHop engine for automation and CI (DESIGN §3 "CLI").
//!
//! Logs go to stderr (`RUST_LOG`), results to stdout; errors print the diagnosis, never a debug dump.

mod decode;
mod junit;
mod matrix;
mod profile;
mod run;
mod sandbox;
mod secret;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tokenhop-cli", version, about = "Entra ID sign-in → SAP IAS → XSUAA → API, checked and explained")]
struct Cli {
    /// Where profiles live (default: $TOKENHOP_CONFIG_DIR, else the OS config dir of TokenHop).
    #[arg(long, global = true, env = "TOKENHOP_CONFIG_DIR", value_name = "DIR")]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Manage profiles (one per tenant set-up).
    #[command(subcommand)]
    Profile(profile::ProfileCmd),
    /// Store or remove a profile's client secrets in the OS keychain.
    #[command(subcommand)]
    Secret(secret::SecretCmd),
    /// Run the chain of one profile, or of many at once: Entra sign-in → IAS → XSUAA → API.
    Run(run::RunArgs),
    /// Decode a JWT (header and claims), and optionally verify it against its issuer's keys.
    Decode(decode::DecodeArgs),
    /// Serve the simulated Entra, IAS, XSUAA and API on 127.0.0.1 until interrupted.
    Sandbox(sandbox::SandboxArgs),
}

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

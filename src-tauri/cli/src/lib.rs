//! `tokenhop-cli` as a library: its argument parser ([`Cli`]) and the subcommands, so that tests drive
//! the very parser the binary uses. The binary (`main.rs`) parses, sets up logging and runtimes, and runs.

pub mod decode;
pub mod junit;
pub mod matrix;
pub mod profile;
pub mod run;
pub mod sandbox;
pub mod secret;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tokenhop-cli", version, about = "Entra ID sign-in → SAP IAS → XSUAA → API, checked and explained")]
pub struct Cli {
    /// Where profiles live (default: $TOKENHOP_CONFIG_DIR, else the OS config dir of TokenHop).
    #[arg(long, global = true, env = "TOKENHOP_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
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

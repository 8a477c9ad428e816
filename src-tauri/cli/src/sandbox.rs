//! `tokenhop-cli sandbox [--port N] [--print-profile]`: the simulated services, standalone, until Ctrl-C.
//!
//! With `--print-profile`, stdout carries the matching profile TOML and nothing else; the demo client secrets
//! go to stderr as `TOKENHOP_IAS_CLIENT_SECRET=…` lines so a script can export them (they are demo values).

use std::process::ExitCode;

use clap::Args;
use tokenhop_sandbox::{Sandbox, SandboxConfig};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Base port: Entra on N, IAS on N+1, XSUAA on N+2, the API on N+3 (default: free ports).
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// Print the matching profile TOML on stdout and the demo secrets on stderr.
    #[arg(long)]
    print_profile: bool,
    /// Make the sign-in page submit itself as this user (for headless browsers).
    #[arg(long, value_name = "USER")]
    auto_sign_in: Option<String>,
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let config = SandboxConfig { base_port: args.port, auto_sign_in: args.auto_sign_in, ..SandboxConfig::default() };
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the sandbox could not start: {e}\n  hint: choose another --port, or leave it out to use free ports");
            return Ok(ExitCode::FAILURE);
        }
    };
    let urls = sandbox.urls();
    if args.print_profile {
        print!("{}", sandbox.profile_toml("Sandbox"));
        eprintln!("TOKENHOP_IAS_CLIENT_SECRET={}", sandbox.config().ias_client_secret);
        eprintln!("TOKENHOP_XSUAA_CLIENT_SECRET={}", sandbox.config().xsuaa_client_secret);
    }
    eprintln!("sandbox running (Ctrl-C to stop):");
    eprintln!("  Entra  {}", urls.entra);
    eprintln!("  IAS    {}", urls.ias);
    eprintln!("  XSUAA  {}", urls.xsuaa);
    eprintln!("  API    {}", urls.api);
    eprintln!("  control {}/_sandbox (Authorization: Bearer {})", urls.authority, sandbox.control_token());
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    eprintln!("sandbox stopped");
    Ok(ExitCode::SUCCESS)
}

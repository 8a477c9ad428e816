//! `tokenhop-cli sandbox [--port N] [--print-profile]`: the simulated services, standalone, until Ctrl-C.
//!
//! With `--print-profile`, stdout carries the matching profile TOML and nothing else; the demo client secrets
//! go to stderr as `TOKENHOP_IAS_CLIENT_SECRET=…` lines so a script can export them (they are demo values).
//! With `--x509` as well, IAS serves over TLS and XSUAA gets its certificate host, both with a CA the sandbox
//! generates: the CA goes to a file named on stderr (and in the profile's `ca_file`), and stderr carries the two
//! certificate service keys (demo certificates and keys) to apply with `tokenhop-cli profile key`.
//! With `--private-key-jwt` instead, the Entra app is confidential and the profile has Entra and IAS authenticate
//! with client assertions; stderr carries the demo signing key and its certificate (demo values) for
//! `tokenhop-cli secret set NAME entra-client-key` and the like.

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
    /// Serve certificate bindings: IAS over TLS, XSUAA's certificate host, a sandbox CA; print X.509 service keys.
    #[arg(long)]
    x509: bool,
    /// Entra (a confidential app) and IAS authenticate with client assertions; print the demo key and certificate.
    #[arg(long, conflicts_with = "x509")]
    private_key_jwt: bool,
    /// Make the sign-in page submit itself as this user (for headless browsers).
    #[arg(long, value_name = "USER")]
    auto_sign_in: Option<String>,
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let config = SandboxConfig {
        base_port: args.port,
        auto_sign_in: args.auto_sign_in,
        x509: args.x509,
        entra_confidential: args.private_key_jwt,
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the sandbox could not start: {e}\n  hint: choose another --port, or leave it out to use free ports");
            return Ok(ExitCode::FAILURE);
        }
    };
    let urls = sandbox.urls();
    let ca_file = match sandbox.ca_pem() {
        Some(pem) => {
            let path = std::env::temp_dir().join(format!("tokenhop-sandbox-ca-{}.pem", std::process::id()));
            std::fs::write(&path, pem)?;
            eprintln!("sandbox CA (trust it for the sandbox's TLS): {}", path.display());
            Some(path)
        }
        None => None,
    };
    if args.print_profile && ca_file.is_some() {
        let ca = ca_file.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
        print!("{}", sandbox.x509_profile_toml("Sandbox", &ca));
        for (label, client) in [("IAS", &sandbox.config().ias_client_id), ("XSUAA", &sandbox.config().xsuaa_client_id)]
        {
            if let Some(key) = sandbox.x509_service_key(client) {
                eprintln!("{label} service key (demo certificate):\n{}", serde_json::to_string_pretty(&key)?);
            }
        }
    } else if args.print_profile && args.private_key_jwt {
        print!("{}", sandbox.private_key_jwt_profile_toml("Sandbox"));
        let demo = sandbox.private_key_jwt_credential();
        eprintln!("TOKENHOP_XSUAA_CLIENT_SECRET={}", sandbox.config().xsuaa_client_secret);
        eprintln!(
            "demo signing certificate, for entra-client-certificate and ias-client-certificate \
             (TOKENHOP_ENTRA_CLIENT_CERTIFICATE, TOKENHOP_IAS_CLIENT_CERTIFICATE):\n{}",
            demo.certificate.trim_end()
        );
        eprintln!(
            "demo signing key, for entra-client-key and ias-client-key (TOKENHOP_ENTRA_CLIENT_KEY, TOKENHOP_IAS_CLIENT_KEY):\n{}",
            demo.key.trim_end()
        );
        eprintln!(
            "the IAS application's JSON Web Key Set lists that key as kid {} (for [ias] assertion_kid)",
            sandbox.private_key_jwt_kid()
        );
    } else if args.print_profile {
        print!("{}", sandbox.profile_toml("Sandbox"));
        eprintln!("TOKENHOP_IAS_CLIENT_SECRET={}", sandbox.config().ias_client_secret);
        eprintln!("TOKENHOP_XSUAA_CLIENT_SECRET={}", sandbox.config().xsuaa_client_secret);
    }
    eprintln!("sandbox running (Ctrl-C to stop):");
    eprintln!("  Entra  {}", urls.entra);
    eprintln!("  IAS    {}", urls.ias);
    eprintln!("  XSUAA  {}", urls.xsuaa);
    if let Some(cert_url) = &urls.xsuaa_cert {
        eprintln!("  XSUAA  {cert_url} (certificate host)");
    }
    eprintln!("  API    {}", urls.api);
    eprintln!("  control {}/_sandbox (Authorization: Bearer {})", urls.authority, sandbox.control_token());
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    if let Some(path) = ca_file {
        let _ = std::fs::remove_file(path);
    }
    eprintln!("sandbox stopped");
    Ok(ExitCode::SUCCESS)
}

//! `tokenhop-cli decode [TOKEN|-] [--verify]`: header and claims as JSON; with `--verify`, the signature
//! against the issuer's published keys. Exit status 1 when the token does not decode or fails verification.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tokenhop_core::http::{HttpClient, HttpConfig};
use tokenhop_core::oidc::JwksCache;
use tokenhop_core::report::SignatureStatus;
use tokenhop_core::token::inspect;

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token; `-` or nothing reads it from stdin.
    token: Option<String>,
    /// Fetch the issuer's keys and verify the signature.
    #[arg(long)]
    verify: bool,
}

pub async fn run(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let raw = match args.token.as_deref() {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
        Some(t) => t.to_owned(),
    };
    let http = HttpClient::new(HttpConfig::default())?;
    let jwks = JwksCache::new(http.clone(), Duration::from_secs(30));
    let view = inspect(&http, &jwks, &raw, args.verify).await;
    let Some(claims) = view.claims else {
        let reason = match view.signature {
            SignatureStatus::Unverified { reason } | SignatureStatus::Invalid { reason } => reason,
            SignatureStatus::Verified { .. } => String::new(),
        };
        eprintln!("error: {reason}\n  hint: paste the whole token (three base64url parts separated by dots); opaque tokens cannot be decoded");
        return Ok(ExitCode::FAILURE);
    };
    let out = serde_json::json!({ "header": view.header, "claims": claims, "signature": view.signature });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(match view.signature {
        SignatureStatus::Invalid { .. } => ExitCode::FAILURE,
        SignatureStatus::Unverified { .. } if args.verify => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

//! The standalone sandbox (`tokenhop-cli sandbox --print-profile --auto-sign-in USER`) as the benchmark uses it:
//! its profile TOML, its demo client secrets, and the few profile values the curl floor needs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub const USER: &str = "alice@sandbox.onmicrosoft.com";

pub struct Sandbox {
    child: Child,
    pub profile_toml: String,
    pub ias_secret: String,
    pub xsuaa_secret: String,
}

impl Sandbox {
    pub fn start(cli: &Path, port: u16) -> Result<Self> {
        let mut child = Command::new(cli)
            .args(["sandbox", "--port", &port.to_string(), "--print-profile", "--auto-sign-in", USER])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting tokenhop-cli sandbox")?;
        // stdout stays open while the sandbox runs: collect its lines as they come.
        let stdout = child.stdout.take().expect("piped");
        let (tx, profile_lines) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (mut ias_secret, mut xsuaa_secret) = (String::new(), String::new());
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut stderr = BufReader::new(child.stderr.take().expect("piped")).lines();
        loop {
            if Instant::now() > deadline {
                bail!("the sandbox did not report its URLs within 20 s");
            }
            let Some(Ok(line)) = stderr.next() else {
                bail!("the sandbox exited before it was ready (port {port} taken?)")
            };
            if let Some(v) = line.strip_prefix("TOKENHOP_IAS_CLIENT_SECRET=") {
                ias_secret = v.to_owned();
            } else if let Some(v) = line.strip_prefix("TOKENHOP_XSUAA_CLIENT_SECRET=") {
                xsuaa_secret = v.to_owned();
            } else if line.trim_start().starts_with("API") {
                break;
            }
        }
        // Keep draining stderr so the sandbox never blocks on a full pipe.
        std::thread::spawn(move || stderr.for_each(drop));
        // The TOML was printed (and flushed, it ends in a newline) before the URLs went to stderr.
        let mut profile_toml = String::new();
        while let Ok(line) = profile_lines.recv_timeout(Duration::from_millis(300)) {
            profile_toml.push_str(&line);
            profile_toml.push('\n');
        }
        if profile_toml.is_empty() || ias_secret.is_empty() {
            bail!("the sandbox printed no profile or no client secrets");
        }
        Ok(Sandbox { child, profile_toml, ias_secret, xsuaa_secret })
    }

    /// `key` of `[section]` in the profile TOML (a flat reading: the sandbox writes simple `key = "value"` lines).
    pub fn value(&self, section: &str, key: &str) -> Result<String> {
        toml_value(&self.profile_toml, section, key)
            .with_context(|| format!("[{section}] {key} not in the sandbox profile"))
    }
}

fn toml_value(toml: &str, section: &str, key: &str) -> Option<String> {
    let mut current = "";
    for line in toml.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            current = s;
        } else if current == section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().trim_matches('"').to_owned());
                }
            }
        }
    }
    None
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Opening the authorization URL: the system browser, or a command the user names (`--browser CMD`,
//! `$TOKENHOP_BROWSER`) which gets the URL as its last argument. Like kubelogin's browser interface, a
//! seam for tests.

use std::process::{Command, Stdio};

pub const BROWSER_ENV: &str = "TOKENHOP_BROWSER";

pub trait Browser: Send + Sync {
    /// Starts opening `url` and returns without waiting for the browser to exit.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The OS default browser (`xdg-open`, `open`, `start`).
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        open::that_detached(url).map_err(|e| e.to_string())
    }
}

/// A command line split on whitespace; the URL is appended as the last argument.
pub struct CommandBrowser {
    program: String,
    args: Vec<String>,
}

impl CommandBrowser {
    pub fn parse(command: &str) -> Option<Self> {
        let mut words = command.split_whitespace().map(String::from);
        let program = words.next()?;
        Some(Self { program, args: words.collect() })
    }
}

impl Browser for CommandBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        Command::new(&self.program)
            .args(&self.args)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(|mut child| {
                // Reaped when it exits: a long-running app would otherwise collect a zombie per sign-in.
                std::thread::spawn(move || child.wait());
            })
            .map_err(|e| format!("could not start `{}`: {e}", self.program))
    }
}

/// Any closure, for tests and embedders.
pub struct FnBrowser<F>(pub F);

impl<F: Fn(&str) -> Result<(), String> + Send + Sync> Browser for FnBrowser<F> {
    fn open(&self, url: &str) -> Result<(), String> {
        (self.0)(url)
    }
}

/// `--browser CMD` if given, else `$TOKENHOP_BROWSER`, else the system browser.
pub fn choose(command: Option<&str>) -> Box<dyn Browser> {
    let from_env = std::env::var(BROWSER_ENV).ok();
    match command.or(from_env.as_deref()).and_then(CommandBrowser::parse) {
        Some(cmd) => Box::new(cmd),
        None => Box::new(SystemBrowser),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Our children named `comm` that have exited but were not reaped.
    fn zombies(comm: &str) -> usize {
        let me = std::process::id().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
            .filter(|stat| {
                let (name, rest) = stat.split_once(") ").unwrap_or_default();
                let fields: Vec<&str> = rest.split(' ').collect();
                name.ends_with(&format!("({comm}"))
                    && fields.first() == Some(&"Z")
                    && fields.get(1) == Some(&me.as_str())
            })
            .count()
    }

    #[test]
    fn a_browser_command_that_exits_leaves_no_zombie() {
        let browser = CommandBrowser::parse("true").unwrap();
        for _ in 0..3 {
            browser.open("http://127.0.0.1:1/authorize").unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        std::thread::sleep(std::time::Duration::from_millis(200));
        while zombies("true") > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(zombies("true"), 0, "every finished browser process is reaped");
    }
}

//! `cargo xtask bundle --check`: the `.deb` as a user gets it, installed, used and removed again.
//!
//! It installs the package with `dpkg -i` (the app's libraries are already there: set-up installed them), checks
//! its files, its `Depends` against the libraries its binaries load, and the `.rpm`'s file list; runs the
//! installed CLI (`--version`, then the whole sandbox chain with the password flow) and starts the installed
//! app under Xvfb with an isolated home until it logs `ready`; then removes the package with `dpkg -r` and
//! checks that none of its files is left. The package is removed even when a check fails, and a package that
//! was installed before is never touched. It needs root (or passwordless sudo) and a Debian-based system.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};

use super::Package;
use crate::bench::startup::{isolated, Watched, Xvfb};
use crate::setup;
use crate::step::{note, Step};
use crate::Workspace;

/// What the package must install besides the icons.
const BINARIES: [&str; 2] = ["/usr/bin/tokenhop", "/usr/bin/tokenhop-cli"];
const DESKTOP_ENTRY: &str = "/usr/share/applications/TokenHop.desktop";
/// Every size in `tauri.conf.json`'s `bundle.icon`, as the bundler lays them out in the hicolor theme.
const ICON_DIRS: [&str; 9] =
    ["16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "256x256@2", "512x512"];

/// A user of the sandbox's tenant and the demo password it gives that user (`SandboxUser::new`).
const SANDBOX_USER: &str = "alice@sandbox.onmicrosoft.com";
const SANDBOX_PASSWORD: &str = "alice-demo-password";

const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub fn run(ws: &Workspace, deb: &Package, rpm: &Package) -> Result<()> {
    if !crate::step::on_path("dpkg") {
        bail!("--check installs the .deb with dpkg: it needs a Debian-based system");
    }
    if !setup::can_act_as_root() {
        bail!("--check installs the .deb with dpkg -i: run it as root or with passwordless sudo");
    }
    let name = control_field(&deb.path, "Package")?;
    if installed(&name)? {
        bail!("{name} is already installed on this machine; --check installs and removes it, so remove it first");
    }
    let scratch = ws.target.join("bundle-check");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;

    let step = Step::start(format!("bundle check: dpkg -i {}", deb.path.display()));
    let install = run_ok(&mut setup::as_root("dpkg", &["-i", &deb.path.to_string_lossy()]));
    step.finish(if install.is_ok() { "installed" } else { "FAILED" });

    // Whatever fails from here on, the package is removed again.
    let files = install.and_then(|()| package_files(&name));
    let used = files.as_ref().map_err(|e| anyhow!("{e:#}")).and_then(|files| {
        contents(files)?;
        depends(&name)?;
        rpm_contents(&rpm.path)?;
        cli(&control_field(&deb.path, "Version")?, &scratch)?;
        app(&scratch)
    });

    let step = Step::start(format!("bundle check: dpkg -r {name}"));
    let removed = run_ok(&mut setup::as_root("dpkg", &["-r", &name])).and_then(|()| {
        ensure!(!installed(&name)?, "{name} is still installed (or left configuration files) after dpkg -r");
        nothing_left(files.as_deref().unwrap_or_default())
    });
    step.finish(if removed.is_ok() { "removed, nothing left behind" } else { "FAILED" });
    let _ = std::fs::remove_dir_all(&scratch);

    match (used, removed) {
        (Ok(()), Ok(())) => {
            println!("\nbundle check: the .deb installs, its CLI and app run, and it removes cleanly");
            Ok(())
        }
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
        (Err(used), Err(removed)) => Err(anyhow!("{used:#}\n\nremoving the package failed too: {removed:#}")),
    }
}

/// A field of the package's control file (`dpkg-deb -f`).
fn control_field(deb: &Path, field: &str) -> Result<String> {
    let out = Command::new("dpkg-deb").arg("-f").arg(deb).arg(field).output().context("running dpkg-deb")?;
    ensure!(out.status.success(), "dpkg-deb -f {} {field} failed", deb.display());
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// True when dpkg knows the package as installed, or as removed with its configuration files kept.
fn installed(name: &str) -> Result<bool> {
    let out = Command::new("dpkg-query").args(["-W", "-f=${db:Status-Status}", name]).output()?;
    let status = String::from_utf8_lossy(&out.stdout);
    Ok(out.status.success() && !status.trim().is_empty() && status.trim() != "not-installed")
}

/// Every path the package installed, from `dpkg -L`, with whether it was a directory.
fn package_files(name: &str) -> Result<Vec<(PathBuf, bool)>> {
    let out = Command::new("dpkg").args(["-L", name]).output()?;
    ensure!(out.status.success(), "dpkg -L {name} failed");
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.starts_with('/') && *line != "/.")
        .map(|line| (PathBuf::from(line), Path::new(line).is_dir()))
        .collect())
}

/// The binaries, the desktop entry (valid per `desktop-file-validate`) and an icon in every size.
fn contents(files: &[(PathBuf, bool)]) -> Result<()> {
    let step = Step::start("bundle check: installed files");
    let has = |path: &str| files.iter().any(|(p, dir)| !dir && p == Path::new(path));
    for wanted in BINARIES.iter().chain([&DESKTOP_ENTRY]) {
        ensure!(has(wanted), "the package does not install {wanted}");
    }
    for dir in ICON_DIRS {
        let icon = format!("/usr/share/icons/hicolor/{dir}/apps/tokenhop.png");
        ensure!(has(&icon), "the package has no {dir} icon ({icon})");
    }
    run_ok(Command::new("desktop-file-validate").arg(DESKTOP_ENTRY))?;
    let entry = std::fs::read_to_string(DESKTOP_ENTRY)?;
    ensure!(entry.lines().any(|l| l == "Exec=tokenhop"), "the desktop entry does not start tokenhop:\n{entry}");
    note(format!("{} paths; {} and {DESKTOP_ENTRY}; icons {}", files.len(), BINARIES.join(", "), ICON_DIRS.join(" ")));
    step.finish("ok");
    Ok(())
}

/// Every library the installed binaries link directly must come from a package that `Depends` names, or that
/// one of those needs in turn (`apt-cache depends --recurse`), as `dpkg-shlibdeps` would have it.
fn depends(name: &str) -> Result<()> {
    let step = Step::start("bundle check: Depends covers every linked library");
    let out = Command::new("dpkg-query").args(["-W", "-f=${Depends}", name]).output()?;
    let declared: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split(',')
        .filter_map(|alt| alt.split('|').next()?.split_whitespace().next().map(str::to_owned))
        .collect();
    ensure!(!declared.is_empty(), "the package declares no Depends");
    for wanted in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        ensure!(declared.iter().any(|d| d == wanted), "Depends lacks {wanted}: {declared:?}");
    }
    let closure = dependency_closure(&declared)?;
    let mut owners = BTreeSet::new();
    for binary in BINARIES {
        for library in linked_libraries(Path::new(binary))? {
            let owner = owner_of(&library)?;
            ensure!(
                closure.contains(&owner),
                "{binary} links {} from {owner}, which Depends ({}) does not bring in",
                library.display(),
                declared.join(", ")
            );
            owners.insert(owner);
        }
    }
    note(format!("Depends: {}", declared.join(", ")));
    note(format!("linked libraries come from: {}", owners.into_iter().collect::<Vec<_>>().join(" ")));
    step.finish("ok");
    Ok(())
}

/// The packages `roots` depend on, directly or not (pre-depends and dependencies only), and the roots.
fn dependency_closure(roots: &[String]) -> Result<BTreeSet<String>> {
    let out = Command::new("apt-cache")
        .args(["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks"])
        .args(["--no-replaces", "--no-enhances"])
        .args(roots)
        .output()
        .context("running apt-cache depends")?;
    ensure!(out.status.success(), "apt-cache depends {} failed", roots.join(" "));
    let text = String::from_utf8_lossy(&out.stdout);
    let package = |s: &str| s.trim().trim_start_matches('|').trim_matches(|c| c == '<' || c == '>').to_owned();
    Ok(text
        .lines()
        .filter_map(|line| match line.trim_start().split_once(": ") {
            Some((kind, dep)) if kind.ends_with("Depends") => Some(package(dep)),
            Some(_) => None,
            None => Some(package(line)),
        })
        .map(|p| p.split(':').next().unwrap_or_default().to_owned())
        .collect())
}

/// The shared libraries `binary` names as `NEEDED`, resolved to paths the way the loader finds them (`ldd`).
fn linked_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let dump = Command::new("objdump").arg("-p").arg(binary).output().context("running objdump -p")?;
    let needed: Vec<String> = String::from_utf8_lossy(&dump.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("NEEDED").map(|n| n.trim().to_owned()))
        .collect();
    let ldd = Command::new("ldd").arg(binary).output().context("running ldd")?;
    // `name => /path (0x…)`, or `/path (0x…)` for the dynamic loader itself.
    let resolved: Vec<(String, String)> = String::from_utf8_lossy(&ldd.stdout)
        .lines()
        .filter_map(|line| match line.split_once("=>") {
            Some((name, rest)) => Some((name.trim().to_owned(), rest.split_whitespace().next()?.to_owned())),
            None => {
                let path = line.split_whitespace().next()?;
                Some((Path::new(path).file_name()?.to_string_lossy().into_owned(), path.to_owned()))
            }
        })
        .collect();
    needed
        .iter()
        .map(|soname| match resolved.iter().find(|(name, _)| name == soname) {
            Some((_, path)) if path.starts_with('/') => Ok(PathBuf::from(path)),
            Some((_, path)) => bail!("{} needs {soname}, which is {path}", binary.display()),
            None => bail!("ldd does not list {soname}, which {} needs", binary.display()),
        })
        .collect()
}

/// The package that installed `library` (`dpkg -S`; merged /usr means it may be registered under /lib).
fn owner_of(library: &Path) -> Result<String> {
    let file = library.file_name().context("a library path has a file name")?.to_string_lossy();
    let out = Command::new("dpkg").args(["-S", &format!("*/{file}")]).output()?;
    let listing = String::from_utf8_lossy(&out.stdout);
    listing
        .lines()
        .filter_map(|l| l.split_once(": "))
        .find(|(_, path)| Path::new(path).file_name() == library.file_name())
        .map(|(pkg, _)| pkg.split(':').next().unwrap_or(pkg).to_owned())
        .with_context(|| format!("no package owns {}", library.display()))
}

/// The `.rpm` holds the same binaries and desktop entry, and requires WebKitGTK 4.1 and GTK 3.
fn rpm_contents(rpm: &Path) -> Result<()> {
    let step = Step::start("bundle check: the .rpm's files and requirements");
    let list = output_ok(Command::new("rpm").args(["-qlp"]).arg(rpm))?;
    for wanted in BINARIES.iter().chain([&DESKTOP_ENTRY]) {
        ensure!(list.lines().any(|l| l == *wanted), "the .rpm does not install {wanted}");
    }
    let requires = output_ok(Command::new("rpm").args(["-qp", "--requires"]).arg(rpm))?;
    for wanted in ["libwebkit2gtk-4.1.so.0", "libgtk-3.so.0"] {
        ensure!(requires.contains(wanted), "the .rpm does not require {wanted}:\n{requires}");
    }
    note(format!("{} files; requires {}", list.lines().count(), requires.lines().collect::<Vec<_>>().join(", ")));
    step.finish("ok");
    Ok(())
}

/// The installed CLI: `--version` matches the package, and a sandbox it starts itself serves a whole chain
/// signed in with the password flow (ROPC), every step and check passing.
fn cli(version: &str, scratch: &Path) -> Result<()> {
    let step = Step::start("bundle check: the installed CLI");
    let cli = BINARIES[1];
    let shown = output_ok(Command::new(cli).arg("--version"))?;
    ensure!(shown.trim() == format!("tokenhop-cli {version}"), "`{cli} --version` printed {shown:?}");
    note(format!("{cli} --version: {}", shown.trim()));

    let home = scratch.join("cli-home");
    std::fs::create_dir_all(&home)?;
    let profile = home.join("sandbox.toml");
    let mut sandbox = Command::new(cli)
        .args(["sandbox", "--print-profile"])
        .env("HOME", &home)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&profile)?)
        .stderr(Stdio::piped())
        .spawn()
        .context("starting tokenhop-cli sandbox")?;
    let result = sandbox_chain(cli, &home, &profile, sandbox.stderr.take().expect("stderr was piped"));
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let steps = result?;
    note(format!("tokenhop-cli run (password flow) against its own sandbox: {steps}"));
    step.finish("ok");
    Ok(())
}

/// Waits for the sandbox, turns its profile into a password-flow one, imports it and runs it.
fn sandbox_chain(cli: &str, home: &Path, profile: &Path, stderr: std::process::ChildStderr) -> Result<String> {
    let mut secrets = Vec::new();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().context("the sandbox exited before it was running")??;
        if line.starts_with("sandbox running") {
            break;
        }
        if let Some((name, value)) = line.split_once('=').filter(|(name, _)| name.starts_with("TOKENHOP_")) {
            secrets.push((name.to_owned(), value.to_owned()));
        }
    }
    ensure!(secrets.len() == 2, "the sandbox printed {} demo secrets, not the IAS and XSUAA ones", secrets.len());
    std::thread::spawn(move || lines.for_each(drop));

    // The profile the sandbox printed signs in with the authorization code; the check uses the password flow.
    let toml = std::fs::read_to_string(profile)?;
    ensure!(toml.contains("flow = \"authorization-code\""), "unexpected sandbox profile:\n{toml}");
    let toml =
        toml.replace("flow = \"authorization-code\"", &format!("flow = \"password\"\nusername = \"{SANDBOX_USER}\""));
    std::fs::write(profile, toml)?;

    let config = home.join("config");
    let command = |args: &[&str]| {
        let mut cmd = Command::new(cli);
        cmd.arg("--config-dir").arg(&config).args(args).env("HOME", home);
        cmd.env("TOKENHOP_ENTRA_PASSWORD", SANDBOX_PASSWORD).envs(secrets.iter().map(|(k, v)| (k, v)));
        // No session bus: the check must not reach the keychain of the desktop it runs on.
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS").stdin(Stdio::null()).stderr(Stdio::inherit());
        cmd
    };
    output_ok(&mut command(&["profile", "import", &profile.to_string_lossy()]))?;
    let report = output_ok(&mut command(&["run", "Sandbox", "--json", "--timeout", "60"]))?;
    let report: serde_json::Value = serde_json::from_str(&report).context("`run --json` printed no JSON object")?;
    ensure!(report["ok"] == true, "the sandbox chain failed: {report:#}");
    let steps: Vec<&str> =
        report["steps"].as_array().into_iter().flatten().filter_map(|s| s["step"].as_str()).collect();
    ensure!(steps == ["entra", "ias", "xsuaa", "api"], "the chain ran {steps:?}, not every hop");
    Ok(steps.join(" → "))
}

/// The installed app under Xvfb, in its own D-Bus session with an unlocked keyring and an isolated home, as
/// the benchmark starts it: it must log `ready` (the page has rendered the profile list).
fn app(scratch: &Path) -> Result<()> {
    let step = Step::start("bundle check: the installed app starts");
    let x = Xvfb::start()?;
    let app = Path::new(BINARIES[0]);
    let mut cmd = isolated(app, &x.display, &scratch.join("app-home"))?;
    cmd.env("TOKENHOP_SANDBOX_PORT", crate::bench::chain::free_port()?.to_string());
    let watched = Watched::spawn(cmd)?;
    let ready = watched.wait_for("ready after", READY_TIMEOUT);
    watched.end();
    let (_, line) = ready.context("the installed app did not get ready")?;
    note(line.trim());
    step.finish("ok");
    Ok(())
}

/// After `dpkg -r`: no file of the package exists, and a directory it created is gone unless another package
/// owns it or something else lives in it.
fn nothing_left(files: &[(PathBuf, bool)]) -> Result<()> {
    let mut left = Vec::new();
    for (path, was_dir) in files {
        if path.symlink_metadata().is_err() {
            continue;
        }
        let shared = *was_dir
            && (std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_some())
                || Command::new("dpkg-query").arg("-S").arg(path).output().is_ok_and(|o| o.status.success()));
        if !shared {
            left.push(path.display().to_string());
        }
    }
    ensure!(left.is_empty(), "dpkg -r left these behind:\n  {}", left.join("\n  "));
    note(format!("none of the {} paths of the package is left", files.len()));
    Ok(())
}

fn run_ok(cmd: &mut Command) -> Result<()> {
    crate::step::run(cmd)
}

/// Runs `cmd` and returns its stdout; fails with its stderr when it exits non-zero.
fn output_ok(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("could not run {:?}", cmd.get_program()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("{:?} failed ({}):\n{}{}", cmd, out.status, stdout, String::from_utf8_lossy(&out.stderr));
    }
    Ok(stdout)
}

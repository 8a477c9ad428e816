//! `cargo xtask bindings` and the bindings check of `cargo xtask test`.
//!
//! The TypeScript types in `ui/src/lib/bindings/` are generated from the Rust types by one program, core's
//! `bindings` example (`src-tauri/core/examples/bindings.rs`), and are never edited by hand. `write` runs it
//! into the UI; `check` runs it into a scratch directory and lists every file that differs from the one in the
//! UI. This crate only builds and runs the generator: it does not link the engine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::step::{self, Step};
use crate::suites::WORKSPACE;
use crate::Workspace;

/// Where the bindings live, relative to the repository root.
pub const BINDINGS: &str = "ui/src/lib/bindings";

/// The command that rewrites them, for messages.
pub const WRITE_COMMAND: &str = "cargo xtask bindings";

/// Builds the generator (in the suites' feature set, so nothing is compiled twice) and runs it into `dir`,
/// which it empties first.
fn generate(ws: &Workspace, dir: &Path) -> Result<()> {
    let args = [&["build", "--quiet"], WORKSPACE, &["--example", "bindings"]].concat();
    step::run(&mut step::command(step::cargo(), &args, &ws.root))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let generator = ws.target.join("debug").join("examples").join(format!("bindings{}", std::env::consts::EXE_SUFFIX));
    step::run(&mut step::command(&generator, &[dir], &ws.root))
}

fn scratch(ws: &Workspace) -> PathBuf {
    ws.target.join("bindings-generated")
}

/// `cargo xtask bindings`: regenerates `ui/src/lib/bindings/`, removing files no Rust type produces any more.
pub fn write(ws: &Workspace) -> Result<()> {
    let step = Step::start(format!("bindings: generate {BINDINGS}"));
    let generated = scratch(ws);
    generate(ws, &generated)?;
    let target = ws.root.join(BINDINGS);
    let changes = differences(&generated, &target)?;
    std::fs::create_dir_all(&target)?;
    for name in files(&target)?.difference(&files(&generated)?) {
        std::fs::remove_file(target.join(name)).with_context(|| format!("removing {name}"))?;
    }
    for name in files(&generated)? {
        std::fs::copy(generated.join(&name), target.join(&name)).with_context(|| format!("writing {name}"))?;
    }
    for change in &changes {
        step::note(change);
    }
    step.finish(&match changes.len() {
        0 => "ok: already up to date".to_string(),
        n => format!("ok: {n} file(s) updated; commit them with the Rust change"),
    });
    Ok(())
}

/// The check of `cargo xtask test`: `None` when the committed bindings are exactly what the generator writes,
/// otherwise the list of differing files and the command that fixes them.
pub fn check(ws: &Workspace) -> Result<Option<String>> {
    let generated = scratch(ws);
    generate(ws, &generated)?;
    let changes = differences(&generated, &ws.root.join(BINDINGS))?;
    if changes.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "the TypeScript bindings in {BINDINGS} differ from what the Rust types generate:\n    {}\n    \
         run `{WRITE_COMMAND}` and commit {BINDINGS}/",
        changes.join("\n    ")
    )))
}

/// `cargo xtask bindings --check`: the check alone, failing with its list.
pub fn check_only(ws: &Workspace) -> Result<()> {
    let step = Step::start(format!("bindings: compare {BINDINGS} with the Rust types"));
    match check(ws)? {
        None => {
            step.finish("ok: identical");
            Ok(())
        }
        Some(problem) => {
            step.finish("FAILED");
            bail!("{problem}")
        }
    }
}

/// One line per file that differs between `generated` and `committed`, sorted by name.
pub fn differences(generated: &Path, committed: &Path) -> Result<Vec<String>> {
    let (new, old) = (files(generated)?, files(committed)?);
    let mut out = Vec::new();
    for name in new.union(&old) {
        let line = match (new.contains(name), old.contains(name)) {
            (true, false) => format!("missing (a Rust type generates it): {name}"),
            (false, true) => format!("stale (no Rust type generates it): {name}"),
            _ => {
                let a = std::fs::read(generated.join(name)).with_context(|| format!("reading generated {name}"))?;
                let b = std::fs::read(committed.join(name)).with_context(|| format!("reading committed {name}"))?;
                if a == b {
                    continue;
                }
                format!("changed: {name}")
            }
        };
        out.push(line);
    }
    Ok(out)
}

/// The names of the regular files in `dir`; none when it does not exist.
fn files(dir: &Path) -> Result<BTreeSet<String>> {
    if !dir.exists() {
        return Ok(BTreeSet::new());
    }
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let name = entry.file_name().into_string().map_err(|n| anyhow::anyhow!("file name {n:?} is not UTF-8"))?;
            names.insert(name);
        } else {
            bail!("{} holds a directory ({:?}); the bindings are flat", dir.display(), entry.file_name());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn identical_bindings_have_no_differences() {
        let a = dir_with(&[("Step.ts", "export type Step = \"entra\";\n")]);
        let b = dir_with(&[("Step.ts", "export type Step = \"entra\";\n")]);
        assert!(differences(a.path(), b.path()).unwrap().is_empty(), "equal files must pass the check");
    }

    #[test]
    fn every_changed_missing_and_stale_file_is_named() {
        let generated = dir_with(&[("A.ts", "new"), ("B.ts", "same"), ("C.ts", "only generated")]);
        let committed = dir_with(&[("A.ts", "old"), ("B.ts", "same"), ("D.ts", "only committed")]);
        let lines = differences(generated.path(), committed.path()).unwrap();
        assert_eq!(
            lines,
            ["changed: A.ts", "missing (a Rust type generates it): C.ts", "stale (no Rust type generates it): D.ts",],
            "the check must name each differing file, and only those"
        );
    }
}

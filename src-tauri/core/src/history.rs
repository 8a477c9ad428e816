//! Run history: what a run found, without what it was given.
//!
//! A [`RunRecord`] keeps, per hop, the result, the time, the diagnosis code and message, the checks, each
//! token's lifetime and its claims — never a token, a secret or a server's response body. Claim values
//! shaped like a JWT are replaced too, as are tokens quoted in a check's sentence. It is what the app writes
//! to disk ([`HistoryStore`]) and what [`crate::compare`] compares.
//!
//! [`SessionHistory`] keeps the last [`SESSION_RUNS`] full reports per profile in memory, tokens included, so
//! that a run can be opened again in the inspector while the app runs. Neither decides *when* to record:
//! the shell does, after each run.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::profile::file::{write_atomic, Overwrite};
use crate::redact::redact_jwts;
use crate::report::{Check, RunReport, Step};

/// Full runs kept per profile in the app's session.
pub const SESSION_RUNS: usize = 20;
/// Records kept per profile on disk.
pub const DISK_RUNS: usize = 100;

/// One run, with no token and no secret: safe to keep on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunRecord {
    /// Unique in this history (`<slug>@<started_at>#n`).
    pub id: String,
    pub slug: String,
    pub profile: String,
    pub started_at: String,
    pub ok: bool,
    pub steps: Vec<StepRecord>,
}

/// A profile's runs as the app lists them: this session's, newest first (openable again, tokens and all), then
/// older ones from disk, and whether the disk history is on.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HistoryList {
    pub session: Vec<RunRecord>,
    pub saved: Vec<RunRecord>,
    pub enabled: bool,
}

/// One hop of a [`RunRecord`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StepRecord {
    pub step: Step,
    pub ok: bool,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// The diagnosis code of a failed hop (`ias.invalid_client`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub message: Option<String>,
    /// Token name → claims, with token-shaped values replaced by `***`.
    #[ts(type = "Record<string, Record<string, unknown>>")]
    pub claims: BTreeMap<String, Value>,
    pub checks: Vec<Check>,
    /// Token name → its lifetime, from `iat` and `exp`.
    pub lifetimes: BTreeMap<String, Lifetime>,
}

/// When a token was issued and when it expires (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Lifetime {
    #[ts(type = "number | null")]
    pub issued_at: Option<i64>,
    #[ts(type = "number | null")]
    pub expires_at: Option<i64>,
}

impl Lifetime {
    /// Seconds from issue to expiry, when both are known.
    pub fn seconds(&self) -> Option<i64> {
        Some(self.expires_at? - self.issued_at?)
    }
}

impl RunRecord {
    /// The record of `report`, a run of the profile `slug`; `id` must be unique in the history it joins.
    pub fn of(id: String, slug: &str, report: &RunReport) -> Self {
        let steps = report
            .steps
            .iter()
            .map(|s| StepRecord {
                step: s.step,
                ok: s.ok,
                elapsed_ms: s.elapsed_ms,
                code: s.error.as_ref().map(|e| e.code.clone()),
                message: s.error.as_ref().map(|e| redact_jwts(&e.message)),
                claims: s.claims.iter().map(|(name, claims)| (name.clone(), without_tokens(claims))).collect(),
                checks: s.checks.iter().map(|c| Check { detail: redact_jwts(&c.detail), ..c.clone() }).collect(),
                lifetimes: s
                    .views
                    .iter()
                    .filter(|v| v.issued_at.is_some() || v.expires_at.is_some())
                    .map(|v| (v.name.clone(), Lifetime { issued_at: v.issued_at, expires_at: v.expires_at }))
                    .collect(),
            })
            .collect();
        Self {
            id,
            slug: slug.to_owned(),
            profile: report.profile.clone(),
            started_at: report.started_at.clone(),
            ok: report.ok,
            steps,
        }
    }

    pub fn step(&self, step: Step) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// The claims with every string that is itself a token replaced by `***`, at any depth.
fn without_tokens(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact_jwts(s)),
        Value::Array(a) => Value::Array(a.iter().map(without_tokens).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), without_tokens(v))).collect()),
        other => other.clone(),
    }
}

/// The app session's last runs per profile, newest first, tokens included (memory only).
#[derive(Default)]
pub struct SessionHistory {
    runs: HashMap<String, VecDeque<(RunRecord, RunReport)>>,
    next: u64,
}

impl SessionHistory {
    /// Keeps `report` as the newest run of `slug` (dropping the oldest past [`SESSION_RUNS`]); its record.
    pub fn push(&mut self, slug: &str, report: RunReport) -> RunRecord {
        self.next += 1;
        let record = RunRecord::of(format!("{slug}@{}#{}", report.started_at, self.next), slug, &report);
        let runs = self.runs.entry(slug.to_owned()).or_default();
        runs.push_front((record.clone(), report));
        runs.truncate(SESSION_RUNS);
        record
    }

    /// The records of `slug`'s runs, newest first.
    pub fn records(&self, slug: &str) -> Vec<RunRecord> {
        self.runs.get(slug).map(|r| r.iter().map(|(rec, _)| rec.clone()).collect()).unwrap_or_default()
    }

    /// After a profile rename: its runs are the new slug's.
    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(mut runs) = self.runs.remove(from) {
            runs.iter_mut().for_each(|(record, _)| record.slug = to.to_owned());
            self.runs.insert(to.to_owned(), runs);
        }
    }

    /// After a profile delete: its runs are gone.
    pub fn forget(&mut self, slug: &str) {
        self.runs.remove(slug);
    }

    /// Any kept run by id: its record and full report.
    pub fn get(&self, id: &str) -> Option<&(RunRecord, RunReport)> {
        self.runs.values().flatten().find(|(rec, _)| rec.id == id)
    }
}

/// The history on disk, `<config dir>/history/<slug>.json`: [`RunRecord`]s only, newest first, at most
/// [`DISK_RUNS`] per profile, each file written atomically. Off when `<config dir>/history/off` exists.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    dir: PathBuf,
}

impl HistoryStore {
    pub fn new(config_dir: &Path) -> Self {
        Self { dir: config_dir.join("history") }
    }

    pub fn enabled(&self) -> bool {
        !self.dir.join("off").exists()
    }

    /// Turns the history on or off; turning it off keeps what is there (see [`Self::clear`]).
    pub fn set_enabled(&self, enabled: bool) -> io::Result<()> {
        let marker = self.dir.join("off");
        if enabled {
            match std::fs::remove_file(&marker) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        } else {
            std::fs::create_dir_all(&self.dir)?;
            write_atomic(&marker, b"TokenHop keeps no run history while this file exists.\n", Overwrite::Replace)
        }
    }

    /// Adds `record` to its profile's file, if the history is on.
    pub fn append(&self, record: &RunRecord) -> io::Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        let mut records = self.list(&record.slug)?;
        records.insert(0, record.clone());
        records.truncate(DISK_RUNS);
        std::fs::create_dir_all(&self.dir)?;
        let json = serde_json::to_vec_pretty(&records).map_err(io::Error::other)?;
        write_atomic(&self.file_of(&record.slug), &json, Overwrite::Replace)
    }

    /// `slug`'s records, newest first; none when there is no file. A file that does not parse is an error.
    pub fn list(&self, slug: &str) -> io::Result<Vec<RunRecord>> {
        match std::fs::read(self.file_of(slug)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The record `id` of any profile, if it is on disk.
    pub fn find(&self, id: &str) -> io::Result<Option<RunRecord>> {
        for slug in self.slugs()? {
            if let Some(record) = self.list(&slug)?.into_iter().find(|r| r.id == id) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// The profiles that have a history file.
    fn slugs(&self) -> io::Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut slugs = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                slugs.extend(path.file_stem().map(|s| s.to_string_lossy().into_owned()));
            }
        }
        Ok(slugs)
    }

    /// After a profile rename: its records move to the new slug's file (replacing any there).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let records = self.list(from)?;
        if records.is_empty() {
            return Ok(());
        }
        let renamed: Vec<RunRecord> = records
            .into_iter()
            .map(|mut r| {
                // The id stays: it names the run in the session's history too.
                r.slug = to.to_owned();
                r
            })
            .collect();
        let json = serde_json::to_vec_pretty(&renamed).map_err(io::Error::other)?;
        write_atomic(&self.file_of(to), &json, Overwrite::Replace)?;
        self.delete(from)
    }

    /// After a profile delete: its history file goes too.
    pub fn delete(&self, slug: &str) -> io::Result<()> {
        match std::fs::remove_file(self.file_of(slug)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Deletes every profile's history file (the on/off setting stays).
    pub fn clear(&self) -> io::Result<()> {
        for slug in self.slugs()? {
            std::fs::remove_file(self.file_of(&slug))?;
        }
        Ok(())
    }

    fn file_of(&self, slug: &str) -> PathBuf {
        self.dir.join(format!("{slug}.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::code;
    use crate::report::{SignatureStatus, StepOutcome, TokenString, TokenView};
    use crate::Diagnosis;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw";

    fn report(ok_ias: bool) -> RunReport {
        let mut entra = StepOutcome::new(Step::Entra);
        entra.ok = true;
        entra.tokens.insert("id_token".into(), TokenString(JWT.into()));
        entra
            .claims
            .insert("id_token".into(), serde_json::json!({"sub": "alice", "nested": {"hint": JWT}, "iat": 100}));
        entra.views.push(TokenView {
            name: "id_token".into(),
            raw: TokenString(JWT.into()),
            header: None,
            claims: None,
            signature: SignatureStatus::Unverified { reason: "test".into() },
            issued_at: Some(100),
            expires_at: Some(3700),
        });
        entra.checks.push(Check::new("aud", true, format!("token {JWT} has the right aud")).on("id_token"));
        let mut ias = StepOutcome::new(Step::Ias);
        ias.ok = ok_ias;
        if !ok_ias {
            let mut d =
                Diagnosis::new(code::IAS_INVALID_CLIENT, "IAS refused the client.", "Check the IAS client secret.");
            d.raw = Some(format!("HTTP 401\n{{\"error\":\"invalid_client\",\"assertion\":\"{JWT}\"}}"));
            ias.error = Some(d);
        }
        RunReport {
            ok: ok_ias,
            profile: "ACME dev".into(),
            steps: vec![entra, ias],
            started_at: "2026-11-14T09:30:00Z".into(),
        }
    }

    #[test]
    fn a_record_holds_no_token_and_no_response() {
        let record = RunRecord::of("r1".into(), "acme-dev", &report(false));
        let json = serde_json::to_string(&record).unwrap();
        assert!(!json.contains(JWT) && !json.contains("eyJ"), "no token may reach the record: {json}");
        assert!(!json.contains("invalid_client\\\""), "the raw response stays out: {json}");
        assert_eq!(record.steps[1].code.as_deref(), Some("ias.invalid_client"), "the diagnosis code is kept");
        assert_eq!(record.steps[0].claims["id_token"]["sub"], "alice", "claims are kept");
        assert_eq!(record.steps[0].lifetimes["id_token"].seconds(), Some(3600), "the lifetime is kept");
    }

    #[test]
    fn the_session_keeps_the_last_twenty_runs_per_profile_newest_first() {
        let mut session = SessionHistory::default();
        let ids: Vec<String> = (0..SESSION_RUNS + 5).map(|_| session.push("acme-dev", report(true)).id).collect();
        session.push("acme-test", report(false));
        let kept = session.records("acme-dev");
        assert_eq!(kept.len(), SESSION_RUNS, "older runs are dropped");
        assert_eq!(kept[0].id, *ids.last().unwrap(), "newest first");
        assert!(session.get(&ids[0]).is_none(), "the oldest run is gone");
        let (_, full) = session.get(&kept[0].id).unwrap();
        assert_eq!(full.steps[0].token("id_token"), Some(JWT), "the session keeps the tokens to inspect the run");
        assert_eq!(session.records("acme-test").len(), 1, "profiles are kept apart");
    }

    #[test]
    fn the_disk_history_can_be_turned_off_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::new(dir.path());
        let record = RunRecord::of("r1".into(), "acme-dev", &report(true));
        store.append(&record).unwrap();
        store.append(&RunRecord { id: "r2".into(), ..record.clone() }).unwrap();
        let listed: Vec<String> = store.list("acme-dev").unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(listed, ["r2", "r1"], "newest first");
        assert_eq!(store.find("r1").unwrap().map(|r| r.id).as_deref(), Some("r1"), "a record is found by id");
        assert!(store.find("nope").unwrap().is_none());
        let file = std::fs::read_to_string(dir.path().join("history/acme-dev.json")).unwrap();
        assert!(!file.contains(JWT), "no token on disk");

        store.set_enabled(false).unwrap();
        assert!(!store.enabled());
        store.append(&RunRecord { id: "r3".into(), ..record.clone() }).unwrap();
        assert_eq!(store.list("acme-dev").unwrap().len(), 2, "nothing is recorded while the history is off");
        store.clear().unwrap();
        assert!(store.list("acme-dev").unwrap().is_empty(), "clear removes the records");
        assert!(!store.enabled(), "clearing keeps the setting");
        store.set_enabled(true).unwrap();
        store.append(&record).unwrap();
        assert_eq!(store.list("acme-dev").unwrap().len(), 1, "on again, runs are recorded");
    }
}

//! Two runs side by side — two tenants, or one tenant before and after a change: per hop, which claims only
//! one token has, which claims differ, which checks pass in one and not the other, and how the tokens'
//! lifetimes differ. The quickest way to see why prod works and test does not.
//!
//! A pure function of two [`RunRecord`]s (so it works on the session's runs and on the disk history alike).
//! Claims that differ on every issue (`iat`, `exp`, `jti`, `nonce`, …) are marked `volatile`, so the UI can
//! show them without raising them as a difference.

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::history::{RunRecord, StepRecord};
use crate::report::Step;

/// Claims that change with every token issued, whatever the configuration.
const VOLATILE: [&str; 13] =
    ["iat", "nbf", "exp", "auth_time", "jti", "nonce", "uti", "rh", "aio", "sid", "at_hash", "c_hash", "session_state"];

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RunComparison {
    pub left: RunSide,
    pub right: RunSide,
    /// Every hop either run reached, in chain order.
    pub steps: Vec<StepComparison>,
    /// How many differences there are in all (volatile claims not counted).
    pub differences: u32,
}

/// Which run a side is.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RunSide {
    pub id: String,
    pub profile: String,
    pub started_at: String,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StepComparison {
    pub step: Step,
    /// The hop's result on each side; `None` where that run did not reach it.
    pub left: Option<StepSide>,
    pub right: Option<StepSide>,
    pub tokens: Vec<TokenComparison>,
    pub checks: Vec<CheckComparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StepSide {
    pub ok: bool,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TokenComparison {
    /// `id_token`, `access_token`, …
    pub token: String,
    /// Every claim of either token, sorted by name.
    pub claims: Vec<ClaimComparison>,
    /// Seconds from `iat` to `exp` on each side.
    #[ts(type = "number | null")]
    pub left_lifetime: Option<i64>,
    #[ts(type = "number | null")]
    pub right_lifetime: Option<i64>,
    pub lifetime_differs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    Same,
    OnlyLeft,
    OnlyRight,
    Different,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ClaimComparison {
    pub name: String,
    #[ts(type = "unknown")]
    pub left: Option<Value>,
    #[ts(type = "unknown")]
    pub right: Option<Value>,
    pub difference: Difference,
    /// Differs on every issue (`iat`, `jti`, …): not a configuration difference.
    pub volatile: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CheckComparison {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub token: Option<String>,
    pub left: Option<CheckSide>,
    pub right: Option<CheckSide>,
    /// Present on one side only, or passing on one and failing on the other.
    pub differs: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CheckSide {
    pub ok: bool,
    pub detail: String,
}

/// Compares `left` with `right`, hop by hop.
pub fn compare(left: &RunRecord, right: &RunRecord) -> RunComparison {
    let steps: Vec<StepComparison> = Step::ALL
        .into_iter()
        .filter_map(|step| {
            let (l, r) = (left.step(step), right.step(step));
            (l.is_some() || r.is_some()).then(|| compare_step(step, l, r))
        })
        .collect();
    let differences = steps
        .iter()
        .map(|s| {
            let claims =
                s.tokens.iter().flat_map(|t| &t.claims).filter(|c| c.difference != Difference::Same && !c.volatile);
            let lifetimes = s.tokens.iter().filter(|t| t.lifetime_differs);
            let result = s.left.as_ref().map(|l| (l.ok, &l.code)) != s.right.as_ref().map(|r| (r.ok, &r.code));
            claims.count() + lifetimes.count() + s.checks.iter().filter(|c| c.differs).count() + usize::from(result)
        })
        .sum::<usize>();
    RunComparison {
        left: side(left),
        right: side(right),
        steps,
        differences: u32::try_from(differences).unwrap_or(u32::MAX),
    }
}

fn side(r: &RunRecord) -> RunSide {
    RunSide { id: r.id.clone(), profile: r.profile.clone(), started_at: r.started_at.clone(), ok: r.ok }
}

fn compare_step(step: Step, left: Option<&StepRecord>, right: Option<&StepRecord>) -> StepComparison {
    let step_side = |s: &StepRecord| StepSide { ok: s.ok, elapsed_ms: s.elapsed_ms, code: s.code.clone() };
    let mut tokens: Vec<&String> =
        left.iter().chain(right.iter()).flat_map(|s| s.claims.keys().chain(s.lifetimes.keys())).collect();
    tokens.sort();
    tokens.dedup();
    let tokens = tokens
        .into_iter()
        .map(|token| {
            let left_claims = left.and_then(|s| s.claims.get(token)).and_then(Value::as_object);
            let right_claims = right.and_then(|s| s.claims.get(token)).and_then(Value::as_object);
            let lifetime_of = |s: Option<&StepRecord>| s.and_then(|s| s.lifetimes.get(token)).and_then(|l| l.seconds());
            let (left_lifetime, right_lifetime) = (lifetime_of(left), lifetime_of(right));
            TokenComparison {
                token: token.clone(),
                claims: compare_claims(left_claims, right_claims),
                left_lifetime,
                right_lifetime,
                lifetime_differs: left_lifetime != right_lifetime,
            }
        })
        .collect();
    StepComparison {
        step,
        left: left.map(step_side),
        right: right.map(step_side),
        tokens,
        checks: compare_checks(left, right),
    }
}

fn compare_claims(
    left: Option<&serde_json::Map<String, Value>>,
    right: Option<&serde_json::Map<String, Value>>,
) -> Vec<ClaimComparison> {
    let mut names: Vec<&String> = left.into_iter().chain(right).flat_map(|m| m.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let (l, r) = (left.and_then(|m| m.get(name)), right.and_then(|m| m.get(name)));
            let difference = match (l, r) {
                (Some(a), Some(b)) if a == b => Difference::Same,
                (Some(_), Some(_)) => Difference::Different,
                (Some(_), None) => Difference::OnlyLeft,
                _ => Difference::OnlyRight,
            };
            ClaimComparison {
                name: name.clone(),
                left: l.cloned(),
                right: r.cloned(),
                difference,
                volatile: VOLATILE.contains(&name.as_str()),
            }
        })
        .collect()
}

fn compare_checks(left: Option<&StepRecord>, right: Option<&StepRecord>) -> Vec<CheckComparison> {
    let key = |c: &crate::report::Check| (c.token.clone(), c.name.clone());
    let mut keys: Vec<(Option<String>, String)> =
        left.iter().chain(right.iter()).flat_map(|s| s.checks.iter().map(key)).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|(token, name)| {
            let find = |s: Option<&StepRecord>| {
                s.and_then(|s| s.checks.iter().find(|c| c.name == name && c.token == token))
                    .map(|c| CheckSide { ok: c.ok, detail: c.detail.clone() })
            };
            let (l, r) = (find(left), find(right));
            let differs = l.as_ref().map(|c| c.ok) != r.as_ref().map(|c| c.ok);
            CheckComparison { name, token, left: l, right: r, differs }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::history::Lifetime;
    use crate::report::Check;

    fn step(step: Step, ok: bool, claims: Value, checks: Vec<Check>, lifetime: i64) -> StepRecord {
        StepRecord {
            step,
            ok,
            elapsed_ms: 10,
            code: (!ok).then(|| format!("{step}.failed")),
            message: None,
            claims: BTreeMap::from([("id_token".to_owned(), claims)]),
            checks,
            lifetimes: BTreeMap::from([(
                "id_token".to_owned(),
                Lifetime { issued_at: Some(1000), expires_at: Some(1000 + lifetime) },
            )]),
        }
    }

    fn run(id: &str, steps: Vec<StepRecord>) -> RunRecord {
        let ok = steps.iter().all(|s| s.ok);
        RunRecord {
            id: id.into(),
            slug: id.into(),
            profile: id.into(),
            started_at: "2026-11-14T09:30:00Z".into(),
            ok,
            steps,
        }
    }

    fn claim<'a>(c: &'a RunComparison, step: Step, name: &str) -> &'a ClaimComparison {
        let s = c.steps.iter().find(|s| s.step == step).unwrap();
        s.tokens[0].claims.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no claim {name}"))
    }

    #[test]
    fn claims_only_on_one_side_and_different_values_are_told_apart() {
        let prod = run(
            "prod",
            vec![step(
                Step::Ias,
                true,
                json!({"aud": ["ias-client", "sb-app!t1"], "email": "a@x", "app_tid": "t1", "iat": 1}),
                vec![Check::new("aud_contains_xsuaa", true, "ok").on("id_token")],
                3600,
            )],
        );
        let test = run(
            "test",
            vec![step(
                Step::Ias,
                true,
                json!({"aud": ["ias-client"], "email": "a@x", "groups": ["G"], "iat": 2}),
                vec![Check::new("aud_contains_xsuaa", false, "lacks").on("id_token")],
                1800,
            )],
        );
        let c = compare(&prod, &test);

        for (name, want) in [
            ("aud", Difference::Different),
            ("email", Difference::Same),
            ("app_tid", Difference::OnlyLeft),
            ("groups", Difference::OnlyRight),
            ("iat", Difference::Different),
        ] {
            assert_eq!(claim(&c, Step::Ias, name).difference, want, "{name}");
        }
        assert!(claim(&c, Step::Ias, "iat").volatile, "iat differs on every issue");
        assert!(!claim(&c, Step::Ias, "aud").volatile);
        let ias = &c.steps[0];
        assert!(ias.checks[0].differs, "a check that passes on one side only is a difference");
        assert!(ias.tokens[0].lifetime_differs, "1 h against 30 min");
        assert_eq!((ias.tokens[0].left_lifetime, ias.tokens[0].right_lifetime), (Some(3600), Some(1800)));
        // aud, app_tid, groups, the check and the lifetime; not email, not iat.
        assert_eq!(c.differences, 5);
    }

    #[test]
    fn a_hop_only_one_run_reached_shows_on_that_side_with_its_result() {
        let ok = run(
            "prod",
            vec![
                step(Step::Entra, true, json!({"tid": "a"}), vec![], 3600),
                step(Step::Ias, true, json!({"sub": "s"}), vec![], 3600),
            ],
        );
        let broken = run(
            "test",
            vec![
                step(Step::Entra, true, json!({"tid": "a"}), vec![], 3600),
                step(Step::Ias, false, json!({}), vec![], 3600),
            ],
        );
        let c = compare(&ok, &broken);
        assert_eq!(c.steps.len(), 2);
        let ias = &c.steps[1];
        assert_eq!(ias.right.as_ref().unwrap().code.as_deref(), Some("ias.failed"));
        assert!(ias.left.as_ref().unwrap().ok);
        assert_eq!(claim(&c, Step::Ias, "sub").difference, Difference::OnlyLeft);
        assert_eq!(c.steps[0].tokens[0].claims.iter().filter(|c| c.difference != Difference::Same).count(), 0);
        assert_eq!(c.differences, 2, "the IAS result and its missing sub");
        assert_eq!(compare(&ok, &ok).differences, 0, "a run equals itself");
    }
}

//! `run --junit FILE`: the runs as JUnit XML, the format Jenkins, GitLab and Azure DevOps read.
//!
//! One `<testsuite>` per profile, named after it; one `<testcase>` per hop asked for, with its time; a failed
//! hop has `<failure message="…" type="<diagnosis code>">` holding the message, the hint and the server's
//! response (tokens and the profile's secrets replaced by `***`); the hops after it are `<skipped/>`. The
//! document follows the Ant/Jenkins schema (`tests/fixtures/junit/JUnit.xsd`), which also asks for
//! `<properties>`, `<system-out>` and `<system-err>` in every suite. Written atomically.

use std::io;
use std::path::Path;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use tokenhop_core::profile::file::{write_atomic, Overwrite};
use tokenhop_core::redact::redact_jwts;
use tokenhop_core::report::{RunReport, Step, StepOutcome};
use tokenhop_core::Secret;

/// One profile's run and what it asked for.
pub struct Suite<'a> {
    pub slug: &'a str,
    pub report: &'a RunReport,
    /// The hops asked for, in order (the testcases).
    pub hops: Vec<Step>,
    /// The profile's secrets, to scrub from any response quoted in a failure.
    pub secrets: Vec<Secret>,
}

/// Writes the document for `suites` to `path` atomically.
pub fn write(path: &Path, suites: &[Suite<'_>]) -> io::Result<()> {
    write_atomic(path, render(suites, &hostname())?.as_bytes(), Overwrite::Replace)
}

pub fn render(suites: &[Suite<'_>], hostname: &str) -> io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites").write_inner_content(|w| {
        for (id, suite) in suites.iter().enumerate() {
            write_suite(w, id, suite, hostname)?;
        }
        Ok(())
    })?;
    String::from_utf8(w.into_inner()).map_err(io::Error::other)
}

fn write_suite(w: &mut Writer<Vec<u8>>, id: usize, suite: &Suite<'_>, hostname: &str) -> io::Result<()> {
    let report = suite.report;
    let outcome = |hop: Step| report.step(hop);
    let failures = suite.hops.iter().filter(|h| outcome(**h).is_some_and(|o| !o.ok)).count();
    let skipped = suite.hops.iter().filter(|h| outcome(**h).is_none()).count();
    let millis: u64 = report.steps.iter().map(|s| s.elapsed_ms).sum();
    let classname = format!("tokenhop.{}", suite.slug);
    w.create_element("testsuite")
        .with_attributes([
            ("name", xml_safe(&report.profile).as_str()),
            ("package", "tokenhop"),
            ("id", id.to_string().as_str()),
            ("timestamp", timestamp(&report.started_at).as_str()),
            ("hostname", hostname),
            ("tests", suite.hops.len().to_string().as_str()),
            ("failures", failures.to_string().as_str()),
            ("errors", "0"),
            ("skipped", skipped.to_string().as_str()),
            ("time", seconds(millis).as_str()),
        ])
        .write_inner_content(|w| {
            w.create_element("properties").write_inner_content(|w| {
                w.create_element("property")
                    .with_attributes([("name", "profile.slug"), ("value", suite.slug)])
                    .write_empty()?;
                Ok(())
            })?;
            for hop in &suite.hops {
                let time = seconds(outcome(*hop).map_or(0, |o| o.elapsed_ms));
                let case = w.create_element("testcase").with_attributes([
                    ("name", hop.as_str()),
                    ("classname", classname.as_str()),
                    ("time", time.as_str()),
                ]);
                match outcome(*hop) {
                    Some(o) if o.ok => {
                        case.write_empty()?;
                    }
                    Some(o) => {
                        case.write_inner_content(|w| write_failure(w, o, &suite.secrets))?;
                    }
                    None => {
                        case.write_inner_content(|w| w.create_element("skipped").write_empty().map(drop))?;
                    }
                }
            }
            w.create_element("system-out").write_empty()?;
            w.create_element("system-err").write_empty()?;
            Ok(())
        })?;
    Ok(())
}

fn write_failure(w: &mut Writer<Vec<u8>>, o: &StepOutcome, secrets: &[Secret]) -> io::Result<()> {
    let (code, message, hint) = match &o.error {
        Some(d) => (d.code.as_str(), d.message.as_str(), d.hint.as_str()),
        None => ("check_failed", "A check on the hop's tokens failed.", "See the checks below."),
    };
    let mut text = format!("{message}\n\nhint: {hint}\n");
    let failed_checks: Vec<String> =
        o.checks.iter().filter(|c| !c.ok).map(|c| format!("  {}: {}", c.name, c.detail)).collect();
    if !failed_checks.is_empty() {
        text.push_str(&format!("\nfailed checks:\n{}\n", failed_checks.join("\n")));
    }
    if let Some(http) = &o.http {
        text.push_str(&format!("\nrequest: {} {}\n", http.method, http.url));
    }
    // The server's answer verbatim: the diagnosis keeps it; else the recorded (already redacted) body.
    let response = o.error.as_ref().and_then(|d| d.raw.clone()).or_else(|| {
        let http = o.http.as_ref()?;
        Some(format!("HTTP {}\n{}", http.status?, http.response_body.as_deref().unwrap_or("")))
    });
    if let Some(response) = response {
        text.push_str(&format!("\nresponse:\n{response}\n"));
    }
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    w.create_element("failure")
        .with_attributes([("message", scrub(&one_line, secrets).as_str()), ("type", code)])
        .write_text_content(BytesText::new(&scrub(&text, secrets)))?;
    Ok(())
}

/// Tokens and the profile's secrets replaced by `***`, and what XML 1.0 cannot carry replaced by U+FFFD.
fn scrub(text: &str, secrets: &[Secret]) -> String {
    let mut text = redact_jwts(text);
    for secret in secrets.iter().map(Secret::expose_secret).filter(|s| s.len() >= 4) {
        text = text.replace(secret, "***");
    }
    xml_safe(&text)
}

/// XML 1.0 allows tab, newline, carriage return and everything from U+0020 except U+FFFE and U+FFFF.
fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn seconds(millis: u64) -> String {
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC, the schema's pattern (no zone).
fn timestamp(rfc3339: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00".into())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use tokenhop_core::Diagnosis;

    use super::*;
    use tokenhop_core::diagnose::code;

    #[test]
    fn a_failed_hop_carries_its_diagnosis_and_the_later_hops_are_skipped() {
        let mut entra = StepOutcome::new(Step::Entra);
        entra.ok = true;
        entra.elapsed_ms = 1234;
        let mut ias = StepOutcome::new(Step::Ias);
        let mut d = Diagnosis::new(
            code::IAS_INVALID_CLIENT,
            "IAS refused the <client> & its secret.",
            "Check the IAS client secret.",
        );
        d.raw = Some("HTTP 401\n{\"error\":\"invalid_client\",\"echo\":\"s3cret-value\",\"t\":\"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln\"}\u{1}".into());
        ias.error = Some(d);
        let report = RunReport {
            ok: false,
            profile: "ACME \"test\"".into(),
            steps: vec![entra, ias],
            started_at: "2026-11-14T10:30:00+01:00".into(),
        };
        let suites = [Suite {
            slug: "acme-test",
            report: &report,
            hops: vec![Step::Entra, Step::Ias, Step::Xsuaa],
            secrets: vec![Secret::new("s3cret-value")],
        }];

        let xml = render(&suites, "ci-runner").unwrap();

        assert!(
            xml.contains(r#"name="ACME &quot;test&quot;""#),
            "the suite is named after the profile, escaped:\n{xml}"
        );
        assert!(xml.contains(r#"timestamp="2026-11-14T09:30:00""#), "UTC without a zone, as the schema wants:\n{xml}");
        assert!(xml.contains(r#"<testcase name="entra" classname="tokenhop.acme-test" time="1.234"/>"#), "{xml}");
        assert!(
            xml.contains(r#"type="ias.invalid_client""#)
                && xml.contains("IAS refused the &lt;client&gt; &amp; its secret."),
            "{xml}"
        );
        assert!(xml.contains("hint: Check the IAS client secret."), "{xml}");
        assert!(xml.contains("invalid_client"), "the response is quoted:\n{xml}");
        assert!(!xml.contains("s3cret-value") && !xml.contains("eyJhbGci"), "secrets and tokens are redacted:\n{xml}");
        assert!(!xml.contains('\u{1}'), "no character XML 1.0 forbids");
        assert!(
            xml.contains("<testcase name=\"xsuaa\" classname=\"tokenhop.acme-test\" time=\"0.000\">\n      <skipped/>"),
            "{xml}"
        );
        assert!(xml.contains(r#"tests="3" failures="1" errors="0" skipped="1""#), "{xml}");
    }
}

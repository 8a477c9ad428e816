//! Reading test counts from the runners' own summaries, so a suite that ran zero tests is caught.
//!
//! Understands libtest (`test result: ok. 3 passed; 0 failed; 1 ignored; …`, one line per test binary and doc-test
//! run) and Vitest (`Tests  1 failed | 11 passed (12)`). It does not try to read individual test lines.

use std::ops::AddAssign;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Sums every `test result:` line cargo test printed; `None` when there was none (nothing was run at all).
pub fn from_cargo(lines: &[String]) -> Option<Counts> {
    let mut total: Option<Counts> = None;
    for line in lines.iter().map(|l| strip_ansi(l)) {
        let Some(rest) = line.trim().strip_prefix("test result:") else { continue };
        let counts = Counts {
            passed: number_before(rest, "passed"),
            failed: number_before(rest, "failed"),
            skipped: number_before(rest, "ignored"),
        };
        *total.get_or_insert_with(Counts::default) += counts;
    }
    total
}

/// Reads Vitest's `Tests` summary line; `None` when it printed none (no test files, or it crashed first).
pub fn from_vitest(lines: &[String]) -> Option<Counts> {
    lines.iter().map(|l| strip_ansi(l)).find_map(|line| {
        let rest = line.trim().strip_prefix("Tests ")?;
        Some(Counts {
            passed: number_before(rest, "passed"),
            failed: number_before(rest, "failed"),
            skipped: number_before(rest, "skipped") + number_before(rest, "todo"),
        })
    })
}

/// The number written just before `word` (`"3 passed"` → 3), or 0 when `word` does not appear.
fn number_before(text: &str, word: &str) -> u64 {
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == ',').collect();
    words
        .windows(2)
        .find(|pair| pair[1].trim_end_matches('.') == word)
        .and_then(|pair| pair[0].parse().ok())
        .unwrap_or(0)
}

/// Removes terminal colour codes (`ESC [ … m`), which runners may print even into a pipe.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn cargo_counts_are_summed_over_every_test_binary_and_doc_tests() {
        let out = lines(
            "running 3 tests\n\
             test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
             test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s\n\
             test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n",
        );
        let counts = from_cargo(&out).expect("three summary lines were printed");
        assert_eq!(counts, Counts { passed: 7, failed: 2, skipped: 1 }, "every binary's counts must be added up");
    }

    #[test]
    fn cargo_output_without_a_summary_line_has_no_counts() {
        let out = lines("error[E0425]: cannot find value `x` in this scope\nerror: could not compile `core`");
        assert_eq!(from_cargo(&out), None, "a build failure must not look like a run of zero tests that passed");
    }

    #[test]
    fn vitest_summary_with_failures_and_skips_is_read() {
        let out = lines(
            " Test Files  1 failed | 3 passed (4)\n      Tests  1 failed | 11 passed | 2 skipped (14)\n   Duration  1.2s",
        );
        assert_eq!(from_vitest(&out), Some(Counts { passed: 11, failed: 1, skipped: 2 }));
    }

    #[test]
    fn vitest_summary_is_read_through_colour_codes() {
        let out = lines(
            "\u{1b}[2m      Tests \u{1b}[22m \u{1b}[1m\u{1b}[32m5 passed\u{1b}[39m\u{1b}[22m\u{1b}[90m (5)\u{1b}[39m",
        );
        assert_eq!(from_vitest(&out), Some(Counts { passed: 5, failed: 0, skipped: 0 }));
    }

    #[test]
    fn vitest_without_test_files_has_no_counts() {
        let out = lines("No test files found, exiting with code 1");
        assert_eq!(from_vitest(&out), None, "no test files must not count as a passing suite");
    }

    #[test]
    fn the_test_files_line_is_not_taken_for_the_tests_line() {
        let out = lines(" Test Files  2 passed (2)");
        assert_eq!(from_vitest(&out), None, "`Test Files` counts files, not tests");
    }
}

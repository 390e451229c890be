//! iCalendar conformance: every `ics/` case of `../shared/conformance/cases.tsv` goes through
//! `anslag expand`'s code path ([`expand_feeds`]) and is compared, record by record, with the
//! reference output (Python icalendar 7.3.0 + recurring-ical-events 3.8.2).
//!
//! Deliberate differences are listed in [`ALLOWED`] keyed by expected file and line, with their
//! reason (also in docs/FEEDS.md). Any other difference fails, and so does an allowed one that
//! no longer occurs, so the list cannot go stale.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anslag_cli::cmd::expand::{expand_feeds, CalendarRecord};
use anslag_cli::feeds::ics::IcsOptions;
use anslag_cli::feeds::Window;
use chrono::NaiveDate;
use serde_json::Value;

/// (expected file, 1-based line in it or 0 for "a record we print that it lacks", why).
/// Empty: every case matches the reference.
const ALLOWED: &[(&str, usize, &str)] = &[];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
}

/// Compare as the corpus README says: records as a multiset, whitespace inside strings aside.
fn normalise(v: &Value) -> String {
    let mut v = v.clone();
    if let Value::Object(map) = &mut v {
        for val in map.values_mut() {
            if let Value::String(s) = val {
                *s = s.split_whitespace().collect::<Vec<_>>().join(" ");
            }
        }
    }
    // serde_json's map is sorted by key, so this string is canonical.
    v.to_string()
}

#[test]
fn ics_cases_match_reference() {
    let root = corpus();
    let cases = std::fs::read_to_string(root.join("cases.tsv")).expect("cases.tsv");
    let mut failures = Vec::new();
    let mut seen_allowed = BTreeSet::new();
    let (mut n_cases, mut n_records) = (0, 0);
    for line in cases.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [input, from, to, tz, flags, expected] = cols.as_slice() else {
            continue;
        };
        if !input.starts_with("ics/") {
            continue;
        }
        n_cases += 1;
        let window = Window {
            from: NaiveDate::parse_from_str(from, "%Y-%m-%d").expect("from"),
            to: NaiveDate::parse_from_str(to, "%Y-%m-%d").expect("to"),
            tz: tz.parse().expect("tz"),
        };
        let opts = IcsOptions {
            ignore_x_wr_timezone: flags.contains("--ignore-x-wr-timezone"),
        };
        let bytes = std::fs::read(root.join(input)).expect("input");
        let got = expand_feeds(&[(input.to_string(), bytes)], &window, &opts);
        let got: Vec<String> = got
            .records
            .iter()
            .map(|r: &CalendarRecord| normalise(&serde_json::to_value(r).expect("json")))
            .collect();
        let want: Vec<(usize, String)> = std::fs::read_to_string(root.join(expected))
            .expect("expected")
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                (
                    i + 1,
                    normalise(&serde_json::from_str(l).expect("expected json")),
                )
            })
            .collect();
        n_records += want.len();
        let case = expected.trim_start_matches("ics/");
        let mut extra: Vec<String> = got.clone();
        for (lineno, w) in &want {
            if let Some(pos) = extra.iter().position(|g| g == w) {
                extra.swap_remove(pos);
            } else if ALLOWED.iter().any(|(c, l, _)| *c == case && l == lineno) {
                seen_allowed.insert((case.to_string(), *lineno));
            } else {
                failures.push(format!("{case}:{lineno}: missing {w}"));
            }
        }
        for e in extra {
            if ALLOWED.iter().any(|(c, l, _)| *c == case && *l == 0) {
                seen_allowed.insert((case.to_string(), 0));
            } else {
                failures.push(format!("{case}: extra {e}"));
            }
        }
    }
    for (case, line, why) in ALLOWED {
        if !seen_allowed.contains(&(case.to_string(), *line)) {
            failures.push(format!(
                "{case}:{line}: allowed difference no longer occurs ({why})"
            ));
        }
    }
    assert!(n_cases >= 60, "only {n_cases} ics cases found");
    assert!(
        failures.is_empty(),
        "{} of {n_records} reference records differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

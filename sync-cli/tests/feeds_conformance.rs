//! Feed conformance: every RSS/Atom/JSON Feed case of `../shared/conformance/cases.tsv` goes
//! through `parse_feed` + `entry_json` and is compared with the reference output (Python
//! feedparser 6.0.14), field by field.
//!
//! Deliberate differences are listed in [`ALLOWED`] with their reason (also in docs/FEEDS.md);
//! any other difference fails, and so does an allowed one that no longer occurs (so the list
//! cannot go stale).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anslag_cli::feeds::feed::{entry_json, parse_feed};
use serde_json::Value;

/// (case file name, field, why we differ from the reference on purpose).
const ALLOWED: &[(&str, &str, &str)] = &[];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
}

/// Strings compare with whitespace collapsed, as the corpus README says.
fn normalise(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.split_whitespace().collect::<Vec<_>>().join(" ")),
        other => other.clone(),
    }
}

#[test]
fn feed_cases_match_reference() {
    let root = corpus();
    let cases = std::fs::read_to_string(root.join("cases.tsv")).expect("cases.tsv");
    let mut failures = Vec::new();
    let mut seen_allowed = BTreeSet::new();
    let mut n_cases = 0;
    let mut n_entries = 0;
    for line in cases.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(input), Some(expected)) = (cols.first(), cols.last()) else {
            continue;
        };
        if !input.starts_with("feeds/") {
            continue;
        }
        n_cases += 1;
        let case = input.trim_start_matches("feeds/");
        let bytes = std::fs::read(root.join(input)).expect("input");
        let want: Vec<Value> = std::fs::read_to_string(root.join(expected))
            .expect("expected")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).expect("expected json"))
            .filter(|v| v.get("feed").is_none())
            .collect();
        let got: Vec<Value> = match parse_feed(&bytes, input) {
            Ok(entries) => entries.iter().map(entry_json).collect(),
            Err(e) => {
                failures.push(format!("{case}: parse error {e}"));
                continue;
            }
        };
        if got.len() != want.len() {
            failures.push(format!(
                "{case}: {} entries, reference has {}",
                got.len(),
                want.len()
            ));
            continue;
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            n_entries += 1;
            for field in ["id", "title", "link", "published", "updated", "summary"] {
                let gv = normalise(g.get(field).unwrap_or(&Value::Null));
                let wv = normalise(w.get(field).unwrap_or(&Value::Null));
                if gv == wv {
                    continue;
                }
                if ALLOWED.iter().any(|(c, f, _)| *c == case && *f == field) {
                    seen_allowed.insert((case.to_owned(), field.to_owned()));
                    continue;
                }
                failures.push(format!(
                    "{case} entry {i} field {field}:\n   ours: {gv}\n   reference: {wv}"
                ));
            }
        }
    }
    for (case, field, _) in ALLOWED {
        if !seen_allowed.contains(&((*case).to_owned(), (*field).to_owned())) {
            failures.push(format!(
                "{case}/{field} is allow-listed but now matches: remove it"
            ));
        }
    }
    assert!(n_cases >= 11, "only {n_cases} feed cases found");
    assert!(
        failures.is_empty(),
        "{} of {n_cases} cases / {n_entries} entries differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Fault injection: every corpus feed cut at many points (a download torn by a power cut or a
/// flaky link) gives entries or an error, never a panic, and salvaged entries are a prefix-ish
/// subset of the full feed's (no invented entries).
#[test]
fn truncated_feeds_never_panic_or_invent_entries() {
    let dir = corpus().join("feeds");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("feeds dir") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().ends_with(".jsonl") {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).expect("read");
        let full: Vec<Option<String>> = parse_feed(&bytes, "full")
            .map(|es| es.into_iter().map(|e| e.link).collect())
            .unwrap_or_default();
        let step = (bytes.len() / 64).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let Some(part) = bytes.get(..cut) else {
                continue;
            };
            if let Ok(entries) = parse_feed(part, "cut") {
                assert!(
                    entries.len() <= full.len().max(1),
                    "{}: cut at {cut} gave {} entries, full feed has {}",
                    path.display(),
                    entries.len(),
                    full.len()
                );
            }
        }
    }
    assert!(files >= 11);
}

proptest::proptest! {
    /// Arbitrary bytes, and arbitrary text behind each root element, never panic.
    #[test]
    fn any_bytes_are_safe(
        root in proptest::prop_oneof![
            proptest::strategy::Just(""), proptest::strategy::Just("<rss version=\"2.0\"><channel><item>"),
            proptest::strategy::Just("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"),
            proptest::strategy::Just("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><item>"),
            proptest::strategy::Just("{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[{"),
        ],
        tail in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
    ) {
        let mut bytes = root.as_bytes().to_vec();
        bytes.extend(tail);
        if let Ok(entries) = parse_feed(&bytes, "p") {
            for e in &entries {
                let _ = entry_json(e);
            }
        }
    }
}

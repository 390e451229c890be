//! Dates in post text: the sample posts of `../shared/samples/posts/` against the dates a human
//! reader finds in them (`tests/data/posts.expected.json`), plus robustness on any input.

use std::path::Path;

use anslag_cli::feeds::feed::{entry_occurrences, FeedEntry};
use anslag_cli::feeds::textdate::find_dates;
use anslag_cli::feeds::Window;
use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date in golden file")
}

#[test]
fn sample_posts_match_human_reading() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest.join("tests/data/posts.expected.json")).expect("golden"),
    )
    .expect("golden json");
    let posts = manifest.join("../../shared/samples/posts");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&posts).expect("posts dir") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(expected) = golden.get(name) else {
            failures.push(format!("{name}: no expectation written down"));
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("post");
        let published = day(expected["published"].as_str().expect("published"));
        let want: Vec<NaiveDate> = expected["dates"]
            .as_array()
            .expect("dates")
            .iter()
            .map(|d| day(d.as_str().expect("date")))
            .collect();
        let mut got: Vec<NaiveDate> = find_dates(&text, published)
            .iter()
            .map(|f| f.date)
            .collect();
        got.dedup();
        let mut got_unique = Vec::new();
        for d in got {
            if !got_unique.contains(&d) {
                got_unique.push(d);
            }
        }
        if got_unique != want {
            failures.push(format!("{name}: found {got_unique:?}, expected {want:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} sample posts");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The time forms of issue 4 ("um 18 Uhr", "plkst. 18.00", "kl. 18.00", "klo 18") inside the
/// kind of sentence a community post is made of, not only in isolation (the unit tests):
/// the time must be found and attached to the date before it, and nothing else in the
/// sentence (prices, house numbers, counts) may be taken for a date or a time.
#[test]
fn times_are_found_in_realistic_post_sentences() {
    let published = day("2026-03-01");
    let cases = [
        (
            "de",
            "Liebe Nachbarn, am 14. Juni um 18 Uhr feiern wir im Gemeindesaal (Hauptstraße 12) \
             unser Sommerfest. Eintritt 5 Euro, Kuchenspenden sind willkommen!",
            "2026-06-14",
            "18:00",
        ),
        (
            "lv",
            "Aicinām visus uz pavasara talku 2026. gada 25. aprīlī plkst. 10.00 pie kultūras \
             nama. Līdzi ņemiet cimdus, grābekļus nodrošināsim 30 dalībniekiem.",
            "2026-04-25",
            "10:00",
        ),
        (
            "sv",
            "Välkomna till föreningens årsmöte den 14 mars kl. 18.00 i Folkets hus, Storgatan \
             3. Kaffe och kaka serveras för 20 kr.",
            "2026-03-14",
            "18:00",
        ),
        (
            "fi",
            "Kylätoimikunnan kevätkokous pidetään 14. maaliskuuta klo 18 seurantalolla. \
             Tervetuloa kaikki 12 kylän asukkaat!",
            "2026-03-14",
            "18:00",
        ),
    ];
    for (lang, text, date, time) in cases {
        let found = find_dates(text, published);
        let got: Vec<(String, Option<String>)> = found
            .iter()
            .map(|f| {
                (
                    f.date.to_string(),
                    f.time.map(|t| t.format("%H:%M").to_string()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(date.to_owned(), Some(time.to_owned()))],
            "{lang}: {text}"
        );
    }
}

#[test]
fn post_with_dates_becomes_date_from_text_occurrences() {
    let entry = FeedEntry {
        id: Some("post-1".into()),
        title: Some("Sommerfest".into()),
        summary: Some("Am 6. Juni um 18 Uhr im Saal, am 7. Juni ganztägig.".into()),
        published: Some(Utc.with_ymd_and_hms(2026, 5, 20, 8, 0, 0).unwrap()),
        ..FeedEntry::default()
    };
    let window = Window {
        from: day("2026-06-01"),
        to: day("2026-06-30"),
        tz: chrono_tz::Europe::Berlin,
    };
    let occ = entry_occurrences(&entry, &window, Some("de"));
    assert_eq!(occ.len(), 2);
    assert!(occ.iter().all(|o| o.date_from_text && o.language == "de"));
    assert_eq!(occ[0].start.to_string(), "2026-06-06 18:00:00");
    assert!(!occ[0].all_day);
    assert_eq!(occ[1].start.to_string(), "2026-06-07 00:00:00");
    assert_eq!(occ[1].end.to_string(), "2026-06-08 00:00:00");
    assert!(occ[1].all_day);
    assert_ne!(occ[0].uid, occ[1].uid);
}

#[test]
fn post_without_dates_is_a_notice_for_a_week() {
    let published = Utc.with_ymd_and_hms(2026, 5, 31, 22, 30, 0).unwrap(); // 1 June in Riga
    let entry = FeedEntry {
        title: Some("Jauns valdes sastāvs".into()),
        published: Some(published),
        ..FeedEntry::default()
    };
    let tz = chrono_tz::Europe::Riga;
    let window = |from: &str, to: &str| Window {
        from: day(from),
        to: day(to),
        tz,
    };
    let occ = entry_occurrences(&entry, &window("2026-06-03", "2026-06-04"), None);
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].start.to_string(), "2026-06-01 00:00:00");
    assert_eq!(occ[0].end.to_string(), "2026-06-08 00:00:00");
    assert!(occ[0].all_day && !occ[0].date_from_text);
    // A week later it is gone; without any time it never shows.
    assert!(entry_occurrences(&entry, &window("2026-06-08", "2026-06-09"), None).is_empty());
    let undated = FeedEntry {
        published: None,
        ..entry
    };
    assert!(entry_occurrences(&undated, &window("2026-06-01", "2026-06-09"), None).is_empty());
}

proptest! {
    #[test]
    fn any_text_is_safe(text in "\\PC{0,200}", days in 0i64..40000) {
        let published = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Duration::days(days);
        for f in find_dates(&text, published) {
            prop_assert!(text.get(f.span.clone()).is_some());
            if let Some(e) = f.end_date { prop_assert!(e >= f.date); }
        }
    }

    #[test]
    fn datey_text_is_safe(parts in proptest::collection::vec(
        prop_oneof![
            Just("12".to_string()), Just(".".to_string()), Just(" ".to_string()),
            Just("Juni".to_string()), Just("2026".to_string()), Just("kl".to_string()),
            Just(":".to_string()), Just("–".to_string()), Just("gada".to_string()),
            Just("31".to_string()), Just("\n".to_string()), Just("Uhr".to_string()),
            Just("m".to_string()), Just("sausio".to_string()), Just("/".to_string()),
        ], 0..30), days in 0i64..40000)
    {
        let text: String = parts.concat();
        let published = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Duration::days(days);
        for f in find_dates(&text, published) {
            prop_assert!(text.get(f.span.clone()).is_some());
        }
    }
}

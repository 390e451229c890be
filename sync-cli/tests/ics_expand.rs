//! Behaviour of the iCalendar reader on the board's wall clock: zones (IANA, Windows,
//! VTIMEZONE-only, DST gaps), all-day and floating times, X-WR-TIMEZONE, recurrence with
//! overrides, broken series, duplicates across feeds, and no panics on any input.

use anslag_cli::cmd::expand::{expand_feeds, CalendarRecord};
use anslag_cli::feeds::ics::{parse_ics, IcsOptions};
use anslag_cli::feeds::{Diagnostic, Window};
use chrono::NaiveDate;
use proptest::prelude::*;

fn window(from: &str, to: &str, tz: &str) -> Window {
    Window {
        from: NaiveDate::parse_from_str(from, "%Y-%m-%d").expect("from"),
        to: NaiveDate::parse_from_str(to, "%Y-%m-%d").expect("to"),
        tz: tz.parse().expect("tz"),
    }
}

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
}

fn run_opts(ics: &str, w: &Window, opts: &IcsOptions) -> (Vec<CalendarRecord>, Vec<Diagnostic>) {
    let e = expand_feeds(&[("t.ics".into(), ics.as_bytes().to_vec())], w, opts);
    (e.records, e.diagnostics)
}

fn run(ics: &str, w: &Window) -> Vec<CalendarRecord> {
    run_opts(ics, w, &IcsOptions::default()).0
}

/// (start, end) pairs, the part most tests care about.
fn spans(r: &[CalendarRecord]) -> Vec<(String, String)> {
    r.iter().map(|r| (r.start.clone(), r.end.clone())).collect()
}

fn s(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn single_event_fields_and_zones() {
    let ics = cal(
        "BEGIN:VEVENT\nUID:a@x\nDTSTART;TZID=Europe/Berlin:20260110T180000\n\
         DTEND;TZID=Europe/Berlin:20260110T200000\nSUMMARY;LANGUAGE=lv:Koris\n\
         LOCATION:Zāle\nDESCRIPTION:Nāciet\\, visi!\nCATEGORIES:Mūzika,Kultūra\n\
         URL:https://example.invalid/k\nEND:VEVENT\n",
    );
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let p = parse_ics(&ics, "t.ics", &w, &IcsOptions::default());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let [o] = p.occurrences.as_slice() else {
        panic!("one occurrence: {:?}", p.occurrences)
    };
    assert_eq!(o.uid, "a@x");
    assert_eq!(o.summary, "Koris");
    assert_eq!(o.location, "Zāle");
    assert_eq!(o.description, "Nāciet, visi!");
    assert_eq!(o.category, "Mūzika");
    assert_eq!(o.url, "https://example.invalid/k");
    assert_eq!(o.language, "lv");
    // Berlin 18:00 CET is 19:00 in Riga (EET).
    assert_eq!(o.start.to_string(), "2026-01-10 19:00:00");
    assert_eq!(o.end.to_string(), "2026-01-10 21:00:00");
    assert!(!o.all_day && !o.floating && !o.cancelled);
}

#[test]
fn windows_zone_names_utc_and_floating() {
    let ics = cal(
        "BEGIN:VEVENT\nUID:w\nDTSTART;TZID=W. Europe Standard Time:20260110T180000\n\
         DURATION:PT1H30M\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:u\nDTSTART:20260111T170000Z\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:f\nDTSTART:20260112T170000\nDTEND:20260112T180000\nEND:VEVENT\n",
    );
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let r = run(&ics, &w);
    assert_eq!(
        spans(&r),
        [
            s("2026-01-10T19:00:00", "2026-01-10T20:30:00"),
            // No DTEND, no DURATION: a timed event ends at its start.
            s("2026-01-11T19:00:00", "2026-01-11T19:00:00"),
            // Floating: board time, unchanged, flagged.
            s("2026-01-12T17:00:00", "2026-01-12T18:00:00"),
        ]
    );
    assert_eq!(
        r.iter().map(|r| r.floating).collect::<Vec<_>>(),
        [false, false, true]
    );
}

const CLUB_ZONE: &str = "BEGIN:VTIMEZONE\nTZID:Club Standard Time\n\
    BEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
    RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\n\
    BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
    RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nEND:VTIMEZONE\n";

#[test]
fn vtimezone_only_zone_and_dst_gap() {
    let ics = cal(&format!(
        "{CLUB_ZONE}BEGIN:VEVENT\nUID:z\nDTSTART;TZID=Club Standard Time:20260110T180000\n\
         END:VEVENT\nBEGIN:VEVENT\nUID:gap\nDTSTART;TZID=Club Standard Time:20260329T023000\n\
         DTEND;TZID=Club Standard Time:20260329T033000\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:summer\nDTSTART;TZID=Club Standard Time:20260701T100000\nEND:VEVENT\n"
    ));
    let w = window("2026-01-01", "2026-08-01", "Europe/Berlin");
    let (r, d) = run_opts(&ics, &w, &IcsOptions::default());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        spans(&r),
        [
            s("2026-01-10T18:00:00", "2026-01-10T18:00:00"),
            // 02:30 does not exist on 29 March: shifted forward by the gap (RFC 5545 §3.3.5).
            s("2026-03-29T03:30:00", "2026-03-29T03:30:00"),
            s("2026-07-01T10:00:00", "2026-07-01T10:00:00"),
        ]
    );
}

/// Occurrences far from the window on their own clock are skipped before any zone arithmetic;
/// an offset of almost 100 h (a VTIMEZONE can say so) still brings these two into the window.
#[test]
fn far_offsets_still_reach_the_window() {
    let zone = |name: &str, off: &str| {
        format!(
            "BEGIN:VTIMEZONE\nTZID:{name}\nBEGIN:STANDARD\nDTSTART:19700101T000000\n\
             TZOFFSETFROM:{off}\nTZOFFSETTO:{off}\nEND:STANDARD\nEND:VTIMEZONE\n"
        )
    };
    let ics = cal(&format!(
        "{}{}BEGIN:VEVENT\nUID:east\nDTSTART;TZID=Far East:20260305T000000\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:west\nDTSTART;TZID=Far West:20251228T000000\nEND:VEVENT\n",
        zone("Far East", "+9959"),
        zone("Far West", "-9959"),
    ));
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let (r, d) = run_opts(&ics, &w, &IcsOptions::default());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        spans(&r),
        [
            s("2026-01-01T05:59:00", "2026-01-01T05:59:00"),
            s("2026-02-28T22:01:00", "2026-02-28T22:01:00"),
        ]
    );
}

#[test]
fn all_day_exclusive_end_and_window_overlap() {
    let ics = cal("BEGIN:VEVENT\nUID:one\nDTSTART;VALUE=DATE:20260105\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:three\nDTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:20260108\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:before\nDTSTART;VALUE=DATE:20251230\nDTEND;VALUE=DATE:20260101\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:across\nDTSTART:20251231T220000\nDTEND:20260101T020000\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:atend\nDTSTART:20260201T000000\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:atstart\nDTSTART:20260101T000000\nEND:VEVENT\n");
    let w = window("2026-01-01", "2026-02-01", "Europe/Riga");
    let r = run(&ics, &w);
    let uids: Vec<_> = r.iter().filter_map(|r| r.uid.clone()).collect();
    // "before" ends where the window starts; "atend" is zero-length at the window's end.
    assert_eq!(uids, ["across", "atstart", "one", "three"]);
    assert_eq!(spans(&r)[2], s("2026-01-05", "2026-01-06"));
    assert_eq!(spans(&r)[3], s("2026-01-05", "2026-01-08"));
    assert!(r[2].all_day);
}

#[test]
fn x_wr_timezone_applies_unless_ignored() {
    let ics = cal("X-WR-TIMEZONE:America/New_York\nBEGIN:VEVENT\nUID:x\n\
         DTSTART:20260110T100000\nEND:VEVENT\n");
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let r = run(&ics, &w);
    assert_eq!(spans(&r), [s("2026-01-10T17:00:00", "2026-01-10T17:00:00")]);
    assert!(!r[0].floating);
    let strict = IcsOptions {
        ignore_x_wr_timezone: true,
    };
    let (r, _) = run_opts(&ics, &w, &strict);
    assert_eq!(spans(&r), [s("2026-01-10T10:00:00", "2026-01-10T10:00:00")]);
    assert!(r[0].floating);
}

#[test]
fn recurrence_with_exdate_overrides_and_cancellation() {
    let ics = cal("BEGIN:VEVENT\nUID:r\nSUMMARY:Koris\nDTSTART;TZID=Europe/Riga:20260105T180000\n\
         DTEND;TZID=Europe/Riga:20260105T200000\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n\
         EXDATE;TZID=Europe/Riga:20260112T180000\nRDATE;VALUE=PERIOD:20260107T160000Z/PT1H\n\
         END:VEVENT\n\
         BEGIN:VEVENT\nUID:r\nRECURRENCE-ID;TZID=Europe/Riga:20260119T180000\nSUMMARY:Koris (moved)\n\
         DTSTART;TZID=Europe/Riga:20260120T190000\nDTEND;TZID=Europe/Riga:20260120T210000\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:r\nRECURRENCE-ID;TZID=Europe/Riga:20260126T180000\nSUMMARY:Koris\n\
         STATUS:CANCELLED\nDTSTART;TZID=Europe/Riga:20260126T180000\n\
         DTEND;TZID=Europe/Riga:20260126T200000\nEND:VEVENT\n");
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let r = run(&ics, &w);
    assert_eq!(
        spans(&r),
        [
            s("2026-01-05T18:00:00", "2026-01-05T20:00:00"),
            s("2026-01-07T18:00:00", "2026-01-07T19:00:00"),
            s("2026-01-20T19:00:00", "2026-01-20T21:00:00"),
            s("2026-01-26T18:00:00", "2026-01-26T20:00:00"),
            s("2026-02-02T18:00:00", "2026-02-02T20:00:00"),
            s("2026-02-09T18:00:00", "2026-02-09T20:00:00"),
        ]
    );
    assert_eq!(r[2].summary.as_deref(), Some("Koris (moved)"));
    assert_eq!(r.iter().filter(|r| r.cancelled).count(), 1);
    assert!(r[3].cancelled);
}

#[test]
fn this_and_future_moves_later_instances() {
    let ics = cal(
        "BEGIN:VEVENT\nUID:t\nSUMMARY:Old\nDTSTART:20260105T180000\nDTEND:20260105T190000\n\
         RRULE:FREQ=WEEKLY;COUNT=4\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:t\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260112T180000\nSUMMARY:New\n\
         DTSTART:20260112T170000\nDTEND:20260112T180000\nEND:VEVENT\n",
    );
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let r = run(&ics, &w);
    let got: Vec<_> = r
        .iter()
        .map(|r| (r.start.as_str(), r.summary.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-01-05T18:00:00", "Old"),
            ("2026-01-12T17:00:00", "New"),
            ("2026-01-19T17:00:00", "New"),
            ("2026-01-26T17:00:00", "New"),
        ]
    );
}

#[test]
fn until_forms_and_dst_crossing_keeps_wall_clock() {
    let ics = cal("BEGIN:VEVENT\nUID:d\nDTSTART;VALUE=DATE:20260301\nRRULE:FREQ=WEEKLY;UNTIL=20260315\n\
         END:VEVENT\n\
         BEGIN:VEVENT\nUID:u\nDTSTART;TZID=Europe/Riga:20260327T100000\n\
         DTEND;TZID=Europe/Riga:20260327T110000\nRRULE:FREQ=DAILY;UNTIL=20260330T070000Z\nEND:VEVENT\n");
    let w = window("2026-03-01", "2026-04-01", "Europe/Riga");
    let r = run(&ics, &w);
    assert_eq!(
        spans(&r),
        [
            s("2026-03-01", "2026-03-02"),
            s("2026-03-08", "2026-03-09"),
            s("2026-03-15", "2026-03-16"),
            s("2026-03-27T10:00:00", "2026-03-27T11:00:00"),
            s("2026-03-28T10:00:00", "2026-03-28T11:00:00"),
            s("2026-03-29T10:00:00", "2026-03-29T11:00:00"),
            // 2026-03-30 10:00 EEST is 07:00Z: UNTIL is inclusive.
            s("2026-03-30T10:00:00", "2026-03-30T11:00:00"),
        ]
    );
}

#[test]
fn override_only_calendar() {
    let ics = cal(
        "BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260110T100000\nDTSTART:20260111T100000\n\
         SUMMARY:Only this one\nEND:VEVENT\n",
    );
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    assert_eq!(
        spans(&run(&ics, &w)),
        [s("2026-01-11T10:00:00", "2026-01-11T10:00:00")]
    );
}

#[test]
fn broken_series_is_reported_and_the_rest_kept() {
    let ics = cal(
        "BEGIN:VEVENT\nUID:good\nDTSTART:20260110T100000\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:bad-rule\nDTSTART:20260110T100000\nRRULE:FREQ=WEEKLY;UNTL=20260301\n\
         END:VEVENT\n\
         BEGIN:VEVENT\nUID:no-start\nSUMMARY:x\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:bad-date\nDTSTART:20261310T100000\nEND:VEVENT\n",
    );
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let (r, d) = run_opts(&ics, &w, &IcsOptions::default());
    assert_eq!(
        r.iter()
            .filter_map(|r| r.uid.as_deref())
            .collect::<Vec<_>>(),
        ["good"]
    );
    let bad: Vec<_> = d.iter().map(|d| (d.uid.as_deref(), d.line)).collect();
    assert_eq!(
        bad,
        [
            (Some("bad-rule"), Some(8)),
            (Some("no-start"), Some(13)),
            (Some("bad-date"), Some(17))
        ]
    );
    assert!(
        d[0].to_string().starts_with("t.ics:8 (UID bad-rule): "),
        "{}",
        d[0]
    );
}

#[test]
fn duplicates_across_feeds_appear_once() {
    let a = cal("BEGIN:VEVENT\nUID:same\nDTSTART:20260110T100000Z\nSUMMARY:A\nEND:VEVENT\n");
    let b = cal(
        "BEGIN:VEVENT\nUID:same\nDTSTART:20260110T100000Z\nSUMMARY:B\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:other\nDTSTART:20260110T100000Z\nEND:VEVENT\n",
    );
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let e = expand_feeds(
        &[
            ("a.ics".into(), a.into_bytes()),
            ("b.ics".into(), b.into_bytes()),
        ],
        &w,
        &IcsOptions::default(),
    );
    let got: Vec<_> = e
        .records
        .iter()
        .map(|r| (r.uid.as_deref(), r.summary.as_deref()))
        .collect();
    assert_eq!(got, [(Some("other"), None), (Some("same"), Some("A"))]);
}

#[test]
fn json_schema_and_order() {
    let ics = cal("BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20260110\nLOCATION:\nEND:VEVENT\n");
    let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
    let r = run(&ics, &w);
    assert_eq!(
        serde_json::to_string(&r[0]).expect("json"),
        r#"{"uid":"b","summary":null,"location":"","start":"2026-01-10","end":"2026-01-11","all_day":true,"floating":false,"cancelled":false}"#
    );
}

/// Outlook and other Windows programs write 8-bit calendars in Windows-1252: 0x80 is `€`,
/// 0x96 `–`, 0x84/0x93 `„“`. Read as Latin-1 those would be invisible control characters.
#[test]
fn non_utf8_calendar_is_windows_1252_and_says_so() {
    let mut ics = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART:20260105T100000\r\n\
SUMMARY:Eintritt 5\x80 \x96 Caf\xe9 \x84Fest\x93\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        .to_vec();
    let w = window("2026-01-01", "2026-02-01", "Europe/Berlin");
    let e = expand_feeds(
        &[("outlook.ics".into(), ics.clone())],
        &w,
        &IcsOptions::default(),
    );
    assert_eq!(
        e.records[0].summary.as_deref(),
        Some("Eintritt 5€ – Café „Fest“")
    );
    assert_eq!(e.diagnostics.len(), 1, "{:?}", e.diagnostics);
    let warning = e.diagnostics[0].to_string();
    assert!(
        warning.starts_with("outlook.ics: not UTF-8: read as Windows-1252"),
        "{warning}"
    );
    // UTF-8 input is read as is, without a warning.
    ics = String::from_utf8_lossy(&ics)
        .replace('\u{fffd}', "€")
        .into_bytes();
    let e = expand_feeds(&[("utf8.ics".into(), ics)], &w, &IcsOptions::default());
    assert!(e.diagnostics.is_empty(), "{:?}", e.diagnostics);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary bytes never panic and never loop.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let w = window("2026-01-01", "2026-03-01", "Europe/Riga");
        let (text, _) = anslag_cli::feeds::ics::decode(&bytes);
        let _ = parse_ics(&text, "g.ics", &w, &IcsOptions::default());
    }

    /// Mutating one byte of a real calendar never panics; the good events survive elsewhere.
    #[test]
    fn mutated_calendar_never_panics(pos in 0usize..2000, byte in any::<u8>()) {
        let mut ics = cal(&format!(
            "{CLUB_ZONE}BEGIN:VEVENT\nUID:r\nDTSTART;TZID=Club Standard Time:20260105T180000\n\
             RRULE:FREQ=MONTHLY;BYDAY=1MO,-1FR;BYSETPOS=1,-1;COUNT=20\n\
             EXDATE:20260202T180000\nEND:VEVENT\n"
        )).into_bytes();
        let at = pos % ics.len();
        ics[at] = byte;
        let w = window("2026-01-01", "2027-01-01", "Europe/Riga");
        let (text, _) = anslag_cli::feeds::ics::decode(&ics);
        let _ = parse_ics(&text, "m.ics", &w, &IcsOptions::default());
    }

    /// Any DAILY/WEEKLY/MONTHLY rule: ascending occurrences, never before DTSTART, COUNT kept.
    #[test]
    fn rule_output_is_sorted_and_counted(
        freq in prop::sample::select(vec!["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
        interval in 1u32..4,
        count in 1u32..40,
        day in 1u32..29,
        monthday in prop::sample::select(vec!["", ";BYMONTHDAY=-1", ";BYMONTHDAY=15,-3"]),
        byday in prop::sample::select(vec!["", ";BYDAY=MO,WE", ";BYDAY=-1SU", ";BYDAY=2TU,FR"]),
    ) {
        use anslag_cli::feeds::ics::recur::{Rule, RuleIter};
        let rule = Rule::parse_text(&format!("FREQ={freq};INTERVAL={interval};COUNT={count}{monthday}{byday}"))
            .expect("rule");
        let start = NaiveDate::from_ymd_opt(2026, 1, day).and_then(|d| d.and_hms_opt(9, 0, 0)).expect("start");
        let mut it = RuleIter::new(&rule, start);
        let mut out = Vec::new();
        while let Some(t) = it.next_occurrence() { out.push(t); }
        prop_assert!(out.len() <= count as usize);
        prop_assert!(out.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(out.iter().all(|t| *t >= start));
    }
}

/// A calendar large enough to be read on several threads: events, diagnostics and the override
/// of a series whose master and override land in different runs come out as from one thread.
#[test]
fn large_calendars_read_in_parallel_keep_file_order_and_cross_run_overrides() {
    let mut body = String::new();
    // The weekly series first, its override for 2026-03-10 at the very end of the file.
    body.push_str(
        "BEGIN:VEVENT\nUID:series\nDTSTART:20260303T180000\nDURATION:PT1H\n\
         RRULE:FREQ=WEEKLY;COUNT=4\nSUMMARY:Koris\nEND:VEVENT\n",
    );
    for i in 0..3000 {
        if i % 1000 == 500 {
            // Broken: no DTSTART. Reported with its line, skipped.
            body.push_str(&format!(
                "BEGIN:VEVENT\nUID:broken-{i}\nSUMMARY:x\nEND:VEVENT\n"
            ));
        } else {
            body.push_str(&format!(
                "BEGIN:VEVENT\nUID:e{i}\nDTSTART:20260302T{:02}{:02}00\nSUMMARY:Event {i}\nEND:VEVENT\n",
                8 + (i / 60) % 12,
                i % 60
            ));
        }
    }
    body.push_str(
        "BEGIN:VEVENT\nUID:series\nRECURRENCE-ID:20260310T180000\nDTSTART:20260310T190000\n\
         DURATION:PT1H\nSUMMARY:Koris (later)\nEND:VEVENT\n",
    );
    let w = window("2026-03-01", "2026-04-01", "Europe/Riga");
    let (records, diagnostics) = run_opts(&cal(&body), &w, &IcsOptions::default());
    assert_eq!(records.len(), 2997 + 4);
    let moved: Vec<_> = records
        .iter()
        .filter(|r| r.summary.as_deref() == Some("Koris (later)"))
        .collect();
    assert_eq!(
        moved.len(),
        1,
        "the override in the last run replaced its occurrence"
    );
    assert_eq!(moved[0].start, "2026-03-10T19:00:00");
    assert!(!records.iter().any(|r| r.start == "2026-03-10T18:00:00"));
    let lines: Vec<usize> = diagnostics.iter().filter_map(|d| d.line).collect();
    assert_eq!(lines.len(), 3, "{diagnostics:?}");
    assert!(
        lines.windows(2).all(|p| p[0] < p[1]),
        "file order: {lines:?}"
    );
}

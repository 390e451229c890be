//! CSV from spreadsheets: header aliases in our languages, delimiter sniffing, BOM, quoting,
//! date formats, all-day rows, bad rows reported with their line and skipped.

use anslag_cli::feeds::csv::parse_csv;
use anslag_cli::feeds::Window;
use chrono::NaiveDate;
use proptest::prelude::*;

fn window(from: &str, to: &str) -> Window {
    Window {
        from: NaiveDate::parse_from_str(from, "%Y-%m-%d").expect("from"),
        to: NaiveDate::parse_from_str(to, "%Y-%m-%d").expect("to"),
        tz: chrono_tz::Europe::Riga,
    }
}

fn summary_starts(text: &str) -> Vec<String> {
    parse_csv(text, "t.csv", &window("2026-01-01", "2027-01-01"))
        .occurrences
        .iter()
        .map(|o| format!("{} {}", o.summary, o.start))
        .collect()
}

#[test]
fn latvian_semicolon_sheet_with_bom_and_quoted_newlines() {
    let text = "\u{feff}Datums;Laiks;Beigas;Nosaukums;Vieta;Apraksts\r\n\
                06.06.2026;18:00;20:00;Talka;Parks;\"Ņemiet līdzi\r\ncimdus; \"\"grābekļus\"\"\"\r\n\
                7.6.26;;;Tirgus;Laukums;\r\n";
    let parsed = parse_csv(text, "lv.csv", &window("2026-06-01", "2026-07-01"));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let o = &parsed.occurrences;
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].summary, "Talka");
    assert_eq!(o[0].location, "Parks");
    assert_eq!(o[0].description, "Ņemiet līdzi\r\ncimdus; \"grābekļus\"");
    assert_eq!(o[0].start.to_string(), "2026-06-06 18:00:00");
    assert_eq!(o[0].end.to_string(), "2026-06-06 20:00:00");
    assert!(!o[0].all_day && o[0].floating);
    assert_eq!(o[1].start.to_string(), "2026-06-07 00:00:00");
    assert_eq!(o[1].end.to_string(), "2026-06-08 00:00:00");
    assert!(o[1].all_day && !o[1].floating);
}

#[test]
fn header_aliases_in_every_language() {
    let sheets = [
        "date,title,place\n2026-03-01,Meeting,Hall\n",
        "Datum;Titel;Ort\n01.03.2026;Treffen;Saal\n",
        "datums;nosaukums;vieta\n01.03.2026;Sapulce;Zāle\n",
        "Datum\tRubrik\tPlats\n2026-03-01\tMöte\tSalen\n",
        "data;tytuł;miejsce\n01.03.2026;Spotkanie;Sala\n",
        "päivä;otsikko;paikka\n1.3.2026;Kokous;Sali\n",
        "kuupäev;pealkiri;koht\n01.03.2026;Koosolek;Saal\n",
        "dato;titel;sted\n01/03/2026;Møde;Salen\n",
        "data;pavadinimas;vieta\n2026-03-01;Susitikimas;Salė\n",
    ];
    for sheet in sheets {
        let got = summary_starts(sheet);
        assert_eq!(got.len(), 1, "{sheet:?}: {got:?}");
        assert!(
            got[0].ends_with("2026-03-01 00:00:00"),
            "{sheet:?}: {got:?}"
        );
    }
}

#[test]
fn bad_rows_are_reported_with_line_and_skipped() {
    let text = "date,time,title\n\
                2026-03-01,18:00,Good one\n\
                2026-02-30,18:00,Impossible day\n\
                \n\
                2026-03-02,25:00,Bad time\n\
                2026-03-03,,\n\
                \"2026-03-04\",\"9:30\",\"Multi\nline title\"\n\
                someday,,No date\n\
                2026-03-05,,Last good\n";
    let parsed = parse_csv(text, "t.csv", &window("2026-01-01", "2027-01-01"));
    let titles: Vec<&str> = parsed
        .occurrences
        .iter()
        .map(|o| o.summary.as_str())
        .collect();
    assert_eq!(titles, ["Good one", "Multi\nline title", "Last good"]);
    let lines: Vec<Option<usize>> = parsed.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [Some(3), Some(5), Some(6), Some(9)]);
    assert!(parsed.diagnostics[0]
        .to_string()
        .starts_with("t.csv:3: row skipped: unreadable date"));
}

/// The `csv` crate reads an unclosed quote as a field up to the end of the file: one stray `"`
/// used to swallow every later row into one title, silently.
#[test]
fn unclosed_quote_is_reported_where_it_opened_and_later_rows_are_read() {
    let text = "date;title;place\r\n\
                2026-03-05;Talka;\"Parks\r\nrīta pusē\"\r\n\
                2026-03-06;\"Tirgus;Laukums\r\n\
                2026-03-07;Koris;\"Zāle \"\"A\"\"\"\r\n\
                2026-03-08;Deju vakars;\"Zāle B\r\n";
    let parsed = parse_csv(text, "q.csv", &window("2026-01-01", "2027-01-01"));
    let titles: Vec<(&str, &str)> = parsed
        .occurrences
        .iter()
        .map(|o| (o.summary.as_str(), o.location.as_str()))
        .collect();
    assert_eq!(
        titles,
        [("Talka", "Parks\r\nrīta pusē"), ("Koris", "Zāle \"A\""),]
    );
    let d: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[0].starts_with("q.csv:4: a quote opened here is never closed"),
        "{d:?}"
    );
    assert!(
        d[1].starts_with("q.csv:6: a quote opened here is never closed"),
        "{d:?}"
    );
}

#[test]
fn header_without_date_or_title_reads_nothing() {
    let parsed = parse_csv(
        "foo;bar\n1;2\n",
        "t.csv",
        &window("2026-01-01", "2027-01-01"),
    );
    assert!(parsed.occurrences.is_empty());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].line, Some(1));
}

#[test]
fn window_end_dates_and_midnight() {
    let text = "date;end date;start;end;title\n\
                30.05.2026;02.06.2026;;;Festival\n\
                31.05.2026;;22:00;02:00;Night walk\n\
                2026-07-01;;;;Later\n\
                2026-06-01;;2026-06-01 10:00;2026-06-03 12:00;Conference\n";
    let parsed = parse_csv(text, "t.csv", &window("2026-06-01", "2026-06-30"));
    let got: Vec<String> = parsed
        .occurrences
        .iter()
        .map(|o| format!("{}: {} – {}", o.summary, o.start, o.end))
        .collect();
    assert_eq!(
        got,
        [
            "Festival: 2026-05-30 00:00:00 – 2026-06-03 00:00:00",
            "Night walk: 2026-05-31 22:00:00 – 2026-06-01 02:00:00",
            "Conference: 2026-06-01 10:00:00 – 2026-06-03 12:00:00",
        ]
    );
}

#[test]
fn uids_are_stable_and_distinct() {
    let text = "date,title\n2026-03-01,A\n2026-03-01,B\n";
    let a = parse_csv(text, "t.csv", &window("2026-01-01", "2027-01-01"));
    let b = parse_csv(text, "t.csv", &window("2026-01-01", "2027-01-01"));
    assert_eq!(a.occurrences[0].uid, b.occurrences[0].uid);
    assert_ne!(a.occurrences[0].uid, a.occurrences[1].uid);
    let with_uid = parse_csv(
        "id,date,title\nx-1,2026-03-01,A\n",
        "t.csv",
        &window("2026-01-01", "2027-01-01"),
    );
    assert_eq!(with_uid.occurrences[0].uid, "x-1");
}

proptest! {
    /// Any text: no panic, and every good row either shows or is reported.
    #[test]
    fn never_panics(text in "\\PC{0,300}") {
        let _ = parse_csv(&text, "p.csv", &window("2026-01-01", "2027-01-01"));
    }

    /// Generated sheets: every row comes back exactly once, quoting whatever the title holds.
    #[test]
    fn round_trip(titles in proptest::collection::vec("[^\r]{1,20}", 1..10), delim in prop_oneof![Just(','), Just(';'), Just('\t')]) {
        let mut text = format!("date{delim}title\n");
        let titles: Vec<String> = titles.into_iter().filter(|t| !t.trim().is_empty()).collect();
        for (i, t) in titles.iter().enumerate() {
            text.push_str(&format!("2026-03-{:02}{delim}\"{}\"\n", i + 1, t.replace('"', "\"\"")));
        }
        let parsed = parse_csv(&text, "p.csv", &window("2026-01-01", "2027-01-01"));
        prop_assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let got: Vec<String> = parsed.occurrences.iter().map(|o| o.summary.clone()).collect();
        let want: Vec<String> = titles.iter().map(|t| t.trim().to_owned()).collect();
        prop_assert_eq!(got, want);
    }
}

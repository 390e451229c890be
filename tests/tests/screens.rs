//! Whole screens as PNG snapshots: feeds → bundle → kiosk renderer → PNG, compared byte for
//! byte with `tests/snapshots/*.png`. After a deliberate change to the layout, regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test -p anslag-tests --test screens` and look at the pictures.

use std::path::PathBuf;

use anslag_cli::cmd::build::parse_feed_bytes;
use anslag_cli::cmd::demo::EXAMPLE_FEEDS;
use anslag_cli::cmd::preview::{parse_now, render_screen};
use anslag_cli::feeds::{ics::IcsOptions, Window};
use anslag_cli::listing::{self, BoardInfo};
use anslag_core::bundle::Bundle;
use anslag_kiosk::profile::{self, Profile};
use anslag_kiosk::render::Options;
use chrono::NaiveDate;

fn bundle(lang: &str, with_events: bool) -> Vec<u8> {
    let from = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let window = Window {
        from,
        to: from + chrono::Days::new(28),
        tz: chrono_tz::Europe::Riga,
    };
    let mut occurrences = Vec::new();
    if with_events {
        for (name, text) in EXAMPLE_FEEDS {
            let p = parse_feed_bytes(name, text.as_bytes(), &window, &IcsOptions::default(), None)
                .unwrap();
            occurrences.extend(p.occurrences);
        }
    }
    let info = BoardInfo {
        board: "tautas-nams".into(),
        centre: "Ķekavas tautas nams".into(),
        language: lang.into(),
        sequence: 1,
        created_at: 1_772_694_000, // 2026-03-05 07:00 UTC
        refresh_minutes: 7 * 24 * 60,
    };
    listing::encode(&occurrences, &window, &info).unwrap()
}

fn snapshot(name: &str, bytes: &[u8], profile: Profile, now: &str) -> anslag_kiosk::render::Shown {
    let b = Bundle::parse(bytes).unwrap();
    let now = parse_now(&b, now).unwrap();
    let screen = render_screen(&b, now, &profile, &Options::default()).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{name}.png"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &screen.png).unwrap();
    }
    let want = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 creates it)", path.display()));
    assert!(
        want == screen.png,
        "{name}: the screen differs from {} (if intended: UPDATE_SNAPSHOTS=1, then look at it)",
        path.display()
    );
    screen.shown
}

#[test]
fn latvian_board_in_the_morning() {
    let s = snapshot(
        "lv-epd-7in5-morning",
        &bundle("lv", true),
        profile::EPD_7IN5,
        "2026-03-05T09:00",
    );
    assert_eq!((s.page, s.pages), (0, 2));
    assert!(!s.stale && !s.expired);
}

#[test]
fn after_an_event_it_is_gone() {
    // 19:01 on the 5th: the cancelled walk (17:00-19:00) is over and must not be shown.
    let before = snapshot(
        "lv-epd-7in5-1859",
        &bundle("lv", true),
        profile::EPD_7IN5,
        "2026-03-05T18:59",
    );
    let after = snapshot(
        "lv-epd-7in5-1901",
        &bundle("lv", true),
        profile::EPD_7IN5,
        "2026-03-05T19:01",
    );
    assert_eq!(before.events, after.events + 1);
}

#[test]
fn other_languages_and_profiles() {
    snapshot(
        "de-epd-4in2",
        &bundle("de", true),
        profile::EPD_4IN2,
        "2026-03-06T08:00",
    );
    snapshot(
        "sv-lcd-320x240",
        &bundle("sv", true),
        profile::LCD_320X240,
        "2026-03-06T08:00",
    );
    snapshot(
        "uk-epd-7in5",
        &bundle("uk", true),
        profile::EPD_7IN5,
        "2026-03-09T12:00",
    );
}

#[test]
fn across_the_dst_change() {
    // 29 March 2026, 09:00 EEST (after clocks went forward at 03:00): the 10:00 clean-up shows.
    let s = snapshot(
        "lv-epd-7in5-dst",
        &bundle("lv", true),
        profile::EPD_7IN5,
        "2026-03-29T09:00",
    );
    assert_eq!(s.local.to_string(), "2026-03-29T09:00");
    assert_eq!(s.events, 1);
}

#[test]
fn empty_and_expired_listings_say_so() {
    let s = snapshot(
        "en-epd-7in5-empty",
        &bundle("en", false),
        profile::EPD_7IN5,
        "2026-03-05T09:00",
    );
    assert_eq!((s.pages, s.events), (0, 0));
    let s = snapshot(
        "lv-epd-7in5-expired",
        &bundle("lv", true),
        profile::EPD_7IN5,
        "2026-04-02T09:00",
    );
    assert!(s.expired && s.stale);
}

#[test]
fn overflowing_listing_rotates_pages() {
    let b = bundle("lv", true);
    let first = snapshot("lv-lcd-page1", &b, profile::LCD_320X240, "2026-03-05T09:00");
    let second = snapshot("lv-lcd-page2", &b, profile::LCD_320X240, "2026-03-05T09:01");
    assert_eq!(first.pages, second.pages);
    assert_eq!(second.page, (first.page + 1) % first.pages);
}

#[test]
fn a_second_listing_over_the_dst_weekend() {
    // The CLI tests' fixture: a choir rehearsal, a two-day market, a cancelled dawn walk on the
    // night clocks go forward, a floating-time meeting.
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sync-cli/tests/data/foundation.ics"
    ))
    .unwrap();
    let from = NaiveDate::from_ymd_opt(2026, 3, 27).unwrap();
    let window = Window {
        from,
        to: from + chrono::Days::new(7),
        tz: chrono_tz::Europe::Riga,
    };
    let p = parse_feed_bytes(
        "foundation.ics",
        &text,
        &window,
        &IcsOptions::default(),
        None,
    )
    .unwrap();
    let info = BoardInfo {
        board: "hall".into(),
        centre: "Dorfgemeinschaftshaus Plön".into(),
        language: "de".into(),
        sequence: 3,
        created_at: 1_774_600_000,
        refresh_minutes: 24 * 60,
    };
    let bytes = listing::encode(&p.occurrences, &window, &info).unwrap();
    let s = snapshot(
        "de-epd-4in2-dst-weekend",
        &bytes,
        profile::EPD_4IN2,
        "2026-03-28T12:00",
    );
    assert_eq!(
        s.events, 3,
        "market (running), walk (cancelled, still shown), meeting"
    );
}

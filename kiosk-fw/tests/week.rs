//! A week of minutes on an e-paper board: the panel is refreshed once per visible change plus
//! once per day, never more, and what it shows is never in the past.

use anslag_core::bundle::{self, Bundle, EventSpec, Header, Listing, OffsetChange};
use anslag_core::time::{Date, DateTime};
use anslag_kiosk::board::{current, Moment};
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::EPD_7IN5;
use anslag_kiosk::refresh::{Refresh, RefreshPolicy};
use anslag_kiosk::render::{render, Options};

fn at(d: Date, h: u16, m: u16) -> DateTime {
    DateTime::new(d, h * 60 + m).unwrap()
}

/// A realistic week: two or three events a day, one all-day market, one cancelled talk.
fn week_listing(events: &mut Vec<EventSpec<'static>>) {
    let d0 = Date::new(2026, 3, 2).unwrap();
    for day in 0..7 {
        let d = d0.add_days(day);
        events.push(EventSpec {
            start: at(d, 10, 0),
            duration_minutes: 90,
            title: "Kafijas rīts",
            place: "Bibliotēka",
            ..Default::default()
        });
        events.push(EventSpec {
            start: at(d, 18, 30),
            duration_minutes: 120,
            title: "Kora mēģinājums",
            place: "Lielā zāle",
            ..Default::default()
        });
        if day % 2 == 0 {
            events.push(EventSpec {
                start: at(d, 16, 0),
                duration_minutes: 60,
                title: "Vortrag",
                cancelled: day == 2,
                ..Default::default()
            });
        }
    }
    events.push(EventSpec {
        start: at(d0.add_days(5), 0, 0),
        duration_minutes: 2880,
        all_day: true,
        title: "Tirdziņš",
        ..Default::default()
    });
    events.sort_by_key(|e| e.start);
}

#[test]
fn refreshes_once_per_visible_change_plus_once_per_day() {
    let mut events = Vec::new();
    week_listing(&mut events);
    let listing = Listing {
        header: Header {
            valid_from: Date::new(2026, 3, 2).unwrap(),
            valid_days: 14,
            board: "hall",
            centre: "Tautas nams",
            language: "lv",
            created_at: 1_772_400_000,
            refresh_minutes: 30 * 24 * 60,
            ..Header::default()
        },
        offsets: &[OffsetChange {
            from_utc_minute: 0,
            offset_minutes: 120,
        }],
        events: &events,
    };
    let bytes = bundle::encode_to_vec(&listing).unwrap();
    let b = Bundle::parse(&bytes).unwrap();

    let mut mem = vec![0u8; EPD_7IN5.frame_bytes()];
    let mut policy = RefreshPolicy::new();
    let (mut changed, mut daily, mut state_changes) = (0, 0, 0);
    let mut previous_state = None;
    let mut pages_seen = 0;
    let start = 1_772_402_400; // 2026-03-02 00:00 local (UTC+2)
    for minute in 0..7 * 24 * 60 {
        let now = start + minute * 60;
        let mut fb = FrameBuf::new(&mut mem, EPD_7IN5.width, EPD_7IN5.height);
        let shown = render(&mut fb, &b, now, &EPD_7IN5, &Options { page_minutes: 60 }).unwrap();
        let moment = Moment::at(&b, now);
        // Never shows an event that has ended.
        let local = shown.local.to_minutes();
        assert!(current(&b, &moment).all(|e| e.end_minutes().max(e.start_minutes() + 1) > local));
        // What a person sees, modelled without looking at pixels: the day, the page, which
        // events are current, the warnings. The clock is deliberately not on the screen.
        let first = current(&b, &moment).next().map(|e| e.start_minutes());
        let state = (
            shown.local.date,
            shown.page,
            shown.pages,
            shown.events,
            current(&b, &moment).count(),
            first,
            shown.stale,
            shown.expired,
        );
        if previous_state != Some(state) {
            state_changes += 1;
        }
        previous_state = Some(state);
        pages_seen = pages_seen.max(shown.pages);
        match policy.decide(&mem, shown.local.date) {
            Refresh::Changed => changed += 1,
            Refresh::Daily => daily += 1,
            Refresh::Keep => {}
        }
    }
    println!("{changed} refreshes on change + {daily} daily over 10,080 minutes ({pages_seen} pages at most)");
    // Exactly one refresh per visible change: no flashing for nothing, no missed change.
    assert_eq!(changed, state_changes);
    // Daily refreshes only on days whose first frame did not change anyway (at most 6 here).
    assert!(daily <= 6, "{daily}");
    // The panel is refreshed a few times an hour at most, not every minute.
    assert!(changed + daily < 7 * 24 * 2, "{changed} + {daily}");
}

#[test]
fn unchanged_frames_get_one_refresh_a_day() {
    let frame = [0u8; 64];
    let mut p = RefreshPolicy::new();
    let d = Date::new(2026, 3, 2).unwrap();
    assert_eq!(p.decide(&frame, d), Refresh::Changed);
    assert_eq!(p.decide(&frame, d), Refresh::Keep);
    assert_eq!(p.decide(&frame, d.add_days(1)), Refresh::Daily);
    assert_eq!(p.decide(&frame, d.add_days(1)), Refresh::Keep);
    assert_eq!(p.decide(&[1u8; 64], d.add_days(1)), Refresh::Changed);
}

//! From feed occurrences to an `anslag_core` bundle: the last host-side stage before the wire.
//!
//! Three jobs: compute the UTC-offset table a kiosk needs to tell local time across DST
//! without a time-zone database; turn occurrences into core [`EventSpec`]s (de-duplicated by
//! UID and start); and encode.

use anslag_core::bundle::{self, EventSpec, Header, Listing, OffsetChange};
use anslag_core::time::{Date, DateTime};
use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};

use crate::feeds::{Occurrence, Window};

/// Who the bundle is for, besides its events.
#[derive(Debug, Clone)]
pub struct BoardInfo {
    /// Board identifier, e.g. `hall-door`.
    pub board: String,
    /// Centre name shown in the board's header.
    pub centre: String,
    /// Board UI language (`lv`, `de`, `sv`, …).
    pub language: String,
    /// Sequence number; must grow with every bundle for the board.
    pub sequence: u64,
    /// When the bundle is built (UTC seconds).
    pub created_at: i64,
    /// Minutes until a fresher bundle is expected.
    pub refresh_minutes: u32,
}

/// Converts a chrono date to a core date.
pub fn core_date(d: NaiveDate) -> Result<Date> {
    let year = i16::try_from(d.year()).context("year out of range")?;
    Date::new(year, d.month() as u8, d.day() as u8).context("invalid date")
}

/// Converts a chrono wall-clock time to a core one (seconds are dropped).
pub fn core_datetime(t: NaiveDateTime) -> Result<DateTime> {
    let minute = (t.hour() * 60 + t.minute()) as u16;
    DateTime::new(core_date(t.date())?, minute).context("invalid time")
}

/// The UTC offsets of `window.tz` from the window's first local midnight to its end, as the
/// bundle's offset table: the first entry is in force at the window's start, then one entry
/// per change (found hourly, then narrowed to the minute).
pub fn utc_offsets(window: &Window) -> Result<Vec<OffsetChange>> {
    let tz = window.tz;
    let offset_at = |utc_minute: i64| -> i16 {
        let utc = chrono::DateTime::from_timestamp(utc_minute * 60, 0)
            .unwrap_or_default()
            .naive_utc();
        (tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 60) as i16
    };
    // Start a day early: the window's local midnight is up to 18 h before its UTC midnight.
    let start = days_since_epoch(window.from) * 1440 - 1440;
    let end = (days_since_epoch(window.to) + 1) * 1440;
    let mut out = vec![OffsetChange {
        from_utc_minute: start,
        offset_minutes: offset_at(start),
    }];
    let mut t = start;
    while t < end {
        let next = (t + 60).min(end);
        let (before, after) = (offset_at(t), offset_at(next));
        if before != after {
            // Binary search the first minute with the new offset.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if offset_at(mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(OffsetChange {
                from_utc_minute: hi,
                offset_minutes: after,
            });
        }
        t = next;
    }
    Ok(out)
}

fn days_since_epoch(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

/// Occurrences as core events, sorted canonically and with duplicates (same UID and start,
/// e.g. the same calendar subscribed twice) removed; the first one, in feed order, is kept.
///
/// An occurrence without a UID is never a duplicate: two UID-less events at the same time are
/// two events (a hand-written calendar, a spreadsheet with an empty id column), and merging
/// them would silently drop one. Within one feed the same UID and start is a duplicate too:
/// RFC 5545 identifies an instance by UID and RECURRENCE-ID, i.e. its start.
pub fn events(occurrences: &[Occurrence]) -> Result<Vec<EventSpec<'_>>> {
    let mut seen = std::collections::HashSet::new();
    let mut sorted: Vec<&Occurrence> = occurrences
        .iter()
        .filter(|o| o.uid.is_empty() || seen.insert((o.uid.as_str(), o.start)))
        .collect();
    sorted.sort_by(|a, b| {
        (a.start, &a.uid, a.end, &a.summary).cmp(&(b.start, &b.uid, b.end, &b.summary))
    });
    sorted
        .into_iter()
        .map(|o| {
            let minutes = (o.end - o.start).num_minutes().max(0);
            Ok(EventSpec {
                start: core_datetime(o.start)
                    .with_context(|| format!("event {} starts at an impossible time", o.uid))?,
                duration_minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
                all_day: o.all_day,
                cancelled: o.cancelled,
                floating: o.floating,
                date_from_text: o.date_from_text,
                title: &o.summary,
                place: &o.location,
                description: &o.description,
                category: &o.category,
                link: &o.url,
                language: &o.language,
            })
        })
        .collect()
}

/// One warning per event and character the kiosk's fonts cannot draw (it would show a box):
/// `"Feier 🎉" (UID x): '🎉' U+1F389 …`. Titles, places and categories are checked: they are
/// what the board shows.
pub fn glyph_warnings<I>(events: I) -> Vec<String>
where
    I: IntoIterator<Item = (String, [String; 3])>,
{
    let mut out = Vec::new();
    // A font lookup scans the font's glyph list: ask once per distinct character.
    let mut missing: std::collections::HashMap<char, bool> = std::collections::HashMap::new();
    for (who, texts) in events {
        let mut seen: Vec<char> = Vec::new();
        for c in texts.iter().flat_map(|t| t.chars()) {
            let is_missing = *missing.entry(c).or_insert_with(|| {
                let mut buf = [0u8; 4];
                let one = c.encode_utf8(&mut buf);
                let missing = anslag_kiosk::text::unsupported_chars(one).next().is_some();
                missing
            });
            if is_missing && !seen.contains(&c) {
                seen.push(c);
            }
        }
        for c in seen {
            out.push(format!(
                "{who}: character '{c}' (U+{:04X}) is not in the kiosk's fonts and will show as a box",
                u32::from(c)
            ));
        }
    }
    out
}

/// Builds the bundle bytes for `occurrences` on a board.
///
/// # Errors
/// When the window is too long for a bundle (over 65,535 days), or the encoder refuses the
/// listing (e.g. more than 65,535 distinct texts).
pub fn encode(occurrences: &[Occurrence], window: &Window, info: &BoardInfo) -> Result<Vec<u8>> {
    encode_with_base(occurrences, window, info, None)
}

/// Like [`encode`], keeping the text ids of `base` (the bundle the board holds) so a delta
/// against it stays small; the fresh encoding is used instead when the base's dead texts
/// would make the bundle more than a quarter larger.
///
/// # Errors
/// As [`encode`].
pub fn encode_with_base(
    occurrences: &[Occurrence],
    window: &Window,
    info: &BoardInfo,
    base: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let offsets = utc_offsets(window)?;
    let events = events(occurrences)?;
    let days = (window.to - window.from).num_days();
    let listing = Listing {
        header: Header {
            sequence: info.sequence,
            created_at: info.created_at,
            valid_from: core_date(window.from)?,
            valid_days: u16::try_from(days)
                .ok()
                .filter(|d| *d > 0)
                .context("the window must cover 1 to 65,535 days")?,
            refresh_minutes: info.refresh_minutes,
            flags: 0,
            board: &info.board,
            centre: &info.centre,
            language: &info.language,
        },
        offsets: &offsets,
        events: &events,
    };
    let fresh = bundle::encode_to_vec(&listing).context("cannot encode the bundle")?;
    let Some(base) = base.and_then(|b| anslag_core::bundle::Bundle::parse(b).ok()) else {
        return Ok(fresh);
    };
    let seeded = bundle::encode_to_vec_with_base(&listing, Some(&base))
        .context("cannot encode the bundle")?;
    Ok(if seeded.len() * 4 <= fresh.len() * 5 {
        seeded
    } else {
        fresh
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riga_offsets_over_spring_and_autumn_changes() {
        let window = Window {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            tz: chrono_tz::Europe::Riga,
        };
        let o = utc_offsets(&window).unwrap();
        let minute = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp() / 60;
        assert_eq!(o.len(), 3, "{o:?}");
        assert_eq!(o[0].offset_minutes, 120);
        assert_eq!(
            (o[1].from_utc_minute, o[1].offset_minutes),
            (minute("2026-03-29T01:00:00Z"), 180)
        );
        assert_eq!(
            (o[2].from_utc_minute, o[2].offset_minutes),
            (minute("2026-10-25T01:00:00Z"), 120)
        );
        assert!(o[0].from_utc_minute <= minute("2026-02-28T22:00:00Z"));
    }

    #[test]
    fn glyph_warnings_name_event_and_character() {
        let w = glyph_warnings([(
            "\"Sommerfest 🎉\" (UID s1)".to_string(),
            [
                "Sommerfest 🎉".to_string(),
                "Łódź – Café".to_string(),
                String::new(),
            ],
        )]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("UID s1") && w[0].contains("U+1F389"), "{w:?}");
    }

    fn occ(uid: &str, summary: &str, start: &str) -> Occurrence {
        let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").unwrap();
        Occurrence {
            uid: uid.to_owned(),
            summary: summary.to_owned(),
            location: String::new(),
            description: String::new(),
            category: String::new(),
            url: String::new(),
            language: String::new(),
            start,
            end: start,
            all_day: false,
            floating: true,
            cancelled: false,
            date_from_text: false,
        }
    }

    #[test]
    fn duplicates_are_same_uid_and_start_but_never_empty_uids() {
        let all = [
            // Feed 1.
            occ("", "Koris", "2026-03-05T18:00"),
            occ("", "Deju pulciņš", "2026-03-05T18:00"),
            occ("a@x", "Talka", "2026-03-06T10:00"),
            // Feed 2: the same event subscribed twice, with an edited title; and a UID
            // repeated at another start (another instance).
            occ("a@x", "Talka (edited)", "2026-03-06T10:00"),
            occ("a@x", "Talka", "2026-03-13T10:00"),
        ];
        let titles: Vec<&str> = events(&all).unwrap().iter().map(|e| e.title).collect();
        // Both UID-less events stay; of the duplicate, the first feed's copy is kept.
        assert_eq!(titles, ["Deju pulciņš", "Koris", "Talka", "Talka"]);
    }

    #[test]
    fn zone_without_dst_has_one_entry() {
        let window = Window {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            tz: chrono_tz::Asia::Kolkata,
        };
        let o = utc_offsets(&window).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].offset_minutes, 330);
    }
}

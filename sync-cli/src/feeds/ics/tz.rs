//! Time zones of an iCalendar file: IANA names, Windows/Outlook names and zones that exist only
//! as a VTIMEZONE in the file.
//!
//! ```text
//! TZID=Europe/Berlin              -> chrono-tz zone
//! TZID=W. Europe Standard Time    -> Europe/Berlin (calcard's Windows/Outlook name table)
//! TZID=My Club Time + VTIMEZONE   -> the file's STANDARD/DAYLIGHT rules, evaluated here
//! ```
//!
//! Design notes:
//! - A name that a zone database knows wins over the VTIMEZONE body, as in Python icalendar and
//!   Google/Outlook practice: the bodies are often truncated or stale copies of the real zone.
//! - Local times that do not exist (spring-forward gap) are shifted forward by the gap, i.e. read
//!   with the offset in force *before* the transition (RFC 5545 §3.3.5); local times that occur
//!   twice (fall-back overlap) take the first occurrence.

use std::str::FromStr;

use chrono::{Duration, NaiveDateTime, Offset, TimeZone};

use super::recur::{self, Rule};

/// A resolved zone.
#[derive(Debug, Clone)]
pub enum Zone {
    /// A zone from the IANA database.
    Iana(chrono_tz::Tz),
    /// A fixed UTC offset in seconds (east positive).
    Fixed(i32),
    /// A zone defined only by a VTIMEZONE in the file.
    Custom(CustomZone),
}

impl Zone {
    /// Resolves a TZID by name: IANA, Windows/Outlook display names, `/vendor/.../Area/City`.
    pub fn by_name(name: &str) -> Option<Zone> {
        if let Ok(tz) = chrono_tz::Tz::from_str(name) {
            return Some(Zone::Iana(tz));
        }
        match calcard::common::timezone::Tz::from_str(name.trim_matches('"')).ok()? {
            calcard::common::timezone::Tz::Tz(tz) => Some(Zone::Iana(tz)),
            calcard::common::timezone::Tz::Fixed(off) => Some(Zone::Fixed(off.local_minus_utc())),
            calcard::common::timezone::Tz::Floating => None,
        }
    }

    /// Wall-clock time in this zone at the UTC instant `utc`.
    pub fn from_utc(&self, utc: NaiveDateTime) -> NaiveDateTime {
        utc + Duration::seconds(i64::from(self.offset_at_utc(utc)))
    }

    /// UTC offset (seconds east) in force at the UTC instant `utc`.
    pub fn offset_at_utc(&self, utc: NaiveDateTime) -> i32 {
        match self {
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
            Zone::Fixed(off) => *off,
            Zone::Custom(c) => c.offset_at_utc(utc),
        }
    }

    /// The UTC instant of the wall-clock time `local` (gap: shifted forward; overlap: first).
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        match self {
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(t) => t.naive_utc(),
                chrono::LocalResult::Ambiguous(a, b) => a.naive_utc().min(b.naive_utc()),
                chrono::LocalResult::None => {
                    // Offset in force before the gap: look a day back (no zone has two
                    // transitions within a day).
                    let before = local - Duration::days(1);
                    let off = tz.offset_from_utc_datetime(&before).fix().local_minus_utc();
                    local - Duration::seconds(i64::from(off))
                }
            },
            Zone::Fixed(off) => local - Duration::seconds(i64::from(*off)),
            Zone::Custom(_) => generic_to_utc(|u| self.offset_at_utc(u), local),
        }
    }
}

/// Local → UTC for any zone given by its offset function: try the offsets in force a day around
/// `local`, keep those that reproduce `local`, prefer the earliest instant; none means a gap.
fn generic_to_utc(offset_at: impl Fn(NaiveDateTime) -> i32, local: NaiveDateTime) -> NaiveDateTime {
    let before = offset_at(local - Duration::days(1));
    let after = offset_at(local + Duration::days(1));
    let mut best: Option<NaiveDateTime> = None;
    for off in [before, after] {
        let utc = local - Duration::seconds(i64::from(off));
        if offset_at(utc) == off && best.is_none_or(|b| utc < b) {
            best = Some(utc);
        }
    }
    best.unwrap_or_else(|| local - Duration::seconds(i64::from(before)))
}

/// One STANDARD or DAYLIGHT block of a VTIMEZONE.
#[derive(Debug, Clone)]
pub struct Observance {
    /// DTSTART of the block: local time in the `offset_from` zone.
    pub start: NaiveDateTime,
    /// TZOFFSETFROM in seconds.
    pub offset_from: i32,
    /// TZOFFSETTO in seconds.
    pub offset_to: i32,
    /// RRULEs of the block.
    pub rules: Vec<Rule>,
    /// RDATEs of the block (local times).
    pub rdates: Vec<NaiveDateTime>,
}

/// A zone built from VTIMEZONE observances: transitions precomputed to [`LAST_YEAR`].
#[derive(Debug, Clone)]
pub struct CustomZone {
    /// (UTC onset, offset after) sorted by onset.
    transitions: Vec<(NaiveDateTime, i32)>,
    /// Offset before the first transition.
    initial: i32,
}

/// Transitions are computed up to this year; later instants keep the last rule's offset pattern
/// by folding into the last computed cycle (good enough for a noticeboard's horizon).
const LAST_YEAR: i32 = 2100;

/// Upper bound on transitions per observance (a misbehaving RRULE such as FREQ=DAILY).
const MAX_TRANSITIONS: usize = 4000;

impl CustomZone {
    /// Builds the zone from its observances. `None` if there are none.
    pub fn new(observances: &[Observance]) -> Option<CustomZone> {
        let mut transitions = Vec::new();
        let limit = chrono::NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31)?.and_hms_opt(0, 0, 0)?;
        for obs in observances {
            let mut onsets: Vec<NaiveDateTime> = vec![obs.start];
            for rule in &obs.rules {
                let mut it = recur::RuleIter::new(rule, obs.start);
                while let Some(t) = it.next_occurrence() {
                    if t > limit || onsets.len() > MAX_TRANSITIONS {
                        break;
                    }
                    onsets.push(t);
                }
            }
            onsets.extend(obs.rdates.iter().copied());
            for local in onsets {
                transitions.push((
                    local - Duration::seconds(i64::from(obs.offset_from)),
                    obs.offset_to,
                ));
            }
        }
        if transitions.is_empty() {
            return None;
        }
        transitions.sort();
        transitions.dedup();
        let earliest = observances.iter().min_by_key(|o| o.start)?;
        Some(CustomZone {
            transitions,
            initial: earliest.offset_from,
        })
    }

    fn offset_at_utc(&self, utc: NaiveDateTime) -> i32 {
        match self.transitions.partition_point(|(t, _)| *t <= utc) {
            0 => self.initial,
            i => self
                .transitions
                .get(i - 1)
                .map_or(self.initial, |(_, off)| *off),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn dt(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .expect("valid test date")
    }

    #[test]
    fn windows_names_resolve_to_iana() {
        let z = Zone::by_name("W. Europe Standard Time").expect("known Windows name");
        assert!(matches!(z, Zone::Iana(chrono_tz::Tz::Europe__Berlin)));
        assert!(Zone::by_name("FLE Standard Time").is_some());
        assert!(Zone::by_name("No Such Zone/Anywhere").is_none());
    }

    #[test]
    fn gap_shifts_forward_and_overlap_takes_first() {
        let z = Zone::Iana(chrono_tz::Tz::Europe__Berlin);
        // 2026-03-29 02:30 does not exist in Berlin: read with +01:00 → 01:30 UTC (03:30 CEST).
        assert_eq!(z.to_utc(dt(2026, 3, 29, 2, 30)), dt(2026, 3, 29, 1, 30));
        // 2026-10-25 02:30 happens twice: the first one is CEST (+02:00).
        assert_eq!(z.to_utc(dt(2026, 10, 25, 2, 30)), dt(2026, 10, 25, 0, 30));
    }

    #[test]
    fn vtimezone_rules_match_iana() {
        let daylight = Observance {
            start: dt(1970, 3, 29, 2, 0),
            offset_from: 3600,
            offset_to: 7200,
            rules: vec![Rule::parse_text("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU").expect("rule")],
            rdates: vec![],
        };
        let standard = Observance {
            start: dt(1970, 10, 25, 3, 0),
            offset_from: 7200,
            offset_to: 3600,
            rules: vec![Rule::parse_text("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU").expect("rule")],
            rdates: vec![],
        };
        let custom = Zone::Custom(CustomZone::new(&[daylight, standard]).expect("zone"));
        let iana = Zone::Iana(chrono_tz::Tz::Europe__Berlin);
        for local in [
            dt(2026, 1, 10, 12, 0),
            dt(2026, 3, 29, 2, 30),
            dt(2026, 3, 29, 3, 0),
            dt(2026, 7, 1, 9, 0),
            dt(2026, 10, 25, 2, 30),
            dt(2026, 10, 25, 3, 0),
        ] {
            assert_eq!(custom.to_utc(local), iana.to_utc(local), "{local}");
            let utc = iana.to_utc(local);
            assert_eq!(custom.from_utc(utc), iana.from_utc(utc), "{local}");
        }
    }
}

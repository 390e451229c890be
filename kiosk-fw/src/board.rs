//! What the board shows at a moment: the board's wall clock, which events are current, on
//! which day each is listed, and whether the listing is stale or expired.

use anslag_core::bundle::{Bundle, Event};
use anslag_core::time::{Date, DateTime};

/// The moment a screen is drawn for, as the board sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Board wall-clock time (from the kiosk's UTC clock and the bundle's offset table).
    pub local: DateTime,
    /// Older than the bundle's refresh interval: a fresher one should have arrived.
    pub stale: bool,
    /// Past the bundle's validity window: its events may be incomplete.
    pub expired: bool,
}

impl Moment {
    /// The moment `now_utc` (UTC seconds) for `bundle`.
    pub fn at(bundle: &Bundle<'_>, now_utc: i64) -> Moment {
        let h = bundle.header();
        let local = bundle.local_time(now_utc);
        Moment {
            local,
            stale: now_utc
                > h.created_at
                    .saturating_add(i64::from(h.refresh_minutes) * 60),
            expired: local.date >= h.window_end(),
        }
    }

    /// Today, board-local.
    pub fn today(&self) -> Date {
        self.local.date
    }
}

/// Whether `e` is still worth showing at `m`: it has not ended. A zero-length event (a
/// notice, a meeting with no end time) stays through its start minute.
pub fn is_current(e: &Event<'_>, m: &Moment) -> bool {
    let end = e.end_minutes().max(e.start_minutes() + 1);
    end > m.local.to_minutes()
}

/// Events not yet ended at `m`, in start order. Nothing past is ever returned.
pub fn current<'a>(bundle: &Bundle<'a>, m: &Moment) -> impl Iterator<Item = Event<'a>> + 'a {
    let m = *m;
    bundle
        .events_from(m.today())
        .filter(move |e| is_current(e, &m))
}

/// The day an event is listed under: its start day, or today for one that began earlier and
/// is still running (a two-day market shows under today on its second day).
pub fn listed_day(e: &Event<'_>, m: &Moment) -> Date {
    let start = e.start().date;
    if start < m.today() {
        m.today()
    } else {
        start
    }
}

//! The resident bundle format: what a kiosk stores in flash and reads in place.
//!
//! ```
//! use anslag_core::bundle::{self, Bundle, EventSpec, Header, Listing, OffsetChange};
//! use anslag_core::time::{Date, DateTime};
//!
//! let day = Date::new(2026, 3, 5).unwrap();
//! let events = [EventSpec {
//!     start: DateTime::new(day, 18 * 60).unwrap(),
//!     duration_minutes: 90,
//!     title: "Kora mēģinājums",
//!     place: "Tautas nams",
//!     language: "lv",
//!     ..EventSpec::default()
//! }];
//! let listing = Listing {
//!     header: Header { valid_from: day, valid_days: 14, board: "hall", ..Header::default() },
//!     offsets: &[OffsetChange { from_utc_minute: 0, offset_minutes: 120 }],
//!     events: &events,
//! };
//! let mut buf = [0u8; 512];
//! let len = bundle::encode(&listing, &mut buf).unwrap();
//!
//! let bundle = Bundle::parse(&buf[..len]).unwrap();
//! let event = bundle.events().next().unwrap();
//! assert_eq!(event.title(), "Kora mēģinājums");
//! assert_eq!(event.start().to_string(), "2026-03-05T18:00");
//! ```
//!
//! Design notes
//! - `Bundle::parse` validates every byte once (CRC, bounds, UTF-8, references, order, day
//!   index); afterwards no accessor can fail or panic, and none allocates.
//! - Fixed-width little-endian tables give O(1) access to any event, text or atom straight from
//!   memory-mapped flash; postcard (varints, not randomly addressable) carries the header.
//! - Text is interned in *atoms* (sentences, link prefixes): a field is a run of atoms, so a
//!   [`Text`] is read as pieces. `docs/FORMAT.md` is the normative specification.

mod decode;
mod encode;
mod error;
pub mod layout;
#[cfg(feature = "alloc")]
mod owned;

pub use decode::{Bundle, Event, Events, Pieces, Text};
pub use encode::{
    encode, encode_with_base, encoded_len_upper_bound, encoded_len_upper_bound_with_base,
};
#[cfg(feature = "alloc")]
pub use encode::{encode_to_vec, encode_to_vec_with_base};
pub use error::{EncodeError, Error};
#[cfg(feature = "alloc")]
pub use owned::OwnedEvent;

use serde::{Deserialize, Serialize};

use crate::time::{Date, DateTime};

/// Who the bundle is for and when it is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header<'a> {
    /// Grows with every bundle a coordinator publishes for a board; a kiosk refuses older ones.
    pub sequence: u64,
    /// When the bundle was built, UTC seconds since 1970-01-01.
    pub created_at: i64,
    /// First day of the validity window (board-local).
    pub valid_from: Date,
    /// Days in the validity window; after it the board shows an "expired" warning.
    pub valid_days: u16,
    /// Minutes after `created_at` when a fresher bundle is expected; later the board says "stale".
    pub refresh_minutes: u32,
    /// Header flag bits, see [`layout::header_flag`].
    pub flags: u32,
    /// Board name (an identifier such as `hall-door`).
    pub board: &'a str,
    /// Name of the centre shown in the board's header, e.g. `Ķekavas tautas nams`.
    pub centre: &'a str,
    /// UI language of the board (BCP 47 primary tag: `lv`, `de`, `sv`, …).
    pub language: &'a str,
}

impl Default for Header<'_> {
    fn default() -> Self {
        Header {
            sequence: 0,
            created_at: 0,
            valid_from: Date::from_days(0),
            valid_days: 1,
            refresh_minutes: 24 * 60,
            flags: 0,
            board: "",
            centre: "",
            language: "en",
        }
    }
}

impl Header<'_> {
    /// Board-local midnight at the start of the validity window.
    pub fn window_start(&self) -> DateTime {
        DateTime::midnight(self.valid_from)
    }

    /// The first board-local day after the validity window.
    pub fn window_end(&self) -> Date {
        self.valid_from.add_days(i32::from(self.valid_days))
    }
}

/// From `from_utc_minute` on (UTC minutes since 1970-01-01), board time is UTC plus
/// `offset_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetChange {
    /// UTC minute since 1970-01-01 when this offset starts to apply.
    pub from_utc_minute: i64,
    /// Board time minus UTC, in minutes (e.g. 120 for EET, 180 for EEST).
    pub offset_minutes: i16,
}

/// One event as given to the encoder. Times are board wall-clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventSpec<'a> {
    /// Start, board wall-clock (00:00 for all-day events).
    pub start: DateTime,
    /// Length in minutes (all-day: 1440 per day).
    pub duration_minutes: u32,
    /// Lasts whole days.
    pub all_day: bool,
    /// Cancelled: shown struck through.
    pub cancelled: bool,
    /// The source had no time zone.
    pub floating: bool,
    /// The date was found in free text.
    pub date_from_text: bool,
    /// Title.
    pub title: &'a str,
    /// Place.
    pub place: &'a str,
    /// Longer description.
    pub description: &'a str,
    /// Category.
    pub category: &'a str,
    /// Link for more information.
    pub link: &'a str,
    /// Language of the event's text.
    pub language: &'a str,
}

impl EventSpec<'_> {
    /// The six text fields in record order.
    pub(crate) fn texts(&self) -> [&str; layout::TEXT_FIELDS] {
        [
            self.title,
            self.place,
            self.description,
            self.category,
            self.link,
            self.language,
        ]
    }

    pub(crate) fn flags(&self) -> u8 {
        use layout::event_flag::*;
        let mut f = 0;
        for (on, bit) in [
            (self.all_day, ALL_DAY),
            (self.cancelled, CANCELLED),
            (self.floating, FLOATING),
            (self.date_from_text, DATE_FROM_TEXT),
        ] {
            if on {
                f |= bit;
            }
        }
        f
    }
}

/// Everything a bundle is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing<'a> {
    /// Header fields.
    pub header: Header<'a>,
    /// UTC offsets over the validity window, sorted, the first in force at its start.
    pub offsets: &'a [OffsetChange],
    /// Events sorted by start.
    pub events: &'a [EventSpec<'a>],
}

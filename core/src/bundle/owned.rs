//! Events copied out of a bundle, for host-side work that re-encodes them (filtering a listing
//! per board, re-encoding, diffing, tests).

use alloc::string::{String, ToString};

use super::decode::Event;
use super::EventSpec;
use crate::time::DateTime;

/// An event with its texts owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedEvent {
    /// Start, board wall-clock.
    pub start: DateTime,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// Flags: all-day, cancelled, floating, date-from-text.
    pub flags: [bool; 4],
    /// Title, place, description, category, link, language.
    pub texts: [String; 6],
}

impl OwnedEvent {
    /// The event as encoder input, borrowing from `self`.
    pub fn spec(&self) -> EventSpec<'_> {
        let [all_day, cancelled, floating, date_from_text] = self.flags;
        let [title, place, description, category, link, language] = &self.texts;
        EventSpec {
            start: self.start,
            duration_minutes: self.duration_minutes,
            all_day,
            cancelled,
            floating,
            date_from_text,
            title,
            place,
            description,
            category,
            link,
            language,
        }
    }
}

impl Event<'_> {
    /// Copies the event out of the bundle.
    pub fn to_owned_event(&self) -> OwnedEvent {
        OwnedEvent {
            start: self.start(),
            duration_minutes: self.duration_minutes(),
            flags: [
                self.is_all_day(),
                self.is_cancelled(),
                self.is_floating(),
                self.is_date_from_text(),
            ],
            texts: [
                self.title(),
                self.place(),
                self.description(),
                self.category(),
                self.link(),
                self.language(),
            ]
            .map(|t| t.to_string()),
        }
    }
}

//! Feed ingestion: turn what coordinators already keep (iCalendar, RSS/Atom/JSON Feed, CSV)
//! into [`Occurrence`]s on the board's wall clock inside a [`Window`].
//!
//! Every parser follows the same rule: a bad item is reported as a [`Diagnostic`] (file, line,
//! UID where known) and skipped; the good items are still returned.

use std::borrow::Cow;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

pub mod ics;

pub mod check;
pub mod csv;
pub mod feed;
pub mod fetch;
pub mod textdate;

/// What a feed file holds, decided from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedKind {
    /// iCalendar (`BEGIN:VCALENDAR`).
    Ics,
    /// RSS, Atom or JSON Feed.
    Feed,
    /// A spreadsheet export.
    Csv,
}

impl FeedKind {
    /// Sniffs the kind: content first (servers lie about names), then the extension.
    pub fn detect(path: &Path, bytes: &[u8]) -> Option<FeedKind> {
        let head = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
        let head = head.get(start..).unwrap_or_default();
        let prefix = head.get(..15.min(head.len())).unwrap_or_default();
        if prefix.eq_ignore_ascii_case(b"BEGIN:VCALENDAR") || prefix.starts_with(b"BEGIN:VEVENT") {
            return Some(FeedKind::Ics);
        }
        if head.starts_with(b"<") || head.starts_with(b"{") {
            return Some(FeedKind::Feed);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("ics" | "ical" | "ifb" | "icalendar") => Some(FeedKind::Ics),
            Some("csv" | "tsv" | "txt") => Some(FeedKind::Csv),
            Some("xml" | "rss" | "atom" | "json") => Some(FeedKind::Feed),
            _ => None,
        }
    }
}

/// Turns the bytes of a text feed (calendar, spreadsheet) into text: UTF-8 (BOM dropped) or
/// UTF-16 with a BOM; anything else is read as Windows-1252, and the flag says so.
///
/// Windows-1252 rather than Latin-1: the non-UTF-8 files in the wild come from Windows
/// programs (Excel, Outlook exports), and those use 0x80–0x9F for `€ – „ “ …`, which Latin-1
/// would turn into invisible control characters. Every byte decodes, so this never fails.
pub fn decode_text(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        // Strips the BOM; borrows when the rest is valid UTF-8.
        let (text, _, _) = enc.decode(bytes);
        return (text, false);
    }
    // SIMD validation: a multilingual megabyte calendar is mostly not ASCII, where
    // `core::str::from_utf8` takes the slow path (6 ms of `expand`'s serial part on the bench).
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text, true)
        }
    }
}

/// The time window a listing covers, in the board's time zone.
#[derive(Debug, Clone)]
pub struct Window {
    /// First day shown (board-local, from 00:00).
    pub from: NaiveDate,
    /// First day *not* shown (exclusive, board-local 00:00).
    pub to: NaiveDate,
    /// The board's time zone: every time ends up as wall-clock time here.
    pub tz: chrono_tz::Tz,
}

/// One occurrence of an event, in board wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// UID of the series (or a stable id made up for sources without one).
    pub uid: String,
    /// Title.
    pub summary: String,
    /// Place.
    pub location: String,
    /// Longer text (plain text, HTML already stripped).
    pub description: String,
    /// First category, if any.
    pub category: String,
    /// Link for more information.
    pub url: String,
    /// Language tag of the text (`lv`, `de`, ...), empty when unknown.
    pub language: String,
    /// Start, board wall-clock. For all-day events the time is 00:00.
    pub start: NaiveDateTime,
    /// End (exclusive), board wall-clock. For all-day events 00:00 of the day after.
    pub end: NaiveDateTime,
    /// All-day (DATE-valued) occurrence.
    pub all_day: bool,
    /// Floating time in the source (no zone): taken as board time.
    pub floating: bool,
    /// STATUS:CANCELLED (series or this occurrence): shown struck through.
    pub cancelled: bool,
    /// The date was found in free text (RSS post), not in a structured field.
    pub date_from_text: bool,
}

/// A problem with one item of a feed; the item was skipped (or repaired, as the message says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File path or URL of the feed.
    pub source: String,
    /// 1-based line in the (unfolded) source where the item starts, when known.
    pub line: Option<usize>,
    /// UID (or other id) of the item, when known.
    pub uid: Option<String>,
    /// What was wrong, and what was done about it.
    pub message: String,
}

impl Diagnostic {
    /// A problem with the feed as a whole (no line, no item), e.g. "not UTF-8".
    pub fn whole_feed(source: &str, message: String) -> Diagnostic {
        Diagnostic {
            source: source.to_string(),
            line: None,
            uid: None,
            message,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(uid) = &self.uid {
            write!(f, " (UID {uid})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What a feed produced: the good occurrences and the problems met on the way.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Occurrences that overlap the window.
    pub occurrences: Vec<Occurrence>,
    /// Skipped or repaired items.
    pub diagnostics: Vec<Diagnostic>,
}

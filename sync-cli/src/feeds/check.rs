//! Is this a good copy of a feed? The test a fetched (or re-read) copy must pass before it
//! replaces the last good copy in the cache ([`super::fetch`]), so that a server's maintenance
//! page or a half-copied file never blanks a board.
//!
//! ```
//! use anslag_cli::feeds::check::{check, Unusable};
//! let good = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260305T180000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//! assert_eq!(check("club.ics", good, || None).unwrap().items, 1);
//! let page = b"<!DOCTYPE html><html><body>Maintenance</body></html>";
//! assert_eq!(check("club.ics", page, || Some(good.to_vec())), Err(Unusable::Html));
//! let cut = &good[..60];
//! assert_eq!(check("club.ics", cut, || Some(good.to_vec())), Err(Unusable::Truncated));
//! ```
//!
//! Design notes (the rule, also in docs/FEEDS.md):
//! - A copy is good when it is not empty, its kind can be told, and it reads as that kind: an
//!   iCalendar file has `BEGIN:VCALENDAR` and as many `END:VCALENDAR` lines (a download or copy
//!   cut short has not); an RSS/Atom/JSON feed parses (after the usual salvaging of ill-formed
//!   XML); a spreadsheet has a header with a date and a title column.
//! - And it must not be suddenly empty: when the last good copy had events (VEVENTs, entries,
//!   rows) and this one has none, it is refused. A calendar export that breaks often still
//!   writes the VCALENDAR frame; a calendar that really became empty is rare, costs a stale
//!   listing at worst (and the warning says what to do), while the other way round the board
//!   goes blank. A smaller number of events is accepted: calendars do shrink.
//! - The check is cheap (a line scan for iCalendar; feeds and sheets are small): the full
//!   expansion happens once, afterwards, in the window.

use std::path::Path;

use super::FeedKind;

/// What a good copy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Its kind.
    pub kind: FeedKind,
    /// Events (VEVENTs), feed entries or spreadsheet rows, whatever their dates.
    pub items: usize,
}

/// Why bytes are not a usable copy of a feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unusable {
    /// Nothing, or only white space.
    #[error("the file is empty")]
    Empty,
    /// A web page where the feed should be.
    #[error("an HTML page (a maintenance, login or error page?), not a calendar or feed")]
    Html,
    /// Not iCalendar, RSS/Atom/JSON Feed or CSV.
    #[error("not iCalendar, RSS/Atom/JSON Feed or CSV")]
    UnknownKind,
    /// iCalendar whose `VCALENDAR` is not closed.
    #[error(
        "iCalendar without its closing END:VCALENDAR: cut short (an interrupted download or copy?)"
    )]
    Truncated,
    /// iCalendar-named file without `BEGIN:VCALENDAR`.
    #[error("no BEGIN:VCALENDAR: not an iCalendar file")]
    NotCalendar,
    /// The parser of its kind refused it.
    #[error("{0}")]
    Unreadable(String),
    /// No events where the last good copy had some.
    #[error(
        "no {what} at all, where the last good copy had {before}; if it really is empty now, \
         remove the feed or its cached copy"
    )]
    Emptied {
        /// `events`, `entries` or `rows`.
        what: &'static str,
        /// How many the last good copy had.
        before: usize,
    },
}

/// Checks that `bytes` are a good copy of the feed `source` (a path or URL: its extension helps
/// tell the kind), given the last good copy, if there is one. `last_good` is only called when
/// it matters (the new copy has no items): it may read megabytes from the cache.
///
/// # Errors
/// [`Unusable`] says why the copy must not replace the last good one.
pub fn check(
    source: &str,
    bytes: &[u8],
    last_good: impl FnOnce() -> Option<Vec<u8>>,
) -> Result<Summary, Unusable> {
    let summary = summarise(source, bytes)?;
    if summary.items == 0 {
        if let Some(before) = last_good()
            .and_then(|b| summarise(source, &b).ok())
            .filter(|s| s.items > 0)
        {
            return Err(Unusable::Emptied {
                what: match before.kind {
                    FeedKind::Ics => "events",
                    FeedKind::Feed => "entries",
                    FeedKind::Csv => "rows",
                },
                before: before.items,
            });
        }
    }
    Ok(summary)
}

/// The kind and item count of `bytes`, when they read as their kind.
fn summarise(source: &str, bytes: &[u8]) -> Result<Summary, Unusable> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Unusable::Empty);
    }
    let kind = FeedKind::detect(Path::new(source), bytes).ok_or(Unusable::UnknownKind)?;
    let items = match kind {
        // The markers are ASCII: UTF-8 and Windows-1252 files are scanned as they are (a
        // megabyte calendar is read on every run); only UTF-16 is decoded first.
        FeedKind::Ics
            if encoding_rs::Encoding::for_bom(bytes)
                .is_some_and(|(e, _)| e != encoding_rs::UTF_8) =>
        {
            let (text, _) = super::ics::decode(bytes);
            ics_events(text.as_bytes())?
        }
        FeedKind::Ics => ics_events(bytes)?,
        FeedKind::Feed => match super::feed::parse_feed(bytes, source) {
            Ok(entries) => entries.len(),
            // The parser's "no root element" would hide what happened.
            Err(_) if looks_like_html(body) => return Err(Unusable::Html),
            Err(e) => return Err(Unusable::Unreadable(e.to_string())),
        },
        FeedKind::Csv => {
            let (text, _) = super::decode_text(bytes);
            super::csv::row_count(&text).map_err(Unusable::Unreadable)?
        }
    };
    Ok(Summary { kind, items })
}

/// VEVENTs of a complete iCalendar text (its boundary lines, as the parser's split finds them).
fn ics_events(text: &[u8]) -> Result<usize, Unusable> {
    let (mut begins, mut ends, mut events) = (0usize, 0usize, 0usize);
    for b in super::ics::boundary_lines(text) {
        if b.line.eq_ignore_ascii_case(b"BEGIN:VCALENDAR") {
            begins += 1;
        } else if b.line.eq_ignore_ascii_case(b"END:VCALENDAR") {
            ends += 1;
        } else if b.line.eq_ignore_ascii_case(b"BEGIN:VEVENT") {
            events += 1;
        }
    }
    match (begins, ends) {
        (0, _) => Err(Unusable::NotCalendar),
        (b, e) if e < b => Err(Unusable::Truncated),
        _ => Ok(events),
    }
}

/// An HTML document rather than XML feed: `<!DOCTYPE html` or `<html` near the start.
fn looks_like_html(body: &[u8]) -> bool {
    let head = body.get(..body.len().min(1024)).unwrap_or(body);
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.contains("<!doctype html") || head.contains("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAL: &[u8] = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260305T180000\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn good_copies_of_every_kind() {
        assert_eq!(check("a.ics", CAL, || None).map(|s| s.items), Ok(1));
        let rss = b"<rss version=\"2.0\"><channel><title>x</title><item><title>T</title></item></channel></rss>";
        assert_eq!(
            check("https://x.example/feed", rss, || None),
            Ok(Summary {
                kind: FeedKind::Feed,
                items: 1
            })
        );
        assert_eq!(
            check("a.csv", b"date;title\n2026-03-05;Talka\n\n", || None).map(|s| s.items),
            Ok(1)
        );
        // An empty calendar is fine when it has always been empty.
        let empty = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        assert_eq!(check("a.ics", empty, || None).map(|s| s.items), Ok(0));
        assert_eq!(
            check("a.ics", empty, || Some(empty.to_vec())).map(|s| s.items),
            Ok(0)
        );
        // Fewer events is a calendar that shrank, not a broken one.
        let mut two = CAL.to_vec();
        two.splice(
            15..15,
            b"\r\nBEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT".iter().copied(),
        );
        assert_eq!(
            check("a.ics", CAL, || Some(two.clone())).map(|s| s.items),
            Ok(1)
        );
    }

    #[test]
    fn bad_copies_say_why() {
        let html = b"\n<!DOCTYPE html>\n<html><head><title>Maintenance</title></head></html>";
        assert_eq!(check("a.ics", html, || None), Err(Unusable::Html));
        assert_eq!(
            check("a.xml", b"<html><body>oops</body></html>", || None),
            Err(Unusable::Html)
        );
        assert_eq!(check("a.ics", b"", || None), Err(Unusable::Empty));
        assert_eq!(
            check("a.ics", b"\xEF\xBB\xBF \r\n", || None),
            Err(Unusable::Empty)
        );
        assert_eq!(
            check("a.ics", &CAL[..70], || None),
            Err(Unusable::Truncated)
        );
        assert_eq!(
            check("a.ics", b"hello", || None),
            Err(Unusable::NotCalendar)
        );
        assert_eq!(
            check("a.bin", b"hello", || None),
            Err(Unusable::UnknownKind)
        );
        assert!(matches!(
            check("a.csv", b"when;what\n1;2\n", || None),
            Err(Unusable::Unreadable(m)) if m.contains("date and a title")
        ));
        let frame = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            check("a.ics", frame, || Some(CAL.to_vec())),
            Err(Unusable::Emptied {
                what: "events",
                before: 1
            })
        );
        assert_eq!(
            check("a.csv", b"date;title\n", || Some(
                b"date;title\n2026-03-05;Talka\n".to_vec()
            )),
            Err(Unusable::Emptied {
                what: "rows",
                before: 1
            })
        );
    }
}

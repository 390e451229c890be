//! iCalendar (RFC 5545) feeds: parse with calcard, expand recurrences with our own code
//! ([`recur`]), and put every occurrence on the board's wall clock ([`tz`]).
//!
//! ```no_run
//! use anslag_cli::feeds::{ics, Window};
//! let window = Window {
//!     from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
//!     to: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
//!     tz: chrono_tz::Europe::Riga,
//! };
//! let text = std::fs::read_to_string("club.ics").unwrap();
//! let parsed = ics::parse_ics(&text, "club.ics", &window, &ics::IcsOptions::default());
//! for d in &parsed.diagnostics { eprintln!("warning: {d}"); }
//! ```
//!
//! Design notes:
//! - calcard does line unfolding, property/parameter splitting and value typing; it is lenient
//!   (it read every file of the public corpus) and knows Windows/Outlook zone names. What a
//!   value *means* on a noticeboard (zones, recurrence, overrides) is decided here.
//! - Semantics follow the issue ("kiosk wall-clock") and the reference implementation (Python
//!   icalendar + recurring-ical-events): floating = board time; X-WR-TIMEZONE re-expresses UTC
//!   and floating times in that zone unless [`IcsOptions::ignore_x_wr_timezone`]; durations are
//!   added on the wall clock of the event's zone; STATUS:CANCELLED flags, never drops.
//! - A broken series (no DTSTART, unreadable RRULE, ...) becomes a [`Diagnostic`] with UID and
//!   line and is skipped; everything else in the file is still returned.
//! - Expansion is bounded by the window, so a daily event from 1990 costs a few thousand steps,
//!   and every rule iterator has a budget (reported when it runs out).

pub mod recur;
pub mod tz;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use calcard::common::PartialDateTime;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDuration, ICalendarEntry,
    ICalendarParameterName, ICalendarParameterValue, ICalendarPeriod, ICalendarProperty,
    ICalendarStatus, ICalendarValue, ICalendarValueType,
};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use self::recur::{Rule, RuleIter, UntilRaw};
use self::tz::{CustomZone, Observance, Zone};
use super::{Diagnostic, Occurrence, Parsed, Window};

/// Options for reading iCalendar feeds.
#[derive(Debug, Clone, Default)]
pub struct IcsOptions {
    /// Read the file RFC-strictly: do not apply a Google-style `X-WR-TIMEZONE` to UTC and
    /// floating times.
    pub ignore_x_wr_timezone: bool,
}

/// An occurrence plus which of its text fields were present in the source (the `expand` JSON
/// distinguishes a missing LOCATION, `null`, from an empty one, `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsOccurrence {
    /// The occurrence on the board's wall clock.
    pub occurrence: Occurrence,
    /// The event had a UID.
    pub has_uid: bool,
    /// The event had a SUMMARY.
    pub has_summary: bool,
    /// The event had a LOCATION.
    pub has_location: bool,
}

/// Result of [`expand_ics`].
#[derive(Debug, Clone, Default)]
pub struct IcsExpanded {
    /// Occurrences overlapping the window, in no particular order.
    pub occurrences: Vec<IcsOccurrence>,
    /// Skipped or repaired items.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses an iCalendar text and returns the occurrences that overlap `window`.
///
/// Never fails as a whole: problems are in [`Parsed::diagnostics`].
pub fn parse_ics(text: &str, source: &str, window: &Window, opts: &IcsOptions) -> Parsed {
    let e = expand(text, source, window, opts, Texts::All);
    Parsed {
        occurrences: e.occurrences.into_iter().map(|o| o.occurrence).collect(),
        diagnostics: e.diagnostics,
    }
}

/// Turns raw bytes into text: UTF-8 (with or without BOM), UTF-16 with a BOM, else
/// Windows-1252 (what non-UTF-8 exports from Windows programs use; see
/// [`super::decode_text`]). The warning, when there is one, says the file was not UTF-8, so a
/// wrong guess (a Baltic or Polish 8-bit export) is visible rather than silent.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, Option<String>) {
    let (text, windows_1252) = super::decode_text(bytes);
    let warning = windows_1252.then(|| {
        "not UTF-8: read as Windows-1252; if letters look wrong, export the calendar as UTF-8"
            .to_owned()
    });
    (text, warning)
}

/// Like [`parse_ics`], keeping field presence for the `expand` output, and reading only what
/// that output holds: the occurrences' description, category, URL and language are left empty
/// (DESCRIPTION is half the bytes of a typical calendar; see [`needed_lines`]).
pub fn expand_ics(text: &str, source: &str, window: &Window, opts: &IcsOptions) -> IcsExpanded {
    expand(text, source, window, opts, Texts::Listing)
}

/// Which text properties of a VEVENT are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Texts {
    /// All that [`Occurrence`] holds (`anslag build`).
    All,
    /// UID, SUMMARY and LOCATION only (`anslag expand`).
    Listing,
}

fn expand(
    text: &str,
    source: &str,
    window: &Window,
    opts: &IcsOptions,
    texts: Texts,
) -> IcsExpanded {
    let mut out = IcsExpanded::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let split = split_events(text);

    // The calendars without their events: properties (X-WR-TIMEZONE) and VTIMEZONEs.
    let mut contexts: Vec<CalendarContext> = Vec::new();
    let mut parser = calcard::Parser::new(&split.skeleton);
    // The parser returns Eof at the end; the guard only protects against a parser bug.
    for _ in 0..100_000 {
        match parser.entry() {
            calcard::Entry::ICalendar(cal) => {
                contexts.push(CalendarContext::new(
                    &cal,
                    opts,
                    source,
                    &mut out.diagnostics,
                ));
            }
            calcard::Entry::Eof => break,
            calcard::Entry::InvalidLine(_) | calcard::Entry::VCard(_) => {}
            other => out.diagnostics.push(Diagnostic::whole_feed(
                source,
                format!("malformed calendar structure ({other:?}); read what was there"),
            )),
        }
    }
    if contexts.is_empty() {
        contexts.push(CalendarContext {
            zones: HashMap::new(),
            xwr: None,
        });
    }

    // Each VEVENT on its own: memory stays at one event's tree, and its line is known. The
    // VEVENTs are independent, so they are read on every core, in contiguous runs whose results
    // are taken in file order (events and diagnostics come out as from one thread).
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = split.events.len().div_ceil(threads).max(512);
    let runs: Vec<&[Chunk<'_>]> = split.events.chunks(per_thread).collect();
    let mut read = on_threads(&runs, |run| {
        let mut contexts = contexts.clone();
        let mut events = Vec::with_capacity(run.len());
        let mut diagnostics = Vec::new();
        let mut lines = String::new();
        for chunk in *run {
            let ev = read_chunk(
                chunk,
                texts,
                &mut lines,
                &mut contexts,
                source,
                &mut diagnostics,
            );
            events.extend(ev);
        }
        (events, diagnostics)
    });
    for (_, run_diagnostics) in &mut read {
        out.diagnostics.append(run_diagnostics);
    }
    // The series are independent too: expanded on every core, joined in series order.
    let bounds = Bounds::new(window);
    let series = group_series(
        read.iter().flat_map(|(events, _)| events),
        split.events.len(),
    );
    let per_thread = series.len().div_ceil(threads).max(512);
    let runs: Vec<&[Series<'_>]> = series.chunks(per_thread).collect();
    let parts = on_threads(&runs, |run| {
        let mut part = IcsExpanded::default();
        for s in *run {
            expand_series(s, window, &bounds, source, &mut part);
        }
        part
    });
    for mut part in parts {
        if out.occurrences.is_empty() {
            out.occurrences = part.occurrences;
        } else {
            out.occurrences.append(&mut part.occurrences);
        }
        out.diagnostics.append(&mut part.diagnostics);
    }
    out
}

/// `work` on each of `runs`, each on a thread of its own; results in run order. This thread
/// only waits: running a run here was measured slower, as its allocations then fragment the
/// main heap that the occurrences, records and sort use afterwards.
fn on_threads<T: Sync, R: Send>(runs: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let work = &work;
        let threads: Vec<_> = runs
            .iter()
            .map(|run| scope.spawn(move || work(run)))
            .collect();
        threads
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Parses one VEVENT chunk and reads it in its calendar's context.
/// `lines` is scratch space for the lines handed to calcard (kept from chunk to chunk).
fn read_chunk(
    chunk: &Chunk<'_>,
    texts: Texts,
    lines: &mut String,
    contexts: &mut [CalendarContext],
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vevent> {
    let last = contexts.len().checked_sub(1)?;
    let ctx = contexts.get_mut(chunk.calendar.min(last))?;
    let text = needed_lines(chunk.text, texts, lines);
    let mut p = calcard::Parser::new(text);
    match p.entry() {
        calcard::Entry::ICalendar(cal) => {
            let comp = cal
                .components
                .first()
                .filter(|c| c.component_type == ICalendarComponentType::VEvent)?;
            let check = raw_check(text);
            Some(read_vevent(
                comp,
                ctx,
                Some(chunk.line),
                &check,
                source,
                diagnostics,
            ))
        }
        other => {
            diagnostics.push(Diagnostic {
                source: source.to_string(),
                line: Some(chunk.line),
                uid: None,
                message: format!("VEVENT could not be read ({other:?}); skipped"),
            });
            None
        }
    }
}

/// The properties [`read_vevent`] reads, and the component boundaries.
const READ_ALWAYS: &[&[u8]] = &[
    b"BEGIN",
    b"END",
    b"UID",
    b"SUMMARY",
    b"LOCATION",
    b"STATUS",
    b"SEQUENCE",
    b"DTSTART",
    b"DTEND",
    b"DURATION",
    b"RECURRENCE-ID",
    b"RRULE",
    b"RDATE",
    b"EXDATE",
];
/// The properties it reads for [`Texts::All`] only.
const READ_ALL_TEXTS: &[&[u8]] = &[b"DESCRIPTION", b"CATEGORIES", b"URL"];

/// The VEVENT `chunk` without the content lines whose properties are not read (DTSTAMP,
/// ATTENDEE, X-…, and DESCRIPTION for [`Texts::Listing`]), for calcard to tokenize: every byte
/// it sees costs, and a calendar's bytes are mostly such lines. Returns `chunk` itself when
/// nothing is left out, else the kept lines copied into `buf`.
///
/// calcard reads a content line (with its folded continuations) on its own: each token ends at
/// the line's end, so leaving a whole line out changes nothing in the others. The exception is
/// a line calcard reads on into the next one (a quoted-printable value ending in `=`, an
/// escaped line break): such a line and the line after it are always kept. Only lines that
/// certainly hold an unread property are left out: the name, up to the first `:` or `;`, must
/// be letters, digits and `-` alone; anything odd (`SUMMARY=x`, a folded name, a quote) is kept
/// and is calcard's to read as before. The first line, `BEGIN:VEVENT` as the split found it, is
/// always kept. Tests compare calcard's reading of both texts (corpus, bench file, proptest).
fn needed_lines<'a>(chunk: &'a str, texts: Texts, buf: &'a mut String) -> &'a str {
    let bytes = chunk.as_bytes();
    let needed = |line: &[u8]| {
        let Some(end) = line.iter().position(|&b| b == b':' || b == b';') else {
            return true;
        };
        let name = line.get(..end).unwrap_or_default();
        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-') {
            return true;
        }
        let is = |n: &&[u8]| name.eq_ignore_ascii_case(n);
        READ_ALWAYS.iter().any(is) || (texts == Texts::All && READ_ALL_TEXTS.iter().any(is))
    };
    // Does calcard read on into the next line? A quoted-printable value ending in `=` does, and
    // so does an escape whose escaped character is the line break ending a blank folded line
    // (`\` LF space LF, as calcard's tokenizer reads it).
    let continues = |line: &[u8]| {
        if line.trim_ascii_end().last() == Some(&b'=') {
            return true;
        }
        let Some(rest) = line.strip_suffix(b"\n") else {
            return false;
        };
        let Some(rest) = rest
            .strip_suffix(b" ")
            .or_else(|| rest.strip_suffix(b"\t"))
            .and_then(|r| r.strip_suffix(b"\n"))
        else {
            return false;
        };
        let escaped = rest.iter().rev().find(|&&b| b != b'\t' && b != b'\r');
        escaped == Some(&b'\\')
    };
    // Logical lines: a physical line and the ones folded onto it (starting with space or tab).
    let unterminated = (!bytes.is_empty() && !bytes.ends_with(b"\n")).then_some(bytes.len());
    let ends = memchr::memchr_iter(b'\n', bytes)
        .map(|at| at + 1)
        .chain(unterminated);
    let mut logical = 0..0;
    let mut kept = 0; // bytes of `chunk` kept so far, while nothing was left out
    let mut copying = false;
    let mut glued = true; // the line before runs on into this one; the first line is kept
    let mut flush = |line: std::ops::Range<usize>, buf: &mut String| {
        let text = bytes.get(line.clone()).unwrap_or_default();
        let runs_on = continues(text);
        if glued || runs_on || needed(text) {
            glued = runs_on;
            if copying {
                buf.push_str(chunk.get(line).unwrap_or_default());
            } else {
                kept = line.end;
            }
        } else if !copying {
            copying = true;
            buf.clear();
            buf.push_str(chunk.get(..kept).unwrap_or_default());
        }
    };
    for end in ends {
        let start = logical.end;
        if start > 0 && matches!(bytes.get(start), Some(b' ' | b'\t')) {
            logical.end = end;
        } else {
            if !logical.is_empty() {
                flush(logical.clone(), buf);
            }
            logical = start..end;
        }
    }
    if !logical.is_empty() {
        flush(logical, buf);
    }
    if copying {
        buf
    } else {
        chunk
    }
}

/// A file cut at its VEVENT boundaries.
struct Split<'t> {
    /// Everything outside the VEVENTs (VCALENDAR properties, VTIMEZONEs, other components).
    skeleton: String,
    /// The VEVENTs, `BEGIN:VEVENT` to `END:VEVENT` inclusive.
    events: Vec<Chunk<'t>>,
}

struct Chunk<'t> {
    /// 1-based line of `BEGIN:VEVENT`.
    line: usize,
    /// Index of the VCALENDAR it is in (0 when there is none).
    calendar: usize,
    text: &'t str,
}

/// A line that may open or close a component (`BEGIN:…`, `END:…`), found without decoding.
pub(crate) struct Boundary<'t> {
    /// 0-based line number.
    pub number: usize,
    /// Byte range of the line, its line break included.
    pub start: usize,
    pub end: usize,
    /// The line without surrounding whitespace.
    pub line: &'t [u8],
}

/// The lines of `text` that start (after indentation) with B or E — the only ones that can be
/// component boundaries. Lines are found with memchr: this scan is serial and runs over whole
/// calendars (the split before parsing, the good-copy check in [`super::check`]).
pub(crate) fn boundary_lines(text: &[u8]) -> impl Iterator<Item = Boundary<'_>> {
    let unterminated = (!text.is_empty() && !text.ends_with(b"\n")).then_some(text.len());
    let ends = memchr::memchr_iter(b'\n', text)
        .map(|at| at + 1)
        .chain(unterminated);
    let mut start = 0;
    ends.enumerate().filter_map(move |(number, end)| {
        let from = std::mem::replace(&mut start, end);
        let line = text.get(from..end).unwrap_or_default().trim_ascii();
        matches!(line.first(), Some(b'B' | b'b' | b'E' | b'e')).then_some(Boundary {
            number,
            start: from,
            end,
            line,
        })
    })
}

/// Cuts `text` at `BEGIN:VEVENT`/`END:VEVENT` lines. Only component boundaries are found here
/// (a folded line cannot start with `BEGIN`); everything inside is calcard's to parse.
fn split_events(text: &str) -> Split<'_> {
    let mut skeleton = String::new();
    let mut events = Vec::new();
    let mut calendars = 0usize;
    let mut open: Option<(usize, usize)> = None; // (byte offset, line)
                                                 // Where the text outside the VEVENTs that is not yet in the skeleton starts.
    let mut outside = 0usize;
    let slice = |a: usize, b: usize| text.get(a..b).unwrap_or_default();
    let mut chunk = |start: usize, end: usize, line: usize, calendars: usize| {
        events.push(Chunk {
            line,
            calendar: calendars.saturating_sub(1),
            text: slice(start, end),
        });
    };
    for b in boundary_lines(text.as_bytes()) {
        if b.line.eq_ignore_ascii_case(b"BEGIN:VEVENT") {
            match open.take() {
                // Unterminated VEVENT: hand calcard what there is, it reports the rest.
                Some((start, line)) => chunk(start, b.start, line, calendars),
                None => skeleton.push_str(slice(outside, b.start)),
            }
            open = Some((b.start, b.number + 1));
        } else if b.line.eq_ignore_ascii_case(b"END:VEVENT") {
            match open.take() {
                Some((start, line)) => chunk(start, b.end, line, calendars),
                // A stray END:VEVENT belongs to nothing: it is dropped.
                None => skeleton.push_str(slice(outside, b.start)),
            }
            outside = b.end;
        } else if open.is_none() && b.line.eq_ignore_ascii_case(b"BEGIN:VCALENDAR") {
            calendars += 1;
        }
    }
    match open {
        Some((start, line)) => chunk(start, text.len(), line, calendars),
        None => skeleton.push_str(slice(outside, text.len())),
    }
    Split { skeleton, events }
}

/// What calcard reads leniently but the series must not be trusted for, found in the raw lines
/// of one VEVENT (from its BEGIN line to its END, sub-components skipped). It looks at read
/// properties only, so it is given the same lines as calcard ([`needed_lines`]).
#[derive(Debug, Default)]
struct RawCheck {
    /// RRULE values with unknown parts or stray whitespace (`UNTL=...`, `BYDAY=MO, TU`): calcard
    /// drops what it does not know, which would turn a bounded series into an endless one.
    bad_rrules: Vec<String>,
    /// Names of content lines without a `:` (`SUMMARY=testevent`): no value at all.
    valueless: Vec<String>,
    /// Date/date-time values calcard repaired silently (`RDATE:20131210Z`, a "UTC date").
    bad_values: Vec<String>,
}

/// Is `v` one RFC 5545 DATE, DATE-TIME or PERIOD value?
fn valid_time_value(v: &str) -> bool {
    let v = v.trim();
    if v.contains('/') {
        return true; // PERIOD: both halves are checked by calcard's typed parse
    }
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    match b.len() {
        8 => digits(0..8),
        15 | 16 => {
            digits(0..8)
                && b.get(8).is_some_and(|c| c.eq_ignore_ascii_case(&b'T'))
                && digits(9..15)
                && (b.len() == 15 || b.get(15).is_some_and(|c| c.eq_ignore_ascii_case(&b'Z')))
        }
        _ => false,
    }
}

/// The RRULE parts RFC 5545 (and RFC 7529 RSCALE/SKIP) define.
const RRULE_PARTS: &[&str] = &[
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
    "RSCALE",
    "SKIP",
];

fn raw_check(chunk: &str) -> RawCheck {
    let mut out = RawCheck::default();
    // Unfold (RFC 5545 §3.1) only to look at whole values; calcard did the real parse. Lines
    // are borrowed unless folded, to keep this pass cheap.
    let mut logical: Vec<Cow<'_, str>> = Vec::new();
    for l in chunk.lines().skip(1) {
        if let Some(rest) = l.strip_prefix(' ').or_else(|| l.strip_prefix('\t')) {
            if let Some(last) = logical.last_mut() {
                last.to_mut().push_str(rest.trim_end_matches('\r'));
                continue;
            }
        }
        let l = l.trim_end_matches('\r');
        if l.trim().eq_ignore_ascii_case("END:VEVENT") {
            break;
        }
        logical.push(Cow::Borrowed(l));
    }
    let starts = |l: &str, p: &str| l.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let mut depth = 0usize;
    for l in &logical {
        let l: &str = l;
        if starts(l, "BEGIN:") {
            depth += 1;
            continue;
        }
        if starts(l, "END:") {
            depth = depth.saturating_sub(1);
            continue;
        }
        if depth > 0 {
            continue;
        }
        // The value starts at the first colon outside a quoted parameter value.
        let mut quoted = false;
        let colon = l.bytes().enumerate().find_map(|(i, c)| {
            if c == b'"' {
                quoted = !quoted;
            }
            (c == b':' && !quoted).then_some(i)
        });
        let Some(colon) = colon else {
            let name = l.split(['=', ';']).next().unwrap_or("").trim();
            out.valueless.push(name.to_ascii_uppercase());
            continue;
        };
        let (head, value) = (
            l.get(..colon).unwrap_or(""),
            l.get(colon + 1..).unwrap_or(""),
        );
        let name = head.split(';').next().unwrap_or("");
        // Compared in place: an uppercase copy per line shows in the profile.
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if let Some(name) = ["DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID"]
            .iter()
            .find(|n| is(n))
        {
            if let Some(bad) = value.split(',').find(|v| !valid_time_value(v)) {
                out.bad_values
                    .push(format!("{name} value {bad:?} is not a date or date-time"));
            }
            continue;
        }
        if !is("RRULE") || value.trim().is_empty() {
            continue;
        }
        let ok = value
            .trim_end()
            .split(';')
            .filter(|p| !p.is_empty())
            .all(|part| {
                part.split_once('=').is_some_and(|(k, v)| {
                    RRULE_PARTS.iter().any(|p| k.eq_ignore_ascii_case(p))
                        && !v.is_empty()
                        && !v.contains(char::is_whitespace)
                })
            });
        if !ok {
            out.bad_rrules.push(value.to_string());
        }
    }
    out
}

/// A time value as written, with its zone resolved.
#[derive(Debug, Clone)]
enum Time {
    Date(NaiveDate),
    Floating(NaiveDateTime),
    Utc(NaiveDateTime),
    Zoned(NaiveDateTime, Arc<Zone>),
}

/// How a series' times are read: the kind of its DTSTART.
#[derive(Debug, Clone)]
enum Kind {
    Date,
    Floating,
    Utc,
    Zoned(Arc<Zone>),
}

impl Time {
    fn kind(&self) -> Kind {
        match self {
            Time::Date(_) => Kind::Date,
            Time::Floating(_) => Kind::Floating,
            Time::Utc(_) => Kind::Utc,
            Time::Zoned(_, z) => Kind::Zoned(z.clone()),
        }
    }

    /// Wall-clock value of this time in the frame of `kind` (the series' zone).
    fn local_in(&self, kind: &Kind) -> NaiveDateTime {
        match (self, kind) {
            (Time::Date(d), _) => d.and_time(NaiveTime::MIN),
            (Time::Floating(t), _) => *t,
            (Time::Utc(t), Kind::Zoned(z)) => z.from_utc(*t),
            (Time::Utc(t), _) => *t,
            (Time::Zoned(t, z), Kind::Utc) => z.to_utc(*t),
            (Time::Zoned(t, z), Kind::Zoned(k)) => {
                if Arc::ptr_eq(z, k) {
                    *t
                } else {
                    k.from_utc(z.to_utc(*t))
                }
            }
            (Time::Zoned(t, _), _) => *t,
        }
    }

    /// UTC instant, reading floating and date values in `board`.
    fn instant(&self, board: &Zone) -> NaiveDateTime {
        match self {
            Time::Date(d) => board.to_utc(d.and_time(NaiveTime::MIN)),
            Time::Floating(t) => board.to_utc(*t),
            Time::Utc(t) => *t,
            Time::Zoned(t, z) => z.to_utc(*t),
        }
    }
}

impl Kind {
    fn make(&self, local: NaiveDateTime) -> Time {
        match self {
            Kind::Date => Time::Date(local.date()),
            Kind::Floating => Time::Floating(local),
            Kind::Utc => Time::Utc(local),
            Kind::Zoned(z) => Time::Zoned(local, z.clone()),
        }
    }
}

/// Per-VCALENDAR state: its zones and X-WR-TIMEZONE.
#[derive(Clone)]
struct CalendarContext {
    zones: HashMap<String, Arc<Zone>>,
    xwr: Option<Arc<Zone>>,
}

impl CalendarContext {
    fn new(
        cal: &ICalendar,
        opts: &IcsOptions,
        source: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> CalendarContext {
        let mut zones = HashMap::new();
        for comp in &cal.components {
            if comp.component_type != ICalendarComponentType::VTimezone {
                continue;
            }
            let Some(tzid) = text_prop(comp, &ICalendarProperty::Tzid) else {
                continue;
            };
            let zone = Zone::by_name(tzid).or_else(|| {
                let obs = observances(cal, comp);
                CustomZone::new(&obs).map(Zone::Custom)
            });
            match zone {
                Some(z) => {
                    zones.insert(tzid.to_string(), Arc::new(z));
                }
                None => diags.push(Diagnostic::whole_feed(
                    source,
                    format!(
                        "VTIMEZONE {tzid:?} has no usable rules; its times are read as board time"
                    ),
                )),
            }
        }
        let xwr = if opts.ignore_x_wr_timezone {
            None
        } else {
            cal.components.first().and_then(|root| {
                root.entries.iter().find_map(|e| match &e.name {
                    ICalendarProperty::Other(n) if n.eq_ignore_ascii_case("X-WR-TIMEZONE") => {
                        let name = e.values.first()?.as_text()?.trim();
                        zones
                            .get(name)
                            .cloned()
                            .or_else(|| Zone::by_name(name).map(Arc::new))
                    }
                    _ => None,
                })
            })
        };
        CalendarContext { zones, xwr }
    }

    fn zone(&mut self, tzid: &str) -> Option<Arc<Zone>> {
        if let Some(z) = self.zones.get(tzid) {
            return Some(z.clone());
        }
        let z = Arc::new(Zone::by_name(tzid)?);
        self.zones.insert(tzid.to_string(), z.clone());
        Some(z)
    }
}

/// STANDARD/DAYLIGHT sub-components of a VTIMEZONE.
fn observances(cal: &ICalendar, vtz: &ICalendarComponent) -> Vec<Observance> {
    let mut out = Vec::new();
    for id in &vtz.component_ids {
        let Some(comp) = cal.components.get(*id as usize) else {
            continue;
        };
        if !matches!(
            comp.component_type,
            ICalendarComponentType::Standard | ICalendarComponentType::Daylight
        ) {
            continue;
        }
        let mut start = None;
        let mut from = None;
        let mut to = None;
        let mut rules = Vec::new();
        let mut rdates = Vec::new();
        for e in &comp.entries {
            match &e.name {
                ICalendarProperty::Dtstart => {
                    start = e.values.first().and_then(pdt_value).map(|p| naive_of(&p).0);
                }
                ICalendarProperty::Tzoffsetfrom => from = offset_value(e),
                ICalendarProperty::Tzoffsetto => to = offset_value(e),
                ICalendarProperty::Rrule => {
                    if let Some(ICalendarValue::RecurrenceRule(r)) = e.values.first() {
                        if let Ok(mut rule) = Rule::from_calcard(r) {
                            rule.until = rule.until_raw.map(|u| match u {
                                UntilRaw::Date(d) => d.and_time(NaiveTime::MIN),
                                UntilRaw::Local(t) | UntilRaw::Utc(t) => t,
                            });
                            rules.push(rule);
                        }
                    }
                }
                ICalendarProperty::Rdate => {
                    rdates.extend(
                        e.values
                            .iter()
                            .filter_map(pdt_value)
                            .map(|p| naive_of(&p).0),
                    );
                }
                _ => {}
            }
        }
        if let (Some(start), Some(from), Some(to)) = (start.flatten(), from, to) {
            out.push(Observance {
                start,
                offset_from: from,
                offset_to: to,
                rules,
                rdates: rdates.into_iter().flatten().collect(),
            });
        }
    }
    out
}

/// TZOFFSETFROM/TZOFFSETTO in seconds. calcard types them as UTC offsets (a `PartialDateTime`
/// with only the zone part) or leaves text.
fn offset_value(e: &ICalendarEntry) -> Option<i32> {
    match e.values.first()? {
        ICalendarValue::PartialDateTime(p) if p.tz_hour.is_some() => {
            let s =
                i32::from(p.tz_hour.unwrap_or(0)) * 3600 + i32::from(p.tz_minute.unwrap_or(0)) * 60;
            Some(if p.tz_minus { -s } else { s })
        }
        ICalendarValue::Text(t) | ICalendarValue::Uri(calcard::icalendar::Uri::Location(t)) => {
            parse_offset_text(t)
        }
        _ => None,
    }
}

/// `+0200`, `-0430`, `+020000`.
fn parse_offset_text(t: &str) -> Option<i32> {
    let t = t.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, t.get(1..)?),
        b'-' => (-1, t.get(1..)?),
        _ => (1, t),
    };
    let h: i32 = digits.get(0..2)?.parse().ok()?;
    let m: i32 = digits.get(2..4)?.parse().ok()?;
    let s: i32 = digits.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some(sign * (h * 3600 + m * 60 + s))
}

/// A date/date-time value as calcard typed it, or re-read from text when it did not.
fn pdt_value(v: &ICalendarValue) -> Option<PartialDateTime> {
    match v {
        ICalendarValue::PartialDateTime(p) => Some((**p).clone()),
        ICalendarValue::Text(t) => {
            let mut p = PartialDateTime::default();
            p.parse_timestamp(&mut t.as_bytes().iter().peekable(), false)
                .then_some(p)
        }
        _ => None,
    }
}

/// (naive value, is_utc) of a partial date-time; `None` inside if the fields are out of range.
/// A numeric offset other than Z is folded into UTC.
fn naive_of(p: &PartialDateTime) -> (Option<NaiveDateTime>, bool) {
    let date =
        (|| NaiveDate::from_ymd_opt(i32::from(p.year?), u32::from(p.month?), u32::from(p.day?)))();
    let Some(date) = date else {
        return (None, false);
    };
    let Some(h) = p.hour else {
        return (Some(date.and_time(NaiveTime::MIN)), false);
    };
    let Some(t) = NaiveTime::from_hms_opt(
        u32::from(h),
        u32::from(p.minute.unwrap_or(0)),
        // A leap second (60) is read as :59, as everyone else does.
        u32::from(p.second.unwrap_or(0)).min(59),
    ) else {
        return (None, false);
    };
    let dt = date.and_time(t);
    if p.tz_hour.is_some() {
        let off =
            i64::from(p.tz_hour.unwrap_or(0)) * 3600 + i64::from(p.tz_minute.unwrap_or(0)) * 60;
        let off = if p.tz_minus { -off } else { off };
        (Some(dt - Duration::seconds(off)), true)
    } else {
        (Some(dt), false)
    }
}

/// The first text value of a property.
fn text_prop<'c>(comp: &'c ICalendarComponent, prop: &ICalendarProperty) -> Option<&'c str> {
    comp.property(prop)
        .and_then(|e| e.values.first())
        .and_then(|v| v.as_text())
}

fn param_text<'e>(e: &'e ICalendarEntry, name: &ICalendarParameterName) -> Option<&'e str> {
    e.parameter(name).and_then(|v| v.as_text())
}

/// One VEVENT, its values read and zones resolved.
#[derive(Debug, Clone, Default)]
struct Vevent {
    line: Option<usize>,
    uid: Option<String>,
    summary: Option<String>,
    location: Option<String>,
    description: Option<String>,
    category: Option<String>,
    url: Option<String>,
    language: Option<String>,
    cancelled: bool,
    sequence: i64,
    dtstart: Option<Time>,
    dtend: Option<Time>,
    duration: Option<ICalendarDuration>,
    rrules: Vec<Rule>,
    rdates: Vec<(Time, Option<End>)>,
    exdates: Vec<Time>,
    recurrence_id: Option<Time>,
    this_and_future: bool,
    /// Problems that make the series unusable (reported once, series skipped).
    broken: Vec<String>,
}

/// The end given by an RDATE PERIOD.
#[derive(Debug, Clone)]
enum End {
    At(Time),
    After(ICalendarDuration),
}

fn read_vevent(
    comp: &ICalendarComponent,
    ctx: &mut CalendarContext,
    line: Option<usize>,
    check: &RawCheck,
    source: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vevent {
    let mut ev = Vevent {
        line,
        ..Vevent::default()
    };
    let mut unknown_tz: BTreeSet<String> = BTreeSet::new();
    for e in &comp.entries {
        match &e.name {
            ICalendarProperty::Uid => ev.uid = entry_text(e),
            ICalendarProperty::Summary => {
                ev.summary = entry_text(e);
                ev.language = param_text(e, &ICalendarParameterName::Language).map(str::to_string);
            }
            ICalendarProperty::Location => ev.location = entry_text(e),
            ICalendarProperty::Description => ev.description = entry_text(e),
            // The first CATEGORIES value wins.
            ICalendarProperty::Categories if ev.category.is_none() => {
                ev.category = e
                    .values
                    .first()
                    .and_then(|v| v.as_text())
                    .map(str::to_string);
            }
            ICalendarProperty::Url => ev.url = entry_text(e),
            ICalendarProperty::Status => {
                ev.cancelled = match e.values.first() {
                    Some(ICalendarValue::Status(ICalendarStatus::Cancelled)) => true,
                    Some(v) => v
                        .as_text()
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("CANCELLED")),
                    None => false,
                }
            }
            ICalendarProperty::Sequence => {
                ev.sequence = e.values.first().and_then(|v| v.as_integer()).unwrap_or(0);
            }
            ICalendarProperty::Dtstart => {
                ev.dtstart = times(e, ctx, &mut unknown_tz, &mut ev.broken)
                    .into_iter()
                    .next();
            }
            ICalendarProperty::Dtend => {
                ev.dtend = times(e, ctx, &mut unknown_tz, &mut ev.broken)
                    .into_iter()
                    .next();
            }
            ICalendarProperty::Duration => {
                if let Some(ICalendarValue::Duration(d)) = e.values.first() {
                    ev.duration = Some(d.clone());
                }
            }
            ICalendarProperty::RecurrenceId => {
                ev.recurrence_id = times(e, ctx, &mut unknown_tz, &mut ev.broken)
                    .into_iter()
                    .next();
                ev.this_and_future = e
                    .parameter(&ICalendarParameterName::Range)
                    .is_some_and(|v| matches!(v, ICalendarParameterValue::Bool(true)));
            }
            ICalendarProperty::Rrule => match e.values.first() {
                Some(ICalendarValue::RecurrenceRule(r)) => match Rule::from_calcard(r) {
                    Ok(rule) => {
                        // Almost always one rule: no spare capacity per event.
                        ev.rrules.reserve_exact(1);
                        ev.rrules.push(rule);
                    }
                    Err(err) => ev.broken.push(err.to_string()),
                },
                // `RRULE:` with nothing after it (calendarlabs exports): no recurrence.
                None => {}
                Some(ICalendarValue::Text(t)) if t.trim().is_empty() => {}
                Some(other) => ev.broken.push(format!(
                    "RRULE could not be parsed: {:?}",
                    other.as_text().unwrap_or("")
                )),
            },
            ICalendarProperty::Rdate => {
                rdates(e, ctx, &mut unknown_tz, &mut ev.rdates, &mut ev.broken);
            }
            ICalendarProperty::Exdate => {
                let t = times(e, ctx, &mut unknown_tz, &mut ev.broken);
                ev.exdates.extend(t);
            }
            _ => {}
        }
    }
    ev.broken.extend(check.bad_values.iter().cloned());
    for bad in &check.bad_rrules {
        ev.broken
            .push(format!("RRULE {bad:?} has unknown parts or stray spaces"));
    }
    // A line such as `SUMMARY=testevent` carries no value: the property is absent.
    for name in &check.valueless {
        let field = match name.as_str() {
            "SUMMARY" => &mut ev.summary,
            "LOCATION" => &mut ev.location,
            "DESCRIPTION" => &mut ev.description,
            "URL" => &mut ev.url,
            _ => continue,
        };
        if field.as_deref() == Some("") {
            *field = None;
        }
    }
    normalize_times(&mut ev);
    for tzid in unknown_tz {
        diags.push(Diagnostic {
            source: source.to_string(),
            line,
            uid: ev.uid.clone(),
            message: format!("unknown time zone {tzid:?}; its times are read as board time"),
        });
    }
    ev
}

/// Makes DTSTART and DTEND comparable the way the reference does: a DATE next to a DATE-TIME
/// becomes midnight in the other's zone, a floating time next to a zoned one takes that zone, a
/// DATE with an hour-based DURATION becomes floating midnight, and an end before the start
/// swaps with it.
fn normalize_times(ev: &mut Vevent) {
    let Some(start) = ev.dtstart.clone() else {
        return;
    };
    if let Some(end) = ev.dtend.clone() {
        let midnight = |d: &NaiveDate| d.and_time(NaiveTime::MIN);
        let (s, e) = match (&start, &end) {
            (Time::Date(s), Time::Date(_)) => (Time::Date(*s), end),
            (Time::Date(s), e) => (e.kind().make(midnight(s)), end),
            (s, Time::Date(e)) => (start.clone(), s.kind().make(midnight(e))),
            (Time::Floating(s), e @ (Time::Utc(_) | Time::Zoned(..))) => (e.kind().make(*s), end),
            (s @ (Time::Utc(_) | Time::Zoned(..)), Time::Floating(e)) => {
                (start.clone(), s.kind().make(*e))
            }
            _ => (start, end),
        };
        let utc = Zone::Fixed(0);
        if e.instant(&utc) < s.instant(&utc) {
            ev.dtstart = Some(e);
            ev.dtend = Some(s);
        } else {
            ev.dtstart = Some(s);
            ev.dtend = Some(e);
        }
    } else if let (Time::Date(d), Some(dur)) = (&start, &ev.duration) {
        if dur.hours != 0 || dur.minutes != 0 || dur.seconds != 0 {
            ev.dtstart = Some(Time::Floating(d.and_time(NaiveTime::MIN)));
        }
    }
}

fn entry_text(e: &ICalendarEntry) -> Option<String> {
    if e.values.is_empty() {
        return Some(String::new());
    }
    let parts: Vec<&str> = e.values.iter().filter_map(|v| v.as_text()).collect();
    Some(parts.join(","))
}

/// The time values of a DTSTART/DTEND/EXDATE/RDATE/RECURRENCE-ID entry; values that are not
/// valid dates or date-times are named in `bad`.
fn times(
    e: &ICalendarEntry,
    ctx: &mut CalendarContext,
    unknown: &mut BTreeSet<String>,
    bad: &mut Vec<String>,
) -> Vec<Time> {
    let is_date = matches!(
        e.parameter(&ICalendarParameterName::Value),
        Some(ICalendarParameterValue::Value(ICalendarValueType::Date))
    );
    let zone = zone_of(e, ctx, unknown);
    let mut out = Vec::with_capacity(e.values.len());
    for v in &e.values {
        match pdt_value(v).and_then(|p| make_time(&p, is_date, zone.as_ref(), ctx)) {
            Some(t) => out.push(t),
            None => bad.push(format!(
                "{:?} has an invalid date-time value",
                e.name.as_str()
            )),
        }
    }
    out
}

fn zone_of(
    e: &ICalendarEntry,
    ctx: &mut CalendarContext,
    unknown: &mut BTreeSet<String>,
) -> Option<Arc<Zone>> {
    let tzid = param_text(e, &ICalendarParameterName::Tzid)?;
    let z = ctx.zone(tzid);
    if z.is_none() {
        unknown.insert(tzid.to_string());
    }
    z
}

fn make_time(
    p: &PartialDateTime,
    is_date: bool,
    zone: Option<&Arc<Zone>>,
    ctx: &CalendarContext,
) -> Option<Time> {
    let (naive, utc) = naive_of(p);
    let naive = naive?;
    if p.hour.is_none() && p.tz_hour.is_some() {
        // `20131210Z`: a date cannot be in UTC; Google writes this in broken birthday series.
        return None;
    }
    if is_date || p.hour.is_none() {
        return Some(Time::Date(naive.date()));
    }
    let t = if utc {
        Time::Utc(naive)
    } else if let Some(z) = zone {
        Time::Zoned(naive, z.clone())
    } else {
        Time::Floating(naive)
    };
    // Google's X-WR-TIMEZONE: UTC and floating times belong to that zone (x-wr-timezone rules).
    Some(match (t, &ctx.xwr) {
        (Time::Utc(u), Some(x)) => Time::Zoned(x.from_utc(u), x.clone()),
        (Time::Floating(f), Some(x)) => Time::Zoned(f, x.clone()),
        (t, _) => t,
    })
}

fn rdates(
    e: &ICalendarEntry,
    ctx: &mut CalendarContext,
    unknown: &mut BTreeSet<String>,
    out: &mut Vec<(Time, Option<End>)>,
    bad: &mut Vec<String>,
) {
    let is_date = matches!(
        e.parameter(&ICalendarParameterName::Value),
        Some(ICalendarParameterValue::Value(ICalendarValueType::Date))
    );
    let zone = zone_of(e, ctx, unknown);
    for v in &e.values {
        match v {
            ICalendarValue::Period(ICalendarPeriod::Range { start, end }) => {
                if let (Some(s), Some(en)) = (
                    make_time(start, false, zone.as_ref(), ctx),
                    make_time(end, false, zone.as_ref(), ctx),
                ) {
                    out.push((s, Some(End::At(en))));
                }
            }
            ICalendarValue::Period(ICalendarPeriod::Duration { start, duration }) => {
                if let Some(s) = make_time(start, false, zone.as_ref(), ctx) {
                    out.push((s, Some(End::After(duration.clone()))));
                }
            }
            v => match pdt_value(v).and_then(|p| make_time(&p, is_date, zone.as_ref(), ctx)) {
                Some(t) => out.push((t, None)),
                None => bad.push("RDATE has an invalid value".to_string()),
            },
        }
    }
}

/// A master event with its overrides (same UID), or an override-only group. Borrowed: a
/// `Vec<Vevent>` per series would cost a 4-slot allocation of whole events for every UID.
struct Series<'e> {
    masters: Vec<&'e Vevent>,
    overrides: Vec<&'e Vevent>,
}

/// Series of `events` (`count` of them), in the order their first event comes.
fn group_series<'e>(events: impl Iterator<Item = &'e Vevent>, count: usize) -> Vec<Series<'e>> {
    let mut order: Vec<Series<'e>> = Vec::with_capacity(count);
    let mut by_uid: HashMap<&str, usize> = HashMap::with_capacity(count);
    for ev in events {
        let idx = match &ev.uid {
            Some(uid) => *by_uid.entry(uid.as_str()).or_insert_with(|| {
                order.push(Series {
                    masters: Vec::new(),
                    overrides: Vec::new(),
                });
                order.len() - 1
            }),
            None => {
                order.push(Series {
                    masters: Vec::new(),
                    overrides: Vec::new(),
                });
                order.len() - 1
            }
        };
        if let Some(s) = order.get_mut(idx) {
            if ev.recurrence_id.is_some() {
                s.overrides.push(ev);
            } else {
                s.masters.push(ev);
            }
        }
    }
    order
}

/// The window in the frames we compare in.
struct Bounds {
    from: NaiveDateTime,
    to: NaiveDateTime,
    board: Zone,
    /// The window widened by [`Bounds::FAR`] on both sides (when that is a representable time):
    /// a wall-clock span in any zone that misses it misses the window on the board's clock too.
    near: Option<(NaiveDateTime, NaiveDateTime)>,
}

impl Bounds {
    /// More than a wall clock can be from the board's: the board's offset is under a day, a
    /// gap shifts by under a day, and an offset from a VTIMEZONE is at most 255 h 255 min
    /// (calcard's `u8` hours and minutes).
    const FAR: Duration = Duration::days(16);

    fn new(w: &Window) -> Bounds {
        let from = w.from.and_time(NaiveTime::MIN);
        let to = w.to.and_time(NaiveTime::MIN);
        Bounds {
            from,
            to,
            board: Zone::Iana(w.tz),
            near: from
                .checked_sub_signed(Bounds::FAR)
                .zip(to.checked_add_signed(Bounds::FAR)),
        }
    }
}

fn duration_secs(d: &ICalendarDuration) -> i64 {
    let s = i64::from(d.weeks) * 7 * 86400
        + i64::from(d.days) * 86400
        + i64::from(d.hours) * 3600
        + i64::from(d.minutes) * 60
        + i64::from(d.seconds);
    if d.neg {
        -s
    } else {
        s
    }
}

/// Length of an event on the wall clock of its own zone (as the reference adds it).
fn event_length(ev: &Vevent, start: &Time, board: &Zone) -> Duration {
    if let Some(end) = &ev.dtend {
        return match (start, end) {
            (Time::Date(s), Time::Date(e)) => *e - *s,
            (Time::Date(s), e) => e.local_in(&Kind::Floating).date() - *s,
            (s, Time::Date(e)) => e.and_time(NaiveTime::MIN) - s.local_in(&Kind::Floating),
            (s, e) => {
                let kind = s.kind();
                match (&kind, e.kind()) {
                    (Kind::Floating, Kind::Floating) | (Kind::Utc, Kind::Utc) => {
                        e.local_in(&kind) - s.local_in(&kind)
                    }
                    (Kind::Zoned(a), Kind::Zoned(b)) if Arc::ptr_eq(a, &b) => {
                        e.local_in(&kind) - s.local_in(&kind)
                    }
                    _ => e.instant(board) - s.instant(board),
                }
            }
        };
    }
    if let Some(d) = &ev.duration {
        return Duration::seconds(duration_secs(d));
    }
    match start {
        Time::Date(_) => Duration::days(1),
        _ => Duration::zero(),
    }
}

fn diag(source: &str, ev: &Vevent, message: String) -> Diagnostic {
    Diagnostic {
        source: source.to_string(),
        line: ev.line,
        uid: ev.uid.clone(),
        message,
    }
}

/// Wall-clock start, length and which event supplies the text, for one occurrence.
struct Occ<'e> {
    start: Time,
    len: Duration,
    ev: &'e Vevent,
}

fn expand_series(
    series: &Series,
    window: &Window,
    b: &Bounds,
    source: &str,
    out: &mut IcsExpanded,
) {
    // Of several copies of the same instance, the highest SEQUENCE wins (later file order on ties).
    let pick = |evs: &[&Vevent]| -> Option<usize> {
        (0..evs.len()).max_by_key(|&i| evs.get(i).map_or(0, |e| e.sequence))
    };
    let masters: &[&Vevent] = &series.masters;
    let master = pick(masters).and_then(|i| masters.get(i).copied());

    let mut overrides: Vec<&Vevent> = Vec::new();
    for &ov in &series.overrides {
        if let Some(msg) = ov.broken.first() {
            out.diagnostics
                .push(diag(source, ov, format!("{msg}; override skipped")));
            continue;
        }
        if ov.dtstart.is_none() {
            out.diagnostics
                .push(diag(source, ov, "override without DTSTART skipped".into()));
            continue;
        }
        overrides.push(ov);
    }

    let mut occs: Vec<Occ<'_>> = Vec::new();
    match master {
        Some(m) if !m.broken.is_empty() => {
            out.diagnostics.push(diag(
                source,
                m,
                format!("{}; series skipped", m.broken.join("; ")),
            ));
            return;
        }
        Some(m) => {
            let Some(start) = &m.dtstart else {
                out.diagnostics
                    .push(diag(source, m, "VEVENT without DTSTART skipped".into()));
                return;
            };
            if let Err(msg) = expand_master(m, start, &overrides, window, b, &mut occs) {
                out.diagnostics.push(diag(source, m, msg));
            }
        }
        None => {
            // Calendars that hold only overrides: each is an event of its own.
            let mut seen: HashMap<String, &Vevent> = HashMap::new();
            for ov in &overrides {
                let key = ov
                    .recurrence_id
                    .as_ref()
                    .map(|r| format!("{:?}", r.local_in(&Kind::Floating)))
                    .unwrap_or_default();
                let keep = seen.get(&key).is_none_or(|o| ov.sequence >= o.sequence);
                if keep {
                    seen.insert(key, ov);
                }
            }
            let mut list: Vec<&Vevent> = seen.into_values().collect();
            list.sort_by_key(|e| e.line);
            for ov in list {
                if let Some(s) = &ov.dtstart {
                    occs.push(Occ {
                        start: s.clone(),
                        len: event_length(ov, s, &b.board),
                        ev: ov,
                    });
                }
            }
        }
    }
    for o in occs {
        if let Some(x) = place(&o, b) {
            out.occurrences.push(x);
        }
    }
}

/// Occurrences of a master (RRULE ∪ RDATE ∪ DTSTART − EXDATE, overrides applied).
fn expand_master<'e>(
    m: &'e Vevent,
    start: &Time,
    overrides: &[&'e Vevent],
    window: &Window,
    b: &Bounds,
    occs: &mut Vec<Occ<'e>>,
) -> Result<(), String> {
    let kind = start.kind();
    let base = start.local_in(&kind);
    let len = event_length(m, start, &b.board);

    // Stop well after the window's end in the series' frame: zones differ by at most 26 h, and
    // THISANDFUTURE overrides may move later instances earlier.
    let mut shift_back = Duration::zero();
    for ov in overrides.iter().filter(|o| o.this_and_future) {
        if let (Some(r), Some(s)) = (&ov.recurrence_id, &ov.dtstart) {
            let d = r.local_in(&kind) - s.local_in(&kind);
            if d > shift_back {
                shift_back = d;
            }
        }
    }
    let horizon = window.to.and_time(NaiveTime::MIN) + Duration::days(2) + shift_back;

    // (local start, explicit length from an RDATE PERIOD)
    let mut starts: Vec<(NaiveDateTime, Option<Duration>)> = vec![(base, None)];
    let mut problems = Vec::new();
    for rule in &m.rrules {
        let mut rule = rule.clone();
        rule.until = rule.until_raw.map(|u| match u {
            UntilRaw::Date(d) => match kind {
                Kind::Date => d.and_time(NaiveTime::MIN),
                // A DATE UNTIL on a timed series: the whole day counts.
                _ => d.and_time(NaiveTime::MIN) + Duration::days(1) - Duration::seconds(1),
            },
            UntilRaw::Local(t) => t,
            UntilRaw::Utc(t) => Time::Utc(t).local_in(&kind),
        });
        let mut it = RuleIter::new(&rule, base);
        while let Some(t) = it.next_occurrence() {
            if t > horizon {
                break;
            }
            starts.push((t, None));
        }
        if it.exhausted {
            problems.push(
                "RRULE expansion stopped early (budget); later occurrences are missing".to_string(),
            );
        }
    }
    for (t, end) in &m.rdates {
        let local = t.local_in(&kind);
        let len = end.as_ref().map(|e| match e {
            End::At(e) => e.local_in(&kind) - local,
            End::After(d) => Duration::seconds(duration_secs(d)),
        });
        starts.push((local, len));
    }
    starts.sort_by_key(|(t, _)| *t);
    starts.dedup_by_key(|(t, _)| *t);

    let ex_times: BTreeSet<NaiveDateTime> = m
        .exdates
        .iter()
        .filter(|e| !matches!(e, Time::Date(_)) || matches!(kind, Kind::Date))
        .map(|e| e.local_in(&kind))
        .collect();
    let ex_dates: BTreeSet<NaiveDate> = m
        .exdates
        .iter()
        .filter_map(|e| match e {
            Time::Date(d) if !matches!(kind, Kind::Date) => Some(*d),
            _ => None,
        })
        .collect();

    // Overrides by the instance they replace (highest SEQUENCE wins).
    let mut by_rid: HashMap<NaiveDateTime, &Vevent> = HashMap::new();
    let mut future: Vec<(NaiveDateTime, &Vevent)> = Vec::new();
    for ov in overrides {
        let Some(rid) = &ov.recurrence_id else {
            continue;
        };
        let key = rid.local_in(&kind);
        if by_rid.get(&key).is_none_or(|o| ov.sequence >= o.sequence) {
            by_rid.insert(key, ov);
        }
        if ov.this_and_future {
            future.push((key, ov));
        }
    }
    future.sort_by_key(|(k, _)| *k);

    let mut used: BTreeSet<NaiveDateTime> = BTreeSet::new();
    for (t, own_len) in starts {
        if ex_times.contains(&t) || ex_dates.contains(&t.date()) {
            continue;
        }
        if let Some(ov) = by_rid.get(&t) {
            used.insert(t);
            if let Some(s) = &ov.dtstart {
                occs.push(Occ {
                    start: s.clone(),
                    len: event_length(ov, s, &b.board),
                    ev: ov,
                });
            }
            continue;
        }
        // THISANDFUTURE: the latest such override before this instance moves it and lends
        // its text and length.
        if let Some((rid, ov)) = future.iter().rev().find(|(k, _)| *k < t) {
            if let Some(s) = &ov.dtstart {
                let shift = s.local_in(&kind) - *rid;
                occs.push(Occ {
                    start: kind.make(t + shift),
                    len: event_length(ov, s, &b.board),
                    ev: ov,
                });
                continue;
            }
        }
        occs.push(Occ {
            start: kind.make(t),
            len: own_len.unwrap_or(len),
            ev: m,
        });
    }
    // Overrides whose instance the rule does not produce (moved in from elsewhere) still count.
    for (key, ov) in &by_rid {
        if used.contains(key) || ex_times.contains(key) {
            continue;
        }
        if let Some(s) = &ov.dtstart {
            occs.push(Occ {
                start: s.clone(),
                len: event_length(ov, s, &b.board),
                ev: ov,
            });
        }
    }
    match problems.first() {
        Some(p) => Err(p.clone()),
        None => Ok(()),
    }
}

/// Puts one occurrence on the board's wall clock; `None` when it is outside the window.
fn place(o: &Occ<'_>, b: &Bounds) -> Option<IcsOccurrence> {
    let ev = o.ev;
    // Most instances of a long series are far from the window: they are dropped before the
    // zone arithmetic (a fifth of the expansion's time went to it).
    if let (Time::Utc(t) | Time::Zoned(t, _), Some((near_from, near_to))) = (&o.start, b.near) {
        let end = *t + o.len;
        if (*t).max(end) < near_from || (*t).min(end) > near_to {
            return None;
        }
    }
    let (start, end, all_day, floating) = match &o.start {
        Time::Date(d) => {
            let s = d.and_time(NaiveTime::MIN);
            // Whole days only: a date series with a timed DTEND rounds down.
            let days = o.len.num_days();
            (s, s + Duration::days(days), true, false)
        }
        Time::Floating(t) => (*t, *t + o.len, false, true),
        Time::Utc(t) => {
            let s = b.board.from_utc(*t);
            let e = b.board.from_utc(*t + o.len);
            (s, e, false, false)
        }
        Time::Zoned(t, z) => {
            let s = z.to_utc(*t);
            let e = z.to_utc(*t + o.len);
            (b.board.from_utc(s), b.board.from_utc(e), false, false)
        }
    };
    let inside = if end > start {
        start < b.to && end > b.from
    } else {
        start >= b.from && start < b.to
    };
    if !inside {
        return None;
    }
    Some(IcsOccurrence {
        occurrence: Occurrence {
            uid: ev.uid.clone().unwrap_or_default(),
            summary: ev.summary.clone().unwrap_or_default(),
            location: ev.location.clone().unwrap_or_default(),
            description: ev.description.clone().unwrap_or_default(),
            category: ev.category.clone().unwrap_or_default(),
            url: ev.url.clone().unwrap_or_default(),
            language: ev.language.clone().unwrap_or_default(),
            start,
            end,
            all_day,
            floating,
            cancelled: ev.cancelled,
            date_from_text: false,
        },
        has_uid: ev.uid.is_some(),
        has_summary: ev.summary.is_some(),
        has_location: ev.location.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split keeps everything outside the VEVENTs for the skeleton, hands each VEVENT (with
    /// its first line's number and its calendar) to the parser, drops a stray END:VEVENT and
    /// passes an unterminated VEVENT on as far as it goes.
    #[test]
    fn split_events_cuts_at_vevent_lines_only() {
        let text = "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Riga\r\n  begin:vevent\r\nUID:a\r\n \
                    END:VEVENT\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nEND:VEVENT\r\n\
                    BEGIN:VEVENT\r\nUID:b\r\nBEGIN:VEVENT\r\nUID:c";
        let split = split_events(text);
        assert_eq!(
            split.skeleton,
            "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Riga\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\n"
        );
        let got: Vec<(usize, usize, &str)> = split
            .events
            .iter()
            .map(|c| (c.line, c.calendar, c.text))
            .collect();
        assert_eq!(
            got,
            [
                (3, 0, "  begin:vevent\r\nUID:a\r\n END:VEVENT\r\n"),
                (9, 1, "BEGIN:VEVENT\r\nUID:b\r\n"),
                (11, 1, "BEGIN:VEVENT\r\nUID:c"),
            ]
        );
        let boundaries: Vec<usize> = boundary_lines(text.as_bytes()).map(|b| b.number).collect();
        assert_eq!(boundaries, [0, 2, 4, 5, 6, 7, 8, 10]);
    }

    /// Unread lines go with their folded continuations; odd lines, the first line and the line
    /// after one ending in `=` (quoted-printable goes on there) stay; nothing left out, nothing
    /// copied.
    #[test]
    fn needed_lines_leave_out_unread_properties_only() {
        let mut buf = String::new();
        let chunk = "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20250101T000000Z\r\nDESCRIPTION:long\r\n \
                     text\r\nX-A=b:c\r\nX-\"Q\":1\r\nsummary;ENCODING=QUOTED-PRINTABLE:x=\r\n\
                     ATTENDEE:y\r\nATTENDEE:z\r\nURL:u\r\nEND:VEVENT";
        assert_eq!(
            needed_lines(chunk, Texts::Listing, &mut buf),
            "BEGIN:VEVENT\r\nUID:a\r\nX-A=b:c\r\nX-\"Q\":1\r\n\
             summary;ENCODING=QUOTED-PRINTABLE:x=\r\nATTENDEE:y\r\nEND:VEVENT"
        );
        assert_eq!(
            needed_lines(chunk, Texts::All, &mut buf),
            "BEGIN:VEVENT\r\nUID:a\r\nDESCRIPTION:long\r\n text\r\nX-A=b:c\r\nX-\"Q\":1\r\n\
             summary;ENCODING=QUOTED-PRINTABLE:x=\r\nATTENDEE:y\r\nURL:u\r\nEND:VEVENT"
        );
        let all_read = "  begin:vevent\r\nDTSTAMP:1\r\nUID:a\r\n";
        assert_eq!(
            needed_lines(all_read, Texts::Listing, &mut buf),
            "  begin:vevent\r\nUID:a\r\n"
        );
        let all_read = "BEGIN:VEVENT\nUID:a\nEND:VEVENT\n";
        assert!(std::ptr::eq(
            needed_lines(all_read, Texts::Listing, &mut buf),
            all_read
        ));
    }

    /// A component as [`read_vevent`] can see it: type, sub-components, read entries.
    type Seen = (ICalendarComponentType, Vec<u32>, Vec<ICalendarEntry>);

    /// What [`read_vevent`] can see of a VEVENT parsed by calcard: the entries of the read
    /// properties, in every component, and the component tree.
    fn reads(text: &str, texts: Texts) -> Option<Vec<Seen>> {
        let read = match texts {
            Texts::All => [READ_ALWAYS, READ_ALL_TEXTS].concat(),
            Texts::Listing => READ_ALWAYS.to_vec(),
        };
        let calcard::Entry::ICalendar(cal) = calcard::Parser::new(text).entry() else {
            return None;
        };
        let components = cal.components.into_iter().map(|c| {
            let entries = c
                .entries
                .into_iter()
                .filter(|e| {
                    let name = e.name.as_str().as_bytes();
                    read.iter().any(|n| name.eq_ignore_ascii_case(n))
                })
                .collect();
            (c.component_type, c.component_ids, entries)
        });
        Some(components.collect())
    }

    /// The event [`read_vevent`] makes of `text` (its raw check on the same text), as text.
    fn event(text: &str, texts: Texts) -> String {
        let calcard::Entry::ICalendar(cal) = calcard::Parser::new(text).entry() else {
            return String::new();
        };
        let Some(comp) = cal.components.first() else {
            return String::new();
        };
        let mut ctx = CalendarContext {
            zones: HashMap::new(),
            xwr: None,
        };
        let mut diags = Vec::new();
        let mut ev = read_vevent(comp, &mut ctx, None, &raw_check(text), "t", &mut diags);
        if texts == Texts::Listing {
            (ev.description, ev.category, ev.url) = (None, None, None);
        }
        format!("{ev:?} {diags:?}")
    }

    fn assert_reads_the_same(chunk: &str, buf: &mut String, what: &dyn std::fmt::Display) {
        for texts in [Texts::All, Texts::Listing] {
            let needed = needed_lines(chunk, texts, buf);
            assert_eq!(
                reads(needed, texts),
                reads(chunk, texts),
                "{what} ({texts:?})"
            );
            assert_eq!(
                event(needed, texts),
                event(chunk, texts),
                "{what} ({texts:?})"
            );
        }
    }

    /// What [`read_vevent`] reads is the same from the needed lines as from all lines, for every
    /// VEVENT of the conformance corpus and of the bench calendar.
    #[test]
    fn needed_lines_read_as_all_lines() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(shared.join("conformance/ics"))
            .expect("corpus")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "ics"))
            .collect();
        files.sort();
        files.push(shared.join("bench/calendar-5000.ics"));
        let mut buf = String::new();
        let mut chunks = 0;
        for path in &files {
            let bytes = std::fs::read(path).expect("read");
            let (text, _) = decode(&bytes);
            for chunk in split_events(&text).events {
                chunks += 1;
                let what = format!("{}:{}", path.display(), chunk.line);
                assert_reads_the_same(chunk.text, &mut buf, &what);
            }
        }
        assert!(chunks > 5000, "{chunks} VEVENTs read");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The same for VEVENTs made of lines that are hard to read: folds, quoted-printable
        /// values ending in `=`, names with quotes, `=` or spaces, escapes at line ends, bare
        /// CRs, sub-components.
        #[test]
        fn needed_lines_read_as_all_lines_whatever_the_lines(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                "UID:a", "DTSTAMP:20250101T000000Z", "DESCRIPTION:x", " folded", "\tfolded=",
                "DTSTART:20260105T180000", "DTSTART;TZID=\"Europe/Riga\":20260105T180000",
                "SUMMARY;ENCODING=QUOTED-PRINTABLE:a=", "DESCRIPTION;ENCODING=QUOTED-PRINTABLE:b=",
                "X-A;ENCODING=QUOTED-PRINTABLE:=", "x-b:c=  ", "RRULE:FREQ=DAILY;COUNT=3",
                "ATTENDEE;CN=\"a:b\":mailto:x", "ATTENDEE;CN=\"a", "SUMMARY=x", "DTSTAMP=y:z",
                "DTSTAMP", "", " ", "X-C:d\\", "\rDTSTAMP:1", "DTST\rAMP:1", "EXDATE:20260106T180000",
                "BEGIN:VALARM", "END:VALARM", "TRIGGER:-PT1H", "LOCATION:here", "URL:u",
                "CATEGORIES:a,b", "STATUS:CANCELLED", "DT START:1", "DTEND ;X=1:20260105T190000",
                "END:VEVENT", "BEGIN:VEVENT", "\u{e9}X:1", "\t", "X-E:\\\t\r", "DTSTAMP:a=",
                "X-D;VALUE=RECUR:FREQ=DAILY;X", "EXRULE:FREQ=DAILY", "SUMMARY:\\", " \\",
                "X-F;ENCODING=QUOTED-PRINTABLE:=\\", "DESCRIPTION:\\n\\",
            ]), 0..16),
            crlf in proptest::bool::ANY,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut chunk = format!("BEGIN:VEVENT{eol}");
            for l in &lines {
                chunk.push_str(l);
                chunk.push_str(eol);
            }
            assert_reads_the_same(&chunk, &mut String::new(), &format!("{chunk:?}"));
        }
    }
}

//! Zero-copy reading: [`Bundle::parse`] validates once, then every accessor is infallible.

use core::fmt;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::error::Error;
use super::layout::{
    entry, event_flag, field, header_flag, read_i32, read_u16, read_u32, record, SectionKind,
    WireHeader, CRC_LEN, EVENT_RECORD_V1_LEN, MAGIC, MAX_OFFSET_MINUTES, MAX_VALID_FROM_DAYS,
    MIN_VALID_FROM_DAYS, OFFSET_ENTRY_LEN, PREAMBLE_LEN, SECTION_ORDER, TEXT_FIELDS, VERSION_MAJOR,
};
use super::{Header, OffsetChange};
use crate::time::{Date, DateTime, MINUTES_PER_DAY};

/// The string-bearing tables, shared by every view into one bundle.
#[derive(Debug, Clone, Copy)]
struct Tables<'a> {
    strings: &'a str,
    atoms: &'a [u8],
    texts: &'a [u8],
    text_atoms: &'a [u8],
}

impl<'a> Tables<'a> {
    fn atom(&self, id: u16) -> &'a str {
        let id = usize::from(id);
        let (Some(start), Some(end)) = (
            read_u32(self.atoms, id * 4),
            read_u32(self.atoms, id * 4 + 4),
        ) else {
            return "";
        };
        self.strings.get(start as usize..end as usize).unwrap_or("")
    }

    fn text(&self, id: u16) -> Text<'a> {
        let id = usize::from(id);
        let ids = match (
            read_u16(self.texts, id * 2),
            read_u16(self.texts, id * 2 + 2),
        ) {
            (Some(s), Some(e)) => self
                .text_atoms
                .get(usize::from(s) * 2..usize::from(e) * 2)
                .unwrap_or(&[]),
            _ => &[],
        };
        Text { tables: *self, ids }
    }
}

/// The raw string-bearing tables of a validated bundle, for seeding the encoder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextTables<'a> {
    pub strings: &'a [u8],
    pub atoms: &'a [u8],
    pub texts: &'a [u8],
    pub text_atoms: &'a [u8],
}

/// A validated bundle, read in place.
///
/// Cheap to copy: it is a handful of slices into the caller's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Bundle<'a> {
    bytes: &'a [u8],
    header: Header<'a>,
    minor: u8,
    record_len: usize,
    offsets: &'a [u8],
    days: &'a [u8],
    events: &'a [u8],
    tables: Tables<'a>,
}

impl<'a> Bundle<'a> {
    /// Validates `bytes` as exactly one bundle.
    ///
    /// # Errors
    /// A specific [`Error`] for the first problem found; see its variants.
    pub fn parse(bytes: &'a [u8]) -> Result<Bundle<'a>, Error> {
        let (bundle, used) = Bundle::parse_prefix(bytes)?;
        if used != bytes.len() {
            return Err(Error::TrailingBytes);
        }
        Ok(bundle)
    }

    /// Validates the bundle at the start of `bytes` (e.g. a flash slot larger than the bundle)
    /// and returns it with its length; bytes after it are ignored.
    ///
    /// # Errors
    /// As [`Bundle::parse`], except that trailing bytes are allowed.
    pub fn parse_prefix(bytes: &'a [u8]) -> Result<(Bundle<'a>, usize), Error> {
        let preamble = bytes.get(..PREAMBLE_LEN).ok_or(Error::Truncated)?;
        if preamble.get(field::MAGIC) != Some(&MAGIC[..]) {
            return Err(Error::BadMagic);
        }
        let major = preamble.get(field::MAJOR).copied().unwrap_or(0);
        if major != VERSION_MAJOR {
            return Err(Error::UnsupportedVersion { major });
        }
        let minor = preamble.get(field::MINOR).copied().unwrap_or(0);
        let header_len = usize::from(read_u16(preamble, field::HEADER_LEN.start).unwrap_or(0));
        let total = read_u32(preamble, field::TOTAL_LEN.start).unwrap_or(0) as usize;
        let crc_at = total
            .checked_sub(CRC_LEN)
            .filter(|&at| at >= PREAMBLE_LEN + header_len)
            .ok_or(Error::Truncated)?;
        let covered = bytes.get(..crc_at).ok_or(Error::Truncated)?;
        let stored = read_u32(bytes, crc_at).ok_or(Error::Truncated)?;
        let computed = crate::checksum::crc32(covered);
        if stored != computed {
            return Err(Error::CrcMismatch { stored, computed });
        }

        let header_bytes = covered
            .get(PREAMBLE_LEN..PREAMBLE_LEN + header_len)
            .ok_or(Error::Truncated)?;
        // Later minors may append header fields: decode the v1 prefix, skip the rest.
        let (wire, _rest) = postcard::take_from_bytes::<WireHeader<'a>>(header_bytes)
            .map_err(|_| Error::BadHeader)?;
        let unknown_required =
            wire.flags & header_flag::REQUIRED_MASK & !header_flag::KNOWN_REQUIRED;
        if unknown_required != 0 {
            return Err(Error::UnsupportedFeature {
                flags: unknown_required,
            });
        }
        if !(MIN_VALID_FROM_DAYS..=MAX_VALID_FROM_DAYS).contains(&wire.valid_from) {
            return Err(Error::BadHeaderField("valid_from"));
        }
        if wire.valid_days == 0 {
            return Err(Error::BadHeaderField("valid_days"));
        }
        let record_len = usize::from(wire.event_record_len);
        if record_len < EVENT_RECORD_V1_LEN {
            return Err(Error::BadHeaderField("event_record_len"));
        }
        let header = Header {
            sequence: wire.sequence,
            created_at: wire.created_at,
            valid_from: Date::from_days(wire.valid_from),
            valid_days: wire.valid_days,
            refresh_minutes: wire.refresh_minutes,
            flags: wire.flags,
            board: wire.board,
            centre: wire.centre,
            language: wire.language,
        };

        let body = covered
            .get(PREAMBLE_LEN + header_len..)
            .ok_or(Error::Truncated)?;
        let sections = Sections::locate(body, &wire.sections)?;
        let offsets = sections.get(SectionKind::Offsets)?;
        let days = sections.get(SectionKind::Days)?;
        let events = sections.get(SectionKind::Events)?;
        let texts = sections.get(SectionKind::Texts)?;
        let text_atoms = sections.get(SectionKind::TextAtoms)?;
        let atoms = sections.get(SectionKind::Atoms)?;
        let strings = sections.get(SectionKind::Strings)?;

        check_offsets(offsets)?;
        // One validation for every string: simdutf8 uses SIMD where the CPU has it and falls back
        // to `core::str::from_utf8` on microcontrollers.
        let strings = simdutf8::basic::from_utf8(strings).map_err(|_| Error::BadUtf8)?;
        let atom_count = check_atoms(atoms, strings)?;
        check_text_atoms(text_atoms, atom_count)?;
        let text_count = check_texts(texts, text_atoms.len() / 2)?;
        check_events(events, record_len, text_count)?;
        check_days(days, events, record_len, header.valid_days)?;

        let bundle = Bundle {
            bytes: bytes.get(..total).ok_or(Error::Truncated)?,
            header,
            minor,
            record_len,
            offsets,
            days,
            events,
            tables: Tables {
                strings,
                atoms,
                texts,
                text_atoms,
            },
        };
        Ok((bundle, total))
    }

    pub(crate) fn text_tables(&self) -> TextTables<'a> {
        TextTables {
            strings: self.tables.strings.as_bytes(),
            atoms: self.tables.atoms,
            texts: self.tables.texts,
            text_atoms: self.tables.text_atoms,
        }
    }

    /// The bundle's bytes (exactly its length, trailer included).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Header fields.
    pub fn header(&self) -> Header<'a> {
        self.header
    }

    /// Format version as `(major, minor)`.
    pub fn version(&self) -> (u8, u8) {
        (VERSION_MAJOR, self.minor)
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len() / self.record_len
    }

    /// No events at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Event number `index` (events are sorted by start), or `None` past the end.
    pub fn event(&self, index: usize) -> Option<Event<'a>> {
        let rec = self.events.get(entry(index, self.record_len))?;
        Some(Event {
            rec,
            tables: self.tables,
            window_start: self.window_start_minutes(),
        })
    }

    /// All events in start order.
    pub fn events(&self) -> Events<'a> {
        self.events_range(0, self.len())
    }

    /// Events from the first one not yet ended at 00:00 of `day` (board-local), using the day
    /// index instead of a scan. Events that end later that day are included: filter by
    /// [`Event::end`] against "now".
    pub fn events_from(&self, day: Date) -> Events<'a> {
        let rel = i64::from(day.to_days()) - i64::from(self.header.valid_from.to_days());
        let start = if rel < 0 {
            0
        } else {
            let last = usize::from(self.header.valid_days) - 1;
            let d = usize::try_from(rel).unwrap_or(usize::MAX).min(last);
            usize::from(read_u16(self.days, d * 2).unwrap_or(0))
        };
        self.events_range(start, self.len())
    }

    fn events_range(&self, next: usize, end: usize) -> Events<'a> {
        Events {
            events: self.events,
            record_len: self.record_len,
            tables: self.tables,
            window_start: self.window_start_minutes(),
            next,
            end,
        }
    }

    fn window_start_minutes(&self) -> i64 {
        i64::from(self.header.valid_from.to_days()) * MINUTES_PER_DAY
    }

    /// The UTC-offset table.
    pub fn utc_offsets(&self) -> impl ExactSizeIterator<Item = OffsetChange> + 'a {
        self.offsets
            .chunks_exact(OFFSET_ENTRY_LEN)
            .map(|e| OffsetChange {
                from_utc_minute: i64::from(read_i32(e, 0).unwrap_or(0)),
                offset_minutes: read_u16(e, 4).unwrap_or(0) as i16,
            })
    }

    /// Board time minus UTC at `unix_seconds`, in minutes. Before the table's first entry
    /// the first offset applies; after its last, the last.
    pub fn utc_offset_minutes(&self, unix_seconds: i64) -> i16 {
        let minute = unix_seconds.div_euclid(60);
        let mut offset = None;
        for change in self.utc_offsets() {
            if change.from_utc_minute > minute {
                break;
            }
            offset = Some(change.offset_minutes);
        }
        // Before the first entry, the first offset still applies (it is in force at the
        // window's start and the parser guarantees the table is not empty).
        offset
            .or_else(|| self.utc_offsets().next().map(|c| c.offset_minutes))
            .unwrap_or(0)
    }

    /// Board wall-clock time at `unix_seconds` (UTC seconds since 1970-01-01), DST-correct
    /// within the validity window.
    pub fn local_time(&self, unix_seconds: i64) -> DateTime {
        let offset = i64::from(self.utc_offset_minutes(unix_seconds));
        DateTime::from_minutes(unix_seconds.div_euclid(60) + offset)
    }
}

/// Section directory resolved against the body.
struct Sections<'a> {
    found: [Option<&'a [u8]>; SECTION_ORDER.len()],
}

impl<'a> Sections<'a> {
    fn locate(body: &'a [u8], dir: &[super::layout::SectionEntry]) -> Result<Self, Error> {
        let mut found: [Option<&'a [u8]>; SECTION_ORDER.len()] = [None; SECTION_ORDER.len()];
        let mut ranges: [Option<(usize, usize)>; SECTION_ORDER.len()] = [None; SECTION_ORDER.len()];
        for e in dir {
            let Some(slot) = SECTION_ORDER.iter().position(|k| *k as u16 == e.kind) else {
                continue; // a later minor's section: skip it
            };
            let kind = SECTION_ORDER
                .get(slot)
                .copied()
                .unwrap_or(SectionKind::Strings);
            let start = e.offset as usize;
            let end = start
                .checked_add(e.len as usize)
                .ok_or(Error::BadSection(kind))?;
            let bytes = body.get(start..end).ok_or(Error::BadSection(kind))?;
            let overlaps = ranges
                .iter()
                .flatten()
                .any(|&(s, t)| start < t && s < end && start < end);
            match (found.get_mut(slot), ranges.get_mut(slot)) {
                (Some(f @ None), Some(r)) if !overlaps => {
                    *f = Some(bytes);
                    *r = Some((start, end));
                }
                _ => return Err(Error::BadSection(kind)),
            }
        }
        Ok(Sections { found })
    }

    fn get(&self, kind: SectionKind) -> Result<&'a [u8], Error> {
        SECTION_ORDER
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| self.found.get(i).copied().flatten())
            .ok_or(Error::MissingSection(kind))
    }
}

fn check_offsets(offsets: &[u8]) -> Result<(), Error> {
    if offsets.is_empty() || !offsets.len().is_multiple_of(OFFSET_ENTRY_LEN) {
        return Err(Error::BadOffsetTable);
    }
    let mut prev: Option<i32> = None;
    for e in offsets.chunks_exact(OFFSET_ENTRY_LEN) {
        let from = read_i32(e, 0).ok_or(Error::BadOffsetTable)?;
        let offset = read_u16(e, 4).ok_or(Error::BadOffsetTable)? as i16;
        if offset.unsigned_abs() > MAX_OFFSET_MINUTES.unsigned_abs()
            || prev.is_some_and(|p| p >= from)
        {
            return Err(Error::BadOffsetTable);
        }
        prev = Some(from);
    }
    Ok(())
}

/// Returns the number of atoms.
fn check_atoms(atoms: &[u8], strings: &str) -> Result<usize, Error> {
    const K: SectionKind = SectionKind::Atoms;
    if !atoms.len().is_multiple_of(4) || atoms.is_empty() {
        return Err(Error::BadSectionLength(K));
    }
    let mut prev = 0usize;
    for (i, e) in atoms.chunks_exact(4).enumerate() {
        let at = read_u32(e, 0).ok_or(Error::BadOffset(K))? as usize;
        if (i == 0 && at != 0) || at < prev || !strings.is_char_boundary(at) {
            return Err(Error::BadOffset(K));
        }
        prev = at;
    }
    if prev != strings.len() {
        return Err(Error::BadOffset(K));
    }
    Ok(atoms.len() / 4 - 1)
}

fn check_text_atoms(text_atoms: &[u8], atom_count: usize) -> Result<(), Error> {
    const K: SectionKind = SectionKind::TextAtoms;
    if !text_atoms.len().is_multiple_of(2) {
        return Err(Error::BadSectionLength(K));
    }
    if text_atoms
        .chunks_exact(2)
        .any(|e| usize::from(read_u16(e, 0).unwrap_or(u16::MAX)) >= atom_count)
    {
        return Err(Error::BadOffset(K));
    }
    Ok(())
}

/// Returns the number of texts. Text 0 must be the empty text.
fn check_texts(texts: &[u8], text_atom_count: usize) -> Result<usize, Error> {
    const K: SectionKind = SectionKind::Texts;
    if !texts.len().is_multiple_of(2) || texts.len() < 4 {
        return Err(Error::BadSectionLength(K));
    }
    let mut prev = 0usize;
    for (i, e) in texts.chunks_exact(2).enumerate() {
        let at = usize::from(read_u16(e, 0).ok_or(Error::BadOffset(K))?);
        if (i <= 1 && at != 0) || at < prev {
            return Err(Error::BadOffset(K));
        }
        prev = at;
    }
    if prev != text_atom_count {
        return Err(Error::BadOffset(K));
    }
    Ok(texts.len() / 2 - 1)
}

fn check_events(events: &[u8], record_len: usize, text_count: usize) -> Result<(), Error> {
    const K: SectionKind = SectionKind::Events;
    if !events.len().is_multiple_of(record_len) {
        return Err(Error::BadSectionLength(K));
    }
    let mut prev = i32::MIN;
    for (index, rec) in events.chunks_exact(record_len).enumerate() {
        let start = read_i32(rec, record::START.start).ok_or(Error::BadSectionLength(K))?;
        if start < prev {
            return Err(Error::EventsNotSorted { index });
        }
        prev = start;
        for f in 0..TEXT_FIELDS {
            let id = read_u16(rec, record::TEXTS + f * record::TEXT_REF_LEN).unwrap_or(u16::MAX);
            if usize::from(id) >= text_count {
                return Err(Error::BadOffset(K));
            }
        }
    }
    Ok(())
}

/// The day index must be exactly `first event with end > day start` for every day (a
/// zero-length event counts as lasting one minute): computed
/// from the running maximum of event ends, which is monotonic even though ends are not.
fn check_days(days: &[u8], events: &[u8], record_len: usize, valid_days: u16) -> Result<(), Error> {
    if days.len() != usize::from(valid_days) * 2 {
        return Err(Error::BadSectionLength(SectionKind::Days));
    }
    let mut expected = DayIndex::new(events, record_len);
    for day in 0..usize::from(valid_days) {
        let stored = read_u16(days, day * 2).map(usize::from);
        if stored != Some(expected.first_not_ended_by(day as i64 * MINUTES_PER_DAY)) {
            return Err(Error::BadDayIndex { day });
        }
    }
    Ok(())
}

/// Walks events once to answer "first event whose end is after `t`" for increasing `t`.
pub(crate) struct DayIndex<'a> {
    events: core::slice::ChunksExact<'a, u8>,
    index: usize,
    running_max_end: i64,
    count: usize,
}

impl<'a> DayIndex<'a> {
    pub(crate) fn new(events: &'a [u8], record_len: usize) -> Self {
        DayIndex {
            count: events.len() / record_len,
            events: events.chunks_exact(record_len),
            index: 0,
            running_max_end: i64::MIN,
        }
    }

    /// `t` must not decrease between calls.
    pub(crate) fn first_not_ended_by(&mut self, t: i64) -> usize {
        while self.running_max_end <= t {
            let Some(rec) = self.events.next() else {
                return self.count;
            };
            let start = i64::from(read_i32(rec, record::START.start).unwrap_or(0));
            // A zero-length event (a notice, a deadline) stays visible through its minute.
            let dur = i64::from(read_u32(rec, record::DURATION.start).unwrap_or(0)).max(1);
            self.running_max_end = self.running_max_end.max(start + dur);
            self.index += 1;
        }
        self.index - 1
    }
}

/// One event, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    rec: &'a [u8],
    tables: Tables<'a>,
    window_start: i64,
}

impl<'a> Event<'a> {
    /// Start as board-local minutes since 1970-01-01 00:00 (cheap to compare).
    pub fn start_minutes(&self) -> i64 {
        self.window_start + i64::from(read_i32(self.rec, record::START.start).unwrap_or(0))
    }

    /// End (exclusive) as board-local minutes since 1970-01-01 00:00.
    pub fn end_minutes(&self) -> i64 {
        self.start_minutes() + i64::from(self.duration_minutes())
    }

    /// Start, board wall-clock.
    pub fn start(&self) -> DateTime {
        DateTime::from_minutes(self.start_minutes())
    }

    /// End (exclusive), board wall-clock.
    pub fn end(&self) -> DateTime {
        DateTime::from_minutes(self.end_minutes())
    }

    /// Length in minutes.
    pub fn duration_minutes(&self) -> u32 {
        read_u32(self.rec, record::DURATION.start).unwrap_or(0)
    }

    /// Raw flag bits, see [`super::layout::event_flag`].
    pub fn flags(&self) -> u8 {
        self.rec.get(record::FLAGS).copied().unwrap_or(0)
    }

    /// Lasts whole days.
    pub fn is_all_day(&self) -> bool {
        self.flags() & event_flag::ALL_DAY != 0
    }

    /// Cancelled (shown struck through).
    pub fn is_cancelled(&self) -> bool {
        self.flags() & event_flag::CANCELLED != 0
    }

    /// The source gave no time zone.
    pub fn is_floating(&self) -> bool {
        self.flags() & event_flag::FLOATING != 0
    }

    /// The date was found in free text.
    pub fn is_date_from_text(&self) -> bool {
        self.flags() & event_flag::DATE_FROM_TEXT != 0
    }

    fn text(&self, field: usize) -> Text<'a> {
        let id = read_u16(self.rec, record::TEXTS + field * record::TEXT_REF_LEN).unwrap_or(0);
        self.tables.text(id)
    }

    /// Title.
    pub fn title(&self) -> Text<'a> {
        self.text(0)
    }
    /// Place.
    pub fn place(&self) -> Text<'a> {
        self.text(1)
    }
    /// Longer description.
    pub fn description(&self) -> Text<'a> {
        self.text(2)
    }
    /// Category.
    pub fn category(&self) -> Text<'a> {
        self.text(3)
    }
    /// Link.
    pub fn link(&self) -> Text<'a> {
        self.text(4)
    }
    /// Language of the event's text.
    pub fn language(&self) -> Text<'a> {
        self.text(5)
    }
}

/// Iterator over events, see [`Bundle::events`].
#[derive(Debug, Clone)]
pub struct Events<'a> {
    events: &'a [u8],
    record_len: usize,
    tables: Tables<'a>,
    window_start: i64,
    next: usize,
    end: usize,
}

impl<'a> Events<'a> {
    fn at(&self, index: usize) -> Option<Event<'a>> {
        Some(Event {
            rec: self.events.get(entry(index, self.record_len))?,
            tables: self.tables,
            window_start: self.window_start,
        })
    }

    /// Index (in the bundle) of the event `next` would return.
    pub fn next_index(&self) -> usize {
        self.next
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if self.next >= self.end {
            return None;
        }
        let e = self.at(self.next);
        self.next += 1;
        e
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next);
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Events<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        self.at(self.end)
    }
}

impl ExactSizeIterator for Events<'_> {}

/// A text field: one or more string pieces in the bundle, read without copying.
#[derive(Clone, Copy)]
pub struct Text<'a> {
    tables: Tables<'a>,
    ids: &'a [u8],
}

impl<'a> Text<'a> {
    /// The pieces that make up the text, in order; concatenated they are the text.
    pub fn pieces(&self) -> Pieces<'a> {
        Pieces {
            tables: self.tables,
            ids: self.ids.chunks_exact(2),
        }
    }

    /// The characters of the text.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        self.pieces().flat_map(str::chars)
    }

    /// Empty text (the field was not given).
    pub fn is_empty(&self) -> bool {
        self.pieces().all(str::is_empty)
    }

    /// Length in bytes (UTF-8).
    pub fn len(&self) -> usize {
        self.pieces().map(str::len).sum()
    }

    /// The text as one `&str` when it is stored in one piece (most titles and places are).
    pub fn as_single_str(&self) -> Option<&'a str> {
        let mut p = self.pieces();
        match (p.next(), p.next()) {
            (None, _) => Some(""),
            (Some(s), None) => Some(s),
            _ => None,
        }
    }

    /// Compares with a string without allocating.
    pub fn eq_str(&self, other: &str) -> bool {
        let mut rest = other;
        for piece in self.pieces() {
            match rest.strip_prefix(piece) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().try_for_each(|p| f.write_str(p))
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Text(\"")?;
        self.pieces()
            .try_for_each(|p| write!(f, "{}", p.escape_debug()))?;
        f.write_str("\")")
    }
}

/// Iterator over the pieces of a [`Text`].
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    tables: Tables<'a>,
    ids: core::slice::ChunksExact<'a, u8>,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let id = self.ids.next()?;
        Some(self.tables.atom(read_u16(id, 0).unwrap_or(0)))
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Serialises as the JSON object `anslag inspect --json` prints for each event.
impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Event", 12)?;
        st.serialize_field("start", &self.start())?;
        st.serialize_field("end", &self.end())?;
        st.serialize_field("all_day", &self.is_all_day())?;
        st.serialize_field("cancelled", &self.is_cancelled())?;
        st.serialize_field("floating", &self.is_floating())?;
        st.serialize_field("date_from_text", &self.is_date_from_text())?;
        st.serialize_field("title", &self.title())?;
        st.serialize_field("place", &self.place())?;
        st.serialize_field("description", &self.description())?;
        st.serialize_field("category", &self.category())?;
        st.serialize_field("link", &self.link())?;
        st.serialize_field("language", &self.language())?;
        st.end()
    }
}

struct HeaderDump<'a>(&'a Bundle<'a>);

impl Serialize for HeaderDump<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = self.0;
        let h = b.header();
        let (major, minor) = b.version();
        let mut st = s.serialize_struct("Header", 13)?;
        st.serialize_field("format_major", &major)?;
        st.serialize_field("format_minor", &minor)?;
        st.serialize_field("sequence", &h.sequence)?;
        st.serialize_field("created_at", &h.created_at)?;
        st.serialize_field("valid_from", &h.valid_from)?;
        st.serialize_field("valid_days", &h.valid_days)?;
        st.serialize_field("refresh_minutes", &h.refresh_minutes)?;
        st.serialize_field("flags", &h.flags)?;
        st.serialize_field("board", h.board)?;
        st.serialize_field("centre", h.centre)?;
        st.serialize_field("language", h.language)?;
        st.serialize_field("utc_offsets", &OffsetsDump(b))?;
        st.serialize_field("bytes", &b.as_bytes().len())?;
        st.end()
    }
}

struct OffsetsDump<'a>(&'a Bundle<'a>);

impl Serialize for OffsetsDump<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.utc_offsets().len()))?;
        for o in self.0.utc_offsets() {
            seq.serialize_element(&o)?;
        }
        seq.end()
    }
}

struct EventsDump<'a>(&'a Bundle<'a>);

impl Serialize for EventsDump<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0.events() {
            seq.serialize_element(&e)?;
        }
        seq.end()
    }
}

/// Serialises as `{"header": {...}, "event_count": N, "events": [...]}`: the JSON dump of
/// `anslag inspect --json` and of the golden test vectors.
impl Serialize for Bundle<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Bundle", 3)?;
        st.serialize_field("header", &HeaderDump(self))?;
        st.serialize_field("event_count", &self.len())?;
        st.serialize_field("events", &EventsDump(self))?;
        st.end()
    }
}

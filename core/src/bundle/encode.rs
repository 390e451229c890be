//! Writing bundles into a caller's buffer, without an allocator.
//!
//! The encoder lays out every table at an upper-bound size first (all bounds are cheap to
//! count from the listing), interns atoms and texts in place with linear searches over what
//! it has written so far, then slides the tables left to their final, packed positions. It
//! needs no scratch memory beyond `out`, so a microcontroller can build a bundle too; the
//! host convenience [`encode_to_vec`] only adds canonical sorting and sizing.
//!
//! Determinism: atoms and texts get ids in first-use order (events in order, fields in record
//! order), so the same listing always gives the same bytes.

use super::decode::{Bundle, DayIndex, TextTables};
use super::error::EncodeError;
use super::layout::{
    atoms, field, record, SectionEntry, WireHeader, CRC_LEN, EVENT_RECORD_V1_LEN, MAGIC, MAX_IDS,
    MAX_OFFSET_MINUTES, MAX_VALID_FROM_DAYS, MIN_VALID_FROM_DAYS, OFFSET_ENTRY_LEN, PREAMBLE_LEN,
    SECTION_ORDER, TEXT_FIELDS, VERSION_MAJOR, VERSION_MINOR,
};
use super::Listing;
use crate::time::MINUTES_PER_DAY;

/// Bytes of working space [`encode`] needs for `listing`: a little more than the result.
pub fn encoded_len_upper_bound(listing: &Listing<'_>) -> usize {
    encoded_len_upper_bound_with_base(listing, None)
}

/// Bytes of working space [`encode_with_base`] needs.
pub fn encoded_len_upper_bound_with_base(
    listing: &Listing<'_>,
    base: Option<&Bundle<'_>>,
) -> usize {
    Plan::of(listing, base.map(Bundle::text_tables).as_ref()).total()
}

/// Upper-bound sizes of each part, in [`SECTION_ORDER`].
struct Plan {
    header_max: usize,
    sections: [usize; SECTION_ORDER.len()],
}

impl Plan {
    fn of(listing: &Listing<'_>, seed: Option<&TextTables<'_>>) -> Plan {
        let h = &listing.header;
        let n = listing.events.len();
        let (mut pieces, mut piece_bytes) = (0usize, 0usize);
        for e in listing.events {
            for t in e.texts() {
                pieces += atoms(t).count();
                piece_bytes += t.len();
            }
        }
        // postcard varints: u64/i64 ≤ 10 bytes, u32/i32 ≤ 5, u16 ≤ 3; strings are a varint
        // length plus bytes; the section directory holds the seven v1 sections.
        let header_max = 10
            + 10
            + 5
            + 3
            + 5
            + 5
            + 1
            + 1
            + [h.board, h.centre, h.language]
                .iter()
                .map(|s| 5 + s.len())
                .sum::<usize>()
            + SECTION_ORDER.len() * (3 + 5 + 5);
        Plan {
            header_max,
            sections: [
                listing.offsets.len() * OFFSET_ENTRY_LEN,
                usize::from(h.valid_days) * 2,
                n * EVENT_RECORD_V1_LEN,
                (n * TEXT_FIELDS + 2) * 2 + seed.map_or(0, |t| t.texts.len()),
                pieces * 2 + seed.map_or(0, |t| t.text_atoms.len()),
                (pieces + 1) * 4 + seed.map_or(0, |t| t.atoms.len()),
                piece_bytes + seed.map_or(0, |t| t.strings.len()),
            ],
        }
    }

    fn total(&self) -> usize {
        PREAMBLE_LEN + self.header_max + self.sections.iter().sum::<usize>() + CRC_LEN
    }
}

/// Writes `listing` as a bundle into `out` and returns its length.
///
/// Events must be sorted by start (ties keep their order); `encode_to_vec` sorts for you.
///
/// # Errors
/// [`EncodeError::BufferTooSmall`] with the size needed (see [`encoded_len_upper_bound`]),
/// or the first problem found in the listing.
pub fn encode(listing: &Listing<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
    encode_with_base(listing, None, out)
}

/// Like [`encode`], but keeps the text ids of `base` (the bundle the board holds): its atoms
/// and texts come first, in its order, and new ones are appended. Events that did not change
/// then encode to the same bytes as in `base`, so a delta against it stays small (one changed
/// event: a few dozen bytes instead of every later record). Texts `base` had and the listing
/// no longer uses stay as dead weight; encode without a base now and then to drop them.
///
/// # Errors
/// As [`encode`].
pub fn encode_with_base(
    listing: &Listing<'_>,
    base: Option<&Bundle<'_>>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let seed = base.map(Bundle::text_tables);
    let h = &listing.header;
    let valid_from = h.valid_from.to_days();
    if h.valid_days == 0 || !(MIN_VALID_FROM_DAYS..=MAX_VALID_FROM_DAYS).contains(&valid_from) {
        return Err(EncodeError::BadWindow);
    }
    check_offsets(listing)?;
    if listing.events.len() > MAX_IDS {
        return Err(EncodeError::TooManyEvents);
    }
    let window_start = i64::from(valid_from) * MINUTES_PER_DAY;
    let mut prev = i64::MIN;
    for (index, e) in listing.events.iter().enumerate() {
        let delta = e.start.to_minutes() - window_start;
        if i32::try_from(delta).is_err() {
            return Err(EncodeError::EventOutOfRange { index });
        }
        if delta < prev {
            return Err(EncodeError::EventsNotSorted { index });
        }
        prev = delta;
    }

    let plan = Plan::of(listing, seed.as_ref());
    let needed = plan.total();
    if out.len() < needed {
        return Err(EncodeError::BufferTooSmall { needed });
    }
    let body_start = PREAMBLE_LEN + plan.header_max;

    // Provisional regions, each at its upper-bound size, in final order.
    let lens = {
        let work = out
            .get_mut(body_start..)
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        let regions = Regions::split(work, &plan.sections)?;
        write_offsets(listing, regions.offsets)?;
        let mut interner = Interner::new(
            regions.texts,
            regions.text_atoms,
            regions.atoms,
            regions.strings,
            seed.as_ref(),
        )?;
        for (i, e) in listing.events.iter().enumerate() {
            let rec = regions
                .events
                .get_mut(i * EVENT_RECORD_V1_LEN..(i + 1) * EVENT_RECORD_V1_LEN)
                .ok_or(EncodeError::TooLarge)?;
            let delta = (e.start.to_minutes() - window_start) as i32;
            put(rec, record::START.start, &delta.to_le_bytes())?;
            put(
                rec,
                record::DURATION.start,
                &e.duration_minutes.to_le_bytes(),
            )?;
            put(rec, record::FLAGS, &[e.flags()])?;
            for (f, text) in e.texts().iter().enumerate() {
                let id = interner.text(text)?;
                put(
                    rec,
                    record::TEXTS + f * record::TEXT_REF_LEN,
                    &id.to_le_bytes(),
                )?;
            }
        }
        let mut days = DayIndex::new(regions.events, EVENT_RECORD_V1_LEN);
        for d in 0..usize::from(h.valid_days) {
            let first = days.first_not_ended_by(d as i64 * MINUTES_PER_DAY) as u16;
            put(regions.days, d * 2, &first.to_le_bytes())?;
        }
        let [off, days, ev, ..] = plan.sections;
        [
            off,
            days,
            ev,
            (interner.text_count + 1) * 2,
            interner.text_atom_len * 2,
            (interner.atom_count + 1) * 4,
            interner.string_len,
        ]
    };

    // Header, now that the final section sizes are known.
    let mut sections = heapless::Vec::new();
    let mut at = 0usize;
    for (kind, len) in SECTION_ORDER.iter().zip(lens) {
        let entry = SectionEntry {
            kind: *kind as u16,
            offset: u32::try_from(at).map_err(|_| EncodeError::TooLarge)?,
            len: u32::try_from(len).map_err(|_| EncodeError::TooLarge)?,
        };
        sections.push(entry).map_err(|_| EncodeError::TooLarge)?;
        at += len;
    }
    let wire = WireHeader {
        sequence: h.sequence,
        created_at: h.created_at,
        valid_from,
        valid_days: h.valid_days,
        refresh_minutes: h.refresh_minutes,
        flags: h.flags,
        board: h.board,
        centre: h.centre,
        language: h.language,
        event_record_len: EVENT_RECORD_V1_LEN as u8,
        sections,
    };
    let header_slot = out
        .get_mut(PREAMBLE_LEN..body_start)
        .ok_or(EncodeError::BufferTooSmall { needed })?;
    let header_len = postcard::to_slice(&wire, header_slot)
        .map_err(|_| EncodeError::TooLarge)?
        .len();

    // Slide every table left to its packed position: destinations never pass sources.
    let mut src = body_start;
    let mut dst = PREAMBLE_LEN + header_len;
    for (len, reserved) in lens.iter().zip(plan.sections) {
        out.copy_within(src..src + len, dst);
        src += reserved;
        dst += len;
    }
    let total = dst + CRC_LEN;
    let total32 = u32::try_from(total).map_err(|_| EncodeError::TooLarge)?;
    let header16 = u16::try_from(header_len).map_err(|_| EncodeError::TooLarge)?;
    put(out, field::MAGIC.start, &MAGIC)?;
    put(out, field::MAJOR, &[VERSION_MAJOR, VERSION_MINOR])?;
    put(out, field::HEADER_LEN.start, &header16.to_le_bytes())?;
    put(out, field::TOTAL_LEN.start, &total32.to_le_bytes())?;
    let crc = crate::checksum::crc32(out.get(..dst).ok_or(EncodeError::TooLarge)?);
    put(out, dst, &crc.to_le_bytes())?;
    Ok(total)
}

/// Writes `bytes` at `at`; an out-of-range write is a bug in the size plan, reported as
/// `TooLarge` rather than a panic.
fn put(buf: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), EncodeError> {
    buf.get_mut(at..at + bytes.len())
        .ok_or(EncodeError::TooLarge)?
        .copy_from_slice(bytes);
    Ok(())
}

fn check_offsets(listing: &Listing<'_>) -> Result<(), EncodeError> {
    if listing.offsets.is_empty() {
        return Err(EncodeError::BadOffsetTable);
    }
    let mut prev = i64::MIN;
    for o in listing.offsets {
        if o.from_utc_minute <= prev
            || i32::try_from(o.from_utc_minute).is_err()
            || o.offset_minutes.unsigned_abs() > MAX_OFFSET_MINUTES.unsigned_abs()
        {
            return Err(EncodeError::BadOffsetTable);
        }
        prev = o.from_utc_minute;
    }
    Ok(())
}

fn write_offsets(listing: &Listing<'_>, region: &mut [u8]) -> Result<(), EncodeError> {
    for (i, o) in listing.offsets.iter().enumerate() {
        let at = i * OFFSET_ENTRY_LEN;
        put(region, at, &(o.from_utc_minute as i32).to_le_bytes())?;
        put(region, at + 4, &o.offset_minutes.to_le_bytes())?;
    }
    Ok(())
}

/// The provisional regions of the body.
struct Regions<'b> {
    offsets: &'b mut [u8],
    days: &'b mut [u8],
    events: &'b mut [u8],
    texts: &'b mut [u8],
    text_atoms: &'b mut [u8],
    atoms: &'b mut [u8],
    strings: &'b mut [u8],
}

impl<'b> Regions<'b> {
    fn split(work: &'b mut [u8], sizes: &[usize; 7]) -> Result<Self, EncodeError> {
        let mut rest = work;
        let mut take = |len: usize| -> Result<&'b mut [u8], EncodeError> {
            if rest.len() < len {
                return Err(EncodeError::TooLarge);
            }
            let (head, tail) = core::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            Ok(head)
        };
        let [a, b, c, d, e, f, g] = *sizes;
        Ok(Regions {
            offsets: take(a)?,
            days: take(b)?,
            events: take(c)?,
            texts: take(d)?,
            text_atoms: take(e)?,
            atoms: take(f)?,
            strings: take(g)?,
        })
    }
}

/// Interns atoms and texts into their regions.
struct Interner<'b> {
    texts: &'b mut [u8],
    text_atoms: &'b mut [u8],
    atoms: &'b mut [u8],
    strings: &'b mut [u8],
    text_count: usize,
    text_atom_len: usize,
    atom_count: usize,
    string_len: usize,
}

impl<'b> Interner<'b> {
    fn new(
        texts: &'b mut [u8],
        text_atoms: &'b mut [u8],
        atoms: &'b mut [u8],
        strings: &'b mut [u8],
        seed: Option<&TextTables<'_>>,
    ) -> Result<Self, EncodeError> {
        if let Some(t) = seed {
            // A validated bundle's tables: text 0 empty, offsets consistent.
            put(texts, 0, t.texts)?;
            put(text_atoms, 0, t.text_atoms)?;
            put(atoms, 0, t.atoms)?;
            put(strings, 0, t.strings)?;
            return Ok(Interner {
                texts,
                text_atoms,
                atoms,
                strings,
                text_count: t.texts.len() / 2 - 1,
                text_atom_len: t.text_atoms.len() / 2,
                atom_count: t.atoms.len() / 4 - 1,
                string_len: t.strings.len(),
            });
        }
        // Text 0 is the empty text (entries 0 and 1 both 0); atom table starts at offset 0.
        put(texts, 0, &[0; 4])?;
        put(atoms, 0, &[0; 4])?;
        Ok(Interner {
            texts,
            text_atoms,
            atoms,
            strings,
            text_count: 1,
            text_atom_len: 0,
            atom_count: 0,
            string_len: 0,
        })
    }

    fn u16_at(buf: &[u8], index: usize) -> usize {
        buf.get(index * 2..index * 2 + 2)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| usize::from(u16::from_le_bytes(b)))
    }

    fn u32_at(buf: &[u8], index: usize) -> usize {
        buf.get(index * 4..index * 4 + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| u32::from_le_bytes(b) as usize)
    }

    fn atom(&mut self, piece: &str) -> Result<u16, EncodeError> {
        let piece = piece.as_bytes();
        let mut start = 0;
        for id in 0..self.atom_count {
            let end = Self::u32_at(self.atoms, id + 1);
            if end - start == piece.len() && self.strings.get(start..end) == Some(piece) {
                return Ok(id as u16);
            }
            start = end;
        }
        if self.atom_count >= MAX_IDS {
            return Err(EncodeError::TooManyStrings);
        }
        let end = self.string_len + piece.len();
        put(self.strings, self.string_len, piece)?;
        let end32 = u32::try_from(end).map_err(|_| EncodeError::TooLarge)?;
        put(self.atoms, (self.atom_count + 1) * 4, &end32.to_le_bytes())?;
        self.string_len = end;
        self.atom_count += 1;
        Ok((self.atom_count - 1) as u16)
    }

    fn text(&mut self, text: &str) -> Result<u16, EncodeError> {
        if text.is_empty() {
            return Ok(0);
        }
        let mark = self.text_atom_len;
        for piece in atoms(text) {
            let id = self.atom(piece)?;
            if self.text_atom_len >= MAX_IDS {
                return Err(EncodeError::TooManyStrings);
            }
            put(self.text_atoms, self.text_atom_len * 2, &id.to_le_bytes())?;
            self.text_atom_len += 1;
        }
        let new = self
            .text_atoms
            .get(mark * 2..self.text_atom_len * 2)
            .unwrap_or(&[]);
        for t in 1..self.text_count {
            let (s, e) = (Self::u16_at(self.texts, t), Self::u16_at(self.texts, t + 1));
            if self.text_atoms.get(s * 2..e * 2) == Some(new) {
                self.text_atom_len = mark;
                return Ok(t as u16);
            }
        }
        if self.text_count >= MAX_IDS {
            return Err(EncodeError::TooManyStrings);
        }
        let end = self.text_atom_len as u16;
        put(self.texts, (self.text_count + 1) * 2, &end.to_le_bytes())?;
        self.text_count += 1;
        Ok((self.text_count - 1) as u16)
    }
}

/// Encodes `listing` into a new vector, sorting events into canonical order first (start,
/// then duration, texts and flags), so equal listings give equal bytes whatever their order.
///
/// # Errors
/// As [`encode`], except that unsorted events are sorted instead of refused.
#[cfg(feature = "alloc")]
pub fn encode_to_vec(listing: &Listing<'_>) -> Result<alloc::vec::Vec<u8>, EncodeError> {
    encode_to_vec_with_base(listing, None)
}

/// [`encode_to_vec`] keeping the text ids of `base`; see [`encode_with_base`].
///
/// # Errors
/// As [`encode`], except that unsorted events are sorted instead of refused.
#[cfg(feature = "alloc")]
pub fn encode_to_vec_with_base(
    listing: &Listing<'_>,
    base: Option<&Bundle<'_>>,
) -> Result<alloc::vec::Vec<u8>, EncodeError> {
    let mut events = alloc::vec::Vec::from(listing.events);
    events.sort_by(|a, b| {
        (a.start, a.duration_minutes, a.texts(), a.flags()).cmp(&(
            b.start,
            b.duration_minutes,
            b.texts(),
            b.flags(),
        ))
    });
    let sorted = Listing {
        events: &events,
        ..*listing
    };
    let mut out = alloc::vec![0; encoded_len_upper_bound_with_base(&sorted, base)];
    let len = encode_with_base(&sorted, base, &mut out)?;
    out.truncate(len);
    Ok(out)
}

//! Byte positions and limits of the bundle format, version 1 (normative text: docs/FORMAT.md).
//!
//! Everything the decoder and encoder agree on lives here and nowhere else.

use core::ops::Range;

use serde::{Deserialize, Serialize};

/// The four bytes every bundle starts with.
pub const MAGIC: [u8; 4] = *b"ANSL";
/// Major format version this crate reads and writes. A different major version is refused.
pub const VERSION_MAJOR: u8 = 1;
/// Minor format version this crate writes. Higher minors only add things a v1 reader may skip.
pub const VERSION_MINOR: u8 = 0;

/// Fixed preamble: magic, major, minor, header length, total length.
pub(crate) mod field {
    use super::Range;
    pub const MAGIC: Range<usize> = 0..4;
    pub const MAJOR: usize = 4;
    pub const MINOR: usize = 5;
    pub const HEADER_LEN: Range<usize> = 6..8;
    pub const TOTAL_LEN: Range<usize> = 8..12;
    pub const PREAMBLE_END: usize = 12;
}
/// Length of the fixed preamble.
pub const PREAMBLE_LEN: usize = field::PREAMBLE_END;
/// Length of the CRC-32 trailer.
pub const CRC_LEN: usize = 4;

/// Event record fields (little-endian), at the start of each `event_record_len`-byte record.
pub(crate) mod record {
    use super::Range;
    pub const START: Range<usize> = 0..4;
    pub const DURATION: Range<usize> = 4..8;
    pub const FLAGS: usize = 8;
    pub const TEXTS: usize = 9;
    pub const TEXT_REF_LEN: usize = 2;
    pub const V1_LEN: usize = TEXTS + super::TEXT_FIELDS * TEXT_REF_LEN;
}
/// Bytes of a v1 event record; later minors may append fields (the header says how long).
pub const EVENT_RECORD_V1_LEN: usize = record::V1_LEN;
/// Text references per event: title, place, description, category, link, language.
pub const TEXT_FIELDS: usize = 6;

/// Event flag bits. Bits 4–7 are reserved: v1 writers clear them, v1 readers ignore them.
pub mod event_flag {
    /// The event lasts whole days; its start is 00:00.
    pub const ALL_DAY: u8 = 1 << 0;
    /// Cancelled: still shown, struck through.
    pub const CANCELLED: u8 = 1 << 1;
    /// The source had no time zone; the time was taken as board time.
    pub const FLOATING: u8 = 1 << 2;
    /// The date was found in free text (a post), not in a structured field.
    pub const DATE_FROM_TEXT: u8 = 1 << 3;
}

/// Header flag bits. The low 16 are *ignorable*: a reader may skip ones it does not know.
/// The high 16 are *required*: a reader that meets one it does not know refuses the bundle.
/// Version 1 defines none of either.
pub mod header_flag {
    /// Mask of the bits a reader that does not know them must refuse.
    pub const REQUIRED_MASK: u32 = 0xFFFF_0000;
    /// Required bits version 1 understands (none).
    pub const KNOWN_REQUIRED: u32 = 0;
}

/// Section kinds in the header's section directory. Unknown kinds are skipped by readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum SectionKind {
    /// UTC-offset table: 6-byte entries `(from_utc_minute: i32, offset_minutes: i16)`.
    Offsets = 1,
    /// Day index: `valid_days` × u16, first event not ended by each day's 00:00.
    Days = 2,
    /// Event records, `event_record_len` bytes each, sorted by start.
    Events = 3,
    /// Text table: (texts + 1) × u16 start positions into the text-atom list.
    Texts = 4,
    /// Text-atom list: u16 atom ids; a text is a run of atoms.
    TextAtoms = 5,
    /// Atom table: (atoms + 1) × u32 byte offsets into the string blob.
    Atoms = 6,
    /// String blob: UTF-8 text, every distinct atom once.
    Strings = 7,
}

/// Every section kind of version 1, in the order the encoder writes them.
pub const SECTION_ORDER: [SectionKind; 7] = [
    SectionKind::Offsets,
    SectionKind::Days,
    SectionKind::Events,
    SectionKind::Texts,
    SectionKind::TextAtoms,
    SectionKind::Atoms,
    SectionKind::Strings,
];

/// Most sections a v1 reader accepts in the directory (known and unknown together).
pub const MAX_SECTIONS: usize = 16;
/// Offset table entry size.
pub const OFFSET_ENTRY_LEN: usize = 6;
/// Largest UTC offset accepted, in minutes (±18 h, as ISO 8601 and RFC 5545 allow).
pub const MAX_OFFSET_MINUTES: i16 = 18 * 60;
/// Most text or atom ids a bundle can hold (u16 references).
pub const MAX_IDS: usize = u16::MAX as usize;
/// Earliest `valid_from` accepted (1970-01-01), as days since 1970-01-01.
pub const MIN_VALID_FROM_DAYS: i32 = 0;
/// Latest `valid_from` accepted (9999-12-31), as days since 1970-01-01.
pub const MAX_VALID_FROM_DAYS: i32 = 2_932_896;

/// One entry of the section directory: where a section lies in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionEntry {
    /// A [`SectionKind`] value, or a kind from a later minor version.
    pub kind: u16,
    /// Offset from the start of the body (the byte after the header).
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

/// The postcard-encoded header as it is on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WireHeader<'a> {
    pub sequence: u64,
    pub created_at: i64,
    pub valid_from: i32,
    pub valid_days: u16,
    pub refresh_minutes: u32,
    pub flags: u32,
    pub board: &'a str,
    pub centre: &'a str,
    pub language: &'a str,
    pub event_record_len: u8,
    pub sections: heapless::Vec<SectionEntry, MAX_SECTIONS>,
}

/// Splits a text into the atoms the encoder interns: after each sentence end followed by a
/// space (`. ` `! ` `? `), after each line break, and a space-free text (a link) once after its
/// last `/`. Concatenating the atoms gives the text back.
///
/// Why: descriptions repeat sentences ("Eintritt frei. ") and links share their prefix, so
/// interning atoms instead of whole strings halves the string bytes of a typical listing
/// (measured in BENCHMARKS.md). Readers never split; only the encoder uses this.
pub fn atoms(text: &str) -> Atoms<'_> {
    Atoms { rest: text }
}

/// Iterator returned by [`atoms`].
#[derive(Debug, Clone)]
pub struct Atoms<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Atoms<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        let mut cut = None;
        if !bytes.iter().any(u8::is_ascii_whitespace) {
            // A link-like token: one cut after its last '/', unless that is the end.
            if let Some(pos) = bytes.iter().rposition(|&b| b == b'/') {
                if pos + 1 < bytes.len() {
                    cut = Some(pos + 1);
                }
            }
        } else {
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes.get(i).copied().unwrap_or(0);
                if b == b'\n' {
                    cut = Some(i + 1);
                    break;
                }
                if matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1) == Some(&b' ') {
                    cut = Some(i + 2);
                    break;
                }
                i += 1;
            }
        }
        // Every cut is after an ASCII byte, so it is a char boundary.
        let cut = match cut {
            Some(c) if c < bytes.len() => c,
            _ => self.rest.len(),
        };
        let (head, tail) = self.rest.split_at(cut);
        self.rest = tail;
        Some(head)
    }
}

/// Reads a little-endian u16 at `at`; `None` when out of bounds.
pub(crate) fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*b.first()?, *b.get(1)?]))
}

/// Reads a little-endian u32 at `at`; `None` when out of bounds.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Reads a little-endian i32 at `at`; `None` when out of bounds.
pub(crate) fn read_i32(bytes: &[u8], at: usize) -> Option<i32> {
    read_u32(bytes, at).map(|v| v as i32)
}

/// Byte range of entry `index` in a table of `len`-byte entries.
pub(crate) fn entry(index: usize, len: usize) -> Range<usize> {
    let start = index.saturating_mul(len);
    start..start.saturating_add(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> std::vec::Vec<&str> {
        atoms(s).collect()
    }

    #[test]
    fn atoms_split_sentences_lines_and_links() {
        assert_eq!(split(""), std::vec::Vec::<&str>::new());
        assert_eq!(
            split("Eintritt frei. Bitte anmelden!"),
            ["Eintritt frei. ", "Bitte anmelden!"]
        );
        assert_eq!(split("a\nb"), ["a\n", "b"]);
        assert_eq!(split("Dr. Ābele"), ["Dr. ", "Ābele"]);
        assert_eq!(
            split("https://x.lv/notikumi/koris-12"),
            ["https://x.lv/notikumi/", "koris-12"]
        );
        assert_eq!(split("https://x.lv/"), ["https://x.lv/"]);
        assert_eq!(split("End."), ["End."]);
        for s in ["Sveiki. ", "ā. ē! ī? ō\nū", "x/y/ž", "..  !? \n\n"] {
            assert_eq!(split(s).concat(), s);
        }
    }
}

//! Errors of the bundle decoder and encoder.

use core::fmt;

use super::layout::SectionKind;

/// Why [`Bundle::parse`](super::Bundle::parse) refused a byte string.
///
/// A kiosk that gets one of these keeps showing the bundle it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the preamble, the header or the length the preamble promises.
    Truncated,
    /// More bytes than the preamble's total length (use `parse_prefix` for a slot with slack).
    TrailingBytes,
    /// Does not start with `ANSL`: not a bundle.
    BadMagic,
    /// A major format version this reader does not understand.
    UnsupportedVersion {
        /// The bundle's major version.
        major: u8,
    },
    /// A header flag this reader must understand but does not.
    UnsupportedFeature {
        /// The unknown required flag bits.
        flags: u32,
    },
    /// The CRC-32 trailer does not match the content: damaged in storage or transit.
    CrcMismatch {
        /// CRC stored in the bundle.
        stored: u32,
        /// CRC computed over the bytes.
        computed: u32,
    },
    /// The postcard header could not be decoded.
    BadHeader,
    /// A header field is out of its allowed range.
    BadHeaderField(&'static str),
    /// A section the format requires is absent.
    MissingSection(SectionKind),
    /// A section lies outside the body, overlaps another, or appears twice.
    BadSection(SectionKind),
    /// A section's length does not fit its entry size or count.
    BadSectionLength(SectionKind),
    /// The string blob is not valid UTF-8.
    BadUtf8,
    /// An offset or reference points outside its table, or not at a character boundary.
    BadOffset(SectionKind),
    /// Events are not sorted by start time.
    EventsNotSorted {
        /// Index of the first event that starts before its predecessor.
        index: usize,
    },
    /// An event's end lies beyond the representable range.
    BadEventTime {
        /// Index of the event.
        index: usize,
    },
    /// The UTC-offset table is empty, unsorted or holds an offset beyond ±18 h.
    BadOffsetTable,
    /// The day index does not match the events.
    BadDayIndex {
        /// First day (0 = `valid_from`) whose entry is wrong.
        day: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("bundle is truncated"),
            Error::TrailingBytes => f.write_str("bundle has bytes after its CRC trailer"),
            Error::BadMagic => f.write_str("not an anslag bundle (bad magic)"),
            Error::UnsupportedVersion { major } => {
                write!(
                    f,
                    "unsupported bundle format version {major} (this reader knows 1)"
                )
            }
            Error::UnsupportedFeature { flags } => {
                write!(
                    f,
                    "bundle needs features this reader lacks (flags {flags:#010x})"
                )
            }
            Error::CrcMismatch { stored, computed } => write!(
                f,
                "CRC mismatch: stored {stored:#010x}, computed {computed:#010x} (damaged bundle)"
            ),
            Error::BadHeader => f.write_str("bundle header cannot be decoded"),
            Error::BadHeaderField(name) => {
                write!(f, "bundle header field `{name}` is out of range")
            }
            Error::MissingSection(k) => write!(f, "bundle lacks its {k:?} section"),
            Error::BadSection(k) => {
                write!(f, "bundle {k:?} section lies outside the body or overlaps")
            }
            Error::BadSectionLength(k) => write!(f, "bundle {k:?} section has a bad length"),
            Error::BadUtf8 => f.write_str("bundle strings are not valid UTF-8"),
            Error::BadOffset(k) => write!(f, "bundle {k:?} section holds an out-of-range offset"),
            Error::EventsNotSorted { index } => {
                write!(f, "bundle event {index} starts before the event before it")
            }
            Error::BadEventTime { index } => {
                write!(f, "bundle event {index} has an impossible time")
            }
            Error::BadOffsetTable => {
                f.write_str("bundle UTC-offset table is empty, unsorted or out of range")
            }
            Error::BadDayIndex { day } => write!(f, "bundle day index is wrong at day {day}"),
        }
    }
}

impl core::error::Error for Error {}

/// Why [`encode`](super::encode) could not write a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small; `needed` bytes would do (an upper bound).
    BufferTooSmall {
        /// Bytes the encoder needs as working space.
        needed: usize,
    },
    /// Events must be given sorted by start; this one starts before its predecessor.
    EventsNotSorted {
        /// Index of the offending event.
        index: usize,
    },
    /// An event starts too far from `valid_from` (more than ±4,000 years) or lasts too long.
    EventOutOfRange {
        /// Index of the offending event.
        index: usize,
    },
    /// More than 65,535 distinct texts or atoms, or an atom list longer than that.
    TooManyStrings,
    /// More than 65,535 events.
    TooManyEvents,
    /// The offset table is empty, unsorted, beyond ±18 h, or outside the i32-minute range.
    BadOffsetTable,
    /// `valid_days` is 0, or `valid_from` lies outside 1970–9999.
    BadWindow,
    /// The string blob would exceed 4 GiB.
    TooLarge,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: need {needed} bytes")
            }
            EncodeError::EventsNotSorted { index } => {
                write!(f, "event {index} starts before the event before it")
            }
            EncodeError::EventOutOfRange { index } => {
                write!(f, "event {index} lies too far from the validity window")
            }
            EncodeError::TooManyStrings => f.write_str("more than 65,535 distinct texts"),
            EncodeError::TooManyEvents => f.write_str("more than 65,535 events"),
            EncodeError::BadOffsetTable => {
                f.write_str("UTC-offset table is empty, unsorted or out of range")
            }
            EncodeError::BadWindow => f.write_str("validity window is empty or outside 1970–9999"),
            EncodeError::TooLarge => f.write_str("bundle would exceed 4 GiB"),
        }
    }
}

impl core::error::Error for EncodeError {}

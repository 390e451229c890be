//! Patch ops: the one payload language of an envelope, for full bundles and deltas alike.
//!
//! A payload (after inflating) is a sequence of ops, each writing the next bytes of the
//! result. A delta copies what the kiosk already has from its base and inserts the rest; a full
//! bundle has no base, so it is written by the other ops, which re-encode the bundle's tables in
//! a form deflate compresses better (varint differences instead of fixed-width offsets, "the
//! next new id" instead of repeating it). The kiosk gets back the exact bundle bytes, so the
//! signature over the bundle's SHA-256 is checked as always.
//!
//! ```text
//! op  name     parameters (varints)      then                                  writes
//! 0   COPY     offset · len              —                                     len base bytes
//! 1   INSERT   len                       len raw bytes                         them
//! 2   ADD16    offset · count · d        —                                     count base u16, each + d (zigzag)
//! 3   SUMS16   count                     count varints                         count u16, running sums
//! 4   SUMS32   count                     count varints                         count u32, running sums
//! 5   IDS      count · next              count id codes                        count u16 ids
//! 6   EVENTS   count · next              count × (Δstart zigzag, duration,     count 21-byte event records
//!                                        flags, 6 id codes)
//! ```
//!
//! All integers written are little-endian; sums and starts wrap, so any bytes can be written
//! this way (the packer needs no validity to be lossless). An **id code** is 0 for "the next
//! id not seen yet in this op" (starting at `next`), or id + 1. Bundles number their texts and
//! atoms in first use, so most new references cost one constant byte, and repeated ones
//! (places, categories, languages) keep a constant code that deflate matches. COPY and ADD16
//! need a base: in a full envelope they are refused.
//!
//! Why our own: the layout is ours (docs/FORMAT.md), and the gain is measured in
//! BENCHMARKS.md: the N = 200 benchmark listing's full envelope is 12,987 bytes with the bundle
//! deflated as it is, 10,525 packed, with the same compressor.

use super::Error;

/// Op codes.
pub(crate) mod op {
    pub const COPY: u8 = 0;
    pub const INSERT: u8 = 1;
    pub const ADD16: u8 = 2;
    pub const SUMS16: u8 = 3;
    pub const SUMS32: u8 = 4;
    pub const IDS: u8 = 5;
    pub const EVENTS: u8 = 6;
}

/// Varints of one event item in an EVENTS op: Δstart, duration, flags, six text ids.
const EVENT_FIELDS: u8 = 9;

/// What a patch writes into: the result, and (for deltas) the base it copies from.
pub(crate) trait Sink {
    /// Writes `len` bytes of the base from `offset`, adding `add` to every u16 when non-zero.
    fn copy(&mut self, offset: u32, len: u32, add: u16) -> Result<(), Error>;
    /// Writes the next result bytes.
    fn output(&mut self, bytes: &[u8]) -> Result<(), Error>;
}

/// A varint being read byte by byte (at most 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Varint {
    value: u32,
    shift: u32,
}

impl Varint {
    /// Adds a byte; `Some(value)` when the varint is complete.
    fn step(&mut self, byte: u8) -> Result<Option<u32>, Error> {
        let bits = u32::from(byte & 0x7F);
        if self.shift > 28 || (self.shift == 28 && bits > 0x0F) {
            return Err(Error::BadPatch);
        }
        self.value |= bits << self.shift;
        self.shift += 7;
        if byte & 0x80 != 0 {
            return Ok(None);
        }
        let v = self.value;
        *self = Varint::default();
        Ok(Some(v))
    }
}

/// Where the decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Between ops.
    #[default]
    Op,
    /// Reading an op's parameters.
    Params { op: u8, have: u8, values: [u32; 3] },
    /// Inside an INSERT.
    Insert { remaining: u32 },
    /// Reading the varints of an op's items.
    Items {
        op: u8,
        remaining: u32,
        field: u8,
        /// Running sum (SUMS*) or previous start (EVENTS).
        sum: u32,
        /// The next id not seen yet (IDS, EVENTS).
        next: u32,
    },
}

/// The streaming decoder: bytes of the (inflated) payload in, result bytes out through a
/// [`Sink`]. Holds a few words of state, whatever the payload's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Decoder {
    state: State,
    varint: Varint,
}

/// Parameters each op reads before acting.
fn param_count(op: u8) -> Option<u8> {
    Some(match op {
        op::COPY | op::IDS | op::EVENTS => 2,
        op::INSERT | op::SUMS16 | op::SUMS32 => 1,
        op::ADD16 => 3,
        _ => return None,
    })
}

/// Reverses zigzag: 0, 1, 2, 3, … → 0, -1, 1, -2, …
fn unzigzag(v: u32) -> i32 {
    (v >> 1) as i32 ^ -((v & 1) as i32)
}

/// Decodes an id code against the next unseen id (see the module docs).
fn decode_id(code: u32, next: &mut u32) -> Result<[u8; 2], Error> {
    let id = match code.checked_sub(1) {
        None => *next,
        Some(id) => id,
    };
    let id = u16::try_from(id).map_err(|_| Error::BadPatch)?;
    if u32::from(id) >= *next {
        *next = u32::from(id) + 1;
    }
    Ok(id.to_le_bytes())
}

impl Decoder {
    /// Whether the decoder sits between ops (a payload must end there).
    pub(crate) fn is_idle(&self) -> bool {
        self.state == State::Op && self.varint == Varint::default()
    }

    /// Consumes payload bytes. `with_base` allows COPY and ADD16.
    pub(crate) fn feed(
        &mut self,
        mut rest: &[u8],
        with_base: bool,
        sink: &mut impl Sink,
    ) -> Result<(), Error> {
        while let Some((&b, tail)) = rest.split_first() {
            match &mut self.state {
                State::Op => {
                    let have_base = with_base || !matches!(b, op::COPY | op::ADD16);
                    if param_count(b).is_none() || !have_base {
                        return Err(Error::BadPatch);
                    }
                    self.state = State::Params {
                        op: b,
                        have: 0,
                        values: [0; 3],
                    };
                    rest = tail;
                }
                State::Params { op, have, values } => {
                    rest = tail;
                    let Some(v) = self.varint.step(b)? else {
                        continue;
                    };
                    if let Some(slot) = values.get_mut(usize::from(*have)) {
                        *slot = v;
                    }
                    *have += 1;
                    if Some(*have) == param_count(*op) {
                        let (op, values) = (*op, *values);
                        self.state = State::Op;
                        self.start(op, values, sink)?;
                    }
                }
                State::Insert { remaining } => {
                    let n = (*remaining as usize).min(rest.len());
                    let left = *remaining - n as u32;
                    let (now, later) = rest.split_at(n);
                    self.state = if left == 0 {
                        State::Op
                    } else {
                        State::Insert { remaining: left }
                    };
                    sink.output(now)?;
                    rest = later;
                }
                State::Items {
                    op,
                    remaining,
                    field,
                    sum,
                    next,
                } => {
                    rest = tail;
                    let Some(v) = self.varint.step(b)? else {
                        continue;
                    };
                    let fields = if *op == op::EVENTS { EVENT_FIELDS } else { 1 };
                    match (*op, *field) {
                        (op::SUMS16, _) => {
                            let d = u16::try_from(v).map_err(|_| Error::BadPatch)?;
                            *sum = u32::from((*sum as u16).wrapping_add(d));
                            sink.output(&(*sum as u16).to_le_bytes())?;
                        }
                        (op::SUMS32, _) => {
                            *sum = sum.wrapping_add(v);
                            sink.output(&sum.to_le_bytes())?;
                        }
                        (op::EVENTS, 0) => {
                            *sum = (*sum as i32).wrapping_add(unzigzag(v)) as u32;
                            sink.output(&sum.to_le_bytes())?;
                        }
                        (op::EVENTS, 1) => sink.output(&v.to_le_bytes())?,
                        (op::EVENTS, 2) => {
                            sink.output(&[u8::try_from(v).map_err(|_| Error::BadPatch)?])?;
                        }
                        // IDS, and the six text ids of an event.
                        _ => sink.output(&decode_id(v, next)?)?,
                    }
                    *field += 1;
                    if *field == fields {
                        *field = 0;
                        *remaining -= 1;
                        if *remaining == 0 {
                            self.state = State::Op;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Acts on an op whose parameters are complete.
    fn start(&mut self, op: u8, [a, b, c]: [u32; 3], sink: &mut impl Sink) -> Result<(), Error> {
        match op {
            op::COPY => sink.copy(a, b, 0),
            op::ADD16 => {
                let len = b.checked_mul(2).ok_or(Error::BadPatch)?;
                sink.copy(a, len, unzigzag(c) as u16)
            }
            op::INSERT if a > 0 => {
                self.state = State::Insert { remaining: a };
                Ok(())
            }
            _ if a > 0 && op != op::INSERT => {
                self.state = State::Items {
                    op,
                    remaining: a,
                    field: 0,
                    sum: 0,
                    next: b,
                };
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Host side: writing ops.
#[cfg(feature = "alloc")]
pub mod write {
    use alloc::vec::Vec;

    use super::op;
    use crate::bundle::layout::{
        SectionKind, WireHeader, CRC_LEN, EVENT_RECORD_V1_LEN, PREAMBLE_LEN, SECTION_ORDER,
        TEXT_FIELDS,
    };

    /// Appends a varint.
    pub(crate) fn varint(out: &mut Vec<u8>, mut v: u32) {
        loop {
            let b = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    pub(crate) fn zigzag(v: i32) -> u32 {
        ((v << 1) ^ (v >> 31)) as u32
    }

    /// Appends an INSERT of `bytes` (nothing when empty).
    pub(crate) fn insert(out: &mut Vec<u8>, bytes: &[u8]) {
        if !bytes.is_empty() {
            out.push(op::INSERT);
            varint(out, bytes.len() as u32);
            out.extend_from_slice(bytes);
        }
    }

    /// Encodes an id against the next unseen one, as [`super::decode_id`] reads it.
    fn id_code(out: &mut Vec<u8>, id: u16, next: &mut u32) {
        let id = u32::from(id);
        if id == *next {
            varint(out, 0);
        } else {
            varint(out, id + 1);
        }
        if id >= *next {
            *next = id + 1;
        }
    }

    fn u16s(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
        bytes.chunks_exact(2).map(|p| le(p) as u16)
    }

    fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
        bytes.chunks_exact(4).map(le)
    }

    /// Up to four bytes as a little-endian number.
    fn le(bytes: &[u8]) -> u32 {
        bytes
            .iter()
            .rev()
            .fold(0, |acc, &b| (acc << 8) | u32::from(b))
    }

    /// Appends the ops that write one section's bytes, by kind (as they are when the kind has no
    /// better form or the bytes do not fit it).
    fn section(out: &mut Vec<u8>, kind: SectionKind, bytes: &[u8], record_len: usize) {
        match kind {
            SectionKind::Days | SectionKind::Texts if bytes.len().is_multiple_of(2) => {
                out.push(op::SUMS16);
                varint(out, (bytes.len() / 2) as u32);
                let mut prev = 0u16;
                for v in u16s(bytes) {
                    varint(out, u32::from(v.wrapping_sub(prev)));
                    prev = v;
                }
            }
            SectionKind::Atoms if bytes.len().is_multiple_of(4) => {
                out.push(op::SUMS32);
                varint(out, (bytes.len() / 4) as u32);
                let mut prev = 0u32;
                for v in u32s(bytes) {
                    varint(out, v.wrapping_sub(prev));
                    prev = v;
                }
            }
            SectionKind::TextAtoms if bytes.len().is_multiple_of(2) => {
                out.push(op::IDS);
                varint(out, (bytes.len() / 2) as u32);
                varint(out, 0);
                let mut next = 0;
                for id in u16s(bytes) {
                    id_code(out, id, &mut next);
                }
            }
            SectionKind::Events
                if record_len == EVENT_RECORD_V1_LEN && bytes.len().is_multiple_of(record_len) =>
            {
                out.push(op::EVENTS);
                varint(out, (bytes.len() / record_len) as u32);
                // Text 0 is the empty text; the first new one is 1.
                varint(out, 1);
                let (mut prev, mut next) = (0i32, 1u32);
                for r in bytes.chunks_exact(record_len) {
                    let field = |at: core::ops::Range<usize>| r.get(at).unwrap_or(&[]);
                    let start = le(field(0..4)) as i32;
                    varint(out, zigzag(start.wrapping_sub(prev)));
                    prev = start;
                    varint(out, le(field(4..8)));
                    varint(out, le(field(8..9)));
                    for id in u16s(field(9..9 + 2 * TEXT_FIELDS)) {
                        id_code(out, id, &mut next);
                    }
                }
            }
            _ => insert(out, bytes),
        }
    }

    /// The ops that write `bundle` from nothing: its header as it is, each known table
    /// re-encoded, anything else (a later minor's sections, or bytes that are not a bundle
    /// at all) inserted as it is. Lossless for any input.
    pub fn pack(bundle: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bundle.len());
        let Some(layout) = Layout::of(bundle) else {
            insert(&mut out, bundle);
            return out;
        };
        let mut at = 0;
        for &(kind, start, end) in layout.sections.iter().flatten() {
            // An empty section may sit inside another one: nothing left to write for it.
            let Some(bytes) = bundle.get(start..end).filter(|_| start >= at) else {
                continue;
            };
            insert(&mut out, bundle.get(at..start).unwrap_or(&[]));
            section(&mut out, kind, bytes, layout.record_len);
            at = end;
        }
        insert(&mut out, bundle.get(at..).unwrap_or(&[]));
        out
    }

    /// Where a bundle's known sections lie, in byte order, as its header says.
    struct Layout {
        record_len: usize,
        sections: [Option<(SectionKind, usize, usize)>; SECTION_ORDER.len()],
    }

    impl Layout {
        // No validation of the bundle: the ops rewrite whatever bytes lie in a section (sums
        // and starts wrap), so a directory that is wrong costs compression, never correctness.
        fn of(bundle: &[u8]) -> Option<Layout> {
            let header_len = le(bundle.get(6..8)?) as usize;
            let body = PREAMBLE_LEN + header_len;
            let header = bundle.get(PREAMBLE_LEN..body)?;
            let (wire, _) = postcard::take_from_bytes::<WireHeader<'_>>(header).ok()?;
            let mut sections = [None; SECTION_ORDER.len()];
            let mut n = 0;
            for e in &wire.sections {
                // A later minor's section is written as it is, between the known ones.
                let Some(kind) = SECTION_ORDER.iter().find(|k| **k as u16 == e.kind) else {
                    continue;
                };
                let start = body.checked_add(e.offset as usize)?;
                let end = start.checked_add(e.len as usize)?;
                if end > bundle.len().checked_sub(CRC_LEN)? {
                    return None;
                }
                *sections.get_mut(n)? = Some((*kind, start, end));
                n += 1;
            }
            sections
                .get_mut(..n)?
                .sort_by_key(|s| s.map(|(_, start, _)| start));
            Some(Layout {
                record_len: usize::from(wire.event_record_len),
                sections,
            })
        }
    }
}

//! Raw deflate (RFC 1951) decoding in a fixed window with small tables: the kiosk's whole cost
//! of compression.
//!
//! Why our own and not miniz_oxide's decoder (which the host still uses to compress, and which
//! the tests use as the reference): miniz_oxide keeps ≈ 10.5 KB of fast-lookup tables next to
//! the 32 KiB window, and that alone put a transfer over the kiosk's 48 KB RAM budget. Here the
//! Huffman codes are held the way zlib's `puff` holds them — a count per code length and the
//! symbols in canonical order (≈ 1 KB in all) — and decoded one bit at a time. On the host that
//! is 2–4× slower than miniz_oxide (≈ 55 MB/s of compressed input), and it does not matter: the
//! kiosk only has to keep up with its link (11.5 KB/s at 115,200 baud). No maintained `no_std`
//! decoder with small tables and streaming input exists (zlib-rs wants an allocator;
//! `inflate`, `libflate` want `std`).
//!
//! Streaming: input arrives in pieces of any size. Every decoding step needs at most 48 bits
//! (a length code, its extra bits, a distance code and its extra bits), so a step starts only
//! when 48 bits are buffered or the input is known to end; otherwise the bits read so far stay
//! in the bit buffer and [`Inflater::feed`] returns for more. No step is ever undone.

use core::fmt;

use super::Error;

/// Deflate window the kiosk keeps while inflating (the format's maximum distance).
pub const INFLATE_WINDOW: usize = 32 * 1024;

/// Most bits one decoding step can need: length code (15) + extra (5) + distance code (15)
/// + extra (13).
const STEP_BITS: u32 = 48;
const MAX_CODE_BITS: usize = 15;
/// Literal/length codes a dynamic block may declare (RFC 1951 §3.2.7: HLIT ≤ 286).
const MAX_LIT_CODES: usize = 286;
/// Distance codes a dynamic block may declare (HDIST ≤ 30).
const MAX_DIST_CODES: usize = 30;
/// The fixed literal/length code has 288 symbols (286 and 287 never occur in valid data).
const FIXED_LIT_CODES: usize = 288;

/// Base lengths and extra bits of length symbols 257..=285.
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distances and extra bits of distance symbols 0..=29.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// Order in which a dynamic header lists the code-length code's lengths.
const CODE_LENGTH_ORDER: [u8; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// A canonical Huffman code: how many codes have each length, and the symbols in code order.
#[derive(Clone)]
struct Code<const N: usize> {
    count: [u16; MAX_CODE_BITS + 1],
    symbol: [u16; N],
}

impl<const N: usize> Code<N> {
    const EMPTY: Self = Code {
        count: [0; MAX_CODE_BITS + 1],
        symbol: [0; N],
    };

    /// Builds the code from per-symbol lengths (0 = unused). Returns how many codes of the
    /// code space are left unused (0 for a complete code).
    fn build(&mut self, lengths: &[u8]) -> Result<i32, Error> {
        if lengths.len() > N {
            return Err(Error::BadCompression);
        }
        self.count = [0; MAX_CODE_BITS + 1];
        for &len in lengths {
            *self
                .count
                .get_mut(usize::from(len))
                .ok_or(Error::BadCompression)? += 1;
        }
        let mut left: i32 = 1;
        for &count in self.count.iter().skip(1) {
            left = (left << 1) - i32::from(count);
            if left < 0 {
                return Err(Error::BadCompression); // over-subscribed
            }
        }
        // Where each length's symbols start in `symbol`: codes are ordered by length, then by
        // symbol (RFC 1951 §3.2.2).
        let mut offset = [0u16; MAX_CODE_BITS + 1];
        let mut next = 0u16;
        for (at, &count) in offset.iter_mut().zip(&self.count).skip(1) {
            *at = next;
            next += count;
        }
        for (symbol, &len) in lengths.iter().enumerate() {
            if len != 0 {
                let at = offset
                    .get_mut(usize::from(len))
                    .ok_or(Error::BadCompression)?;
                *self
                    .symbol
                    .get_mut(usize::from(*at))
                    .ok_or(Error::BadCompression)? = symbol as u16;
                *at += 1;
            }
        }
        Ok(left)
    }

    /// Whether a code that leaves part of its space unused is still acceptable: only a single
    /// code of one bit (RFC 1951 allows a block to use one distance or one literal).
    fn incomplete_ok(&self, used: usize) -> bool {
        used == usize::from(self.count[0]) + usize::from(self.count[1])
    }
}

/// Bits taken from the input, least significant first.
#[derive(Clone, Copy, Default)]
struct Bits {
    buf: u64,
    len: u32,
}

impl Bits {
    /// Moves input bytes into the buffer while it has room.
    fn refill(&mut self, input: &mut &[u8]) {
        while self.len <= 56 {
            let Some((&byte, rest)) = input.split_first() else {
                return;
            };
            self.buf |= u64::from(byte) << self.len;
            self.len += 8;
            *input = rest;
        }
    }

    fn take(&mut self, n: u32) -> Result<u32, Error> {
        if n > self.len {
            return Err(Error::BadCompression);
        }
        let value = (self.buf & ((1u64 << n) - 1)) as u32;
        self.buf >>= n;
        self.len -= n;
        Ok(value)
    }

    /// Decodes one symbol, bit by bit, as zlib's `puff` does.
    fn decode<const N: usize>(&mut self, code: &Code<N>) -> Result<u16, Error> {
        let (mut value, mut first, mut index) = (0i32, 0i32, 0i32);
        for &count in &code.count[1..] {
            value |= self.take(1)? as i32;
            let count = i32::from(count);
            if value - count < first {
                return code
                    .symbol
                    .get((index + (value - first)) as usize)
                    .copied()
                    .ok_or(Error::BadCompression);
            }
            index += count;
            first = (first + count) << 1;
            value <<= 1;
        }
        Err(Error::BadCompression) // a code the block's tables do not have
    }
}

/// Where the decoder is in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Next: a block header (BFINAL, BTYPE).
    BlockHeader,
    /// Next: a stored block's LEN and NLEN.
    StoredHeader,
    /// Copying a stored block; bytes left.
    Stored(u16),
    /// Next: HLIT, HDIST, HCLEN of a dynamic block.
    DynamicHeader,
    /// Reading the code-length code's lengths; how many have been read.
    CodeLengthCode(u8),
    /// Reading literal/length and distance code lengths; how many have been read.
    CodeLengths(u16),
    /// Literals and matches until end of block.
    Data,
    /// The final block has ended.
    Done,
}

/// Undoes raw deflate in a fixed [`INFLATE_WINDOW`]: the kiosk's whole cost of compression is
/// this struct (33.9 KB: the window and ≈ 1.1 KB of state and tables), whatever the bundle's size.
pub struct Inflater {
    window: [u8; INFLATE_WINDOW],
    /// Where the next byte goes in the window.
    pos: usize,
    /// Window bytes from here to `pos` have not been handed out yet.
    flushed: usize,
    /// Bytes produced since the stream began (capped: only "is a distance in range" uses it).
    produced: usize,
    bits: Bits,
    state: State,
    final_block: bool,
    /// HLIT and HDIST (as counts) and HCLEN of the dynamic block being read.
    lit_count: u16,
    dist_count: u8,
    code_length_count: u8,
    /// Literal/length code of the current block; also holds the code-length code while a
    /// dynamic header is read.
    lit: Code<FIXED_LIT_CODES>,
    dist: Code<MAX_DIST_CODES>,
    lengths: [u8; MAX_LIT_CODES + MAX_DIST_CODES],
}

impl fmt::Debug for Inflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater")
            .field("state", &self.state)
            .field("produced", &self.produced)
            .finish_non_exhaustive()
    }
}

impl Default for Inflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Inflater {
    /// A fresh stream.
    pub const fn new() -> Self {
        Inflater {
            window: [0; INFLATE_WINDOW],
            pos: 0,
            flushed: 0,
            produced: 0,
            bits: Bits { buf: 0, len: 0 },
            state: State::BlockHeader,
            final_block: false,
            lit_count: 0,
            dist_count: 0,
            code_length_count: 0,
            lit: Code::EMPTY,
            dist: Code::EMPTY,
            lengths: [0; MAX_LIT_CODES + MAX_DIST_CODES],
        }
    }

    /// Resets to a fresh stream without touching the window's memory (a new `Inflater` would
    /// be built on the stack first).
    pub fn reset(&mut self) {
        self.pos = 0;
        self.flushed = 0;
        self.produced = 0;
        self.bits = Bits::default();
        self.state = State::BlockHeader;
        self.final_block = false;
    }

    /// Whether the stream's final block has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Inflates `input`, passing every produced run of bytes to `out`. `last` says that no
    /// input follows.
    ///
    /// # Errors
    /// [`Error::BadCompression`] (invalid stream, a stream that ends early when `last`, or bytes
    /// after its end), or what `out` returns.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        last: bool,
        mut out: impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        loop {
            self.bits.refill(&mut input);
            if self.state == State::Done {
                self.flush(&mut out)?;
                // Bytes after the end of the deflate stream are not ours (the partial byte
                // the final block ended in is).
                return if input.is_empty() && self.bits.len < 8 {
                    Ok(())
                } else {
                    Err(Error::BadCompression)
                };
            }
            if let State::Stored(left) = self.state {
                self.stored(left, &mut input, &mut out)?;
                if matches!(self.state, State::Stored(_)) {
                    // Out of input inside a stored block.
                    self.flush(&mut out)?;
                    return if last {
                        Err(Error::BadCompression)
                    } else {
                        Ok(())
                    };
                }
                continue;
            }
            if self.bits.len < STEP_BITS && !last {
                return self.flush(&mut out);
            }
            if self.bits.len == 0 {
                return Err(Error::BadCompression); // ended before the final block did
            }
            self.step(&mut out)?;
        }
    }

    /// One decoding step; needs at most [`STEP_BITS`] bits.
    fn step(&mut self, out: &mut impl FnMut(&[u8]) -> Result<(), Error>) -> Result<(), Error> {
        match self.state {
            State::BlockHeader => {
                self.final_block = self.bits.take(1)? == 1;
                self.state = match self.bits.take(2)? {
                    0 => State::StoredHeader,
                    1 => {
                        self.fixed_codes()?;
                        State::Data
                    }
                    2 => State::DynamicHeader,
                    _ => return Err(Error::BadCompression),
                };
            }
            State::StoredHeader => {
                let partial = self.bits.len % 8;
                self.bits.take(partial)?;
                let len = self.bits.take(16)?;
                let nlen = self.bits.take(16)?;
                if len != !nlen & 0xffff {
                    return Err(Error::BadCompression);
                }
                self.state = State::Stored(len as u16);
            }
            // Stored bytes are copied by `feed` before any step is taken, and nothing follows
            // the end; reaching either here would be this module's bug, reported, not a panic.
            State::Stored(_) | State::Done => return Err(Error::BadCompression),
            State::DynamicHeader => {
                self.lit_count = self.bits.take(5)? as u16 + 257;
                self.dist_count = self.bits.take(5)? as u8 + 1;
                self.code_length_count = self.bits.take(4)? as u8 + 4;
                if usize::from(self.lit_count) > MAX_LIT_CODES
                    || usize::from(self.dist_count) > MAX_DIST_CODES
                {
                    return Err(Error::BadCompression);
                }
                self.lengths[..19].fill(0);
                self.state = State::CodeLengthCode(0);
            }
            State::CodeLengthCode(read) => {
                let symbol = *CODE_LENGTH_ORDER
                    .get(usize::from(read))
                    .ok_or(Error::BadCompression)?;
                *self
                    .lengths
                    .get_mut(usize::from(symbol))
                    .ok_or(Error::BadCompression)? = self.bits.take(3)? as u8;
                let read = read + 1;
                self.state = if read < self.code_length_count {
                    State::CodeLengthCode(read)
                } else {
                    // The code-length code must be complete.
                    if self.lit.build(&self.lengths[..19])? != 0 {
                        return Err(Error::BadCompression);
                    }
                    State::CodeLengths(0)
                };
            }
            State::CodeLengths(read) => self.code_lengths(read)?,
            State::Data => self.data(out)?,
        }
        Ok(())
    }

    fn fixed_codes(&mut self) -> Result<(), Error> {
        let mut lengths = [0u8; FIXED_LIT_CODES];
        lengths[..144].fill(8);
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        lengths[280..].fill(8);
        self.lit.build(&lengths)?;
        self.dist.build(&[5; MAX_DIST_CODES])?;
        Ok(())
    }

    /// One code length (or a run of them) of a dynamic block; builds both codes after the last.
    fn code_lengths(&mut self, read: u16) -> Result<(), Error> {
        let total = usize::from(self.lit_count) + usize::from(self.dist_count);
        let mut at = usize::from(read);
        let symbol = self.bits.decode(&self.lit)?;
        if symbol < 16 {
            *self.lengths.get_mut(at).ok_or(Error::BadCompression)? = symbol as u8;
            at += 1;
        } else {
            let (value, repeat) = match symbol {
                16 => {
                    let previous = *at
                        .checked_sub(1)
                        .and_then(|p| self.lengths.get(p))
                        .ok_or(Error::BadCompression)?;
                    (previous, 3 + self.bits.take(2)?)
                }
                17 => (0, 3 + self.bits.take(3)?),
                _ => (0, 11 + self.bits.take(7)?),
            };
            let end = at + repeat as usize;
            if end > total {
                return Err(Error::BadCompression);
            }
            self.lengths
                .get_mut(at..end)
                .ok_or(Error::BadCompression)?
                .fill(value);
            at = end;
        }
        if at < total {
            self.state = State::CodeLengths(at as u16);
            return Ok(());
        }
        let (lit, dist) = self
            .lengths
            .get(..total)
            .ok_or(Error::BadCompression)?
            .split_at(usize::from(self.lit_count));
        if lit.get(256).is_none_or(|&len| len == 0) {
            return Err(Error::BadCompression); // no end-of-block code
        }
        let left = self.lit.build(lit)?;
        if left != 0 && !self.lit.incomplete_ok(lit.len()) {
            return Err(Error::BadCompression);
        }
        let left = self.dist.build(dist)?;
        if left != 0 && !self.dist.incomplete_ok(dist.len()) {
            return Err(Error::BadCompression);
        }
        self.state = State::Data;
        Ok(())
    }

    /// One literal, one match, or the end of the block.
    fn data(&mut self, out: &mut impl FnMut(&[u8]) -> Result<(), Error>) -> Result<(), Error> {
        let symbol = self.bits.decode(&self.lit)?;
        match symbol {
            0..=255 => self.put(symbol as u8, out),
            256 => {
                self.state = if self.final_block {
                    State::Done
                } else {
                    State::BlockHeader
                };
                Ok(())
            }
            _ => {
                let i = usize::from(symbol - 257);
                let (&base, &extra) = LEN_BASE
                    .get(i)
                    .zip(LEN_EXTRA.get(i))
                    .ok_or(Error::BadCompression)?;
                let len = usize::from(base) + self.bits.take(u32::from(extra))? as usize;
                let d = usize::from(self.bits.decode(&self.dist)?);
                let (&base, &extra) = DIST_BASE
                    .get(d)
                    .zip(DIST_EXTRA.get(d))
                    .ok_or(Error::BadCompression)?;
                let distance = usize::from(base) + self.bits.take(u32::from(extra))? as usize;
                if distance > self.produced {
                    return Err(Error::BadCompression); // before the start of the stream
                }
                for _ in 0..len {
                    let from = self.pos.wrapping_sub(distance) & (INFLATE_WINDOW - 1);
                    let byte = *self.window.get(from).ok_or(Error::BadCompression)?;
                    self.put(byte, out)?;
                }
                Ok(())
            }
        }
    }

    /// Copies what input there is of a stored block: first the whole bytes still in the bit
    /// buffer, then straight from `input`.
    fn stored(
        &mut self,
        mut left: u16,
        input: &mut &[u8],
        out: &mut impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        while left > 0 && self.bits.len >= 8 {
            let byte = self.bits.take(8)? as u8;
            self.put(byte, out)?;
            left -= 1;
        }
        while left > 0 {
            let Some((&byte, rest)) = input.split_first() else {
                break;
            };
            self.put(byte, out)?;
            *input = rest;
            left -= 1;
        }
        self.state = if left > 0 {
            State::Stored(left)
        } else if self.final_block {
            State::Done
        } else {
            State::BlockHeader
        };
        Ok(())
    }

    fn put(
        &mut self,
        byte: u8,
        out: &mut impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        *self.window.get_mut(self.pos).ok_or(Error::BadCompression)? = byte;
        self.pos += 1;
        self.produced = self.produced.saturating_add(1).min(INFLATE_WINDOW);
        if self.pos == INFLATE_WINDOW {
            self.flush(out)?;
            self.pos = 0;
            self.flushed = 0;
        }
        Ok(())
    }

    /// Hands out the window bytes produced since the last flush.
    fn flush(&mut self, out: &mut impl FnMut(&[u8]) -> Result<(), Error>) -> Result<(), Error> {
        if self.pos > self.flushed {
            let bytes = self
                .window
                .get(self.flushed..self.pos)
                .ok_or(Error::BadCompression)?;
            self.flushed = self.pos;
            out(bytes)?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use proptest::prelude::*;

    use super::*;

    /// Inflates `stream` fed in pieces of `chunk` bytes.
    fn inflate(stream: &[u8], chunk: usize) -> Result<Vec<u8>, Error> {
        let mut inflater = std::boxed::Box::new(Inflater::new());
        let mut out = Vec::new();
        let pieces: Vec<&[u8]> = if stream.is_empty() {
            std::vec![&[][..]]
        } else {
            stream.chunks(chunk.max(1)).collect()
        };
        let n = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            inflater.feed(piece, i + 1 == n, |bytes| {
                out.extend_from_slice(bytes);
                Ok(())
            })?;
        }
        if !inflater.is_done() {
            return Err(Error::BadCompression);
        }
        Ok(out)
    }

    /// The host's strongest encoder (what full updates are sent with).
    fn zopfli(data: &[u8]) -> Vec<u8> {
        crate::wire::seal::deflate(data)
    }

    /// Text with long-range repeats, like a bundle's strings: matches of every length and
    /// distances up to the whole window.
    fn sample(len: usize, seed: u32) -> Vec<u8> {
        let words: [&[u8]; 8] = [
            b"Kulturhaus ",
            b"Saules iela 3, ",
            b"koncerts ",
            b"19:00 ",
            b"Dorfgemeinschaftshaus ",
            b"\xc5\xbe\xc4\x81\xc5\x86 ",
            b"k\xc3\xb6rs\xc3\xa5ng ",
            b"\n",
        ];
        let mut state = seed | 1;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if state.is_multiple_of(7) {
                out.push(state as u8); // noise: literals between matches
            } else {
                out.extend_from_slice(words[(state >> 8) as usize % words.len()]);
            }
        }
        out.truncate(len);
        out
    }

    /// miniz_oxide's answer for a whole stream, held to our rule that nothing may follow the end.
    fn reference(stream: &[u8]) -> Option<Vec<u8>> {
        use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
        let mut out = std::vec![0; 1 << 20];
        let mut state = std::boxed::Box::new(DecompressorOxide::new());
        let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        let (status, consumed, written) = decompress(&mut state, stream, &mut out, 0, flags);
        let whole = consumed == stream.len();
        (status == miniz_oxide::inflate::TINFLStatus::Done && whole)
            .then(|| out[..written].to_vec())
    }

    #[test]
    fn known_streams() {
        // Fixed Huffman, from RFC 1951 encoders everywhere.
        assert_eq!(
            inflate(&[0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 1).unwrap(),
            b"hello"
        );
        // Empty fixed block.
        assert_eq!(inflate(&[0x03, 0x00], 7).unwrap(), b"");
        // Stored block "abc", then trailing bits of the final byte are ignored.
        assert_eq!(
            inflate(&[0x01, 3, 0, 0xfc, 0xff, b'a', b'b', b'c'], 2).unwrap(),
            b"abc"
        );
    }

    #[test]
    fn every_encoder_and_level_round_trips_in_any_split() {
        for (len, seed) in [(0, 1), (1, 2), (300, 3), (40_000, 4), (120_000, 5)] {
            let data = sample(len, seed);
            let mut streams: Vec<Vec<u8>> = (0..=10)
                .map(|level| miniz_oxide::deflate::compress_to_vec(&data, level))
                .collect();
            streams.push(zopfli(&data));
            for (i, stream) in streams.iter().enumerate() {
                for chunk in [1, 3, 64, 233, 4096, usize::MAX] {
                    assert_eq!(
                        inflate(stream, chunk).as_deref(),
                        Ok(&data[..]),
                        "len {len}, stream {i}, chunk {chunk}"
                    );
                }
            }
        }
    }

    #[test]
    fn matches_at_the_window_edge_and_the_longest_length() {
        // A 32 KiB-distance match (the farthest deflate allows) and runs of length 258.
        let mut data = sample(INFLATE_WINDOW, 9);
        data.extend_from_within(..1000);
        data.extend(core::iter::repeat_n(b'x', 5000));
        let stream = miniz_oxide::deflate::compress_to_vec(&data, 10);
        assert_eq!(inflate(&stream, 100).unwrap(), data);
    }

    #[test]
    fn broken_streams_are_refused() {
        // Block type 3.
        assert_eq!(inflate(&[0x07], 1), Err(Error::BadCompression));
        // Stored block whose NLEN is not the complement of LEN.
        assert_eq!(
            inflate(&[0x01, 3, 0, 0, 0, b'a', b'b', b'c'], 8),
            Err(Error::BadCompression)
        );
        // Distance before the start of the stream: fixed code, length 3, distance 1, at byte 0.
        assert_eq!(inflate(&[0x03, 0x02, 0x00], 8), Err(Error::BadCompression));
        // Bytes after the end.
        assert_eq!(
            inflate(&[0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00], 3),
            Err(Error::BadCompression)
        );
        // Every proper prefix of a real stream ends early.
        let stream = zopfli(&sample(5000, 7));
        for cut in 0..stream.len() {
            assert_eq!(
                inflate(&stream[..cut], 50),
                Err(Error::BadCompression),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn its_tables_are_small() {
        let tables = core::mem::size_of::<Inflater>() - INFLATE_WINDOW;
        assert!(tables <= 1100, "{tables} bytes besides the window");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn same_bytes_as_miniz(data in prop::collection::vec(any::<u8>(), 0..3000),
                               text in 0usize..20_000, level in 0u8..=10, chunk in 1usize..700) {
            let mut input = sample(text, data.len() as u32);
            input.extend_from_slice(&data);
            let stream = miniz_oxide::deflate::compress_to_vec(&input, level);
            prop_assert_eq!(inflate(&stream, chunk), Ok(input));
        }

        /// On damaged streams both decoders agree: what one accepts the other does, with the same
        /// bytes (miniz_oxide being the long-tested reference). Most damage is caught by the
        /// bundle's CRC and signature anyway; this is about the decoder itself.
        #[test]
        fn damaged_streams_agree_with_miniz(text in 0usize..6000, at in any::<prop::sample::Index>(),
                                             xor in 1u8..=255, chunk in 1usize..300) {
            let mut stream = miniz_oxide::deflate::compress_to_vec(&sample(text, 3), 6);
            let i = at.index(stream.len());
            stream[i] ^= xor;
            let ours = inflate(&stream, chunk).ok();
            prop_assert_eq!(ours, reference(&stream));
        }
    }
}

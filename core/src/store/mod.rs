//! Power-cut-safe bundle storage: two slots and a double-written superblock on NOR flash.
//!
//! ```text
//! | superblock 0 | superblock 1 | slot 0 ............ | slot 1 ............ |
//!   one erase block each          (capacity - 2 blocks) / 2, block-aligned
//! ```
//!
//! An update erases and writes the slot the active superblock does *not* point to, reads it
//! back and checks the bundle's CRC-32 trailer, and only then writes a superblock record with
//! the next generation into the superblock block holding the *older* record. Boot picks the
//! newest valid record whose slot verifies. A power cut at any byte of any step therefore
//! leaves the complete old bundle or the complete new one — never a blank board; the test
//! `power_cut_at_every_byte_of_an_update` cuts at every byte and checks exactly that.
//!
//! The store checks integrity (CRC) and freshness (sequence); authenticity (signature) and
//! structure (`Bundle::parse`) are the caller's, before [`Store::finish`]. Generic over
//! `embedded_storage::nor_flash::NorFlash`, assuming nothing beyond its constants.

#[cfg(any(test, feature = "mock-flash"))]
pub mod mock_flash;

use core::fmt;

use embedded_storage::nor_flash::NorFlash;

use crate::checksum::{crc32, Crc32};

/// Largest write size supported (flash page programs of up to 256 bytes).
pub const MAX_WRITE_SIZE: usize = 256;
const RECORD_LEN: usize = 32;
const RECORD_MAGIC: [u8; 4] = *b"ANSB";
const RECORD_VERSION: u8 = 1;

/// Errors of the store, generic over the flash's own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The flash reported an error.
    Flash(E),
    /// The flash is too small for two superblocks and two slots, or its sizes are unsupported.
    BadGeometry,
    /// The bundle does not fit a slot.
    TooLarge {
        /// Bytes a slot holds.
        capacity: u32,
    },
    /// `write` or `finish` without `begin`, or writes not in order.
    OutOfOrder,
    /// The written bundle does not read back with a valid CRC: not activated.
    Corrupted,
    /// The bundle's sequence is not newer than the active one: not activated.
    Stale {
        /// Sequence of the active bundle.
        active: u64,
    },
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Flash(e) => write!(f, "flash error: {e:?}"),
            Error::BadGeometry => f.write_str("flash too small or with unsupported block sizes"),
            Error::TooLarge { capacity } => {
                write!(f, "bundle larger than a slot ({capacity} bytes)")
            }
            Error::OutOfOrder => f.write_str("bundle data written out of order"),
            Error::Corrupted => f.write_str("bundle did not read back intact; not activated"),
            Error::Stale { active } => write!(
                f,
                "bundle is not newer than the active one (sequence {active})"
            ),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {}

/// The bundle a store holds as active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Active {
    /// Slot 0 or 1.
    pub slot: u8,
    /// Bundle length in bytes.
    pub len: u32,
    /// The bundle's CRC-32 (its trailer).
    pub crc: u32,
    /// The bundle's sequence number.
    pub sequence: u64,
    /// Superblock generation (grows with every activation).
    pub generation: u32,
}

impl Active {
    fn encode(&self) -> [u8; RECORD_LEN] {
        let mut r = [0u8; RECORD_LEN];
        let fields: [(usize, &[u8]); 7] = [
            (0, &RECORD_MAGIC),
            (4, &[RECORD_VERSION, self.slot, 0, 0]),
            (8, &self.generation.to_le_bytes()),
            (12, &self.len.to_le_bytes()),
            (16, &self.crc.to_le_bytes()),
            (20, &self.sequence.to_le_bytes()),
            (28, &[0; 4]),
        ];
        for (at, bytes) in fields {
            if let Some(dst) = r.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
        let crc = crc32(r.get(..28).unwrap_or(&[]));
        if let Some(dst) = r.get_mut(28..32) {
            dst.copy_from_slice(&crc.to_le_bytes());
        }
        r
    }

    fn decode(r: &[u8]) -> Option<Active> {
        let u32_at = |at: usize| {
            r.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        if r.get(..4)? != RECORD_MAGIC
            || *r.get(4)? != RECORD_VERSION
            || crc32(r.get(..28)?) != u32_at(28)?
        {
            return None;
        }
        let slot = *r.get(5)?;
        (slot <= 1).then_some(())?;
        Some(Active {
            slot,
            generation: u32_at(8)?,
            len: u32_at(12)?,
            crc: u32_at(16)?,
            sequence: u64::from_le_bytes(r.get(20..28)?.try_into().ok()?),
        })
    }
}

/// An update being written.
#[derive(Debug, Clone, Copy)]
struct Pending {
    slot: u8,
    len: u32,
    /// Bytes flushed to flash (a multiple of the write size).
    flushed: u32,
    buf: [u8; MAX_WRITE_SIZE],
    buffered: usize,
}

/// A/B bundle storage over a NOR flash.
#[derive(Debug)]
pub struct Store<F> {
    flash: F,
    slot_len: u32,
    active: Option<Active>,
    /// Superblock block (0/1) holding the active record.
    active_block: u8,
    pending: Option<Pending>,
}

impl<F: NorFlash> Store<F> {
    /// Opens the store: finds the newest valid superblock record whose slot verifies.
    ///
    /// # Errors
    /// [`Error::BadGeometry`] for a flash too small or with a write size over 256 or not
    /// dividing 32; [`Error::Flash`] when reading fails.
    pub fn mount(mut flash: F) -> Result<Self, Error<F::Error>> {
        let erase = F::ERASE_SIZE.max(1);
        let w = F::WRITE_SIZE.max(1);
        let blocks = flash.capacity() / erase;
        if w > MAX_WRITE_SIZE || erase < RECORD_LEN.div_ceil(w) * w || blocks < 4 {
            return Err(Error::BadGeometry);
        }
        let slot_len = u32::try_from((blocks - 2) / 2 * erase).map_err(|_| Error::BadGeometry)?;
        let mut records = [None, None];
        for (block, rec) in records.iter_mut().enumerate() {
            let mut r = [0u8; RECORD_LEN];
            flash
                .read((block * erase) as u32, &mut r)
                .map_err(Error::Flash)?;
            *rec = Active::decode(&r).map(|a| (a, block as u8));
        }
        // Newest first; a record whose slot fails verification is skipped.
        let mut candidates = records;
        candidates.sort_unstable_by_key(|c| core::cmp::Reverse(c.map(|(a, _)| a.generation)));
        let mut store = Store {
            flash,
            slot_len,
            active: None,
            active_block: 1,
            pending: None,
        };
        for (a, block) in candidates.into_iter().flatten() {
            if a.len <= slot_len && store.slot_crc_ok(a.slot, a.len, a.crc)? {
                store.active = Some(a);
                store.active_block = block;
                break;
            }
        }
        Ok(store)
    }

    /// The active bundle, if any.
    pub fn active(&self) -> Option<&Active> {
        self.active.as_ref()
    }

    /// Where the active bundle lies in the flash: (offset, length). On a memory-mapped flash
    /// (the RP2040's XIP window) the kiosk parses it right there, without copying it to RAM; it
    /// must not hold on to it across the next [`Store::finish`], which may make the slot the
    /// next one to be erased.
    pub fn active_location(&self) -> Option<(u32, u32)> {
        self.active.map(|a| (self.slot_offset(a.slot), a.len))
    }

    /// Bytes one slot holds: the largest bundle the store takes.
    pub fn slot_capacity(&self) -> u32 {
        self.slot_len
    }

    /// The flash, for reading the active bundle in place (memory-mapped) or for tests.
    pub fn into_inner(self) -> F {
        self.flash
    }

    fn slot_offset(&self, slot: u8) -> u32 {
        (2 * F::ERASE_SIZE) as u32 + u32::from(slot) * self.slot_len
    }

    /// Reads `buf.len()` bytes of the active bundle from `offset`.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] when there is no active bundle or the range is outside it;
    /// [`Error::Flash`] when reading fails.
    pub fn read_active(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Error<F::Error>> {
        let a = self.active.ok_or(Error::OutOfOrder)?;
        let end = offset
            .checked_add(buf.len() as u32)
            .ok_or(Error::OutOfOrder)?;
        if end > a.len {
            return Err(Error::OutOfOrder);
        }
        let at = self.slot_offset(a.slot) + offset;
        self.flash.read(at, buf).map_err(Error::Flash)
    }

    /// CRC of a slot's first `len - 4` bytes equals `crc` and the trailer holds it.
    fn slot_crc_ok(&mut self, slot: u8, len: u32, crc: u32) -> Result<bool, Error<F::Error>> {
        if len < 4 {
            return Ok(false);
        }
        let base = self.slot_offset(slot);
        let mut c = Crc32::new();
        let mut chunk = [0u8; 64];
        let mut at = 0u32;
        let body = len - 4;
        while at < body {
            let n = (body - at).min(chunk.len() as u32) as usize;
            let part = chunk.get_mut(..n).ok_or(Error::OutOfOrder)?;
            self.flash.read(base + at, part).map_err(Error::Flash)?;
            c.update(part);
            at += n as u32;
        }
        let mut trailer = [0u8; 4];
        self.flash
            .read(base + body, &mut trailer)
            .map_err(Error::Flash)?;
        let computed = c.finalize();
        Ok(computed == crc && u32::from_le_bytes(trailer) == crc)
    }

    /// Starts writing a bundle of `len` bytes into the inactive slot (erasing what it needs).
    ///
    /// # Errors
    /// [`Error::TooLarge`] when it does not fit; [`Error::Flash`] when erasing fails.
    pub fn begin(&mut self, len: u32) -> Result<(), Error<F::Error>> {
        if len > self.slot_len || len < 4 {
            return Err(Error::TooLarge {
                capacity: self.slot_len,
            });
        }
        let slot = match self.active {
            Some(a) => 1 - a.slot,
            None => 0,
        };
        let erase = F::ERASE_SIZE as u32;
        let from = self.slot_offset(slot);
        let to = from + len.div_ceil(erase) * erase;
        self.pending = None;
        self.flash.erase(from, to).map_err(Error::Flash)?;
        self.pending = Some(Pending {
            slot,
            len,
            flushed: 0,
            buf: [0xFF; MAX_WRITE_SIZE],
            buffered: 0,
        });
        Ok(())
    }

    /// Bytes of the pending bundle received so far (where a resumed transfer continues).
    pub fn received(&self) -> Option<u32> {
        self.pending.map(|p| p.flushed + p.buffered as u32)
    }

    /// Writes the next `data` of the pending bundle at `offset` (which must be where the last
    /// write ended).
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] for a gap, an overlap or past the announced length;
    /// [`Error::Flash`] when writing fails.
    pub fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), Error<F::Error>> {
        let mut p = self.pending.ok_or(Error::OutOfOrder)?;
        let base = self.slot_offset(p.slot);
        if offset != p.flushed + p.buffered as u32 || offset + data.len() as u32 > p.len {
            return Err(Error::OutOfOrder);
        }
        let w = F::WRITE_SIZE.max(1);
        for &b in data {
            if let Some(slot) = p.buf.get_mut(p.buffered) {
                *slot = b;
            }
            p.buffered += 1;
            if p.buffered == w {
                let word = p.buf.get(..w).ok_or(Error::OutOfOrder)?;
                self.flash
                    .write(base + p.flushed, word)
                    .map_err(Error::Flash)?;
                p.flushed += w as u32;
                p.buffered = 0;
            }
        }
        self.pending = Some(p);
        Ok(())
    }

    /// Completes the pending bundle: flushes, reads it back, checks its CRC-32 trailer and
    /// that `sequence` is newer than the active one, then activates it by writing the next
    /// superblock record.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] when not all bytes arrived; [`Error::Corrupted`] when it does not
    /// read back intact; [`Error::Stale`] for an old sequence; [`Error::Flash`].
    pub fn finish(&mut self, sequence: u64) -> Result<Active, Error<F::Error>> {
        let mut p = self.pending.ok_or(Error::OutOfOrder)?;
        if p.flushed + p.buffered as u32 != p.len {
            return Err(Error::OutOfOrder);
        }
        if let Some(a) = self.active {
            if sequence <= a.sequence {
                self.pending = None;
                return Err(Error::Stale { active: a.sequence });
            }
        }
        let base = self.slot_offset(p.slot);
        let w = F::WRITE_SIZE.max(1);
        if p.buffered > 0 {
            // Pad the last word with erased bytes.
            for b in p.buf.iter_mut().take(w).skip(p.buffered) {
                *b = 0xFF;
            }
            let word = p.buf.get(..w).ok_or(Error::OutOfOrder)?;
            self.flash
                .write(base + p.flushed, word)
                .map_err(Error::Flash)?;
        }
        self.pending = None;
        let mut trailer = [0u8; 4];
        self.flash
            .read(base + p.len - 4, &mut trailer)
            .map_err(Error::Flash)?;
        let crc = u32::from_le_bytes(trailer);
        if !self.slot_crc_ok(p.slot, p.len, crc)? {
            return Err(Error::Corrupted);
        }
        let next = Active {
            slot: p.slot,
            len: p.len,
            crc,
            sequence,
            generation: self.active.map_or(1, |a| a.generation.wrapping_add(1)),
        };
        // Overwrite the block with the older record; the active one survives any cut.
        let block = 1 - self.active_block;
        let erase = F::ERASE_SIZE as u32;
        let from = u32::from(block) * erase;
        self.flash.erase(from, from + erase).map_err(Error::Flash)?;
        let mut record = [0xFFu8; MAX_WRITE_SIZE];
        let rec_len = RECORD_LEN.div_ceil(w) * w;
        if let Some(dst) = record.get_mut(..RECORD_LEN) {
            dst.copy_from_slice(&next.encode());
        }
        self.flash
            .write(from, record.get(..rec_len).ok_or(Error::BadGeometry)?)
            .map_err(Error::Flash)?;
        self.active = Some(next);
        self.active_block = block;
        Ok(next)
    }
}

#[cfg(test)]
pub(crate) mod tests;

//! A NOR flash in RAM that enforces NOR rules and can lose power at any byte, for tests.
//!
//! Rules enforced: erase only whole aligned blocks (to 0xFF); writes aligned to `W`, only
//! clearing bits (writing a 1 over a 0 is an error, as it would silently fail on real NOR), at
//! most one write per word between erases. Every byte erased or written counts down
//! `bytes_until_shutoff`; at zero the operation stops part-way — a torn write leaves a byte
//! with only some of its bits programmed, a torn erase leaves the rest of the block as it was
//! — and every later operation fails until [`MockFlash::power_on`].

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// What went wrong in the mock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockError {
    /// Outside the flash.
    OutOfBounds,
    /// Offset or length not aligned to the write or erase size.
    NotAligned,
    /// A write would set a bit that is 0 (the word was not erased).
    NotErased {
        /// Byte offset.
        offset: usize,
    },
    /// The same word written twice without an erase.
    WrittenTwice {
        /// Byte offset.
        offset: usize,
    },
    /// Power was cut during (or before) this operation.
    PowerOff,
}

impl NorFlashError for MockError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            MockError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            MockError::NotAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// `SIZE` bytes of NOR flash with erase blocks of `E` bytes and write words of `W` bytes.
#[derive(Debug, Clone)]
pub struct MockFlash<const SIZE: usize, const E: usize, const W: usize> {
    mem: [u8; SIZE],
    written: [bool; SIZE],
    /// Bytes that may still be erased or written before the power goes; `None`: never.
    pub bytes_until_shutoff: Option<usize>,
    powered: bool,
    /// Erase operations so far.
    pub erases: usize,
    /// Write operations so far.
    pub writes: usize,
    /// Bytes erased or written so far.
    pub bytes_touched: usize,
}

impl<const SIZE: usize, const E: usize, const W: usize> Default for MockFlash<SIZE, E, W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SIZE: usize, const E: usize, const W: usize> MockFlash<SIZE, E, W> {
    /// An erased flash (all 0xFF).
    pub fn new() -> Self {
        MockFlash {
            mem: [0xFF; SIZE],
            written: [false; SIZE],
            bytes_until_shutoff: None,
            powered: true,
            erases: 0,
            writes: 0,
            bytes_touched: 0,
        }
    }

    /// Power comes back: operations work again (the contents are what the cut left).
    pub fn power_on(&mut self) {
        self.powered = true;
        self.bytes_until_shutoff = None;
    }

    /// The raw contents.
    pub fn contents(&self) -> &[u8] {
        &self.mem
    }

    /// Spends one byte of the power budget; `false` when the power is gone.
    fn tick(&mut self) -> bool {
        match &mut self.bytes_until_shutoff {
            Some(0) => {
                self.powered = false;
                false
            }
            Some(n) => {
                *n -= 1;
                self.bytes_touched += 1;
                true
            }
            None => {
                self.bytes_touched += 1;
                true
            }
        }
    }
}

impl<const SIZE: usize, const E: usize, const W: usize> ErrorType for MockFlash<SIZE, E, W> {
    type Error = MockError;
}

impl<const SIZE: usize, const E: usize, const W: usize> ReadNorFlash for MockFlash<SIZE, E, W> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), MockError> {
        let start = offset as usize;
        let src = self
            .mem
            .get(start..start + bytes.len())
            .ok_or(MockError::OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        SIZE
    }
}

impl<const SIZE: usize, const E: usize, const W: usize> NorFlash for MockFlash<SIZE, E, W> {
    const WRITE_SIZE: usize = W;
    const ERASE_SIZE: usize = E;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), MockError> {
        let (from, to) = (from as usize, to as usize);
        if from > to || to > SIZE {
            return Err(MockError::OutOfBounds);
        }
        if !from.is_multiple_of(E) || !to.is_multiple_of(E) {
            return Err(MockError::NotAligned);
        }
        if !self.powered {
            return Err(MockError::PowerOff);
        }
        self.erases += 1;
        for i in from..to {
            if !self.tick() {
                return Err(MockError::PowerOff);
            }
            if let (Some(m), Some(w)) = (self.mem.get_mut(i), self.written.get_mut(i)) {
                *m = 0xFF;
                *w = false;
            }
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), MockError> {
        let start = offset as usize;
        if start + bytes.len() > SIZE {
            return Err(MockError::OutOfBounds);
        }
        if !start.is_multiple_of(W) || !bytes.len().is_multiple_of(W) {
            return Err(MockError::NotAligned);
        }
        if !self.powered {
            return Err(MockError::PowerOff);
        }
        self.writes += 1;
        for (i, &b) in bytes.iter().enumerate() {
            let at = start + i;
            let (Some(m), Some(w)) = (self.mem.get(at).copied(), self.written.get(at).copied())
            else {
                return Err(MockError::OutOfBounds);
            };
            if w {
                return Err(MockError::WrittenTwice { offset: at });
            }
            if m & b != b {
                return Err(MockError::NotErased { offset: at });
            }
            if !self.tick() {
                // A torn byte: only some of its bits got programmed.
                if let Some(slot) = self.mem.get_mut(at) {
                    *slot = m & (b | 0xA5);
                }
                return Err(MockError::PowerOff);
            }
            if let (Some(slot), Some(wr)) = (self.mem.get_mut(at), self.written.get_mut(at)) {
                *slot = m & b;
                *wr = true;
            }
        }
        Ok(())
    }
}

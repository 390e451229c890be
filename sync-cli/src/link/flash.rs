//! A NOR flash image in a file, for the simulated kiosk: erase sets whole 4 KiB blocks to
//! `0xFF`, a write can only clear bits (writing a 1 over a 0 is refused, as real NOR does), and
//! every change goes to the file at once, so killing the process is a power cut.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// Erase block size (as on the RP2040's QSPI flash).
pub const ERASE_SIZE: usize = 4096;
/// Program granularity.
pub const WRITE_SIZE: usize = 4;

/// Why a flash operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    /// Outside the image.
    OutOfBounds,
    /// Not aligned to the erase or write size.
    NotAligned,
    /// A write would set a bit that is 0 back to 1 (missing erase).
    NotErased,
    /// The file could not be written.
    Io,
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            FlashError::NotAligned => NorFlashErrorKind::NotAligned,
            FlashError::NotErased | FlashError::Io => NorFlashErrorKind::Other,
        }
    }
}

/// A file-backed NOR flash.
#[derive(Debug)]
pub struct FileFlash {
    file: File,
    data: Vec<u8>,
}

impl FileFlash {
    /// Opens the image at `path`, creating an erased one of `size` bytes when missing.
    ///
    /// # Errors
    /// The file cannot be read or created, or its size is not `size`.
    pub fn open(path: &Path, size: usize) -> Result<FileFlash> {
        if size == 0 || !size.is_multiple_of(ERASE_SIZE) {
            bail!("flash size must be a multiple of {ERASE_SIZE} bytes");
        }
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot open flash image {}", path.display()))?;
        let data = if existed {
            let data = std::fs::read(path)
                .with_context(|| format!("cannot read flash image {}", path.display()))?;
            if data.len() != size {
                bail!(
                    "{}: flash image is {} bytes, expected {size} (delete it to start afresh)",
                    path.display(),
                    data.len()
                );
            }
            data
        } else {
            let data = vec![0xFF; size];
            file.write_all_at(&data, 0)
                .with_context(|| format!("cannot write flash image {}", path.display()))?;
            data
        };
        Ok(FileFlash { file, data })
    }

    fn range(&self, offset: u32, len: usize) -> Result<std::ops::Range<usize>, FlashError> {
        let from = offset as usize;
        let to = from.checked_add(len).ok_or(FlashError::OutOfBounds)?;
        if to > self.data.len() {
            return Err(FlashError::OutOfBounds);
        }
        Ok(from..to)
    }

    fn persist(&self, range: std::ops::Range<usize>) -> Result<(), FlashError> {
        self.file
            .write_all_at(&self.data[range.clone()], range.start as u64)
            .map_err(|_| FlashError::Io)
    }
}

impl ErrorType for FileFlash {
    type Error = FlashError;
}

impl ReadNorFlash for FileFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        let r = self.range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.data[r]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.data.len()
    }
}

impl NorFlash for FileFlash {
    const WRITE_SIZE: usize = WRITE_SIZE;
    const ERASE_SIZE: usize = ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        if !(from as usize).is_multiple_of(ERASE_SIZE)
            || !(to as usize).is_multiple_of(ERASE_SIZE)
            || to < from
        {
            return Err(FlashError::NotAligned);
        }
        let r = self.range(from, (to - from) as usize)?;
        self.data[r.clone()].fill(0xFF);
        self.persist(r)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        if !(offset as usize).is_multiple_of(WRITE_SIZE) || !bytes.len().is_multiple_of(WRITE_SIZE)
        {
            return Err(FlashError::NotAligned);
        }
        let r = self.range(offset, bytes.len())?;
        if self.data[r.clone()]
            .iter()
            .zip(bytes)
            .any(|(old, new)| new & !old != 0)
        {
            return Err(FlashError::NotErased);
        }
        for (old, new) in self.data[r.clone()].iter_mut().zip(bytes) {
            *old &= new;
        }
        self.persist(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_nor_rules_and_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("anslag-flash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("board.img");
        let _ = std::fs::remove_file(&path);
        let mut f = FileFlash::open(&path, 2 * ERASE_SIZE).unwrap();
        f.write(8, &[0x0F, 0xF0, 0x00, 0xFF]).unwrap();
        assert_eq!(
            f.write(8, &[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(FlashError::NotErased)
        );
        assert_eq!(f.write(9, &[0; 4]), Err(FlashError::NotAligned));
        assert_eq!(f.erase(0, 100), Err(FlashError::NotAligned));
        assert_eq!(
            f.write(2 * ERASE_SIZE as u32, &[0; 4]),
            Err(FlashError::OutOfBounds)
        );
        drop(f);
        let mut again = FileFlash::open(&path, 2 * ERASE_SIZE).unwrap();
        let mut b = [0u8; 4];
        again.read(8, &mut b).unwrap();
        assert_eq!(b, [0x0F, 0xF0, 0x00, 0xFF]);
        again.erase(0, ERASE_SIZE as u32).unwrap();
        again.read(8, &mut b).unwrap();
        assert_eq!(b, [0xFF; 4]);
        assert!(FileFlash::open(&path, 4 * ERASE_SIZE).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

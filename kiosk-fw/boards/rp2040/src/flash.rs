//! The bundle store's NOR flash: the upper 1 MiB of the Pico's 2 MiB QSPI flash, through the
//! RP2040 boot ROM's flash routines.
//!
//! Erasing or programming the flash the CPU executes from (XIP) needs care: while the ROM
//! routines run, the flash cannot be read, so the code that calls them must run from RAM with
//! interrupts off, and it must not call anything that lives in flash. [`ram_erase_program`] is
//! placed in RAM (`.data`) and only calls ROM function pointers fetched beforehand. Afterwards
//! XIP is re-entered with the ROM's `flash_enter_cmd_xip` (the plain 03h read mode: slower than
//! boot2's quad mode, which only matters for code running from flash after the first update;
//! a reset restores it). Reads go through the XIP window like any memory read.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use rp2040_hal::rom_data;

/// Where the store starts in flash (offset from the flash's start) and its size.
pub const STORE_OFFSET: u32 = 1024 * 1024;
/// Size of the store region.
pub const STORE_SIZE: u32 = 1024 * 1024;
const XIP_BASE: u32 = 0x1000_0000;
const SECTOR: u32 = 4096;
const PAGE: u32 = 256;

/// The store region's bytes at `offset`, `len` long, as mapped by XIP: how the kiosk reads its
/// bundle in place. `None` outside the region.
///
/// The slice is `'static` because the mapping is; its *contents* change when that part of the
/// region is erased or programmed. The firmware only borrows the active slot (which the store
/// never writes while it is active) and drops the borrow before it handles the next sync
/// message, after which the slot may become inactive and be erased.
pub fn mapped(offset: u32, len: u32) -> Option<&'static [u8]> {
    let end = offset.checked_add(len).filter(|&e| e <= STORE_SIZE)?;
    let _ = end;
    let addr = (XIP_BASE + STORE_OFFSET + offset) as *const u8;
    // SAFETY: [addr, addr + len) lies inside the XIP window over the store region (checked
    // above), which is always mapped, readable and aligned for u8; see above for why its
    // contents do not change while the firmware holds the slice.
    Some(unsafe { core::slice::from_raw_parts(addr, len as usize) })
}

/// Why a flash operation was refused (the ROM routines themselves cannot fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    /// Outside the store region.
    OutOfBounds,
    /// Not aligned to a sector (erase) or page (program).
    NotAligned,
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            FlashError::NotAligned => NorFlashErrorKind::NotAligned,
        }
    }
}

/// The store region of the QSPI flash.
#[derive(Debug)]
pub struct QspiFlash(());

impl QspiFlash {
    /// The region. Only one may exist (it is the firmware's only writer of flash).
    pub fn take() -> Option<Self> {
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        critical_section::with(|_| {
            if TAKEN.load(core::sync::atomic::Ordering::Relaxed) {
                None
            } else {
                TAKEN.store(true, core::sync::atomic::Ordering::Relaxed);
                Some(QspiFlash(()))
            }
        })
    }

    fn check(offset: u32, len: usize) -> Result<u32, FlashError> {
        let end = offset
            .checked_add(len as u32)
            .filter(|&e| e <= STORE_SIZE)
            .ok_or(FlashError::OutOfBounds)?;
        let _ = end;
        Ok(STORE_OFFSET + offset)
    }
}

impl ErrorType for QspiFlash {
    type Error = FlashError;
}

impl ReadNorFlash for QspiFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        let at = Self::check(offset, bytes.len())?;
        for (i, b) in bytes.iter_mut().enumerate() {
            let addr = (XIP_BASE + at + i as u32) as *const u8;
            // SAFETY: `addr` lies in the XIP window over the store region (bounds checked
            // above), which is always mapped and readable; no write happens concurrently
            // because this type is the only writer and `&mut self` is held.
            *b = unsafe { core::ptr::read_volatile(addr) };
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        STORE_SIZE as usize
    }
}

impl NorFlash for QspiFlash {
    const WRITE_SIZE: usize = PAGE as usize;
    const ERASE_SIZE: usize = SECTOR as usize;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        if !from.is_multiple_of(SECTOR) || !to.is_multiple_of(SECTOR) || to < from {
            return Err(FlashError::NotAligned);
        }
        let at = Self::check(from, (to - from) as usize)?;
        erase_program(at, to - from, &[]);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        if !offset.is_multiple_of(PAGE) || !(bytes.len() as u32).is_multiple_of(PAGE) {
            return Err(FlashError::NotAligned);
        }
        let at = Self::check(offset, bytes.len())?;
        erase_program(at, 0, bytes);
        Ok(())
    }
}

/// ROM routines, looked up while the flash is still readable.
struct Rom {
    connect: unsafe extern "C" fn(),
    exit_xip: unsafe extern "C" fn(),
    erase: unsafe extern "C" fn(u32, usize, u32, u8),
    program: unsafe extern "C" fn(u32, *const u8, usize),
    flush: unsafe extern "C" fn(),
    enter_xip: unsafe extern "C" fn(),
}

fn erase_program(addr: u32, erase_len: u32, data: &[u8]) {
    let rom = Rom {
        connect: rom_data::connect_internal_flash::ptr(),
        exit_xip: rom_data::flash_exit_xip::ptr(),
        erase: rom_data::flash_range_erase::ptr(),
        program: rom_data::flash_range_program::ptr(),
        flush: rom_data::flash_flush_cache::ptr(),
        enter_xip: rom_data::flash_enter_cmd_xip::ptr(),
    };
    cortex_m::interrupt::free(|_| {
        // SAFETY: interrupts are off and core 1 is never started by this firmware, so nothing
        // executes from flash while XIP is disabled; the function runs from RAM and calls only
        // the ROM pointers in `rom`; `addr`, `erase_len` and `data` were checked against the
        // store region (sector/page aligned), which lies above the firmware's own code.
        unsafe { ram_erase_program(&rom, addr, erase_len, data.as_ptr(), data.len()) }
    });
}

/// Runs from RAM: erase `erase_len` bytes at `addr`, then program `len` bytes from `data`.
#[inline(never)]
#[link_section = ".data.ram_func"]
unsafe fn ram_erase_program(rom: &Rom, addr: u32, erase_len: u32, data: *const u8, len: usize) {
    (rom.connect)();
    (rom.exit_xip)();
    if erase_len > 0 {
        // 64 KiB block erase (D8h) where possible, sectors elsewhere.
        (rom.erase)(addr, erase_len as usize, 1 << 16, 0xD8);
    }
    if len > 0 {
        (rom.program)(addr, data, len);
    }
    (rom.flush)();
    (rom.enter_xip)();
}

//! What both QEMU firmwares share: exiting QEMU with a status, the MPS2 board's UART0, stack
//! measurement and hex formatting.
#![no_std]

use cortex_m_semihosting::debug;

/// Lower-case hex of `bytes` into `out` (twice as long); returns it as text.
pub fn hex<'a>(bytes: &[u8], out: &'a mut [u8]) -> &'a str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = bytes.len().min(out.len() / 2);
    for (pair, b) in out.chunks_exact_mut(2).zip(&bytes[..n]) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    core::str::from_utf8(&out[..2 * n]).unwrap_or("?")
}

/// Exits QEMU: status 0 for `code` 0, 1 otherwise (the message before it says why).
pub fn exit(code: u32) -> ! {
    if code == 0 {
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::bkpt();
    }
}

/// Stack high-water measurement: paint the free stack with a pattern, look how far it was
/// overwritten. Raw memory access, hence `unsafe`; the QEMU test runs it on every CI build.
pub mod stack {
    const PATTERN: u32 = 0xAAAA_5555;
    const RAM_START: usize = 0x2000_0000;

    extern "C" {
        /// End of .data + .bss (start of the unused RAM), defined by cortex-m-rt's link.x.
        static __sheap: u32;
    }

    fn bottom() -> usize {
        // Only the address of the linker symbol is taken, never its value (safe since 1.82).
        core::ptr::addr_of!(__sheap) as usize
    }

    /// Bytes of RAM used by statics (.data + .bss).
    pub fn static_ram() -> usize {
        bottom() - RAM_START
    }

    /// Paints from the end of the statics up to just below the current stack pointer; returns
    /// the painted range.
    pub fn paint() -> (usize, usize) {
        let top = (cortex_m::register::msp::read() as usize - 256) & !3;
        let start = (bottom() + 3) & !3;
        let mut p = start;
        while p < top {
            // SAFETY: [start, top) is RAM between the statics and the live stack (256 bytes of
            // margin below the stack pointer): nothing lives there, and it is 4-byte aligned.
            unsafe { (p as *mut u32).write_volatile(PATTERN) };
            p += 4;
        }
        (start, top)
    }

    /// Bytes of the painted range that were written since [`paint`]: the stack used.
    pub fn high_water((start, top): (usize, usize)) -> usize {
        let mut p = start;
        // SAFETY: the same range as `paint`, still unused by anything but the stack.
        while p < top && unsafe { (p as *const u32).read_volatile() } == PATTERN {
            p += 4;
        }
        top - p
    }
}

/// The MPS2 board's CMSDK APB UART0 (what a real kiosk would use for sync).
pub mod uart {
    const BASE: usize = 0x4000_4000;
    const DATA: usize = BASE;
    const STATE: usize = BASE + 0x04;
    const CTRL: usize = BASE + 0x08;
    const BAUDDIV: usize = BASE + 0x10;
    const TX_FULL: u32 = 1;
    const RX_FULL: u32 = 2;

    /// UART0, enabled for sending.
    pub struct Uart0(());

    fn write_reg(addr: usize, value: u32) {
        // SAFETY: `addr` is one of UART0's documented registers on the MPS2 AN385 memory map;
        // only this module touches them, from the single thread of this firmware.
        unsafe { (addr as *mut u32).write_volatile(value) }
    }

    fn read_reg(addr: usize) -> u32 {
        // SAFETY: as in `write_reg`.
        unsafe { (addr as *const u32).read_volatile() }
    }

    impl Uart0 {
        /// Enables transmit and receive (the baud divider must be ≥ 16 for the CMSDK UART).
        pub fn init() -> Self {
            write_reg(BAUDDIV, 16);
            write_reg(CTRL, 0b11);
            Uart0(())
        }
    }

    impl Uart0 {
        /// The received byte, if one is waiting.
        pub fn read_byte(&mut self) -> Option<u8> {
            (read_reg(STATE) & RX_FULL != 0).then(|| read_reg(DATA) as u8)
        }

        /// Sends `bytes`, waiting while the transmitter is full.
        pub fn write_bytes(&mut self, bytes: &[u8]) {
            for &b in bytes {
                while read_reg(STATE) & TX_FULL != 0 {}
                write_reg(DATA, u32::from(b));
            }
        }
    }

    impl core::fmt::Write for Uart0 {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.write_bytes(s.as_bytes());
            Ok(())
        }
    }
}

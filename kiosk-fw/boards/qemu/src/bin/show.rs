//! QEMU mps2-an385 (Cortex-M3): loads the bundle from flash, renders the 800×480 e-paper screen
//! for a given moment into RAM with the kiosk library, and prints a summary and the frame's
//! SHA-256 over semihosting — the same pixels `anslag preview --frame-hash` computes on a host.
//!
//! Exit status: 0 when the screen was rendered; 1 (with the reason on stdout) otherwise.
#![no_std]
#![no_main]

use anslag_core::bundle::Bundle;
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::EPD_7IN5;
use anslag_kiosk::render::{render, Options};
use core::fmt::Write as _;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use sha2::{Digest, Sha256};

/// The bundle in flash (embedded at build time; on a real board it lives in a store slot).
static BUNDLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bundle.ansl"));
/// The moment to render, UTC seconds (a real board reads its RTC).
const NOW: i64 = include!(concat!(env!("OUT_DIR"), "/now.rs"));

#[entry]
fn main() -> ! {
    if BUNDLE.is_empty() {
        hprintln!("anslag-qemu: no bundle embedded (build with ANSLAG_BUNDLE=path)");
        exit(2);
    }
    let bundle = match Bundle::parse(BUNDLE) {
        Ok(b) => b,
        Err(e) => {
            hprintln!("anslag-qemu: invalid bundle: {}", e);
            exit(3);
        }
    };
    // The frame buffer lives on the stack: 48,000 bytes of the 4 MiB RAM.
    let mut pixels = [0u8; EPD_7IN5.frame_bytes()];
    let painted = stack::paint();
    let mut frame = FrameBuf::new(&mut pixels, EPD_7IN5.width, EPD_7IN5.height);
    let Ok(shown) = render(&mut frame, &bundle, NOW, &EPD_7IN5, &Options::default());
    let render_stack = stack::high_water(painted);
    let h = bundle.header();
    hprintln!(
        "anslag-qemu: board {} sequence {}, {} events; at {} showing {} on page {}/{}",
        h.board,
        h.sequence,
        bundle.len(),
        shown.local,
        shown.events,
        shown.page + 1,
        shown.pages
    );
    let digest = Sha256::digest(&pixels[..]);
    let mut hex = [0u8; 64];
    for (i, b) in digest.iter().enumerate() {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        hex[2 * i] = HEX[usize::from(b >> 4)];
        hex[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    let hash = core::str::from_utf8(&hex).unwrap_or("?");
    hprintln!("frame-sha256 {}", hash);
    // The same report on the board's UART0, which QEMU can expose on a host TCP port: the
    // link a kiosk receives updates on.
    let mut uart = uart::Uart0::init();
    let _ = writeln!(
        uart,
        "anslag-qemu sequence {} frame-sha256 {}",
        h.sequence, hash
    );
    hprintln!(
        "memory: render stack {} bytes (beyond the {}-byte frame buffer), static RAM {} bytes",
        render_stack,
        EPD_7IN5.frame_bytes(),
        stack::static_ram()
    );
    exit(0);
}

/// Exits QEMU: status 0 for `code` 0, 1 otherwise (the message before it says why).
fn exit(code: u32) -> ! {
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
mod stack {
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
mod uart {
    const BASE: usize = 0x4000_4000;
    const DATA: usize = BASE;
    const STATE: usize = BASE + 0x04;
    const CTRL: usize = BASE + 0x08;
    const BAUDDIV: usize = BASE + 0x10;
    const TX_FULL: u32 = 1;

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

    impl core::fmt::Write for Uart0 {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            for b in s.bytes() {
                while read_reg(STATE) & TX_FULL != 0 {}
                write_reg(DATA, u32::from(b));
            }
            Ok(())
        }
    }
}

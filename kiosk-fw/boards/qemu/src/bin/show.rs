//! QEMU mps2-an385 (Cortex-M3): loads the bundle from flash, renders the screen of a display
//! profile (the 800×480 e-paper unless `ANSLAG_PROFILE` says otherwise) for a given moment into
//! RAM with the kiosk library, and prints a summary and the frame's SHA-256 over semihosting —
//! the same pixels `anslag preview --frame-hash --profile …` computes on a host.
//!
//! Exit status: 0 when the screen was rendered; 1 (with the reason on stdout) otherwise.
#![no_std]
#![no_main]

use anslag_core::bundle::Bundle;
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::Profile;
use anslag_kiosk::render::{render, Options, Shown};
use core::fmt::Write as _;

use anslag_board_qemu::{exit, hex, stack, uart};
use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use panic_semihosting as _;
use sha2::{Digest, Sha256};

/// The bundle in flash (embedded at build time; on a real board it lives in a store slot).
static BUNDLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bundle.ansl"));
/// The moment to render, UTC seconds (a real board reads its RTC).
const NOW: i64 = include!(concat!(env!("OUT_DIR"), "/now.rs"));
/// The display profile to render for (`ANSLAG_PROFILE` at build time).
const PROFILE: Profile = include!(concat!(env!("OUT_DIR"), "/profile.rs"));

/// Renders the screen into `pixels`. Never inlined: its locals must sit below the stack
/// pointer [`stack::paint`] saw, or the measurement misses them. (Inlined into `main`, render's
/// 3.7 KB frame once lived in main's frame, allocated before the painting, and the firmware
/// reported 2,504 bytes where rendering needs about 6 KB.)
#[inline(never)]
fn draw(pixels: &mut [u8], bundle: &Bundle<'_>) -> Shown {
    let mut frame = FrameBuf::new(pixels, PROFILE.width, PROFILE.height);
    let Ok(shown) = render(&mut frame, bundle, NOW, &PROFILE, &Options::default());
    shown
}

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
    // The frame buffer lives on the stack: at most 48,000 bytes of the 4 MiB RAM.
    let mut pixels = [0u8; PROFILE.frame_bytes()];
    let painted = stack::paint();
    let shown = draw(&mut pixels, &bundle);
    let render_stack = stack::high_water(painted);
    let h = bundle.header();
    hprintln!(
        "anslag-qemu: board {} sequence {}, {} events; {} at {} showing {} on page {}/{}",
        h.board,
        h.sequence,
        bundle.len(),
        PROFILE.name,
        shown.local,
        shown.events,
        shown.page + 1,
        shown.pages
    );
    let digest = Sha256::digest(&pixels[..]);
    let mut hex_buf = [0u8; 64];
    let hash = hex(&digest, &mut hex_buf);
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
        PROFILE.frame_bytes(),
        stack::static_ram()
    );
    exit(0);
}

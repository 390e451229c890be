//! QEMU mps2-an385 (Cortex-M3) as a kiosk that receives its listing: it speaks the sync
//! protocol on UART0 (QEMU exposes it on a host TCP port), installs the update into the A/B
//! store on its (simulated, NOR-rule) flash with the signature checked against the key pinned
//! at build time, then boots the new bundle from its slot, renders it and prints the frame's
//! SHA-256 over semihosting — which the host test compares with `anslag preview`.
//!
//! Build-time settings (see build.rs): `ANSLAG_PUBKEY` (64 hex digits), `ANSLAG_BOARD`,
//! `ANSLAG_NOW` (UTC seconds to render). Exit status 0 after the first activation.
#![no_std]
#![no_main]

use anslag_board_qemu::{exit, hex, stack, uart::Uart0};
use anslag_core::bundle::Bundle;
use anslag_core::store::{mock_flash::MockFlash, Store};
use anslag_core::sync::frame::{self, Reader};
use anslag_core::sync::{Kiosk, KioskEvent};
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::EPD_7IN5;
use anslag_kiosk::render::{render, Options};
use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use panic_semihosting as _;
use sha2::{Digest, Sha256};

/// The board's bundle flash: 256 KiB in 4 KiB erase blocks, with NOR rules (QEMU's MPS2 has
/// no writable flash controller, so it lives in RAM).
type Flash = MockFlash<{ 256 * 1024 }, 4096, 4>;

/// One message, out of line: inlined into `main`, the handler's locals would sit in `main`'s
/// frame, above the painted stack, and the receive figure would miss them.
#[inline(never)]
fn handle(
    kiosk: &mut Kiosk<'static>,
    message: &anslag_core::sync::Message<'_>,
    store: &mut Store<&'static mut Flash>,
) -> (
    Option<anslag_core::sync::Message<'static>>,
    Option<KioskEvent>,
) {
    kiosk.handle(message, store)
}
/// Largest frame this kiosk receives.
const MAX_FRAME: usize = 512;
/// Slot capacity of the store above.
const SLOT: usize = (256 - 8) * 1024 / 2;

const PUBLIC_KEY: [u8; 32] = include!(concat!(env!("OUT_DIR"), "/pubkey.rs"));
const BOARD: &str = include!(concat!(env!("OUT_DIR"), "/board.rs"));
const NOW: i64 = include!(concat!(env!("OUT_DIR"), "/now.rs"));

#[entry]
fn main() -> ! {
    let flash: &'static mut Flash =
        cortex_m::singleton!(: Flash = Flash::new()).unwrap_or_else(|| exit(4));
    let kiosk: &'static mut Kiosk<'static> =
        cortex_m::singleton!(: Kiosk<'static> = Kiosk::new(BOARD, PUBLIC_KEY, MAX_FRAME as u16, 4))
            .unwrap_or_else(|| exit(4));
    let reader: &'static mut Reader<MAX_FRAME> =
        cortex_m::singleton!(: Reader<MAX_FRAME> = Reader::new()).unwrap_or_else(|| exit(4));
    let Ok(mut store) = Store::mount(flash) else {
        hprintln!("anslag-kiosk: flash geometry refused");
        exit(5)
    };
    let mut uart = Uart0::init();
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME]);
    hprintln!(
        "anslag-kiosk: board {}, {} bytes of protocol state, waiting on UART0",
        BOARD,
        core::mem::size_of::<Kiosk<'static>>()
    );
    let painted = stack::paint();
    let mut heard = false;
    let mut idle: u32 = 0;
    loop {
        // Say hello until the host answers (it may connect after we start).
        if !heard && idle == 0 {
            let hello = kiosk.hello(&store, store.slot_capacity());
            if let Ok(n) = frame::encode(&hello, &mut scratch, &mut out) {
                uart.write_bytes(&out[..n]);
            }
        }
        let Some(byte) = uart.read_byte() else {
            idle = (idle + 1) % 2_000_000;
            continue;
        };
        let (_, complete) = reader.push(&[byte]);
        if !complete {
            continue;
        }
        let Ok(message) = frame::decode(reader.frame()) else {
            continue;
        };
        heard = true;
        let (reply, event) = handle(kiosk, &message, &mut store);
        if let Some(reply) = reply {
            if let Ok(n) = frame::encode(&reply, &mut scratch, &mut out) {
                uart.write_bytes(&out[..n]);
            }
        }
        match event {
            Some(KioskEvent::Activated { sequence }) => {
                // Everything a transfer needs: the protocol state (with the inflate window),
                // the frame reader, the two encode buffers, and the stack it used.
                let receive_stack = stack::high_water(painted);
                let state = core::mem::size_of::<Kiosk<'static>>();
                let buffers = core::mem::size_of::<Reader<MAX_FRAME>>() + 2 * MAX_FRAME;
                hprintln!(
                    "anslag-kiosk: activated sequence {}; receive stack {} bytes; receive RAM {} bytes (state {} + frame buffers {} + stack {})",
                    sequence,
                    receive_stack,
                    state + buffers + receive_stack,
                    state,
                    buffers,
                    receive_stack
                );
                show(&mut store);
            }
            Some(KioskEvent::Rejected(reason)) => hprintln!("anslag-kiosk: rejected: {}", reason),
            // Renders at the build-time moment (the test compares with the preview at it).
            Some(KioskEvent::Clock { .. }) | None => {}
        }
    }
}

/// Boots the active bundle from its slot and draws it, as after a reset.
fn show(store: &mut Store<&'static mut Flash>) -> ! {
    let buf: &'static mut [u8; SLOT] =
        cortex_m::singleton!(: [u8; SLOT] = [0; SLOT]).unwrap_or_else(|| exit(4));
    let Some(active) = store.active().copied() else {
        exit(6)
    };
    let bytes = &mut buf[..active.len as usize];
    if store.read_active(0, bytes).is_err() {
        exit(6);
    }
    let bundle = match Bundle::parse(bytes) {
        Ok(b) => b,
        Err(e) => {
            hprintln!("anslag-kiosk: slot holds an invalid bundle: {}", e);
            exit(3)
        }
    };
    let mut pixels = [0u8; EPD_7IN5.frame_bytes()];
    let mut fb = FrameBuf::new(&mut pixels, EPD_7IN5.width, EPD_7IN5.height);
    let Ok(shown) = render(&mut fb, &bundle, NOW, &EPD_7IN5, &Options::default());
    hprintln!(
        "anslag-kiosk: slot {} sequence {}, {} events; showing {} at {}",
        active.slot,
        active.sequence,
        bundle.len(),
        shown.events,
        shown.local
    );
    let mut hex_buf = [0u8; 64];
    hprintln!(
        "frame-sha256 {}",
        hex(&Sha256::digest(&pixels[..]), &mut hex_buf)
    );
    exit(0)
}

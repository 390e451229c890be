//! anslag kiosk firmware for a Raspberry Pi Pico (RP2040) driving a Waveshare 7.5" V2 e-paper.
//!
//! ```text
//! boot → mount the A/B store (upper 1 MiB of flash) → loop:
//!   every minute: render the active bundle for "now" into RAM; refresh the panel only when the
//!                 frame changed, or once a day against ghosting (RefreshPolicy), then let the
//!                 panel sleep (it keeps its image unpowered)
//!   sync:         answer the host on UART0 whenever it calls (a 0x00 byte wakes the kiosk's
//!                 Hello); say Hello on our own on the Backoff schedule — hourly, and after
//!                 unanswered attempts 2 h, 4 h … up to daily
//!   in between:   wait for interrupts (`wfi`)
//! ```
//!
//! The clock: this board has no battery-backed RTC, so "now" is the active bundle's build time
//! plus the time since it arrived (or since boot). With hourly syncs that is off by at most the
//! bundle's age; docs/HARDWARE.md describes the RTC module that removes the approximation.
//!
//! Provisioning at build time (build.rs): `ANSLAG_PUBKEY` (the 64 hex digits of `anslag keygen`'s
//! NAME.pub — the only key this board accepts) and `ANSLAG_BOARD` (its name).
#![no_std]
#![no_main]

mod epd;
mod flash;

use anslag_core::bundle::Bundle;
use anslag_core::store::Store;
use anslag_core::sync::frame::{self, Reader};
use anslag_core::sync::{Kiosk, KioskEvent};
use anslag_kiosk::backoff::Backoff;
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::EPD_7IN5;
use anslag_kiosk::refresh::{Refresh, RefreshPolicy};
use anslag_kiosk::render::{render, Options};
use embedded_hal::delay::DelayNs;
use embedded_hal::spi::MODE_0;
use panic_halt as _;
use rp2040_hal::fugit::RateExtU32;
use rp2040_hal::gpio::{FunctionSpi, FunctionUart};
use rp2040_hal::uart::{DataBits, StopBits, UartConfig, UartPeripheral};
use rp2040_hal::{self as hal, pac, Clock};

/// The second-stage bootloader for the Pico's W25Q080 flash.
#[link_section = ".boot2"]
#[used]
pub static BOOT2: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

const XTAL_HZ: u32 = 12_000_000;
const PUBLIC_KEY: [u8; 32] = include!(concat!(env!("OUT_DIR"), "/pubkey.rs"));
const BOARD: &str = include!(concat!(env!("OUT_DIR"), "/board.rs"));
/// Largest sync frame we receive.
const MAX_FRAME: usize = 512;
/// How long a self-initiated Hello waits for the host before the attempt counts as failed.
const LISTEN_US: u64 = 5_000_000;

/// Everything that must not live on the stack: the 48 KB frame and the 43 KB protocol state.
/// The bundle itself is never copied: it is parsed where it lies, in the XIP flash window.
struct Memory {
    frame: [u8; EPD_7IN5.frame_bytes()],
    kiosk: Kiosk<'static>,
    reader: Reader<MAX_FRAME>,
}

#[rp2040_hal::entry]
fn main() -> ! {
    let Some(mut p) = pac::Peripherals::take() else {
        halt()
    };
    let mut watchdog = hal::Watchdog::new(p.WATCHDOG);
    let Ok(clocks) = hal::clocks::init_clocks_and_plls(
        XTAL_HZ,
        p.XOSC,
        p.CLOCKS,
        p.PLL_SYS,
        p.PLL_USB,
        &mut p.RESETS,
        &mut watchdog,
    ) else {
        halt()
    };
    let sio = hal::Sio::new(p.SIO);
    let pins = hal::gpio::Pins::new(p.IO_BANK0, p.PADS_BANK0, sio.gpio_bank0, &mut p.RESETS);
    let mut timer = hal::Timer::new(p.TIMER, &mut p.RESETS, &clocks);

    // UART0 on GP0 (TX) / GP1 (RX): the sync link (USB-serial adapter, radio module).
    let uart_pins = (
        pins.gpio0.into_function::<FunctionUart>(),
        pins.gpio1.into_function::<FunctionUart>(),
    );
    let Ok(uart) = UartPeripheral::new(p.UART0, uart_pins, &mut p.RESETS).enable(
        UartConfig::new(115_200.Hz(), DataBits::Eight, None, StopBits::One),
        clocks.peripheral_clock.freq(),
    ) else {
        halt()
    };

    // SPI1 to the panel: GP10 CLK, GP11 DIN; GP9 CS, GP8 DC, GP12 RST, GP13 BUSY.
    let spi_pins = (
        pins.gpio11.into_function::<FunctionSpi>(),
        pins.gpio10.into_function::<FunctionSpi>(),
    );
    let spi = hal::spi::Spi::<_, _, _, 8>::new(p.SPI1, spi_pins).init(
        &mut p.RESETS,
        clocks.peripheral_clock.freq(),
        4.MHz(),
        MODE_0,
    );
    let mut panel = epd::Epd7in5V2::new(
        spi,
        pins.gpio9.into_push_pull_output(),
        pins.gpio8.into_push_pull_output(),
        pins.gpio12.into_push_pull_output(),
        pins.gpio13.into_pull_up_input(),
    );

    let Some(mem) = cortex_m::singleton!(: Memory = Memory {
        frame: [0; EPD_7IN5.frame_bytes()],
        kiosk: Kiosk::new(BOARD, PUBLIC_KEY, MAX_FRAME as u16, 4),
        reader: Reader::new(),
    }) else {
        halt()
    };
    let Some(flash) = flash::QspiFlash::take() else {
        halt()
    };
    let Ok(mut store) = Store::mount(flash) else {
        halt()
    };

    let mut policy = RefreshPolicy::new();
    let mut backoff = Backoff::HOURLY;
    // Seconds on the board's clock at timer 0 (see the module docs).
    let mut epoch = active_bundle(&store).map_or(0, |b| b.header().created_at);
    let mut next_render_us = 0u64;
    let mut next_hello_us = 0u64;
    let mut listening_until: Option<u64> = None;
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME]);
    let seed = u32::from_le_bytes([PUBLIC_KEY[0], PUBLIC_KEY[1], PUBLIC_KEY[2], PUBLIC_KEY[3]]);

    loop {
        let now_us = timer.get_counter().ticks();
        let now = epoch + (now_us / 1_000_000) as i64;

        // Sync: our own Hello on the backoff schedule.
        if now_us >= next_hello_us && listening_until.is_none() {
            say_hello(&uart, &mem.kiosk, &store, &mut scratch, &mut out);
            listening_until = Some(now_us + LISTEN_US);
        }
        if listening_until.is_some_and(|t| now_us >= t) {
            // Nobody answered.
            listening_until = None;
            backoff.failed();
            next_hello_us = now_us + u64::from(backoff.delay(seed)) * 1_000_000;
        }
        let mut byte = [0u8; 1];
        while let Ok(1) = uart.read_raw(&mut byte) {
            if byte[0] == 0 && mem.reader.push(&[0]).1 {
                // A delimiter that completes a frame: handled below.
            } else if byte[0] == 0 && listening_until.is_none() {
                // A host calling while we were idle: answer at once.
                say_hello(&uart, &mem.kiosk, &store, &mut scratch, &mut out);
                listening_until = Some(now_us + LISTEN_US);
                continue;
            } else if !mem.reader.push(&byte).1 {
                continue;
            }
            let Ok(message) = frame::decode(mem.reader.frame()) else {
                continue;
            };
            // The host is there: the attempt succeeded; keep listening while it talks.
            backoff.succeeded();
            next_hello_us = now_us + u64::from(backoff.delay(seed)) * 1_000_000;
            listening_until = Some(now_us + LISTEN_US);
            let (reply, event) = mem.kiosk.handle(&message, &mut store);
            if let Some(reply) = reply {
                if let Ok(n) = frame::encode(&reply, &mut scratch, &mut out) {
                    uart.write_full_blocking(&out[..n]);
                }
            }
            if let Some(KioskEvent::Activated { .. }) = event {
                epoch = active_bundle(&store).map_or(epoch, |b| {
                    b.header().created_at - (now_us / 1_000_000) as i64
                });
                next_render_us = now_us; // show it now
            }
        }

        // The screen, once a minute.
        if now_us >= next_render_us {
            next_render_us = now_us + 60_000_000;
            if let Some(today) = draw(&store, &mut mem.frame, now) {
                let decision = policy.decide(&mem.frame, today);
                if decision != Refresh::Keep
                    && panel.init(&mut timer).is_ok()
                    && panel.show(&mem.frame, &mut timer).is_ok()
                {
                    let _ = panel.sleep(&mut timer);
                }
            }
        }
        if listening_until.is_none() {
            // Idle: sleep until the next interrupt (the timer's 1 ms tick is enough to wake for
            // the next check; UART bytes are buffered in its 32-byte FIFO meanwhile).
            timer.delay_ms(1);
        }
    }
}

fn say_hello(
    uart: &UartPeripheral<
        hal::uart::Enabled,
        pac::UART0,
        impl hal::uart::ValidUartPinout<pac::UART0>,
    >,
    kiosk: &Kiosk<'static>,
    store: &Store<flash::QspiFlash>,
    scratch: &mut [u8],
    out: &mut [u8],
) {
    let hello = kiosk.hello(store, store.slot_capacity());
    if let Ok(n) = frame::encode(&hello, scratch, out) {
        uart.write_full_blocking(&out[..n]);
    }
}

/// The active bundle, parsed in place in the XIP flash window (validated: CRC, structure).
fn active_bundle(store: &Store<flash::QspiFlash>) -> Option<Bundle<'static>> {
    let (offset, len) = store.active_location()?;
    Bundle::parse(flash::mapped(offset, len)?).ok()
}

/// Renders the active bundle at `now` into `frame`; returns the board-local day.
fn draw(
    store: &Store<flash::QspiFlash>,
    frame: &mut [u8],
    now: i64,
) -> Option<anslag_core::time::Date> {
    let bundle = active_bundle(store)?;
    let mut fb = FrameBuf::new(frame, EPD_7IN5.width, EPD_7IN5.height);
    let Ok(shown) = render(&mut fb, &bundle, now, &EPD_7IN5, &Options::default());
    Some(shown.local.date)
}

fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

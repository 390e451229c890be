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
//!   in between:   sleep in `wfi` until the next deadline (timer alarm 0) or UART0's receive
//!                 interrupt (see `Idle`); no render while the host talks, so the 32-byte
//!                 FIFO never overflows
//! ```
//!
//! The clock: the host sends its clock at every sync (`Time`), and the board counts on from it
//! with the RP2040's timer. Until the first sync after a power-up it takes the active bundle's
//! build time as "now" (the listing then shows from its first day).
//!
//! Provisioning at build time (build.rs): `ANSLAG_PUBKEY` (the 64 hex digits of `anslag keygen`'s
//! NAME.pub — the only key this board accepts) and `ANSLAG_BOARD` (its name).
#![no_std]
#![no_main]

#[cfg(feature = "battery")]
mod battery;
mod epd;
mod flash;

use anslag_core::bundle::Bundle;
#[cfg(feature = "battery")]
use anslag_core::checksum::crc32;
use anslag_core::store::Store;
use anslag_core::sync::frame::{self, Reader};
use anslag_core::sync::{Kiosk, KioskEvent};
#[cfg(not(feature = "battery"))]
use anslag_kiosk::backoff::Backoff;
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::EPD_7IN5;
#[cfg(not(feature = "battery"))]
use anslag_kiosk::refresh::{Refresh, RefreshPolicy};
use anslag_kiosk::render::{render, Options};
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

    let mut link = Link {
        uart,
        scratch: [0; MAX_FRAME],
        out: [0; MAX_FRAME],
    };

    #[cfg(feature = "battery")]
    {
        let i2c = hal::I2C::i2c0(
            p.I2C0,
            pins.gpio4.reconfigure(),
            pins.gpio5.reconfigure(),
            100.kHz(),
            &mut p.RESETS,
            &clocks.system_clock,
        );
        let done = pins.gpio22.into_push_pull_output();
        battery_wake(
            &mut link,
            mem,
            &mut store,
            &mut panel,
            &mut timer,
            battery::Pcf8563(i2c),
            done,
        );
    }
    #[cfg(not(feature = "battery"))]
    always_on(&mut link, mem, &mut store, &mut panel, &mut timer)
}

/// The sync link: UART0 and the frame buffers.
struct Link<U> {
    uart: U,
    scratch: [u8; MAX_FRAME],
    out: [u8; MAX_FRAME],
}

type Uart0 = UartPeripheral<
    hal::uart::Enabled,
    pac::UART0,
    (
        hal::gpio::Pin<hal::gpio::bank0::Gpio0, FunctionUart, hal::gpio::PullDown>,
        hal::gpio::Pin<hal::gpio::bank0::Gpio1, FunctionUart, hal::gpio::PullDown>,
    ),
>;

/// What arrived on the link since the last look.
#[derive(Debug, Default)]
struct Polled {
    /// A lone frame delimiter: a host calling a kiosk that was not listening.
    called: bool,
    /// A valid frame from the host.
    heard: bool,
    /// The host's clock.
    clock: Option<i64>,
    /// A new bundle became active.
    activated: bool,
}

impl Link<Uart0> {
    fn hello(&mut self, kiosk: &Kiosk<'static>, store: &Store<flash::QspiFlash>) {
        let hello = kiosk.hello(store, store.slot_capacity());
        if let Ok(n) = frame::encode(&hello, &mut self.scratch, &mut self.out) {
            self.uart.write_full_blocking(&self.out[..n]);
        }
    }

    /// Reads what the UART holds, answers every frame with the kiosk machine.
    fn poll(&mut self, mem: &mut Memory, store: &mut Store<flash::QspiFlash>) -> Polled {
        let mut polled = Polled::default();
        let mut byte = [0u8; 1];
        while let Ok(1) = self.uart.read_raw(&mut byte) {
            let (_, complete) = mem.reader.push(&byte);
            if !complete {
                polled.called |= byte[0] == 0;
                continue;
            }
            let Ok(message) = frame::decode(mem.reader.frame()) else {
                continue;
            };
            polled.heard = true;
            let (reply, event) = mem.kiosk.handle(&message, store);
            if let Some(reply) = reply {
                if let Ok(n) = frame::encode(&reply, &mut self.scratch, &mut self.out) {
                    self.uart.write_full_blocking(&self.out[..n]);
                }
            }
            match event {
                Some(KioskEvent::Clock { unix_seconds }) => polled.clock = Some(unix_seconds),
                Some(KioskEvent::Activated { .. }) => polled.activated = true,
                Some(KioskEvent::Rejected(_)) | None => {}
            }
        }
        polled
    }
}

type Panel = epd::Epd7in5V2<
    hal::spi::Spi<
        hal::spi::Enabled,
        pac::SPI1,
        (
            hal::gpio::Pin<hal::gpio::bank0::Gpio11, FunctionSpi, hal::gpio::PullDown>,
            hal::gpio::Pin<hal::gpio::bank0::Gpio10, FunctionSpi, hal::gpio::PullDown>,
        ),
        8,
    >,
    hal::gpio::Pin<hal::gpio::bank0::Gpio9, hal::gpio::FunctionSioOutput, hal::gpio::PullDown>,
    hal::gpio::Pin<hal::gpio::bank0::Gpio8, hal::gpio::FunctionSioOutput, hal::gpio::PullDown>,
    hal::gpio::Pin<hal::gpio::bank0::Gpio12, hal::gpio::FunctionSioOutput, hal::gpio::PullDown>,
    hal::gpio::Pin<hal::gpio::bank0::Gpio13, hal::gpio::FunctionSioInput, hal::gpio::PullUp>,
>;

/// Shows the frame with a full refresh, then lets the panel sleep.
fn refresh(panel: &mut Panel, frame: &[u8], timer: &mut hal::Timer) {
    if panel.init(timer).is_ok() && panel.show(frame, timer).is_ok() {
        let _ = panel.sleep(timer);
    }
}

/// USB or mains power: render every minute, call the host on the backoff schedule, answer it
/// whenever it calls; sleep (`wfi`) in between until the next deadline or UART byte.
#[cfg(not(feature = "battery"))]
fn always_on(
    link: &mut Link<Uart0>,
    mem: &mut Memory,
    store: &mut Store<flash::QspiFlash>,
    panel: &mut Panel,
    timer: &mut hal::Timer,
) -> ! {
    let Some(mut idle) = Idle::new(timer, &mut link.uart) else {
        halt()
    };
    let mut policy = RefreshPolicy::new();
    let mut backoff = Backoff::HOURLY;
    // Seconds on the board's clock at timer 0 (see the module docs).
    let mut epoch = active_bundle(store).map_or(0, |b| b.header().created_at);
    // Whether the host's clock set `epoch` (better than the bundle's build time).
    let mut has_clock = false;
    let mut next_render_us = 0u64;
    let mut next_hello_us = 0u64;
    let mut listening_until: Option<u64> = None;
    let seed = u32::from_le_bytes([PUBLIC_KEY[0], PUBLIC_KEY[1], PUBLIC_KEY[2], PUBLIC_KEY[3]]);
    loop {
        let now_us = timer.get_counter().ticks();
        let uptime = (now_us / 1_000_000) as i64;
        // The screen, once a minute — not while the host talks: rendering and a 5 s panel
        // refresh leave the UART unread for longer than its 32-byte FIFO lasts.
        if now_us >= next_render_us && listening_until.is_none() {
            next_render_us = now_us + RENDER_EVERY_US;
            if let Some(today) = draw(store, &mut mem.frame, epoch + uptime) {
                if policy.decide(&mem.frame, today) != Refresh::Keep {
                    refresh(panel, &mem.frame, timer);
                }
            }
            continue; // that took a while: look at the clock and the UART again
        }
        // Our own call on the backoff schedule.
        if now_us >= next_hello_us && listening_until.is_none() {
            link.hello(&mem.kiosk, store);
            listening_until = Some(now_us + LISTEN_US);
        }
        if listening_until.is_some_and(|t| now_us >= t) {
            // Nobody answered.
            listening_until = None;
            backoff.failed();
            next_hello_us = now_us + u64::from(backoff.delay(seed)) * 1_000_000;
        }
        let polled = link.poll(mem, store);
        if polled.called && listening_until.is_none() {
            // A host calling while we were idle: answer at once.
            link.hello(&mem.kiosk, store);
            listening_until = Some(now_us + LISTEN_US);
        }
        if polled.heard {
            // The host is there: keep listening while it talks.
            backoff.succeeded();
            next_hello_us = now_us + u64::from(backoff.delay(seed)) * 1_000_000;
            listening_until = Some(now_us + LISTEN_US);
        }
        if let Some(unix) = polled.clock {
            epoch = unix - uptime;
            has_clock = true;
        }
        if polled.activated {
            if !has_clock {
                epoch = active_bundle(store).map_or(epoch, |b| b.header().created_at - uptime);
            }
            next_render_us = now_us; // show it as soon as the host is done
        }
        if polled.called || polled.heard || polled.activated {
            continue; // handling it took time: the UART may hold more already
        }
        // Nothing to do until the next deadline or the next bytes on the UART.
        let wake_us = match listening_until {
            Some(t) => t,
            None => next_render_us.min(next_hello_us),
        };
        idle.sleep_until(timer, wake_us);
    }
}

/// The always-on build's screen interval.
#[cfg(not(feature = "battery"))]
const RENDER_EVERY_US: u64 = 60_000_000;

/// Sleeping between deadlines: the core waits in `wfi` for the timer's alarm 0 or for UART0's
/// receive interrupt (FIFO at 8 of 32 bytes, or a receive timeout after 32 bit times of quiet
/// with bytes in the FIFO).
///
/// Interrupts stay masked (PRIMASK) for the whole run: an interrupt that is enabled in the
/// NVIC and pending still ends `wfi`, but no handler runs. That makes the check-then-sleep race
/// harmless: a byte that arrives after [`Link::poll`] drained the FIFO and before the `wfi`
/// leaves UART0's (level) interrupt pending, and the `wfi` returns at once.
#[cfg(not(feature = "battery"))]
struct Idle {
    alarm: hal::timer::Alarm0,
}

#[cfg(not(feature = "battery"))]
impl Idle {
    fn new(timer: &mut hal::Timer, uart: &mut Uart0) -> Option<Idle> {
        use hal::timer::Alarm as _;
        cortex_m::interrupt::disable();
        let mut alarm = timer.alarm_0()?;
        alarm.enable_interrupt();
        uart.set_rx_watermark(hal::uart::FifoWatermark::Bytes8);
        uart.enable_rx_interrupt();
        // SAFETY: PRIMASK is set above and never cleared (the HAL's critical sections restore
        // it as they found it), so unmasking only lets these interrupts end a `wfi`; no handler
        // ever runs, and no critical section relies on them being masked.
        unsafe {
            cortex_m::peripheral::NVIC::unmask(pac::Interrupt::TIMER_IRQ_0);
            cortex_m::peripheral::NVIC::unmask(pac::Interrupt::UART0_IRQ);
        }
        Some(Idle { alarm })
    }

    /// Sleeps until the timer reaches `at_us` or UART0 has received bytes (or returns at once
    /// when either already happened).
    fn sleep_until(&mut self, timer: &hal::Timer, at_us: u64) {
        use hal::timer::Alarm as _;
        use rp2040_hal::fugit::ExtU32;
        let now = timer.get_counter().ticks();
        if at_us <= now {
            return;
        }
        // Every deadline is at most a minute away (the next render); the cap keeps the alarm,
        // which compares 32 bits of microseconds, well inside its range.
        let us = u32::try_from(at_us - now)
            .unwrap_or(u32::MAX)
            .min(RENDER_EVERY_US as u32);
        // Clear the previous wake before arming: the alarm's interrupt and both NVIC pending
        // bits. UART0's interrupt is a level (FIFO content), so a byte already waiting pends
        // it again at once.
        self.alarm.clear_interrupt();
        cortex_m::peripheral::NVIC::unpend(pac::Interrupt::TIMER_IRQ_0);
        cortex_m::peripheral::NVIC::unpend(pac::Interrupt::UART0_IRQ);
        if self.alarm.schedule(us.micros()).is_ok() {
            cortex_m::asm::wfi();
        }
    }
}

/// Battery power: one wake of the power-gated cycle (see `battery`), then DONE cuts the power.
#[cfg(feature = "battery")]
fn battery_wake<I: embedded_hal::i2c::I2c>(
    link: &mut Link<Uart0>,
    mem: &mut Memory,
    store: &mut Store<flash::QspiFlash>,
    panel: &mut Panel,
    timer: &mut hal::Timer,
    mut rtc: battery::Pcf8563<I>,
    mut done: impl embedded_hal::digital::OutputPin,
) -> ! {
    let uptime = |timer: &hal::Timer| (timer.get_counter().ticks() / 1_000_000) as i64;
    let memory = rtc.wake_memory();
    // A lost clock calls the host (the call sets it); a wake counter keeps the schedule moving
    // even when the clock does not (anslag_kiosk::wake).
    let plan = anslag_kiosk::wake::plan(
        rtc.time(),
        active_bundle(store).map(|b| b.header().created_at),
        memory,
    );
    let mut now = plan.now;
    let mut activated = false;
    let mut heard = false;
    if plan.call {
        link.hello(&mem.kiosk, store);
        let mut until = timer.get_counter().ticks() + LISTEN_US;
        while timer.get_counter().ticks() < until {
            let polled = link.poll(mem, store);
            if polled.heard {
                heard = true;
                until = timer.get_counter().ticks() + LISTEN_US;
            }
            if let Some(unix) = polled.clock {
                rtc.set_time(unix);
                now = unix - uptime(timer);
            }
            activated |= polled.activated;
        }
    }
    let now = now + uptime(timer);
    let contact_hour = heard.then(|| u32::try_from(now / 3600).unwrap_or(0));
    rtc.set_wake_memory(memory.after(contact_hour));
    // Refresh when the picture differs from the one an hour ago (the previous wake's), on the
    // first wake of a day (ghosting), or for a new bundle.
    let before = draw(store, &mut mem.frame, now - 3600).map(|day| (day, crc32(&mem.frame)));
    if let Some(today) = draw(store, &mut mem.frame, now) {
        let changed = before.is_none_or(|(day, crc)| day != today || crc != crc32(&mem.frame));
        if activated || changed {
            refresh(panel, &mem.frame, timer);
        }
    }
    let _ = done.set_high();
    // On USB power DONE does nothing: wait for the next reset.
    halt()
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

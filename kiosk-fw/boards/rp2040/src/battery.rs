//! The battery build (`--features battery`): a TPL5110 power timer switches the Pico on once an
//! hour and off again when the firmware pulls DONE (GP22) high, so between wakes the board draws
//! microamps (docs/HARDWARE.md has the arithmetic). Nothing survives in RAM between wakes, so:
//!
//! * the time comes from a PCF8563 real-time clock on I²C0 (GP4 SDA, GP5 SCL), set from the
//!   host's clock at every sync;
//! * what the call schedule needs between wakes (`anslag_kiosk::wake::WakeMemory`) is kept in
//!   the PCF8563's spare registers: the hour of the last contact with the host in its four
//!   alarm registers (unused: the TPL5110 is the timer; 7 + 6 + 6 + 3 usable bits), the wakes
//!   since that contact in its timer register (its countdown timer stays disabled), so a wake
//!   with a lost clock still calls the host (`anslag_kiosk::wake::plan`);
//! * whether to refresh the panel is decided by comparing this wake's frame with the frame for
//!   one hour earlier (what the previous wake showed), plus the first wake of each day and every
//!   new bundle: nothing is written to flash on a wake without an update.

use anslag_core::time::{Date, DateTime};
use anslag_kiosk::wake::WakeMemory;
use embedded_hal::i2c::I2c;

const ADDR: u8 = 0x51;
const REG_SECONDS: u8 = 0x02;
const REG_ALARM: u8 = 0x09;
/// The countdown timer's value register: a spare byte while the timer is disabled (TE = 0, as
/// after reset; this firmware never enables it).
const REG_TIMER: u8 = 0x0F;
/// Usable bits of the minute, hour, day and weekday alarm registers (22 bits: hours until
/// the year 2448).
const ALARM_BITS: [u32; 4] = [7, 6, 6, 3];

fn bcd(v: u8) -> u8 {
    (v >> 4) * 10 + (v & 0x0F)
}

fn to_bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// The PCF8563 real-time clock.
#[derive(Debug)]
pub struct Pcf8563<I>(pub I);

impl<I: I2c> Pcf8563<I> {
    /// UTC seconds, or `None` when the chip lost its time (its VL flag: battery ran out).
    pub fn time(&mut self) -> Option<i64> {
        let mut r = [0u8; 7];
        self.0.write_read(ADDR, &[REG_SECONDS], &mut r).ok()?;
        if r[0] & 0x80 != 0 {
            return None;
        }
        let date = Date::new(
            2000 + i16::from(bcd(r[6])),
            bcd(r[5] & 0x1F),
            bcd(r[3] & 0x3F),
        )?;
        let minute = u16::from(bcd(r[2] & 0x3F)) * 60 + u16::from(bcd(r[1] & 0x7F));
        let at = DateTime::new(date, minute)?;
        Some(at.to_minutes() * 60 + i64::from(bcd(r[0] & 0x7F)))
    }

    /// Sets the clock to `unix` (UTC seconds, years 2000–2099).
    pub fn set_time(&mut self, unix: i64) {
        let minutes = unix.div_euclid(60);
        let at = DateTime::from_minutes(minutes);
        let year = at.date.year - 2000;
        if !(0..100).contains(&year) {
            return;
        }
        let regs = [
            REG_SECONDS,
            to_bcd(unix.rem_euclid(60) as u8),
            to_bcd(at.minute_of_hour()),
            to_bcd(at.hour()),
            to_bcd(at.date.day),
            at.date.weekday(),
            to_bcd(at.date.month),
            to_bcd(year as u8),
        ];
        let _ = self.0.write(ADDR, &regs);
    }

    /// What the previous wakes left: the last contact's hour and the wakes since. Registers that
    /// cannot be read count as zero (the wake plan then calls).
    pub fn wake_memory(&mut self) -> WakeMemory {
        let mut wakes = [0u8; 1];
        let wakes_since_contact = match self.0.write_read(ADDR, &[REG_TIMER], &mut wakes) {
            Ok(()) => wakes[0],
            Err(_) => 0,
        };
        WakeMemory {
            last_contact_hour: self.last_contact_hours().unwrap_or(0),
            wakes_since_contact,
        }
    }

    /// Keeps `memory` for the next wake.
    pub fn set_wake_memory(&mut self, memory: WakeMemory) {
        self.set_last_contact_hours(memory.last_contact_hour);
        let _ = self.0.write(ADDR, &[REG_TIMER, memory.wakes_since_contact]);
    }

    /// Hours since 1970 of the last contact with the host, kept in the alarm registers.
    fn last_contact_hours(&mut self) -> Option<u32> {
        let mut r = [0u8; 4];
        self.0.write_read(ADDR, &[REG_ALARM], &mut r).ok()?;
        let mut hours = 0u32;
        let mut shift = 0;
        for (b, bits) in r.iter().zip(ALARM_BITS) {
            hours |= (u32::from(*b) & ((1 << bits) - 1)) << shift;
            shift += bits;
        }
        Some(hours)
    }

    /// Records the last contact. Bit 7 of each alarm register stays set: the alarm is off.
    fn set_last_contact_hours(&mut self, hours: u32) {
        let mut regs = [REG_ALARM, 0, 0, 0, 0];
        let mut shift = 0;
        for (r, bits) in regs.iter_mut().skip(1).zip(ALARM_BITS) {
            *r = 0x80 | ((hours >> shift) & ((1 << bits) - 1)) as u8;
            shift += bits;
        }
        let _ = self.0.write(ADDR, &regs);
    }
}

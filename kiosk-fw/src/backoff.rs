//! When to try the link again. A board on batteries must not spend its charge knocking on a
//! link that is down: after a failed attempt it waits an hour, then two, then four, and never
//! more than a day; a success brings it back to the normal interval. Meanwhile it keeps
//! showing its listing (past events drop off on their own, and the "stale" note appears when
//! the bundle's refresh interval has passed), because the board renders locally.
//!
//! Pure and deterministic — seconds in, seconds out — so the schedule is tested on the host.
//! An optional jitter from a caller-given seed (e.g. the board's serial number) keeps a fleet
//! that lost its link together from all retrying in the same second.

/// The connection schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Seconds between checks while the link works (e.g. one hour).
    pub normal_secs: u32,
    /// First wait after a failure.
    pub first_retry_secs: u32,
    /// Longest wait.
    pub max_secs: u32,
    /// Up to this fraction (in 1/256ths) of a wait is added as jitter.
    pub jitter_256ths: u8,
    failures: u8,
}

impl Backoff {
    /// Hourly checks; after failures 1 h, 2 h, 4 h, 8 h, 16 h, then daily; up to 1/8 jitter.
    pub const HOURLY: Backoff = Backoff {
        normal_secs: 3_600,
        first_retry_secs: 3_600,
        max_secs: 86_400,
        jitter_256ths: 32,
        failures: 0,
    };

    /// Failed attempts since the last success.
    pub fn failures(&self) -> u8 {
        self.failures
    }

    /// Records a successful contact.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// Records a failed attempt (no answer, link down).
    pub fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
    }

    /// Seconds to wait before the next attempt, without jitter.
    pub fn base_delay(&self) -> u32 {
        if self.failures == 0 {
            return self.normal_secs;
        }
        let doublings = u32::from(self.failures - 1).min(31);
        self.first_retry_secs
            .checked_shl(doublings)
            .filter(|d| d >> doublings == self.first_retry_secs)
            .unwrap_or(u32::MAX)
            .min(self.max_secs)
    }

    /// Seconds to wait before the next attempt, with a jitter drawn from `seed` (the same seed
    /// and state always give the same answer). Never more than `max_secs` plus its jitter.
    pub fn delay(&self, seed: u32) -> u32 {
        let base = self.base_delay();
        let span = (u64::from(base) * u64::from(self.jitter_256ths)) >> 8;
        let mixed = mix(seed ^ u32::from(self.failures).wrapping_mul(0x9E37_79B9));
        let jitter = if span == 0 {
            0
        } else {
            (u64::from(mixed) % (span + 1)) as u32
        };
        base.saturating_add(jitter)
    }

    /// The next attempt's time in UTC seconds, after an attempt at `now`.
    pub fn next_attempt(&self, now: i64, seed: u32) -> i64 {
        now.saturating_add(i64::from(self.delay(seed)))
    }
}

/// For a board that keeps no state between wakes (power cut off between them): whether to call
/// the host at a wake `hours` after the last successful contact. The same schedule as
/// [`Backoff::HOURLY`] without jitter, counted from the last contact: hourly while contact is
/// fresh (0–1 h), then at 2, 4, 8 and 16 hours, then once a day.
pub fn due_after_hours(hours: u32) -> bool {
    hours <= 1 || (hours <= 16 && hours.is_power_of_two()) || (hours > 16 && hours % 24 == 16)
}

/// A 32-bit integer hash (lowbias32): spreads consecutive seeds over the whole range.
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// Average current over a duty cycle and the battery life it gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DutyCycle {
    /// Current while asleep, microamps.
    pub sleep_ua: f32,
    /// Current while awake (CPU, UART/radio), microamps, and seconds awake per cycle.
    pub awake_ua: f32,
    /// Seconds awake per cycle (check for updates, render).
    pub awake_secs: f32,
    /// Extra charge per cycle for panel refreshes, microamp-seconds (averaged).
    pub refresh_uas: f32,
    /// Cycle length, seconds.
    pub cycle_secs: f32,
}

/// Pico (RP2040 at 125 MHz, UART, SPI) running, microamps: awake, and busy-waiting for the
/// panel during a refresh.
const PICO_RUNNING_UA: f32 = 25_000.0;
/// 7.5" V2 panel during a full refresh (26.4 mW at 3.3 V), microamps.
const PANEL_REFRESH_UA: f32 = 8_000.0;
/// Seconds of a full refresh of the 7.5" V2 panel.
const REFRESH_SECS: f32 = 5.0;

impl DutyCycle {
    /// The battery build's hourly wake, as docs/HARDWARE.md computes it: 5 µA power-gated off
    /// (TPL5110 35 nA + PCF8563 0.25 µA + charger/protection leakage ≈ 4.7 µA); the Pico at
    /// 25 mA for 6 s (boot, a 5 s call, two renders); about 10 full refreshes a day, each 5 s of
    /// the panel's 8 mA *and* the Pico's 25 mA, which waits for the panel's BUSY line meanwhile.
    pub const BATTERY_BUILD: DutyCycle = DutyCycle {
        sleep_ua: 5.0,
        awake_ua: PICO_RUNNING_UA,
        awake_secs: 6.0,
        refresh_uas: (PANEL_REFRESH_UA + PICO_RUNNING_UA) * REFRESH_SECS * 10.0 / 24.0,
        cycle_secs: 3_600.0,
    };

    /// The always-on build's minute, with its idle current as an estimate (not measured on a
    /// board): the core sleeps in `wfi` between timer alarms and UART bytes, but the PLLs,
    /// clocks and flash interface keep running, so 10 mA is the optimistic end of the
    /// 10–18 mA expected. Awake: a render of ≈ 0.1 s at 25 mA (estimated); about 15 refreshes a
    /// day (the week-long test's count) at 25 + 8 mA for 5 s.
    pub const ALWAYS_ON_ESTIMATE: DutyCycle = DutyCycle {
        sleep_ua: 10_000.0,
        awake_ua: PICO_RUNNING_UA,
        awake_secs: 0.1,
        refresh_uas: (PANEL_REFRESH_UA + PICO_RUNNING_UA) * REFRESH_SECS * 15.0 / 1_440.0,
        cycle_secs: 60.0,
    };

    /// Average current in microamps.
    pub fn average_ua(&self) -> f32 {
        let asleep = (self.cycle_secs - self.awake_secs).max(0.0);
        (self.sleep_ua * asleep + self.awake_ua * self.awake_secs + self.refresh_uas)
            / self.cycle_secs
    }

    /// Days a battery of `capacity_mah` lasts (at `usable` of its capacity, e.g. 0.8).
    pub fn battery_days(&self, capacity_mah: f32, usable: f32) -> f32 {
        capacity_mah * usable * 1000.0 / self.average_ua() / 24.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_an_hour_to_a_day_and_resets() {
        let mut b = Backoff::HOURLY;
        assert_eq!(b.base_delay(), 3_600);
        let mut seen = Vec::new();
        for _ in 0..8 {
            b.failed();
            seen.push(b.base_delay());
        }
        assert_eq!(
            seen,
            [3_600, 7_200, 14_400, 28_800, 57_600, 86_400, 86_400, 86_400]
        );
        b.succeeded();
        assert_eq!((b.failures(), b.base_delay()), (0, 3_600));
    }

    #[test]
    fn stateless_schedule_backs_off_to_daily() {
        let due: Vec<u32> = (0..90).filter(|&h| due_after_hours(h)).collect();
        assert_eq!(due, [0, 1, 2, 4, 8, 16, 40, 64, 88]);
        assert!(due_after_hours(16 + 24 * 365));
        assert!(!due_after_hours(u32::MAX));
    }

    #[test]
    fn saturates_without_overflow() {
        let mut b = Backoff {
            normal_secs: u32::MAX,
            first_retry_secs: u32::MAX / 3,
            max_secs: u32::MAX,
            jitter_256ths: 255,
            failures: 0,
        };
        for _ in 0..300 {
            b.failed();
            assert!(b.base_delay() >= u32::MAX / 3);
            let _ = b.delay(u32::MAX);
        }
        assert_eq!(b.failures(), u8::MAX);
        assert_eq!(b.base_delay(), u32::MAX);
        assert_eq!(b.delay(7), u32::MAX);
        assert_eq!(b.next_attempt(i64::MAX - 5, 1), i64::MAX);
    }

    #[test]
    fn jitter_is_bounded_deterministic_and_spread() {
        let mut b = Backoff::HOURLY;
        b.failed();
        b.failed(); // 2 h
        let delays: Vec<u32> = (0..1000).map(|seed| b.delay(seed)).collect();
        assert!(delays.iter().all(|&d| (7_200..=7_200 + 900).contains(&d)));
        assert_eq!(b.delay(42), b.delay(42));
        let distinct: std::collections::BTreeSet<u32> = delays.iter().copied().collect();
        assert!(distinct.len() > 500, "{} distinct delays", distinct.len());
        let no_jitter = Backoff {
            jitter_256ths: 0,
            ..b
        };
        assert_eq!(no_jitter.delay(42), 7_200);
    }

    /// The estimate of docs/HARDWARE.md: a year on 2,000 mAh needs the power timer that cuts
    /// the Pico off between hourly wakes; a Pico merely sleeping does not get there.
    #[test]
    fn a_year_on_2000_mah_needs_the_power_timer() {
        let gated = DutyCycle::BATTERY_BUILD;
        // The figures docs/HARDWARE.md prints: ≈ 66 µA, ≈ 2.8 years.
        let average = gated.average_ua();
        assert!((65.0..66.5).contains(&average), "{average} µA");
        let days = gated.battery_days(2_000.0, 0.8);
        assert!((1_000.0..1_030.0).contains(&days), "{days} days");
        assert!(days >= 365.0, "{days} days at {average} µA");
        // The refreshes count the Pico's 25 mA too: without it the estimate was 51 µA.
        let panel_only = DutyCycle {
            refresh_uas: 8_000.0 * 5.0 * 10.0 / 24.0,
            ..gated
        };
        assert!((51.0..51.6).contains(&panel_only.average_ua()));
        let dormant = DutyCycle {
            sleep_ua: 800.0, // Pico board in DORMANT, regulator included
            ..gated
        };
        assert!(dormant.battery_days(2_000.0, 0.8) < 365.0);
    }

    /// The always-on build is for USB or mains: even at the optimistic end of its idle
    /// current, 2,000 mAh last about a week (docs/HARDWARE.md).
    #[test]
    fn the_always_on_build_lasts_days_on_a_battery() {
        let on = DutyCycle::ALWAYS_ON_ESTIMATE;
        let days = on.battery_days(2_000.0, 0.8);
        assert!(
            (6.0..7.0).contains(&days),
            "{days} days at {} µA",
            on.average_ua()
        );
        let pessimistic = DutyCycle {
            sleep_ua: 18_000.0,
            ..on
        };
        let days = pessimistic.battery_days(2_000.0, 0.8);
        assert!((3.5..4.0).contains(&days), "{days} days");
    }
}

//! Whether a power-gated board calls the host on this wake: the battery build's decision, kept
//! here so it is tested on the host.
//!
//! ```
//! use anslag_kiosk::wake::{plan, WakeMemory};
//! // The real-time clock lost its time (PCF8563 VL flag): call, because the call sets it.
//! let memory = WakeMemory { last_contact_hour: 493_000, wakes_since_contact: 5 };
//! let wake = plan(None, Some(1_774_000_000), memory);
//! assert!(wake.call && !wake.clock_valid);
//! // Afterwards: no contact, one more wake counted.
//! assert_eq!(memory.after(None).wakes_since_contact, 6);
//! ```
//!
//! A board that is switched off between wakes (TPL5110 power timer) keeps no RAM, only a few
//! bytes in its RTC. It used to count the hours since the last contact from the RTC alone; when
//! the RTC had lost its time every wake took the bundle's build time as "now", the count never
//! moved, and [`due_after_hours`] gave the same "no" forever — while only a call sets the
//! clock. Two rules make the schedule always progress:
//!
//! * a clock that is invalid (lost, or earlier than the bundle's build time) means *call now*:
//!   that is what sets it;
//! * a wake counter in the RTC's spare register counts the wakes since the last contact (the
//!   power timer wakes the board hourly), so even a clock that reads valid but does not advance
//!   cannot stop the calls: a call is due when either count says so. The counter stays within
//!   `0..=40` by stepping back a day at 40, which keeps it on the daily phase of
//!   [`due_after_hours`] (16 h, then every 24 h) and fits in a byte.
//!
//! When the clock works the two counts agree and the schedule is exactly
//! [`due_after_hours`]'s: hourly while contact is fresh, then 2, 4, 8, 16 h, then daily.

use crate::backoff::due_after_hours;

/// The largest value the wake counter holds: the first daily call after 16 h, 40 h.
const WAKES_CYCLE_END: u8 = 40;

/// What a power-gated board remembers between wakes (in its RTC's spare registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WakeMemory {
    /// Hours since 1970 (UTC) of the last contact with the host.
    pub last_contact_hour: u32,
    /// Wakes since the last contact (the power timer wakes the board hourly), kept in
    /// `0..=40` on the daily phase of [`due_after_hours`].
    pub wakes_since_contact: u8,
}

/// What to do on this wake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakePlan {
    /// Call the host on this wake.
    pub call: bool,
    /// The RTC's time is usable: it did not lose its time and is not earlier than the bundle's
    /// build time.
    pub clock_valid: bool,
    /// The best "now" available, UTC seconds: the RTC when valid, else the bundle's build time
    /// (0 without a bundle).
    pub now: i64,
    /// Wakes since the last contact, this one included (see [`WakeMemory`]).
    pub wakes: u8,
}

/// Decides this wake: `rtc` is the RTC's time (`None` when it reports a lost time),
/// `built_at` the active bundle's build time (`None` without a bundle), `memory` what the RTC
/// kept from the previous wakes.
pub fn plan(rtc: Option<i64>, built_at: Option<i64>, memory: WakeMemory) -> WakePlan {
    let wakes = next_wakes(memory.wakes_since_contact);
    let valid = rtc.filter(|&t| t >= built_at.unwrap_or(i64::MIN) && t >= 0);
    match valid {
        None => WakePlan {
            call: true,
            clock_valid: false,
            now: built_at.unwrap_or(0),
            wakes,
        },
        Some(now) => {
            let hour = u32::try_from(now / 3600).unwrap_or(u32::MAX);
            let hours = hour.saturating_sub(memory.last_contact_hour);
            WakePlan {
                call: due_after_hours(hours) || due_after_hours(u32::from(wakes)),
                clock_valid: true,
                now,
                wakes,
            }
        }
    }
}

impl WakeMemory {
    /// What to keep after this wake: `contact_hour` is the hour (since 1970, UTC) of a contact
    /// with the host on this wake, `None` when there was none.
    pub fn after(self, contact_hour: Option<u32>) -> WakeMemory {
        match contact_hour {
            Some(hour) => WakeMemory {
                last_contact_hour: hour,
                wakes_since_contact: 0,
            },
            None => WakeMemory {
                wakes_since_contact: next_wakes(self.wakes_since_contact),
                ..self
            },
        }
    }
}

/// The wake count one hour on: stepping back a day (40 → 16) keeps it on the daily phase, and
/// a value out of range (an RTC register never written) restarts at the daily phase too.
fn next_wakes(wakes: u8) -> u8 {
    let next = wakes.saturating_add(1);
    if next > WAKES_CYCLE_END {
        next.saturating_sub(24).clamp(16, WAKES_CYCLE_END)
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-28T12:00Z, a bundle's build time.
    const BUILT: i64 = 1_774_699_200;
    const HOUR: i64 = 3600;

    /// Runs `wakes` hourly wakes of a power-gated board: `rtc(i)` is what its RTC reads on wake
    /// `i`, `answers(i)` whether the host answers a call then. Returns the wakes that called.
    fn simulate(
        wakes: usize,
        mut memory: WakeMemory,
        rtc: impl Fn(usize) -> Option<i64>,
        answers: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut calls = Vec::new();
        for i in 0..wakes {
            let wake = plan(rtc(i), Some(BUILT), memory);
            let contact = wake.call && answers(i);
            if wake.call {
                calls.push(i);
            }
            memory = memory.after(contact.then_some((wake.now / HOUR) as u32));
        }
        calls
    }

    /// The bug this module fixes: with the RTC's time lost, every wake took the bundle's build
    /// time as "now", 23 hours after the last contact, and the old rule said "no" forever.
    #[test]
    fn an_rtc_that_lost_its_time_calls_on_every_wake_until_it_is_set() {
        let memory = WakeMemory {
            last_contact_hour: (BUILT / HOUR) as u32 - 23,
            wakes_since_contact: 0,
        };
        // The old, clock-only rule: the same "no" on every wake.
        let stuck_hours = (BUILT / HOUR) as u32 - memory.last_contact_hour;
        assert!(!due_after_hours(stuck_hours));
        // RTC invalid on every wake, the link down: a call on every wake (N = 1).
        let calls = simulate(200, memory, |_| None, |_| false);
        assert_eq!(calls, (0..200).collect::<Vec<_>>());
        // The host answers the third call and sets the clock (to the build time, for the test's
        // arithmetic): the schedule resumes from that contact.
        let set_at = 2;
        let rtc = |i: usize| (i > set_at).then(|| BUILT + (i - set_at) as i64 * HOUR);
        let calls = simulate(60, memory, rtc, |i| i == set_at);
        assert_eq!(&calls[..3], [0, 1, 2]); // clock lost: every wake
        let after: Vec<usize> = calls[2..].iter().map(|c| c - set_at).collect();
        assert_eq!(after, [0, 1, 2, 4, 8, 16, 40]);
    }

    /// A clock that reads valid but earlier than the bundle was built is no clock either.
    #[test]
    fn a_clock_before_the_bundles_build_time_is_invalid() {
        let wake = plan(Some(BUILT - 86_400), Some(BUILT), WakeMemory::default());
        assert!(wake.call && !wake.clock_valid);
        assert_eq!(wake.now, BUILT);
        let wake = plan(Some(-5), None, WakeMemory::default());
        assert!(wake.call && !wake.clock_valid);
    }

    /// A working clock and a dead link: exactly the stateless schedule, counted from the last
    /// contact, also after the wake counter steps back a day.
    #[test]
    fn a_working_clock_keeps_the_backoff_schedule() {
        let contact = (BUILT / HOUR) as u32;
        let memory = WakeMemory {
            last_contact_hour: contact,
            wakes_since_contact: 0,
        };
        let rtc = |i: usize| Some(BUILT + (i as i64 + 1) * HOUR + 120);
        let calls: Vec<usize> = simulate(24 * 8, memory, rtc, |_| false)
            .into_iter()
            .map(|i| i + 1)
            .collect();
        let expected: Vec<usize> = (1..=24 * 8)
            .filter(|&h| due_after_hours(h as u32))
            .collect();
        assert_eq!(calls, expected);
        assert_eq!(&calls[..7], [1, 2, 4, 8, 16, 40, 64]);
    }

    /// A clock that reads valid but stands still: the wake counter still brings a call, at the
    /// latest a day later.
    #[test]
    fn a_clock_that_stands_still_cannot_stop_the_calls() {
        let memory = WakeMemory {
            last_contact_hour: (BUILT / HOUR) as u32 - 23,
            wakes_since_contact: 23,
        };
        let calls = simulate(24 * 10, memory, |_| Some(BUILT), |_| false);
        assert!(calls.first().is_some_and(|&c| c < 24), "{calls:?}");
        assert!(calls.windows(2).all(|w| w[1] - w[0] <= 24), "{calls:?}");
        assert!(calls.len() >= 10, "{calls:?}");
    }

    /// Whatever a never-written register holds, the counter joins the daily phase and stays in
    /// one byte's `0..=40`.
    #[test]
    fn the_wake_counter_stays_in_range_from_any_start() {
        for start in 0..=u8::MAX {
            let mut memory = WakeMemory {
                last_contact_hour: 0,
                wakes_since_contact: start,
            };
            let mut due = 0;
            for _ in 0..48 {
                memory = memory.after(None);
                assert!(memory.wakes_since_contact <= WAKES_CYCLE_END);
                due += usize::from(due_after_hours(u32::from(memory.wakes_since_contact)));
            }
            assert!(due >= 2, "start {start}: {due} due in 48 wakes");
        }
        let contact = WakeMemory::default().after(Some(7));
        assert_eq!(
            (contact.last_contact_hour, contact.wakes_since_contact),
            (7, 0)
        );
    }
}

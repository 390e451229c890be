//! Civil (calendar) dates and board wall-clock times with minute precision.
//!
//! ```
//! use anslag_core::time::{Date, DateTime};
//! let d = Date::new(2026, 3, 29).unwrap();
//! assert_eq!(d.weekday(), 6); // a Sunday (0 = Monday)
//! let t = DateTime::new(d, 9 * 60 + 30).unwrap();
//! assert_eq!(DateTime::from_minutes(t.to_minutes()), t);
//! ```
//!
//! A kiosk has no time-zone database: the bundle carries a table of UTC offsets for its
//! validity window, and everything else is plain civil arithmetic done here, without floats,
//! tables or allocation (Howard Hinnant's `days_from_civil` / `civil_from_days`).

use core::fmt;

/// Minutes in a day.
pub const MINUTES_PER_DAY: i64 = 1440;

/// A date in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2026.
    pub year: i16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

impl Date {
    /// A checked date: `None` when the month or day does not exist.
    pub const fn new(year: i16, month: u8, day: u8) -> Option<Date> {
        if month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    ///
    /// Years outside `i16` wrap; callers keep dates within a few thousand years of 1970
    /// (the bundle decoder guarantees this for every date it hands out).
    pub const fn from_days(days: i32) -> Date {
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
        Date {
            year: year as i16,
            month,
            day,
        }
    }

    /// Days since 1970-01-01 (negative: before).
    pub const fn to_days(self) -> i32 {
        let y = self.year as i64 - if self.month <= 2 { 1 } else { 0 };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = self.month as i64;
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        (era * 146_097 + doe - 719_468) as i32
    }

    /// Day of the week, 0 = Monday … 6 = Sunday.
    pub const fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (self.to_days() as i64 + 3).rem_euclid(7) as u8
    }

    /// The date `n` days later (earlier when negative).
    pub const fn add_days(self, n: i32) -> Date {
        Date::from_days(self.to_days().wrapping_add(n))
    }
}

/// Days in `month` (1–12) of `year`; 0 for a month that does not exist.
pub const fn days_in_month(year: i16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Gregorian leap year rule.
pub const fn is_leap_year(year: i16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A board wall-clock time: a date and the minute of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// The date.
    pub date: Date,
    /// Minute of the day, 0–1439.
    pub minute: u16,
}

impl DateTime {
    /// A checked time: `None` when `minute` is not below 1440.
    pub const fn new(date: Date, minute: u16) -> Option<DateTime> {
        if minute as i64 >= MINUTES_PER_DAY {
            return None;
        }
        Some(DateTime { date, minute })
    }

    /// Midnight (00:00) at the start of `date`.
    pub const fn midnight(date: Date) -> DateTime {
        DateTime { date, minute: 0 }
    }

    /// The time `minutes` minutes after 1970-01-01 00:00 on the same wall clock.
    pub const fn from_minutes(minutes: i64) -> DateTime {
        DateTime {
            date: Date::from_days(minutes.div_euclid(MINUTES_PER_DAY) as i32),
            minute: minutes.rem_euclid(MINUTES_PER_DAY) as u16,
        }
    }

    /// Minutes since 1970-01-01 00:00 on the same wall clock.
    pub const fn to_minutes(self) -> i64 {
        self.date.to_days() as i64 * MINUTES_PER_DAY + self.minute as i64
    }

    /// Hour of the day, 0–23.
    pub const fn hour(self) -> u8 {
        (self.minute / 60) as u8
    }

    /// Minute of the hour, 0–59.
    pub const fn minute_of_hour(self) -> u8 {
        (self.minute % 60) as u8
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}",
            self.date,
            self.hour(),
            self.minute_of_hour()
        )
    }
}

/// Why a date or time string could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError;

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a date as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM")
    }
}

impl core::error::Error for ParseError {}

fn number(s: &str) -> Result<u16, ParseError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError);
    }
    s.parse().map_err(|_| ParseError)
}

impl core::str::FromStr for Date {
    type Err = ParseError;

    /// Reads `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Date, ParseError> {
        let mut parts = s.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError);
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(ParseError);
        }
        let year = i16::try_from(number(y)?).map_err(|_| ParseError)?;
        let month = u8::try_from(number(m)?).map_err(|_| ParseError)?;
        let day = u8::try_from(number(d)?).map_err(|_| ParseError)?;
        Date::new(year, month, day).ok_or(ParseError)
    }
}

impl core::str::FromStr for DateTime {
    type Err = ParseError;

    /// Reads `YYYY-MM-DDTHH:MM` (a space instead of `T` is accepted too).
    fn from_str(s: &str) -> Result<DateTime, ParseError> {
        let (d, t) = s.split_once(['T', ' ']).ok_or(ParseError)?;
        let (h, m) = t.split_once(':').ok_or(ParseError)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(ParseError);
        }
        let (h, m) = (number(h)?, number(m)?);
        if h > 23 || m > 59 {
            return Err(ParseError);
        }
        DateTime::new(d.parse()?, h * 60 + m).ok_or(ParseError)
    }
}

macro_rules! serde_as_string {
    ($ty:ty, $what:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse()
                            .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(v), &self))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

serde_as_string!(Date, "a date as YYYY-MM-DD");
serde_as_string!(DateTime, "a time as YYYY-MM-DDTHH:MM");

impl Default for Date {
    /// 1970-01-01.
    fn default() -> Self {
        Date::from_days(0)
    }
}

impl Default for DateTime {
    /// 1970-01-01T00:00.
    fn default() -> Self {
        DateTime::from_minutes(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(Date::from_days(0), Date::new(1970, 1, 1).unwrap());
        assert_eq!(Date::new(2000, 3, 1).unwrap().to_days(), 11_017);
        assert_eq!(Date::new(2026, 3, 5).unwrap().weekday(), 3); // Thursday
        assert_eq!(
            Date::new(2024, 2, 29).unwrap().add_days(1),
            Date::new(2024, 3, 1).unwrap()
        );
        assert!(Date::new(2026, 2, 29).is_none());
        assert!(Date::new(2026, 13, 1).is_none());
        assert_eq!(
            "2026-03-05".parse::<Date>(),
            Ok(Date::new(2026, 3, 5).unwrap())
        );
        assert_eq!(
            "2026-03-05T09:07"
                .parse::<DateTime>()
                .map(|t| t.to_string()),
            Ok("2026-03-05T09:07".into())
        );
        for bad in [
            "2026-3-05",
            "2026-02-30",
            "2026-03-05T24:00",
            "x",
            "2026-03-05T9:00",
            "+026-03-05",
        ] {
            assert!(
                bad.parse::<DateTime>().is_err() && bad.parse::<Date>().is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            DateTime::from_minutes(-1),
            DateTime::new(Date::new(1969, 12, 31).unwrap(), 1439).unwrap()
        );
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i32..1_000_000) {
            let d = Date::from_days(days);
            prop_assert_eq!(d.to_days(), days);
            prop_assert!(Date::new(d.year, d.month, d.day).is_some());
            prop_assert_eq!(Date::from_days(days + 1), d.add_days(1));
        }

        #[test]
        fn minutes_round_trip(m in -1_000_000_000i64..1_000_000_000) {
            prop_assert_eq!(DateTime::from_minutes(m).to_minutes(), m);
        }
    }
}

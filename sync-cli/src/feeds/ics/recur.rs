//! RRULE expansion (RFC 5545 §3.3.10) on wall-clock times: our own code, because the exact
//! reading of BYxxx, BYSETPOS, WKST, COUNT and UNTIL is what the board shows.
//!
//! ```text
//! let rule = Rule::parse_text("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3")?;
//! let mut it = RuleIter::new(&rule, dtstart);   // dtstart: local wall-clock of the series
//! while let Some(t) = it.next_occurrence() { ... }  // ascending, dtstart-relative
//! ```
//!
//! Design notes:
//! - Works period by period (year, month, week, day, hour, ...): build the candidate days of the
//!   period, filter them with the BYxxx parts (limit), cross with the times (expand), apply
//!   BYSETPOS to the sorted set, then DTSTART/UNTIL/COUNT. This is the RFC's table, in the shape
//!   python-dateutil uses, so results agree with the reference implementation.
//! - Defaults come from DTSTART as in the RFC (e.g. MONTHLY without BYxxx repeats DTSTART's day;
//!   invalid dates such as 31 February are skipped, not moved).
//! - Every iterator has a budget of periods, so a rule that never matches (BYMONTHDAY=30 with
//!   BYMONTH=2) or a SECONDLY rule over decades ends instead of spinning; the caller reports it.
//! - Times are naive wall-clock; the caller maps them to instants (DST gaps, overlaps).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};

/// Recurrence frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Freq {
    /// Every N years.
    Yearly,
    /// Every N months.
    Monthly,
    /// Every N weeks.
    Weekly,
    /// Every N days.
    Daily,
    /// Every N hours.
    Hourly,
    /// Every N minutes.
    Minutely,
    /// Every N seconds.
    Secondly,
}

/// A parsed RRULE with UNTIL already expressed in the series' wall-clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// FREQ.
    pub freq: Freq,
    /// INTERVAL (≥ 1).
    pub interval: u32,
    /// COUNT.
    pub count: Option<u32>,
    /// UNTIL, inclusive, in the series' wall-clock (the caller converts UTC/DATE forms).
    pub until: Option<NaiveDateTime>,
    /// UNTIL exactly as written, for the caller to convert.
    pub until_raw: Option<UntilRaw>,
    /// BYSECOND.
    pub by_second: Vec<u32>,
    /// BYMINUTE.
    pub by_minute: Vec<u32>,
    /// BYHOUR.
    pub by_hour: Vec<u32>,
    /// BYDAY: (ordinal, weekday).
    pub by_day: Vec<(Option<i32>, Weekday)>,
    /// BYMONTHDAY (negative counts from the month's end).
    pub by_month_day: Vec<i32>,
    /// BYYEARDAY (negative counts from the year's end).
    pub by_year_day: Vec<i32>,
    /// BYWEEKNO (negative counts from the year's end).
    pub by_week_no: Vec<i32>,
    /// BYMONTH.
    pub by_month: Vec<u32>,
    /// BYSETPOS.
    pub by_set_pos: Vec<i32>,
    /// WKST (default Monday).
    pub wkst: Weekday,
}

/// UNTIL as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UntilRaw {
    /// `UNTIL=20260101`.
    Date(NaiveDate),
    /// `UNTIL=20260101T100000` (local to the series).
    Local(NaiveDateTime),
    /// `UNTIL=20260101T100000Z`.
    Utc(NaiveDateTime),
}

/// Why a rule was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The RRULE value could not be parsed at all.
    #[error("RRULE could not be parsed: {0}")]
    Unparsable(String),
    /// A part has a value outside its range.
    #[error("RRULE has an out-of-range {0}")]
    OutOfRange(&'static str),
}

impl Rule {
    /// Converts calcard's parsed RRULE into ours, checking ranges.
    ///
    /// # Errors
    /// [`RuleError::OutOfRange`] for values the RFC does not allow (BYMONTH=13, BYHOUR=24, ...).
    pub fn from_calcard(
        r: &calcard::icalendar::ICalendarRecurrenceRule,
    ) -> Result<Rule, RuleError> {
        use calcard::icalendar::{ICalendarFrequency as F, ICalendarWeekday as W};
        let wd = |w: &W| match w {
            W::Monday => Weekday::Mon,
            W::Tuesday => Weekday::Tue,
            W::Wednesday => Weekday::Wed,
            W::Thursday => Weekday::Thu,
            W::Friday => Weekday::Fri,
            W::Saturday => Weekday::Sat,
            W::Sunday => Weekday::Sun,
        };
        let freq = match r.freq {
            F::Yearly => Freq::Yearly,
            F::Monthly => Freq::Monthly,
            F::Weekly => Freq::Weekly,
            F::Daily => Freq::Daily,
            F::Hourly => Freq::Hourly,
            F::Minutely => Freq::Minutely,
            F::Secondly => Freq::Secondly,
        };
        let until_raw = r.until.as_ref().and_then(|u| {
            let date = NaiveDate::from_ymd_opt(
                i32::from(u.year?),
                u32::from(u.month?),
                u32::from(u.day?),
            )?;
            match u.hour {
                None => Some(UntilRaw::Date(date)),
                Some(h) => {
                    let t = NaiveTime::from_hms_opt(
                        u32::from(h),
                        u32::from(u.minute.unwrap_or(0)),
                        u32::from(u.second.unwrap_or(0)).min(59),
                    )?;
                    let dt = date.and_time(t);
                    if u.tz_hour.is_some() {
                        let off = i64::from(u.tz_hour.unwrap_or(0)) * 3600
                            + i64::from(u.tz_minute.unwrap_or(0)) * 60;
                        let off = if u.tz_minus { -off } else { off };
                        Some(UntilRaw::Utc(dt - Duration::seconds(off)))
                    } else {
                        Some(UntilRaw::Local(dt))
                    }
                }
            }
        });
        if r.until.is_some() && until_raw.is_none() {
            return Err(RuleError::OutOfRange("UNTIL"));
        }
        let check = |ok: bool, what: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(RuleError::OutOfRange(what))
            }
        };
        check(r.bysecond.iter().all(|&s| s <= 60), "BYSECOND")?;
        check(r.byminute.iter().all(|&s| s <= 59), "BYMINUTE")?;
        check(r.byhour.iter().all(|&s| s <= 23), "BYHOUR")?;
        check(
            r.bymonthday
                .iter()
                .all(|&d| d != 0 && (-31..=31).contains(&d)),
            "BYMONTHDAY",
        )?;
        check(
            r.byyearday
                .iter()
                .all(|&d| d != 0 && (-366..=366).contains(&d)),
            "BYYEARDAY",
        )?;
        check(
            r.byweekno
                .iter()
                .all(|&d| d != 0 && (-53..=53).contains(&d)),
            "BYWEEKNO",
        )?;
        check(
            r.bymonth.iter().all(|m| (1..=12).contains(&m.month())),
            "BYMONTH",
        )?;
        check(
            r.bysetpos
                .iter()
                .all(|&p| p != 0 && (-366..=366).contains(&p)),
            "BYSETPOS",
        )?;
        check(
            r.byday
                .iter()
                .all(|d| d.ordwk.is_none_or(|o| o != 0 && (-53..=53).contains(&o))),
            "BYDAY",
        )?;
        Ok(Rule {
            freq,
            interval: u32::from(r.interval.unwrap_or(1).max(1)),
            count: r.count,
            until: None,
            until_raw,
            by_second: r.bysecond.iter().map(|&s| u32::from(s.min(59))).collect(),
            by_minute: r.byminute.iter().map(|&s| u32::from(s)).collect(),
            by_hour: r.byhour.iter().map(|&s| u32::from(s)).collect(),
            by_day: r
                .byday
                .iter()
                .map(|d| (d.ordwk.map(i32::from), wd(&d.weekday)))
                .collect(),
            by_month_day: r.bymonthday.iter().map(|&d| i32::from(d)).collect(),
            by_year_day: r.byyearday.iter().map(|&d| i32::from(d)).collect(),
            by_week_no: r.byweekno.iter().map(|&d| i32::from(d)).collect(),
            by_month: r.bymonth.iter().map(|m| u32::from(m.month())).collect(),
            by_set_pos: r.bysetpos.clone(),
            wkst: r.wkst.as_ref().map_or(Weekday::Mon, wd),
        })
    }

    /// Parses the text of an RRULE value (`FREQ=...;...`) with calcard.
    ///
    /// # Errors
    /// [`RuleError::Unparsable`] when calcard does not read it as a recurrence rule.
    pub fn parse_text(value: &str) -> Result<Rule, RuleError> {
        let text = format!("BEGIN:VEVENT\r\nRRULE:{value}\r\nEND:VEVENT\r\n");
        let mut parser = calcard::Parser::new(&text);
        if let calcard::Entry::ICalendar(cal) = parser.entry() {
            for comp in &cal.components {
                for e in &comp.entries {
                    if let Some(calcard::icalendar::ICalendarValue::RecurrenceRule(r)) =
                        e.values.first()
                    {
                        return Rule::from_calcard(r);
                    }
                }
            }
        }
        Err(RuleError::Unparsable(value.to_string()))
    }
}

/// Default budget of periods an iterator may walk through.
pub const DEFAULT_PERIOD_BUDGET: u32 = 400_000;

/// Iterator over a rule's occurrences (DTSTART-relative, ascending), on wall-clock times.
#[derive(Debug)]
pub struct RuleIter<'r> {
    rule: &'r Rule,
    dtstart: NaiveDateTime,
    period: i64,
    buffer: Vec<NaiveDateTime>,
    pos: usize,
    emitted: u32,
    done: bool,
    budget: u32,
    /// Set when the iterator stopped because its budget ran out.
    pub exhausted: bool,
    // Effective BYxxx after DTSTART defaults.
    by_day_plain: Vec<Weekday>,
    by_day_nth: Vec<(i32, Weekday)>,
    by_month_day: Vec<i32>,
    by_month: Vec<u32>,
    times: Vec<NaiveTime>,
}

impl<'r> RuleIter<'r> {
    /// Starts iterating `rule` anchored at `dtstart`.
    pub fn new(rule: &'r Rule, dtstart: NaiveDateTime) -> RuleIter<'r> {
        let mut by_day_plain = Vec::new();
        let mut by_day_nth = Vec::new();
        for &(n, wd) in &rule.by_day {
            // Ordinals only mean something for MONTHLY and YEARLY (RFC 5545 §3.3.10).
            match n {
                Some(n) if rule.freq <= Freq::Monthly => by_day_nth.push((n, wd)),
                _ => by_day_plain.push(wd),
            }
        }
        let mut by_month_day = rule.by_month_day.clone();
        let mut by_month = rule.by_month.clone();
        if rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_day.is_empty()
        {
            match rule.freq {
                Freq::Yearly => {
                    if by_month.is_empty() {
                        by_month.push(dtstart.month());
                    }
                    by_month_day.push(dtstart.day() as i32);
                }
                Freq::Monthly => by_month_day.push(dtstart.day() as i32),
                Freq::Weekly => by_day_plain.push(dtstart.weekday()),
                _ => {}
            }
        }
        let hours: Vec<u32> = if rule.by_hour.is_empty() {
            vec![dtstart.hour()]
        } else {
            rule.by_hour.clone()
        };
        let minutes: Vec<u32> = if rule.by_minute.is_empty() {
            vec![dtstart.minute()]
        } else {
            rule.by_minute.clone()
        };
        let seconds: Vec<u32> = if rule.by_second.is_empty() {
            vec![dtstart.second()]
        } else {
            rule.by_second.clone()
        };
        let mut times = Vec::new();
        for &h in &hours {
            for &m in &minutes {
                for &s in &seconds {
                    if let Some(t) = NaiveTime::from_hms_opt(h, m, s) {
                        times.push(t);
                    }
                }
            }
        }
        times.sort();
        times.dedup();
        RuleIter {
            rule,
            dtstart,
            period: 0,
            buffer: Vec::new(),
            pos: 0,
            emitted: 0,
            done: false,
            budget: DEFAULT_PERIOD_BUDGET,
            exhausted: false,
            by_day_plain,
            by_day_nth,
            by_month_day,
            by_month,
            times,
        }
    }

    /// Next occurrence, or `None` when the rule ends (COUNT, UNTIL, budget).
    pub fn next_occurrence(&mut self) -> Option<NaiveDateTime> {
        loop {
            if self.done {
                return None;
            }
            if let Some(&t) = self.buffer.get(self.pos) {
                self.pos += 1;
                if t < self.dtstart {
                    continue;
                }
                if self.rule.until.is_some_and(|u| t > u) {
                    self.done = true;
                    return None;
                }
                if let Some(c) = self.rule.count {
                    if self.emitted >= c {
                        self.done = true;
                        return None;
                    }
                }
                self.emitted += 1;
                return Some(t);
            }
            if self.budget == 0 {
                self.exhausted = true;
                self.done = true;
                return None;
            }
            self.budget -= 1;
            self.buffer.clear();
            self.pos = 0;
            if !self.fill_period() {
                self.done = true;
                return None;
            }
            self.period += 1;
        }
    }

    /// Fills `buffer` with the sorted occurrences of period `self.period`; false past year 9999.
    fn fill_period(&mut self) -> bool {
        let rule = self.rule;
        let step = i64::from(rule.interval) * self.period;
        let start = self.dtstart;
        let mut days: Vec<NaiveDate> = Vec::new();
        let mut times: &[NaiveTime] = &self.times;
        let single_time;
        match rule.freq {
            Freq::Yearly => {
                let Ok(year) = i32::try_from(i64::from(start.year()) + step) else {
                    return false;
                };
                if year > 9999 {
                    return false;
                }
                let (Some(first), Some(next)) = (
                    NaiveDate::from_ymd_opt(year, 1, 1),
                    NaiveDate::from_ymd_opt(year + 1, 1, 1),
                ) else {
                    return false;
                };
                days.extend(first.iter_days().take_while(|d| *d < next));
            }
            Freq::Monthly => {
                let m0 = i64::from(start.year()) * 12 + i64::from(start.month0()) + step;
                let (Ok(year), Ok(month0)) = (i32::try_from(m0 / 12), u32::try_from(m0 % 12))
                else {
                    return false;
                };
                if year > 9999 {
                    return false;
                }
                let Some(first) = NaiveDate::from_ymd_opt(year, month0 + 1, 1) else {
                    return false;
                };
                days.extend(first.iter_days().take_while(|d| d.month0() == month0));
            }
            Freq::Weekly => {
                let back = (7 + start.weekday().num_days_from_monday()
                    - rule.wkst.num_days_from_monday())
                    % 7;
                let Some(week) = start
                    .date()
                    .checked_sub_signed(Duration::days(i64::from(back)))
                    .and_then(|d| d.checked_add_signed(Duration::days(7 * step)))
                else {
                    return false;
                };
                days.extend(week.iter_days().take(7));
            }
            Freq::Daily => {
                let Some(d) = start.date().checked_add_signed(Duration::days(step)) else {
                    return false;
                };
                days.push(d);
            }
            Freq::Hourly | Freq::Minutely | Freq::Secondly => {
                let unit = match rule.freq {
                    Freq::Hourly => 3600,
                    Freq::Minutely => 60,
                    _ => 1,
                };
                let base = match rule.freq {
                    Freq::Hourly => start.date().and_hms_opt(start.hour(), 0, 0),
                    Freq::Minutely => start.date().and_hms_opt(start.hour(), start.minute(), 0),
                    _ => Some(start),
                };
                let Some(t) =
                    base.and_then(|b| b.checked_add_signed(Duration::seconds(unit * step)))
                else {
                    return false;
                };
                if t.year() > 9999 {
                    return false;
                }
                // The period is one hour/minute/second: it survives only if BYHOUR etc. allow it,
                // and expands over the finer parts only.
                let ok = (rule.by_hour.is_empty() || rule.by_hour.contains(&t.hour()))
                    && (rule.freq == Freq::Hourly
                        || rule.by_minute.is_empty()
                        || rule.by_minute.contains(&t.minute()))
                    && (rule.freq != Freq::Secondly
                        || rule.by_second.is_empty()
                        || rule.by_second.contains(&t.second()));
                days.push(t.date());
                if !ok {
                    days.clear();
                }
                let mins: Vec<u32> = if rule.freq == Freq::Hourly && !rule.by_minute.is_empty() {
                    rule.by_minute.clone()
                } else {
                    vec![t.minute()]
                };
                let secs: Vec<u32> = if rule.freq != Freq::Secondly && !rule.by_second.is_empty() {
                    rule.by_second.clone()
                } else {
                    vec![t.second()]
                };
                let mut v = Vec::new();
                for &m in &mins {
                    for &s in &secs {
                        if let Some(x) = NaiveTime::from_hms_opt(t.hour(), m, s) {
                            v.push(x);
                        }
                    }
                }
                v.sort();
                single_time = v;
                times = &single_time;
            }
        }
        days.retain(|d| self.day_matches(*d));
        let mut set: Vec<NaiveDateTime> = Vec::with_capacity(days.len() * times.len());
        for d in &days {
            for t in times {
                set.push(d.and_time(*t));
            }
        }
        if !rule.by_set_pos.is_empty() {
            let n = set.len() as i64;
            let mut picked: Vec<NaiveDateTime> = rule
                .by_set_pos
                .iter()
                .filter_map(|&p| {
                    let idx = if p > 0 {
                        i64::from(p) - 1
                    } else {
                        n + i64::from(p)
                    };
                    usize::try_from(idx).ok().and_then(|i| set.get(i).copied())
                })
                .collect();
            picked.sort();
            picked.dedup();
            set = picked;
        }
        self.buffer = set;
        true
    }

    /// The limiting BYxxx parts for one candidate day.
    fn day_matches(&self, d: NaiveDate) -> bool {
        let rule = self.rule;
        if !self.by_month.is_empty() && !self.by_month.contains(&d.month()) {
            return false;
        }
        if !rule.by_week_no.is_empty() && !week_no_matches(d, rule.wkst, &rule.by_week_no) {
            return false;
        }
        if !rule.by_year_day.is_empty() {
            let len = if d.leap_year() { 366 } else { 365 };
            let yd = d.ordinal() as i32;
            if !rule
                .by_year_day
                .iter()
                .any(|&n| n == yd || (n < 0 && len + 1 + n == yd))
            {
                return false;
            }
        }
        if !self.by_month_day.is_empty() {
            let len = days_in_month(d);
            let md = d.day() as i32;
            if !self
                .by_month_day
                .iter()
                .any(|&n| n == md || (n < 0 && len + 1 + n == md))
            {
                return false;
            }
        }
        if !self.by_day_plain.is_empty() || !self.by_day_nth.is_empty() {
            let wd = d.weekday();
            let plain = self.by_day_plain.contains(&wd);
            let nth = !plain
                && self.by_day_nth.iter().any(|&(n, w)| {
                    w == wd && {
                        // YEARLY without BYMONTH counts within the year, else within the month.
                        let in_year = rule.freq == Freq::Yearly && self.by_month.is_empty();
                        nth_in_span(d, n, in_year)
                    }
                });
            if !plain && !nth {
                return false;
            }
        }
        true
    }
}

fn days_in_month(d: NaiveDate) -> i32 {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|n| n.pred_opt())
        .map_or(31, |l| l.day() as i32)
}

/// Is `d` the n-th (negative: from the end) of its weekday in its month (or year)?
fn nth_in_span(d: NaiveDate, n: i32, in_year: bool) -> bool {
    let (pos, len) = if in_year {
        let len = if d.leap_year() { 366 } else { 365 };
        (d.ordinal() as i32, len)
    } else {
        (d.day() as i32, days_in_month(d))
    };
    let from_start = (pos - 1) / 7 + 1;
    let from_end = (len - pos) / 7 + 1;
    if n > 0 {
        from_start == n
    } else {
        from_end == -n
    }
}

/// Week-number test with WKST: week 1 is the first week with at least four days in the year.
fn week_no_matches(d: NaiveDate, wkst: Weekday, wanted: &[i32]) -> bool {
    let week1 = |year: i32| -> Option<NaiveDate> {
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let offset = (7 + jan1.weekday().num_days_from_monday() - wkst.num_days_from_monday()) % 7;
        let start = jan1 - Duration::days(i64::from(offset));
        Some(if 7 - offset >= 4 {
            start
        } else {
            start + Duration::days(7)
        })
    };
    let mut year = d.year();
    let (Some(mut w1), Some(mut next)) = (week1(year), week1(year + 1)) else {
        return false;
    };
    if d < w1 {
        year -= 1;
        next = w1;
        let Some(p) = week1(year) else { return false };
        w1 = p;
    } else if d >= next {
        w1 = next;
        let Some(n) = week1(year + 1 + 1) else {
            return false;
        };
        next = n;
    }
    let weeks = ((next - w1).num_days() / 7) as i32;
    let no = ((d - w1).num_days() / 7) as i32 + 1;
    wanted
        .iter()
        .any(|&n| n == no || (n < 0 && weeks + 1 + n == no))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("test datetime")
    }

    fn expand(rule: &str, start: &str, n: usize) -> Vec<String> {
        let rule = Rule::parse_text(rule).expect("rule parses");
        let mut rule = rule;
        if let Some(UntilRaw::Local(u) | UntilRaw::Utc(u)) = rule.until_raw {
            rule.until = Some(u);
        }
        if let Some(UntilRaw::Date(d)) = rule.until_raw {
            rule.until = d.and_hms_opt(23, 59, 59);
        }
        let mut it = RuleIter::new(&rule, dt(start));
        let mut out = Vec::new();
        while let Some(t) = it.next_occurrence() {
            out.push(t.format("%Y-%m-%dT%H:%M").to_string());
            if out.len() == n {
                break;
            }
        }
        out
    }

    // Examples from RFC 5545 §3.8.5.3 (times dropped where they do not matter).
    #[test]
    fn rfc_monthly_first_friday() {
        assert_eq!(
            expand("FREQ=MONTHLY;COUNT=4;BYDAY=1FR", "1997-09-05T09:00", 10),
            [
                "1997-09-05T09:00",
                "1997-10-03T09:00",
                "1997-11-07T09:00",
                "1997-12-05T09:00"
            ]
        );
    }

    #[test]
    fn rfc_last_workday_of_month_bysetpos() {
        assert_eq!(
            expand(
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                "1997-09-30T09:00",
                3
            ),
            ["1997-09-30T09:00", "1997-10-31T09:00", "1997-11-28T09:00"]
        );
    }

    #[test]
    fn rfc_negative_monthday() {
        assert_eq!(
            expand("FREQ=MONTHLY;COUNT=3;BYMONTHDAY=-3", "1997-09-28T09:00", 10),
            ["1997-09-28T09:00", "1997-10-29T09:00", "1997-11-28T09:00"]
        );
    }

    #[test]
    fn rfc_wkst_changes_result() {
        assert_eq!(
            expand(
                "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
                "1997-08-05T09:00",
                10
            ),
            [
                "1997-08-05T09:00",
                "1997-08-10T09:00",
                "1997-08-19T09:00",
                "1997-08-24T09:00"
            ]
        );
        assert_eq!(
            expand(
                "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
                "1997-08-05T09:00",
                10
            ),
            [
                "1997-08-05T09:00",
                "1997-08-17T09:00",
                "1997-08-19T09:00",
                "1997-08-31T09:00"
            ]
        );
    }

    #[test]
    fn rfc_yearly_nth_weekday_of_year() {
        assert_eq!(
            expand("FREQ=YEARLY;BYDAY=20MO", "1997-05-19T09:00", 3),
            ["1997-05-19T09:00", "1998-05-18T09:00", "1999-05-17T09:00"]
        );
    }

    #[test]
    fn rfc_yearly_weekno() {
        assert_eq!(
            expand("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "1997-05-12T09:00", 3),
            ["1997-05-12T09:00", "1998-05-11T09:00", "1999-05-17T09:00"]
        );
    }

    #[test]
    fn rfc_friday_13th() {
        assert_eq!(
            expand("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "1997-09-02T09:00", 3),
            ["1998-02-13T09:00", "1998-03-13T09:00", "1998-11-13T09:00"]
        );
    }

    #[test]
    fn rfc_us_election_day() {
        assert_eq!(
            expand(
                "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
                "1996-11-05T09:00",
                3
            ),
            ["1996-11-05T09:00", "2000-11-07T09:00", "2004-11-02T09:00"]
        );
    }

    #[test]
    fn rfc_hourly_until() {
        assert_eq!(
            expand(
                "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
                "1997-09-02T09:00",
                10
            ),
            ["1997-09-02T09:00", "1997-09-02T12:00", "1997-09-02T15:00"]
        );
    }

    #[test]
    fn rfc_daily_byhour_byminute() {
        assert_eq!(
            expand(
                "FREQ=DAILY;BYHOUR=9,10;BYMINUTE=0,20",
                "1997-09-02T09:00",
                5
            ),
            [
                "1997-09-02T09:00",
                "1997-09-02T09:20",
                "1997-09-02T10:00",
                "1997-09-02T10:20",
                "1997-09-03T09:00"
            ]
        );
    }

    #[test]
    fn monthly_31st_skips_short_months() {
        assert_eq!(
            expand("FREQ=MONTHLY;COUNT=3", "2026-01-31T10:00", 10),
            ["2026-01-31T10:00", "2026-03-31T10:00", "2026-05-31T10:00"]
        );
    }

    #[test]
    fn impossible_rule_ends_on_budget() {
        let rule = Rule::parse_text("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30").expect("parses");
        let mut it = RuleIter::new(&rule, dt("2026-01-01T10:00"));
        assert_eq!(it.next_occurrence(), None);
    }

    #[test]
    fn out_of_range_is_rejected() {
        assert!(matches!(
            Rule::parse_text("FREQ=DAILY;BYHOUR=25"),
            Err(RuleError::OutOfRange("BYHOUR")) | Err(RuleError::Unparsable(_))
        ));
    }
}

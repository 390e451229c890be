//! `anslag expand`: expand feeds into occurrences inside a window and print one JSON object per
//! line, the inspection and conformance view of what `anslag build` will put on a board.
//!
//! ```text
//! anslag expand club.ics --from 2026-01-01 --to 2026-03-01 --tz Europe/Riga
//! {"uid":"a@x","summary":"Koris","location":null,"start":"2026-01-05T18:00:00",...}
//! ```
//!
//! Design notes:
//! - Each input is sniffed into a [`FeedKind`] and handed to its parser; the kinds share the
//!   calendar record schema except RSS/Atom/JSON Feed entries (issue 4).
//! - Records are sorted by (start, uid, end, summary); an occurrence with the same UID and start
//!   as one from an earlier feed is dropped (the same event published in two calendars).
//! - Feeds are fetched as `anslag build` fetches them (files or URLs, cache, last-good fallback).
//! - Diagnostics go to stderr as `warning: file:line (UID x): message`; a bad item never stops
//!   the other items, and an unreadable feed never stops the other feeds (it is reported, and
//!   the exit status is 1 because the output is incomplete).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use serde::Serialize;

use crate::cmd::build::{cache_dir, fetch_all, FeedFailure};
use crate::feeds::ics::{self, IcsOccurrence, IcsOptions};
use crate::feeds::{Diagnostic, Window};

/// Arguments of `anslag expand`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag expand events.ics --from 2026-03-01 --to 2026-04-01 --tz Europe/Riga
  anslag expand club.ics news.xml rows.csv --from 2026-03-01 --to 2026-03-15 --tz Europe/Berlin \\
      | jq -r .summary

One JSON object per occurrence on stdout, sorted by start; problems go to stderr as warnings.
Feeds are read exactly as `anslag build` reads them: files or http(s) URLs, with the same cache
and last-good fallback. A feed that cannot be read is reported and left out, the others are
printed, and the exit status is then 1.")]
pub struct Cmd {
    /// Feeds to read, as files or http(s) URLs: iCalendar, RSS/Atom/JSON Feed or CSV.
    #[arg(required = true, value_name = "FEED")]
    pub feeds: Vec<String>,
    /// First day of the window (board time, from 00:00).
    #[arg(long, value_name = "DATE")]
    pub from: NaiveDate,
    /// First day after the window (exclusive, board time 00:00).
    #[arg(long, value_name = "DATE")]
    pub to: NaiveDate,
    /// The board's time zone (IANA name), e.g. Europe/Riga.
    #[arg(long, value_name = "ZONE")]
    pub tz: chrono_tz::Tz,
    /// Read calendars RFC-strictly: ignore Google's X-WR-TIMEZONE.
    #[arg(long)]
    pub ignore_x_wr_timezone: bool,
    /// Where fetched feeds are cached (ETag/Last-Modified, last good copies)
    /// [default: $XDG_CACHE_HOME/anslag or ~/.cache/anslag].
    #[arg(long, value_name = "DIR", env = "ANSLAG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

pub use crate::feeds::FeedKind;

/// One calendar record of the output (key order is the schema's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarRecord {
    /// UID, `null` when the source had none.
    pub uid: Option<String>,
    /// SUMMARY, `null` when missing.
    pub summary: Option<String>,
    /// LOCATION, `null` when missing.
    pub location: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS` board wall-clock, or `YYYY-MM-DD` when all-day.
    pub start: String,
    /// Same format; exclusive for all-day.
    pub end: String,
    /// DATE-valued.
    pub all_day: bool,
    /// Floating time in the source.
    pub floating: bool,
    /// STATUS:CANCELLED.
    pub cancelled: bool,
}

impl CalendarRecord {
    /// The record for an iCalendar occurrence.
    pub fn from_ics(o: IcsOccurrence) -> CalendarRecord {
        let occ = o.occurrence;
        CalendarRecord {
            start: wall_clock(occ.start, occ.all_day),
            end: wall_clock(occ.end, occ.all_day),
            uid: o.has_uid.then_some(occ.uid),
            summary: o.has_summary.then_some(occ.summary),
            location: o.has_location.then_some(occ.location),
            all_day: occ.all_day,
            floating: occ.floating,
            cancelled: occ.cancelled,
        }
    }

    /// The record for an occurrence from any other source (spreadsheet rows).
    pub fn from_occurrence(o: &crate::feeds::Occurrence) -> CalendarRecord {
        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
        CalendarRecord {
            uid: text(&o.uid),
            summary: text(&o.summary),
            location: text(&o.location),
            start: wall_clock(o.start, o.all_day),
            end: wall_clock(o.end, o.all_day),
            all_day: o.all_day,
            floating: o.floating,
            cancelled: o.cancelled,
        }
    }

    fn sort_key(&self) -> (&str, &str, &str, &str) {
        (
            &self.start,
            self.uid.as_deref().unwrap_or(""),
            &self.end,
            self.summary.as_deref().unwrap_or(""),
        )
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, or `YYYY-MM-DD` for all-day (written directly: chrono's format
/// strings are re-parsed on every call, and even `format!` shows in the benchmark: two of these
/// per record are made on the main thread).
pub fn wall_clock(t: chrono::NaiveDateTime, all_day: bool) -> String {
    use chrono::{Datelike, Timelike};
    if let Ok(year @ 0..=9999) = u32::try_from(t.year()) {
        let mut s = *b"0000-00-00T00:00:00";
        let fields = [
            (0, 4, year),
            (5, 2, t.month()),
            (8, 2, t.day()),
            (11, 2, t.hour()),
            (14, 2, t.minute()),
            (17, 2, t.second()),
        ];
        for (at, width, mut v) in fields {
            for digit in s.iter_mut().skip(at).take(width).rev() {
                // `v % 10` is a digit: the cast cannot truncate.
                *digit = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        let len = if all_day { 10 } else { s.len() };
        return String::from_utf8_lossy(s.get(..len).unwrap_or_default()).into_owned();
    }
    if all_day {
        format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
    } else {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// Everything `expand` prints, before printing.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Calendar-schema records, sorted.
    pub records: Vec<CalendarRecord>,
    /// RSS/Atom/JSON Feed entries (feed schema), in feed order, printed after the records.
    pub entries: Vec<crate::feeds::feed::EntryRecord>,
    /// Warnings, in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Feeds that could not be read at all (left out; the others are expanded).
    pub failed: Vec<FeedFailure>,
}

/// Expands already-read feeds: `(name, bytes)` each. This is the code path of the command and of
/// the conformance test. A feed that cannot be read at all (its kind cannot be told, or an
/// RSS/Atom/JSON document that does not parse) is listed in [`Expanded::failed`] and the others
/// are still expanded.
pub fn expand_feeds(feeds: &[(String, Vec<u8>)], window: &Window, opts: &IcsOptions) -> Expanded {
    let mut out = Expanded::default();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (i, (name, bytes)) in feeds.iter().enumerate() {
        let failed = |message: String| FeedFailure {
            source: name.clone(),
            message: format!("{message}; the feed is left out"),
        };
        // How the text was decoded, when it was not UTF-8: a warning on the whole feed.
        let decoded_as = |warning: Option<String>| warning.map(|m| Diagnostic::whole_feed(name, m));
        let Some(kind) = FeedKind::detect(Path::new(name), bytes) else {
            out.failed.push(failed(format!(
                "{name}: cannot tell what kind of feed this is (expected iCalendar, \
                 RSS/Atom/JSON Feed or CSV)"
            )));
            continue;
        };
        let mut records = match kind {
            FeedKind::Ics => {
                let (text, warning) = ics::decode(bytes);
                out.diagnostics.extend(decoded_as(warning));
                let e = ics::expand_ics(&text, name, window, opts);
                out.diagnostics.extend(e.diagnostics);
                e.occurrences
                    .into_iter()
                    .map(CalendarRecord::from_ics)
                    .collect::<Vec<_>>()
            }
            FeedKind::Csv => {
                let (text, warning) = crate::feeds::csv::decode_text(bytes);
                let parsed = crate::feeds::csv::parse_csv(&text, name, window);
                out.diagnostics.extend(decoded_as(warning));
                out.diagnostics.extend(parsed.diagnostics);
                parsed
                    .occurrences
                    .iter()
                    .map(CalendarRecord::from_occurrence)
                    .collect()
            }
            FeedKind::Feed => {
                // Feed entries have their own schema and keep the feed's order.
                // The error names the feed.
                let entries = match crate::feeds::feed::parse_feed(bytes, name) {
                    Ok(entries) => entries,
                    Err(e) => {
                        out.failed.push(failed(e.to_string()));
                        continue;
                    }
                };
                out.entries.extend(
                    entries
                        .iter()
                        .map(crate::feeds::feed::EntryRecord::from_entry),
                );
                Vec::new()
            }
        };
        // The same event in two feeds appears once; within one feed the parser decides. (With
        // one feed there is nothing to look up or remember.)
        if !seen.is_empty() {
            records.retain(|r| match &r.uid {
                Some(u) => !seen.contains(&(u.clone(), r.start.clone())),
                None => true,
            });
        }
        if i + 1 < feeds.len() {
            seen.extend(
                records
                    .iter()
                    .filter_map(|r| r.uid.clone().map(|u| (u, r.start.clone()))),
            );
        }
        if out.records.is_empty() {
            out.records = records;
        } else {
            out.records.append(&mut records);
        }
    }
    out.records.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

impl Cmd {
    /// Runs the command.
    ///
    /// # Errors
    /// Unreadable input files, unknown feed kinds, or a failed write to stdout.
    pub fn run(self) -> anyhow::Result<()> {
        if self.to <= self.from {
            anyhow::bail!("--to ({}) must be after --from ({})", self.to, self.from);
        }
        let window = Window {
            from: self.from,
            to: self.to,
            tz: self.tz,
        };
        let opts = IcsOptions {
            ignore_x_wr_timezone: self.ignore_x_wr_timezone,
        };
        // The same fetch as `anslag build`: URLs, cache, validation and last-good fallback.
        let fetcher = crate::feeds::fetch::Fetcher::new(cache_dir(self.cache_dir.clone()));
        let mut feeds = Vec::with_capacity(self.feeds.len());
        let mut failed = Vec::new();
        for (source, fetched) in self.feeds.iter().zip(fetch_all(fetcher, &self.feeds)?) {
            match fetched {
                Ok(f) => {
                    if let Some(w) = &f.warning {
                        eprintln!("{w}");
                    }
                    feeds.push((source.clone(), f.bytes));
                }
                Err(e) => failed.push(FeedFailure::unfetchable(source, &e)),
            }
        }
        let expanded = expand_feeds(&feeds, &window, &opts);
        for f in &expanded.failed {
            eprintln!("ERROR: {}", f.message);
        }
        failed.extend(expanded.failed.iter().cloned());
        for d in &expanded.diagnostics {
            eprintln!("warning: {d}");
        }
        let stdout = std::io::stdout();
        // A megabyte of JSON for a big calendar: 64 KiB writes rather than 8 KiB ones.
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
        for r in &expanded.records {
            serde_json::to_writer(&mut w, r).context("writing JSON")?;
            w.write_all(b"\n").context("writing output")?;
        }
        for e in &expanded.entries {
            serde_json::to_writer(&mut w, e).context("writing JSON")?;
            w.write_all(b"\n").context("writing output")?;
        }
        w.flush().context("writing output")?;
        // The process ends right after this: freeing the records and the feeds' bytes one
        // allocation at a time (tens of thousands for a big calendar) is work the exit does at
        // once anyway.
        std::mem::forget(expanded);
        std::mem::forget(feeds);
        // The output is incomplete: say so in the exit status too (see `FeedFailure`).
        if !failed.is_empty() {
            anyhow::bail!(
                "{} of {} feeds could not be read and are not in the output: {}",
                failed.len(),
                self.feeds.len(),
                failed
                    .iter()
                    .map(|f| f.source.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written digits say what `format!` says, at the edges of four-digit years too.
    #[test]
    fn wall_clock_writes_what_format_writes() {
        use chrono::{Datelike, NaiveDate, Timelike};
        for (y, m, d, hh, mm, ss) in [
            (2026, 1, 5, 18, 0, 0),
            (0, 1, 1, 0, 0, 0),
            (9999, 12, 31, 23, 59, 59),
            (10000, 1, 1, 1, 2, 3),
            (-1, 6, 15, 9, 8, 7),
            (1987, 10, 9, 10, 11, 12),
        ] {
            let t = NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(hh, mm, ss))
                .expect("valid");
            let date = format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
            let time = format!("T{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
            assert_eq!(wall_clock(t, true), date);
            assert_eq!(wall_clock(t, false), format!("{date}{time}"));
        }
    }
}

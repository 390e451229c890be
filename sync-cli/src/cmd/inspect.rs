//! `anslag inspect`: what a bundle holds, for people (`--json` for programs).

use std::io::Write;
use std::path::PathBuf;

use anslag_core::bundle::Bundle;
use anyhow::{Context, Result};

/// Show what a bundle holds: header, validity window and events.
///
/// Times are the board's wall-clock times. A damaged bundle is reported with the reason
/// (truncated, CRC mismatch, …) and a non-zero exit status.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag inspect hall.ansl
  anslag inspect hall.ansl --json | jq '.events[].title'")]
pub struct Cmd {
    /// The bundle to read.
    #[arg(value_name = "FILE.ansl")]
    pub file: PathBuf,
    /// Check FILE.ansl.sig against this public key (NAME.pub from `anslag keygen`).
    #[arg(long, value_name = "NAME.pub")]
    pub key: Option<PathBuf>,
    /// Print `{\"header\": {...}, \"event_count\": N, \"events\": [...]}` as JSON.
    #[arg(long)]
    pub json: bool,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Cmd {
    /// Runs the command.
    ///
    /// # Errors
    /// The file cannot be read or is not a valid bundle.
    pub fn run(self) -> Result<()> {
        let name = self.file.display();
        let bytes = std::fs::read(&self.file).with_context(|| format!("cannot read {name}"))?;
        let bundle =
            Bundle::parse(&bytes).with_context(|| format!("{name} is not a valid bundle"))?;
        if let Some(k) = &self.key {
            let public = crate::cmd::keygen::read_key::<32>(k)?;
            let sig_path = crate::cmd::build::signature_path(&self.file);
            let sig_hex = std::fs::read_to_string(&sig_path).with_context(|| {
                format!("{name} is not signed: cannot read {}", sig_path.display())
            })?;
            let sig: Vec<u8> = (0..sig_hex.trim().len())
                .step_by(2)
                .filter_map(|i| {
                    sig_hex
                        .trim()
                        .get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect();
            anslag_core::wire::verify(&bytes, bundle.header().sequence, &sig, &public)
                .with_context(|| {
                    format!("{name}: signature check against {} failed", k.display())
                })?;
            eprintln!(
                "signature: good ({} with {})",
                sig_path.display(),
                k.display()
            );
        }
        let named = bundle.events().enumerate().map(|(i, e)| {
            (
                format!("event {i} \"{}\" ({})", e.title(), e.start()),
                [
                    e.title().to_string(),
                    e.place().to_string(),
                    e.category().to_string(),
                ],
            )
        });
        for w in crate::listing::glyph_warnings(named) {
            eprintln!("warning: {w}");
        }
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &bundle)?;
            writeln!(out)?;
        } else {
            write_report(&mut out, &name.to_string(), &bundle)?;
        }
        Ok(())
    }
}

fn offset(minutes: i16) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The human-readable report.
pub fn write_report(out: &mut impl Write, name: &str, b: &Bundle<'_>) -> Result<()> {
    let h = b.header();
    let (major, minor) = b.version();
    let built = chrono::DateTime::from_timestamp(h.created_at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| h.created_at.to_string());
    writeln!(
        out,
        "bundle    {name} ({} bytes, format {major}.{minor})",
        b.as_bytes().len()
    )?;
    writeln!(
        out,
        "board     {} — {} (language {})",
        h.board, h.centre, h.language
    )?;
    writeln!(out, "sequence  {}, built {built}", h.sequence)?;
    writeln!(
        out,
        "valid     {} … {} ({} days), refresh expected every {} min",
        h.valid_from,
        h.window_end().add_days(-1),
        h.valid_days,
        h.refresh_minutes
    )?;
    let offsets: Vec<String> = b
        .utc_offsets()
        .enumerate()
        .map(|(i, o)| {
            if i == 0 {
                offset(o.offset_minutes)
            } else {
                let at = chrono::DateTime::from_timestamp(o.from_utc_minute * 60, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                format!("{} from {at}", offset(o.offset_minutes))
            }
        })
        .collect();
    writeln!(out, "clock     {}", offsets.join(", then "))?;
    writeln!(out, "events    {}", b.len())?;
    if b.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "  {:<20} {:<7} {:<5} TITLE — PLACE",
        "START", "END", "FLAGS"
    )?;
    for e in b.events() {
        let (s, end) = (e.start(), e.end());
        let wd = WEEKDAYS.get(usize::from(s.date.weekday())).unwrap_or(&"");
        let hm =
            |t: anslag_core::time::DateTime| format!("{:02}:{:02}", t.hour(), t.minute_of_hour());
        let start = if e.is_all_day() {
            format!("{wd} {}", s.date)
        } else {
            format!("{wd} {} {}", s.date, hm(s))
        };
        let end = if e.is_all_day() {
            let days = e.duration_minutes().div_ceil(1440);
            if days > 1 {
                format!("{days}d")
            } else {
                "all day".to_string()
            }
        } else if e.duration_minutes() == 0 {
            String::new()
        } else if end.date == s.date {
            hm(end)
        } else {
            format!("{} {}", end.date, hm(end))
        };
        let flags: String = [
            (e.is_cancelled(), 'X'),
            (e.is_floating(), 'F'),
            (e.is_date_from_text(), 'T'),
        ]
        .iter()
        .map(|&(on, c)| if on { c } else { '·' })
        .collect();
        let place = if e.place().is_empty() {
            String::new()
        } else {
            format!(" — {}", e.place())
        };
        writeln!(
            out,
            "  {start:<20} {end:<7} {flags:<5} {}{place}",
            e.title()
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "flags: X cancelled, F floating time, T date found in text"
    )?;
    Ok(())
}

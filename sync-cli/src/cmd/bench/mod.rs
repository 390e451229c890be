//! `anslag bench`: measurements against named peers, in one run, printed as a report.
//!
//! These are the numbers `BENCHMARKS.md` records; performance targets are checked here, never
//! by timed tests.

use std::borrow::Cow;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anslag_core::bundle::Bundle;
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod fleet;
mod push;

use crate::cmd::build::{load_feed, parse_tz};
use crate::feeds::{Occurrence, Window};
use crate::listing::{self, BoardInfo};

/// Measure anslag against its peers and print a report.
#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Bundle format: size and decode speed against plain postcard structs and JSON.
    #[command(after_help = "\
Example (the repository's benchmark feeds):
  anslag bench format ../shared/bench/listing-20.ics ../shared/bench/listing-200.ics \\
      ../shared/bench/listing-2000.ics")]
    Format(FormatArgs),
    /// Wire envelope: bytes for a full update and for one event changed, added or cancelled.
    #[command(after_help = "\
Example:
  anslag bench wire ../shared/bench/listing-200.ics")]
    Wire(WireArgs),
    /// Push time over a throttled serial-speed link, against bytes ÷ line rate.
    #[command(after_help = "\
Example:
  anslag bench push ../shared/bench/listing-200.ics --baud 115200")]
    Push(push::PushArgs),
    /// Fleet: simulated boards on a real mosquitto, time until all run a new bundle.
    #[command(after_help = "\
Example:
  anslag bench fleet --boards 1000")]
    Fleet(fleet::FleetArgs),
}

/// Arguments of `anslag bench wire`.
#[derive(Debug, clap::Args)]
pub struct WireArgs {
    /// Calendar file to measure.
    #[arg(value_name = "FEED.ics")]
    pub feed: PathBuf,
    /// Board time zone for the listing.
    #[arg(long, default_value = "Europe/Riga", value_parser = parse_tz)]
    pub tz: chrono_tz::Tz,
}

/// Arguments of `anslag bench format`.
#[derive(Debug, clap::Args)]
pub struct FormatArgs {
    /// Calendar files to measure (each becomes one listing).
    #[arg(required = true, value_name = "FEED.ics")]
    pub feeds: Vec<PathBuf>,
    /// Board time zone for the listing.
    #[arg(long, default_value = "Europe/Riga", value_parser = parse_tz)]
    pub tz: chrono_tz::Tz,
    /// Minimum time spent timing each decoder per file.
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub time_ms: u64,
    /// Print the results as JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl Cmd {
    /// Runs the benchmark.
    ///
    /// # Errors
    /// A feed cannot be read or measured.
    pub fn run(self) -> Result<()> {
        match self {
            Cmd::Format(args) => format(&args),
            Cmd::Wire(args) => wire(&args),
            Cmd::Push(args) => push::push(&args),
            Cmd::Fleet(args) => fleet::fleet(&args),
        }
    }
}

/// Heap allocations made by `f` — counted only in a build with the `count-allocations`
/// feature, because counting replaces the global allocator (and slows every command).
#[cfg(feature = "count-allocations")]
fn count_allocations(f: impl FnOnce()) -> Option<u64> {
    Some(allocation_counter::measure(f).count_total)
}

/// Without the `count-allocations` feature: not counted.
#[cfg(not(feature = "count-allocations"))]
fn count_allocations(f: impl FnOnce()) -> Option<u64> {
    f();
    None
}

fn shown(count: Option<u64>) -> String {
    count.map_or_else(
        || "n/a (build with --features count-allocations)".into(),
        |n| n.to_string(),
    )
}

/// The peer layout: one struct per event with owned strings, as serde derives it.
#[derive(Debug, Serialize, Deserialize)]
struct PlainEvent<'a> {
    start: i64,
    end: i64,
    all_day: bool,
    cancelled: bool,
    floating: bool,
    date_from_text: bool,
    #[serde(borrow)]
    title: Cow<'a, str>,
    #[serde(borrow)]
    place: Cow<'a, str>,
    #[serde(borrow)]
    description: Cow<'a, str>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    #[serde(borrow)]
    link: Cow<'a, str>,
    #[serde(borrow)]
    language: Cow<'a, str>,
}

/// Zero-copy postcard peer: the same fields, borrowed from the input.
#[derive(Debug, Deserialize)]
struct PlainEventRef<'a> {
    start: i64,
    end: i64,
    all_day: bool,
    cancelled: bool,
    floating: bool,
    date_from_text: bool,
    title: &'a str,
    place: &'a str,
    description: &'a str,
    category: &'a str,
    link: &'a str,
    language: &'a str,
}

/// One file's results.
#[derive(Debug, Serialize)]
pub struct FormatResult {
    file: String,
    events: usize,
    anslag_bytes: usize,
    anslag_deflate: usize,
    postcard_bytes: usize,
    postcard_deflate: usize,
    json_bytes: usize,
    json_deflate: usize,
    anslag_decode_ns_per_event: f64,
    postcard_decode_ns_per_event: f64,
    json_decode_ns_per_event: f64,
    anslag_decode_allocations: Option<u64>,
    postcard_decode_allocations: Option<u64>,
    encode_ms: f64,
}

fn deflate(bytes: &[u8]) -> usize {
    miniz_oxide::deflate::compress_to_vec(bytes, 9).len()
}

/// Median nanoseconds per call of `f`, over batches filling `budget`.
fn time_per_call(budget: Duration, mut f: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < Duration::from_millis(50) {
        black_box(f());
        calls += 1;
    }
    let per_batch = (calls / 2).max(1);
    let mut samples = Vec::new();
    let begun = Instant::now();
    while begun.elapsed() < budget || samples.len() < 5 {
        let t = Instant::now();
        for _ in 0..per_batch {
            black_box(f());
        }
        samples.push(t.elapsed().as_nanos() as f64 / per_batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Reads every field of every event, as a renderer would: our side.
pub fn touch_anslag(bytes: &[u8]) -> u64 {
    let Ok(b) = Bundle::parse(bytes) else {
        return 0;
    };
    let mut acc = 0u64;
    for e in b.events() {
        acc = acc.wrapping_add(
            e.start_minutes() as u64 + u64::from(e.duration_minutes()) + u64::from(e.flags()),
        );
        for t in [
            e.title(),
            e.place(),
            e.description(),
            e.category(),
            e.link(),
            e.language(),
        ] {
            for p in t.pieces() {
                acc = acc.wrapping_add(p.len() as u64);
            }
        }
    }
    acc
}

/// The same for the zero-copy postcard peer.
pub fn touch_postcard(bytes: &[u8]) -> u64 {
    let Ok(events) = postcard::from_bytes::<Vec<PlainEventRef<'_>>>(bytes) else {
        return 0;
    };
    let mut acc = 0u64;
    for e in &events {
        acc = acc.wrapping_add(
            (e.start + (e.end - e.start)) as u64
                + u64::from(e.all_day)
                + u64::from(e.cancelled)
                + u64::from(e.floating)
                + u64::from(e.date_from_text),
        );
        for t in [
            e.title,
            e.place,
            e.description,
            e.category,
            e.link,
            e.language,
        ] {
            acc = acc.wrapping_add(t.len() as u64);
        }
    }
    acc
}

/// The same for the serde_json peer.
pub fn touch_json(bytes: &[u8]) -> u64 {
    let Ok(events) = serde_json::from_slice::<Vec<PlainEvent<'_>>>(bytes) else {
        return 0;
    };
    events
        .iter()
        .map(|e| e.title.len() as u64 + e.start as u64)
        .sum()
}

/// The board every benchmark listing is built for (fixed, so runs compare).
fn bench_board() -> BoardInfo {
    BoardInfo {
        board: "bench".into(),
        centre: "Benchmark".into(),
        language: "lv".into(),
        sequence: 1,
        created_at: 0,
        refresh_minutes: 1440,
    }
}

/// The tightest window holding every occurrence of a feed.
fn tight_window(path: &Path, tz: chrono_tz::Tz) -> Result<(Window, Vec<Occurrence>)> {
    let wide = Window {
        from: NaiveDate::from_ymd_opt(1970, 1, 1).context("date")?,
        to: NaiveDate::from_ymd_opt(2100, 1, 1).context("date")?,
        tz,
    };
    let parsed = load_feed(path, &wide)?;
    if parsed.occurrences.is_empty() {
        bail!("{}: no events to measure", path.display());
    }
    let from = parsed
        .occurrences
        .iter()
        .map(|o| o.start.date())
        .min()
        .unwrap_or(wide.from);
    let to = parsed
        .occurrences
        .iter()
        .map(|o| o.end.date())
        .max()
        .unwrap_or(wide.to);
    let to = to.succ_opt().unwrap_or(to);
    Ok((Window { from, to, tz }, parsed.occurrences))
}

/// A feed's bundle and the two peers' encodings of the same events.
#[derive(Debug)]
pub struct Encodings {
    /// Number of events.
    pub events: usize,
    /// anslag bundle bytes.
    pub anslag: Vec<u8>,
    /// Plain postcard structs.
    pub postcard: Vec<u8>,
    /// serde_json of the same structs.
    pub json: Vec<u8>,
    /// Milliseconds `listing::encode` took.
    pub encode_ms: f64,
}

/// Builds the three encodings of one feed over its tightest window.
///
/// # Errors
/// The feed cannot be read, holds no events, or a decoder fails on its own output.
pub fn encodings(path: &Path, tz: chrono_tz::Tz) -> Result<Encodings> {
    let (window, occurrences) = tight_window(path, tz)?;
    let info = bench_board();
    let t = Instant::now();
    let ours = listing::encode(&occurrences, &window, &info)?;
    let encode_ms = t.elapsed().as_secs_f64() * 1e3;
    let n = Bundle::parse(&ours)?.len();

    let plain: Vec<PlainEvent<'_>> = listing::events(&occurrences)?
        .iter()
        .map(|e| PlainEvent {
            start: e.start.to_minutes(),
            end: e.start.to_minutes() + i64::from(e.duration_minutes),
            all_day: e.all_day,
            cancelled: e.cancelled,
            floating: e.floating,
            date_from_text: e.date_from_text,
            title: e.title.into(),
            place: e.place.into(),
            description: e.description.into(),
            category: e.category.into(),
            link: e.link.into(),
            language: e.language.into(),
        })
        .collect();
    let pc = postcard::to_allocvec(&plain)?;
    let json = serde_json::to_vec(&plain)?;
    if touch_postcard(&pc) == 0 || touch_anslag(&ours) == 0 {
        bail!("{}: a decoder failed on its own output", path.display());
    }
    Ok(Encodings {
        events: n,
        anslag: ours,
        postcard: pc,
        json,
        encode_ms,
    })
}

fn measure(path: &Path, args: &FormatArgs) -> Result<FormatResult> {
    let Encodings {
        events: n,
        anslag: ours,
        postcard: pc,
        json,
        encode_ms,
    } = encodings(path, args.tz)?;

    let budget = Duration::from_millis(args.time_ms);
    let per_event = |ns: f64| ns / n as f64;
    let anslag_ns = per_event(time_per_call(budget, || touch_anslag(&ours)));
    let postcard_ns = per_event(time_per_call(budget, || touch_postcard(&pc)));
    let json_ns = per_event(time_per_call(budget / 3, || touch_json(&json)));
    let anslag_allocs = count_allocations(|| {
        black_box(touch_anslag(&ours));
    });
    let postcard_allocs = count_allocations(|| {
        black_box(touch_postcard(&pc));
    });

    Ok(FormatResult {
        file: path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        events: n,
        anslag_bytes: ours.len(),
        anslag_deflate: deflate(&ours),
        postcard_bytes: pc.len(),
        postcard_deflate: deflate(&pc),
        json_bytes: json.len(),
        json_deflate: deflate(&json),
        anslag_decode_ns_per_event: anslag_ns,
        postcard_decode_ns_per_event: postcard_ns,
        json_decode_ns_per_event: json_ns,
        anslag_decode_allocations: anslag_allocs,
        postcard_decode_allocations: postcard_allocs,
        encode_ms,
    })
}

fn format(args: &FormatArgs) -> Result<()> {
    let mut results = Vec::new();
    for path in &args.feeds {
        eprintln!("measuring {} …", path.display());
        results
            .push(measure(path, args).with_context(|| format!("benchmark of {}", path.display()))?);
    }
    if args.json {
        for r in &results {
            println!("{}", serde_json::to_string(r)?);
        }
        return Ok(());
    }
    println!("Size (bytes per event; raw / after deflate level 9)\n");
    println!("| file | N | anslag | plain postcard | JSON | anslag vs postcard (raw) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &results {
        let n = r.events as f64;
        println!(
            "| {} | {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2}× smaller |",
            r.file,
            r.events,
            r.anslag_bytes as f64 / n,
            r.anslag_deflate as f64 / n,
            r.postcard_bytes as f64 / n,
            r.postcard_deflate as f64 / n,
            r.json_bytes as f64 / n,
            r.json_deflate as f64 / n,
            r.postcard_bytes as f64 / r.anslag_bytes as f64,
        );
    }
    println!("\nDecode (validate + read every field of every event; ns per event, median)\n");
    println!("| file | N | anslag | zero-copy postcard | serde_json | speed-up vs postcard | heap allocations anslag / postcard | encode |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &results {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.2}× | {} / {} | {:.2} ms |",
            r.file,
            r.events,
            r.anslag_decode_ns_per_event,
            r.postcard_decode_ns_per_event,
            r.json_decode_ns_per_event,
            r.postcard_decode_ns_per_event / r.anslag_decode_ns_per_event,
            shown(r.anslag_decode_allocations),
            shown(r.postcard_decode_allocations),
            r.encode_ms,
        );
    }
    Ok(())
}

fn wire(args: &WireArgs) -> Result<()> {
    use anslag_core::wire::seal::{self, pack, seal};
    use anslag_core::wire::Header;
    let (window, occurrences) = tight_window(&args.feed, args.tz)?;
    // Sequences as `anslag build` makes them (build time in seconds): 5-byte varints.
    let (seq1, seq2) = (1_795_400_000u64, 1_795_403_600u64);
    let info = BoardInfo {
        sequence: seq1,
        ..bench_board()
    };
    let base = listing::encode(&occurrences, &window, &info)?;
    let n = Bundle::parse(&base)?.len();
    let key = [7u8; 32];
    let sk = *ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(key)).sk;
    let mid = occurrences.len() / 2;
    let mut changed = occurrences.clone();
    changed[mid].summary.push_str(" (pārcelts)");
    let mut added = occurrences.clone();
    let mut extra = occurrences[mid].clone();
    extra.uid = "new-event@bench".into();
    extra.summary = "Jauns pasākums: talka".into();
    added.push(extra);
    let mut cancelled = occurrences.clone();
    cancelled[mid].cancelled = true;

    let enc = encodings(&args.feed, args.tz)?;
    let zstd19 = |b: &[u8]| zstd::bulk::compress(b, 19).map(|c| c.len());
    let xz9 = |b: &[u8]| -> Result<usize> {
        let mut out = Vec::new();
        let mut e = liblzma::write::XzEncoder::new(&mut out, 9 | liblzma::stream::PRESET_EXTREME);
        std::io::Write::write_all(&mut e, b)?;
        e.finish()?;
        Ok(out.len())
    };
    println!(
        "Wire sizes for {} (N = {n}): signed envelopes (Ed25519), patch ops deflated when \
         smaller, next bundle encoded against the base\n",
        args.feed.display()
    );
    println!("| what | bytes | bytes/event |");
    println!("|---|---:|---:|");
    let full = seal(&base, seq1, None, Some(&sk));
    let row = |what: &str, bytes: usize| {
        println!("| {what} | {bytes} | {:.1} |", bytes as f64 / n as f64);
    };
    row(
        "**anslag envelope, full** (packed tables, zopfli deflate, header + signature)",
        full.len(),
    );
    // What each half of the full envelope's encoding is worth: the same header with another
    // payload (packing off, or miniz instead of zopfli; both off = the v2 envelope).
    let (_, payload) = Header::decode_envelope(&full).map_err(|e| anyhow::anyhow!("{e}"))?;
    let header_len = full.len() - payload.len();
    let miniz = |b: &[u8]| miniz_oxide::deflate::compress_to_vec(b, 10).len();
    let packed = pack(&base);
    row(
        "  same, tables not packed (bundle as is, zopfli)",
        header_len + seal::deflate(&base).len(),
    );
    row(
        "  same, packed, miniz level 10 instead of zopfli",
        header_len + miniz(&packed),
    );
    row(
        "  same, neither (bundle as is, miniz level 10: the v2 envelope)",
        header_len + miniz(&base),
    );
    row(
        "  same, packed, xz -9e instead of deflate",
        header_len + xz9(&packed)?,
    );
    row(
        "  same, packed, zstd -19 instead of deflate",
        header_len + zstd19(&packed)?,
    );
    row("anslag bundle, uncompressed", base.len());
    row("anslag bundle, zstd -19", zstd19(&base)?);
    row("anslag bundle, xz -9e", xz9(&base)?);
    row("same events as postcard, zstd -19", zstd19(&enc.postcard)?);
    row("same events as postcard, xz -9e", xz9(&enc.postcard)?);
    row("same events as JSON, zstd -19", zstd19(&enc.json)?);
    row("same events as JSON, xz -9e", xz9(&enc.json)?);
    println!();
    println!("| update | mode | bytes on the wire |");
    println!("|---|---|---:|");
    for (what, occ) in [
        ("one event changed", &changed),
        ("one event added", &added),
        ("one event cancelled", &cancelled),
    ] {
        let info2 = BoardInfo {
            sequence: seq2,
            ..info.clone()
        };
        let next = listing::encode_with_base(occ, &window, &info2, Some(&base))?;
        let env = seal(&next, seq2, Some(&base), Some(&sk));
        let (h, _) = Header::decode(&env).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mode = match (h.base, h.compression) {
            (Some(_), anslag_core::wire::Compression::Deflate) => "delta, deflated",
            (Some(_), _) => "delta",
            (None, _) => "full",
        };
        println!("| {what} | {mode} | {} |", env.len());
    }
    println!(
        "\nKiosk RAM to receive and install (static): Receiver {} B (inflate window {} B), \
         protocol state {} B",
        std::mem::size_of::<anslag_core::wire::Receiver>(),
        anslag_core::wire::INFLATE_WINDOW,
        std::mem::size_of::<anslag_core::sync::Kiosk<'static>>(),
    );
    Ok(())
}

//! `anslag sync`: the everyday command. Reads `anslag.toml`, fetches every feed at once, builds
//! each board's listing (its filters applied, text ids kept from what it has), and pushes only
//! what changed — a delta when the board holds the last bundle — to all boards at once.
//!
//! Design notes:
//! - A listing that lost a feed is never sent: when a feed cannot be read and has no last good
//!   copy, every board whose listing is made from it keeps its last bundle and is reported as
//!   not updated (`kept-last`). How many events each feed gave a board is recorded in the cache
//!   after each delivery (`sync/BOARD.feeds`); a feed that gave it none is not missed, a feed
//!   the record does not know (or a board without a record) counts as used.
//! - Boards that answer (TCP, serial) are always asked: the kiosk's Hello says what it runs, so
//!   a board that lost its flash gets its listing again. One-way transports (a directory, MQTT)
//!   are skipped when the cache says nothing changed; `--full` sends everything everywhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde::Serialize;

use crate::cmd::build::{cache_dir, fetch_all, parse_feed_bytes, write_atomically};
use crate::cmd::push::{describe, open_serial, seal_for, Signed};
use crate::config::{self, Loaded, Transport};
use crate::feeds::{self, Occurrence, Window};
use crate::link::{self, KnownBundles};
use crate::listing::{self, BoardInfo};
use anslag_core::bundle::Bundle;
use anslag_core::sync::HostConfig;

/// Arguments of `anslag sync`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag sync                          fetch, build, push what changed, print a summary
  anslag sync --dry-run                check the config, build and seal, show what would be sent
  anslag sync --watch 30               do it every 30 minutes (stop with Ctrl-C)
  anslag sync --watch 90s --passes 3   every 90 seconds, three times
  anslag sync --full                   send every board its whole listing again
  anslag sync --json > report.json     the summary for scripts

The exit status is 1 when a board could not be updated; the others are updated all the same.
A feed that cannot be fetched is replaced by its last good copy, with a warning; when there is
none, the boards that show that feed keep their last listing (the summary names the feed and
its line in the config) rather than lose its events. With --watch a failing pass (a typo saved
in the config, a board away) is reported and the next pass reads the config again.")]
pub struct Cmd {
    /// The configuration (see `anslag init`).
    #[arg(long, value_name = "FILE", default_value = "anslag.toml")]
    pub config: PathBuf,
    /// Check the configuration, build and seal every board's update, push nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Sync again every INTERVAL: minutes, or with a unit (90s, 30m, 2h).
    #[arg(long, value_name = "INTERVAL", value_parser = parse_interval)]
    pub watch: Option<Duration>,
    /// With --watch: stop after this many passes (the exit status is the last pass's).
    #[arg(long, value_name = "N", requires = "watch")]
    pub passes: Option<u32>,
    /// Push every board's bundle in full, never a delta, even where nothing changed.
    #[arg(long)]
    pub full: bool,
    /// Where fetched feeds and the boards' last bundles are kept.
    #[arg(long, value_name = "DIR", env = "ANSLAG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Seconds to wait for each board to answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
}

/// `30` (minutes), `90s`, `30m`, `2h`.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "m"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}`: a number of minutes, or 90s, 30m, 2h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{text}`: the unit is s, m or h")),
    };
    if seconds == 0 {
        return Err("the interval must be at least 1 second".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// One board's line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct BoardReport {
    /// Board name.
    pub board: String,
    /// Its transport.
    pub transport: String,
    /// Events in its listing.
    pub events: usize,
    /// Bytes put on the link (0 when nothing was sent); with `--dry-run`, the bytes that would be.
    pub bytes_sent: u64,
    /// full, delta or none.
    pub mode: &'static str,
    /// activated, up-to-date, unchanged, written, published, would-push, kept-last, rejected,
    /// failed, …
    pub result: &'static str,
    /// Why, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts made.
    pub attempts: u32,
}

impl BoardReport {
    fn ok(&self) -> bool {
        matches!(
            self.result,
            "activated" | "up-to-date" | "unchanged" | "written" | "published" | "would-push"
        )
    }
}

/// A board's new bundle, ready to go.
struct Planned {
    index: usize,
    signed: Signed,
    events: usize,
    /// The bundle it was last sent (its base), if any.
    last: Option<Vec<u8>>,
    /// The listing is the last one: `signed` is that bundle again.
    unchanged: bool,
    /// Events its listing has from each feed (resolved source), in config order.
    feeds: Vec<(String, usize)>,
    /// `FILE:LINE: board 'NAME'`, to start its failures with.
    origin: String,
}

/// A feed that could not be read and has no last good copy to stand in for it.
struct LostFeed {
    /// Its resolved source (as in the boards' feed records).
    source: String,
    /// `FILE:LINE: feed 'SOURCE': why`.
    reason: String,
}

/// What the feeds gave.
struct Read {
    /// Every feed's occurrences, the feed's defaults applied.
    occurrences: Vec<Occurrence>,
    /// The index of the feed each occurrence came from.
    feed_of: Vec<usize>,
    /// Feeds that gave nothing usable.
    lost: Vec<LostFeed>,
}

impl Cmd {
    /// Runs `anslag sync` (once, or every `--watch` interval).
    ///
    /// # Errors
    /// The configuration is wrong, or a board could not be updated (with `--watch`: in the
    /// last of `--passes`).
    pub fn run(self) -> Result<()> {
        let runtime = tokio::runtime::Runtime::new()?;
        let mut pass = 0u32;
        loop {
            pass += 1;
            let result = runtime
                .block_on(self.once())
                .and_then(|reports| self.summary(&reports).map(|()| reports));
            let outcome = result.and_then(|reports| {
                let failed: Vec<&BoardReport> = reports.iter().filter(|r| !r.ok()).collect();
                if failed.is_empty() {
                    return Ok(());
                }
                let names: Vec<&str> = failed.iter().map(|r| r.board.as_str()).collect();
                let reasons: Vec<&str> =
                    failed.iter().filter_map(|r| r.reason.as_deref()).collect();
                bail!("not updated: {} — {}", names.join(", "), reasons.join("; "))
            });
            let Some(interval) = self.watch else {
                return outcome;
            };
            if self.passes.is_some_and(|n| pass >= n) {
                return outcome;
            }
            // Watching: report and carry on; the next pass reads the config again.
            if let Err(e) = outcome {
                eprintln!("error: {e:#}");
                eprintln!("next try in {}", describe_interval(interval));
            }
            std::thread::sleep(interval);
        }
    }

    async fn once(&self) -> Result<Vec<BoardReport>> {
        let loaded = config::load(&self.config)?;
        // A missing key is a mistake to report before any feed is fetched.
        let secret: [u8; 64] = crate::cmd::keygen::read_key(&loaded.key)
            .with_context(|| format!("{}: [signing] key", loaded.at(&loaded.config.signing.key)))?;
        if self.dry_run {
            check_transports(&loaded)?;
        }
        let cache = cache_dir(self.cache_dir.clone());
        let created_at = crate::cmd::build::build_time()?;
        let today: NaiveDate = chrono::DateTime::from_timestamp(created_at, 0)
            .context("clock out of range")?
            .with_timezone(&loaded.tz)
            .date_naive();
        let window = Window {
            from: today,
            to: today
                .checked_add_days(chrono::Days::new(u64::from(
                    *loaded.config.centre.days_ahead.get_ref(),
                )))
                .context("window out of range")?,
            tz: loaded.tz,
        };
        let read = self.fetch(&loaded, &window, &cache).await?;
        let (plans, mut reports) = plan(
            &loaded, &read, &window, created_at, &cache, &secret, self.full,
        )?;
        if self.dry_run {
            reports.extend(
                plans
                    .iter()
                    .map(|p| dry_run(p, &loaded.transports[p.index], self.full)),
            );
        } else {
            let bars = indicatif::MultiProgress::new();
            if self.json {
                bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            crate::cli::log_above(Some(bars.clone()));
            let mut tasks = tokio::task::JoinSet::new();
            for p in plans {
                let transport = loaded.transports[p.index].clone();
                let bar = bars.add(crate::cmd::push::progress_bar(self.json));
                bar.set_prefix(p.signed.board.clone());
                let (cache, full, timeout) = (cache.clone(), self.full, self.timeout);
                tasks.spawn(async move { deliver(p, transport, cache, full, timeout, bar).await });
            }
            while let Some(r) = tasks.join_next().await {
                reports.push(r.context("a board's task failed")?);
            }
            crate::cli::log_above(None);
            bars.clear().ok();
        }
        let order: Vec<&str> = loaded
            .config
            .boards
            .iter()
            .map(|b| b.name.get_ref().as_str())
            .collect();
        reports.sort_by_key(|r| order.iter().position(|n| *n == r.board));
        Ok(reports)
    }

    /// Fetches every feed concurrently and reads them in the window, with the feed's defaults.
    async fn fetch(&self, loaded: &Loaded, window: &Window, cache: &Path) -> Result<Read> {
        let fetcher = feeds::fetch::Fetcher::new(cache.to_path_buf());
        let sources = loaded.sources.clone();
        let fetched = tokio::task::spawn_blocking(move || fetch_all(fetcher, &sources))
            .await
            .context("fetching failed")??;
        let mut read = Read {
            occurrences: Vec::new(),
            feed_of: Vec::new(),
            lost: Vec::new(),
        };
        let feeds = loaded.sources.iter().zip(&loaded.config.feeds);
        for (index, ((source, feed), result)) in feeds.zip(fetched).enumerate() {
            let lost = |why: String| LostFeed {
                source: source.clone(),
                reason: format!(
                    "{}: feed '{}': {why}",
                    loaded.at(&feed.source),
                    feed.source.get_ref()
                ),
            };
            let fetched = match result {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(
                        "{e:#} — no copy to fall back on; boards showing it keep their listing"
                    );
                    read.lost
                        .push(lost(format!("{e}, and there is no last good copy")));
                    continue;
                }
            };
            // The warning names the feed and says the last good copy is used.
            if let Some(w) = &fetched.warning {
                tracing::warn!("{w}");
            }
            let lang = feed
                .language
                .as_deref()
                .unwrap_or(loaded.config.centre.language.get_ref());
            let parsed = match parse_feed_bytes(
                source,
                &fetched.bytes,
                window,
                &Default::default(),
                Some(lang),
            ) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!("{e:#} — boards showing it keep their listing");
                    read.lost.push(lost(format!("cannot be read: {e:#}")));
                    continue;
                }
            };
            for d in &parsed.diagnostics {
                tracing::warn!("{d}");
            }
            // A broken copy (a spreadsheet that no longer reads, a cut-off calendar) never gets
            // here: the fetch's good-copy check refused it and served the last good one.
            tracing::info!(feed = %source, events = parsed.occurrences.len(), "read");
            for mut o in parsed.occurrences {
                if o.category.is_empty() {
                    o.category = feed.category.clone().unwrap_or_default();
                }
                if o.language.is_empty() {
                    o.language = feed.language.clone().unwrap_or_default();
                }
                read.occurrences.push(o);
                read.feed_of.push(index);
            }
        }
        Ok(read)
    }

    fn summary(&self, reports: &[BoardReport]) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(reports)?);
            return Ok(());
        }
        let w = reports
            .iter()
            .map(|r| r.board.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let t = reports
            .iter()
            .map(|r| r.transport.len())
            .max()
            .unwrap_or(9)
            .max(9);
        println!(
            "{:<w$}  {:<t$}  {:>6}  {:>9}  {:<5}  RESULT",
            "BOARD", "TRANSPORT", "EVENTS", "BYTES", "MODE"
        );
        for r in reports {
            println!(
                "{:<w$}  {:<t$}  {:>6}  {:>9}  {:<5}  {}{}",
                r.board,
                r.transport,
                r.events,
                r.bytes_sent,
                r.mode,
                r.result,
                r.reason
                    .as_ref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            );
        }
        Ok(())
    }
}

fn describe_interval(d: Duration) -> String {
    match d.as_secs() {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// What `--dry-run` checks beyond the config's syntax without connecting: a broker's CA file.
fn check_transports(loaded: &Loaded) -> Result<()> {
    for (board, transport) in loaded.config.boards.iter().zip(&loaded.transports) {
        if let Transport::Mqtt(url) = transport {
            link::mqtt::check_ca(url).with_context(|| {
                format!(
                    "{}: board '{}'",
                    loaded.at(&board.transport),
                    board.name.get_ref()
                )
            })?;
        }
    }
    Ok(())
}

/// Where the last bundle delivered to a board is kept.
fn last_path(cache: &Path, board: &str) -> PathBuf {
    cache
        .join("sync")
        .join(format!("{}.ansl", link::safe_file_name(board)))
}

/// Where the events each feed gave a board's last bundle are recorded: `COUNT SOURCE` lines.
fn feeds_path(cache: &Path, board: &str) -> PathBuf {
    cache
        .join("sync")
        .join(format!("{}.feeds", link::safe_file_name(board)))
}

/// Whether `board`'s listing is made from the feed `source`: unless the record says the feed
/// gave it no events last time, yes.
fn uses(cache: &Path, board: &str, source: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(feeds_path(cache, board)) else {
        return true;
    };
    let count = text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(_, s)| *s == source)
        .map(|(n, _)| n);
    count != Some("0")
}

/// Builds each board's bundle against the last one it was sent. Boards that would lose a feed
/// are not planned: they get their report (`kept-last`) here.
fn plan(
    loaded: &Loaded,
    read: &Read,
    window: &Window,
    created_at: i64,
    cache: &Path,
    secret: &[u8; 64],
    full: bool,
) -> Result<(Vec<Planned>, Vec<BoardReport>)> {
    let centre = &loaded.config.centre;
    let mut plans = Vec::new();
    let mut held = Vec::new();
    for (index, board) in loaded.config.boards.iter().enumerate() {
        let name = board.name.get_ref();
        let last = std::fs::read(last_path(cache, name)).ok();
        let last_bundle = last.as_deref().and_then(|b| Bundle::parse(b).ok());
        let lost: Vec<&str> = read
            .lost
            .iter()
            .filter(|f| uses(cache, name, &f.source))
            .map(|f| f.reason.as_str())
            .collect();
        if !lost.is_empty() {
            tracing::warn!(board = %name, "not updated: its listing would lose a feed");
            held.push(BoardReport {
                board: name.clone(),
                transport: loaded.transports[index].to_string(),
                events: last_bundle.as_ref().map_or(0, Bundle::len),
                bytes_sent: 0,
                mode: "none",
                result: "kept-last",
                reason: Some(format!(
                    "{}; the board keeps its last listing",
                    lost.join("; ")
                )),
                attempts: 0,
            });
            continue;
        }
        let (mine, feeds_used): (Vec<Occurrence>, Vec<usize>) = read
            .occurrences
            .iter()
            .zip(&read.feed_of)
            .filter(|(o, _)| board.shows(o))
            .map(|(o, f)| (o.clone(), *f))
            .unzip();
        let feeds = loaded
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), feeds_used.iter().filter(|f| **f == i).count()))
            .collect();
        let last_header = last_bundle
            .as_ref()
            .map(|b| (b.header().sequence, b.header().created_at));
        let info = BoardInfo {
            board: name.clone(),
            centre: centre.name.clone(),
            language: centre.language.get_ref().clone(),
            sequence: u64::try_from(created_at).unwrap_or(0),
            created_at,
            refresh_minutes: centre.refresh_minutes,
        };
        // Unchanged: the same listing built with the last bundle's sequence and time is that
        // bundle, byte for byte. (`--full` sends a new one all the same.)
        let unchanged = match (&last, last_header) {
            (Some(last), Some((sequence, created))) if !full => {
                let same = BoardInfo {
                    sequence,
                    created_at: created,
                    ..info.clone()
                };
                listing::encode_with_base(&mine, window, &same, Some(last))
                    .is_ok_and(|b| &b == last)
            }
            _ => false,
        };
        let (bytes, sequence) = match (&last, last_header) {
            // The same bundle again (signing is deterministic: the same signature), for a board
            // that answers to say whether it still has it.
            (Some(last), Some((sequence, _))) if unchanged => (last.clone(), sequence),
            _ => {
                // Strictly newer than the last, even when two syncs fall in the same second.
                let sequence = info
                    .sequence
                    .max(last_header.map_or(0, |(s, _)| s.saturating_add(1)));
                let info = BoardInfo { sequence, ..info };
                let bytes = listing::encode_with_base(&mine, window, &info, last.as_deref())?;
                (bytes, sequence)
            }
        };
        let events = Bundle::parse(&bytes)?.len();
        let signature = anslag_core::wire::sign(&bytes, sequence, secret)
            .context("the [signing] key is not a valid signing key")?;
        plans.push(Planned {
            index,
            signed: Signed {
                bytes,
                sequence,
                board: name.clone(),
                signature,
            },
            events,
            last,
            unchanged,
            feeds,
            origin: format!("{}: board '{name}'", loaded.at(&board.transport)),
        });
    }
    Ok((plans, held))
}

/// Whether the board answers (and so can say what it runs).
fn talks_back(transport: &Transport) -> bool {
    matches!(transport, Transport::Tcp(_) | Transport::Serial { .. })
}

impl BoardReport {
    /// The report of a board nothing has been sent to (yet).
    fn unchanged(p: &Planned, transport: &Transport) -> Self {
        BoardReport {
            board: p.signed.board.clone(),
            transport: transport.to_string(),
            events: p.events,
            bytes_sent: 0,
            mode: "none",
            result: "unchanged",
            reason: None,
            attempts: 0,
        }
    }
}

/// What `--dry-run` reports for a board: the update sealed as it would be sent, not sent.
fn dry_run(p: &Planned, transport: &Transport, full: bool) -> BoardReport {
    let mut report = BoardReport::unchanged(p, transport);
    if p.unchanged {
        if talks_back(transport) {
            report.reason = Some("unless the board lost it (it is asked)".into());
        }
        return report;
    }
    let base = p.last.as_deref().filter(|_| !full);
    let envelopes: Vec<Vec<u8>> = match transport {
        Transport::Dir(_) => vec![p.signed.seal(None, true)],
        Transport::Mqtt(url) => link::mqtt::messages(url, &p.signed, base)
            .into_iter()
            .map(|(_, m)| m)
            .collect(),
        // The board may run another bundle than the cache's: then it gets the full one.
        Transport::Tcp(_) | Transport::Serial { .. } => vec![p.signed.seal(base, full)],
    };
    let delta = envelopes
        .iter()
        .any(|e| anslag_core::wire::Header::decode(e).is_ok_and(|(h, _)| h.base.is_some()));
    report.bytes_sent = envelopes.iter().map(|e| e.len() as u64).sum();
    report.mode = if delta { "delta" } else { "full" };
    report.result = "would-push";
    report
}

/// Sends one board its bundle, retrying a link that fails (1 s, 2 s, then gives up).
async fn deliver(
    p: Planned,
    transport: Transport,
    cache: PathBuf,
    full: bool,
    timeout: u64,
    bar: indicatif::ProgressBar,
) -> BoardReport {
    let mut report = BoardReport::unchanged(&p, &transport);
    if p.unchanged && !talks_back(&transport) {
        tracing::info!(board = %report.board, "unchanged; nothing to send");
        record_feeds(&cache, &p);
        bar.finish_and_clear();
        return report;
    }
    let known = KnownBundles::new(cache.clone());
    if let Some(last) = &p.last {
        if let Ok(b) = Bundle::parse(last) {
            let _ = known.remember(&p.signed.board, b.header().sequence, last);
        }
    }
    for attempt in 1..=3u32 {
        report.attempts = attempt;
        tracing::info!(board = %report.board, %transport, attempt, "pushing");
        let outcome = attempt_once(&p, &transport, &known, &cache, full, timeout, &bar).await;
        match outcome {
            Ok((result, bytes, delta, reason)) => {
                report.bytes_sent = bytes;
                report.mode = match (result, delta) {
                    ("up-to-date", _) => "none",
                    (_, true) => "delta",
                    (_, false) => "full",
                };
                report.result = result;
                report.reason = reason.map(|r| format!("{}: {r}", p.origin));
                if matches!(result, "activated" | "up-to-date" | "written" | "published") {
                    let path = last_path(&cache, &p.signed.board);
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    if let Err(e) = write_atomically(&path, &p.signed.bytes) {
                        report.reason = Some(format!("delivered, but not recorded: {e:#}"));
                    }
                    record_feeds(&cache, &p);
                    let _ = known.remember(&p.signed.board, p.signed.sequence, &p.signed.bytes);
                }
                if result != "timed-out" {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(board = %report.board, attempt, "{e:#}");
                report.result = "failed";
                report.reason = Some(format!("{}: {e:#}", p.origin));
            }
        }
        if attempt < 3 {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
    }
    bar.finish_and_clear();
    report
}

/// Records which feeds the board's listing is made from (see [`uses`]).
fn record_feeds(cache: &Path, p: &Planned) {
    let path = feeds_path(cache, &p.signed.board);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let text: String = p.feeds.iter().map(|(f, n)| format!("{n} {f}\n")).collect();
    if let Err(e) = std::fs::write(&path, text) {
        tracing::warn!("cannot write {}: {e}", path.display());
    }
}

/// One try: (result, bytes sent, delta, reason).
async fn attempt_once(
    p: &Planned,
    transport: &Transport,
    known: &KnownBundles,
    cache: &Path,
    full: bool,
    timeout: u64,
    bar: &indicatif::ProgressBar,
) -> Result<(&'static str, u64, bool, Option<String>)> {
    let config = HostConfig {
        hello_timeout_ms: timeout * 1000,
        ..HostConfig::default()
    };
    let seal = |peer: &link::Peer| {
        if peer.board != p.signed.board {
            bail!(
                "the kiosk there is `{}`, not `{}`",
                peer.board,
                p.signed.board
            );
        }
        Ok(seal_for(&p.signed, peer, known, None, full))
    };
    let progress = |pr: &anslag_core::sync::Progress| {
        bar.set_length(u64::from(pr.total));
        bar.set_position(u64::from(pr.acked));
    };
    let report = match transport {
        Transport::Mqtt(url) => {
            // The delta published last time (if known) is cleared: it leads to an old bundle.
            let clear = link::mqtt::last_retained(cache, &p.signed.board);
            let published = link::mqtt::publish(
                url,
                &p.signed,
                p.last.as_deref().filter(|_| !full),
                &clear,
                Duration::from_secs(timeout),
            )
            .await?;
            link::mqtt::remember_retained(cache, &p.signed.board, &published);
            return Ok(("published", published.bytes, published.delta, None));
        }
        Transport::Dir(dir) => {
            let envelope = p.signed.seal(None, true);
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("{}.anslw", p.signed.board));
            write_atomically(&path, &envelope)?;
            return Ok(("written", envelope.len() as u64, false, None));
        }
        Transport::Tcp(addr) => {
            let mut stream = tokio::time::timeout(
                Duration::from_secs(timeout),
                tokio::net::TcpStream::connect(addr),
            )
            .await
            .with_context(|| format!("no answer from {addr}"))?
            .with_context(|| format!("cannot connect to {addr}"))?;
            stream.set_nodelay(true)?;
            link::push(&mut stream, config, seal, progress).await?
        }
        Transport::Serial { device, baud } => {
            let mut port = open_serial(device, *baud)?;
            link::push(&mut port, config, seal, progress).await?
        }
    };
    let (result, reason) = describe(&report.outcome);
    Ok((result, report.progress.wire_bytes, report.delta, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("30"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("5d").is_err());
        assert!(parse_interval("s").is_err());
        assert_eq!(describe_interval(Duration::from_secs(1800)), "30 min");
        assert_eq!(describe_interval(Duration::from_secs(90)), "90 s");
    }
}

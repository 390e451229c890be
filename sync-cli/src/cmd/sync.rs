//! `anslag sync`: the everyday command. Reads `anslag.toml`, fetches every feed at once, builds
//! each board's listing (its filters applied, text ids kept from what it has), and pushes only
//! what changed — a delta when the board holds the last bundle — to all boards at once.

use std::path::PathBuf;
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
  anslag sync --dry-run                show what would be pushed, push nothing
  anslag sync --watch 30               do it every 30 minutes (stop with Ctrl-C)
  anslag sync --json > report.json     the summary for scripts

The exit status is 1 when a board could not be updated; the others are updated all the same.
A feed that cannot be fetched is replaced by its last good copy, with a warning.")]
pub struct Cmd {
    /// The configuration (see `anslag init`).
    #[arg(long, value_name = "FILE", default_value = "anslag.toml")]
    pub config: PathBuf,
    /// Build and report, push nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Sync again every MINUTES minutes.
    #[arg(long, value_name = "MINUTES")]
    pub watch: Option<u64>,
    /// Push every board's bundle in full, never a delta.
    #[arg(long)]
    pub full: bool,
    /// Where fetched feeds and the boards' last bundles are kept.
    #[arg(long, value_name = "DIR", env = "ANSLAG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Seconds to wait for each board to answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
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
    /// Bytes put on the link (0 when nothing was sent).
    pub bytes_sent: u64,
    /// full, delta or none.
    pub mode: &'static str,
    /// activated, up-to-date, unchanged, written, would-push, rejected, failed, …
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
    unchanged: bool,
}

impl Cmd {
    /// Runs `anslag sync` (once, or every `--watch` minutes).
    ///
    /// # Errors
    /// The configuration is wrong, or a board could not be updated.
    pub fn run(self) -> Result<()> {
        let runtime = tokio::runtime::Runtime::new()?;
        loop {
            let reports = runtime.block_on(self.once())?;
            self.summary(&reports)?;
            let failed: Vec<&str> = reports
                .iter()
                .filter(|r| !r.ok())
                .map(|r| r.board.as_str())
                .collect();
            match self.watch {
                Some(minutes) => {
                    if !failed.is_empty() {
                        eprintln!(
                            "{} board(s) not updated; next try in {minutes} min",
                            failed.len()
                        );
                    }
                    std::thread::sleep(Duration::from_secs(minutes.max(1) * 60));
                }
                None if failed.is_empty() => return Ok(()),
                None => bail!("not updated: {}", failed.join(", ")),
            }
        }
    }

    async fn once(&self) -> Result<Vec<BoardReport>> {
        let loaded = config::load(&self.config)?;
        // A missing key is a mistake to report before any feed is fetched.
        crate::cmd::keygen::read_key::<64>(&loaded.key)
            .with_context(|| format!("{}: [signing] key", loaded.at(&loaded.config.signing.key)))?;
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
        let occurrences = self.fetch(&loaded, &window, &cache).await?;
        let plans = plan(&loaded, &occurrences, &window, created_at, &cache)?;
        if self.dry_run {
            return Ok(plans
                .iter()
                .map(|p| BoardReport {
                    board: p.signed.board.clone(),
                    transport: loaded.transports[p.index].to_string(),
                    events: p.events,
                    bytes_sent: 0,
                    mode: "none",
                    result: if p.unchanged {
                        "unchanged"
                    } else {
                        "would-push"
                    },
                    reason: None,
                    attempts: 0,
                })
                .collect());
        }
        let bars = indicatif::MultiProgress::new();
        if self.json {
            bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        // Log lines (warnings of the boards' tasks) go above the bars, not through them.
        crate::cli::log_above(Some(bars.clone()));
        let mut tasks = tokio::task::JoinSet::new();
        for p in plans {
            let transport = loaded.transports[p.index].clone();
            let bar = bars.add(crate::cmd::push::progress_bar(self.json));
            bar.set_prefix(p.signed.board.clone());
            let (cache, full, timeout) = (cache.clone(), self.full, self.timeout);
            tasks.spawn(async move { deliver(p, transport, cache, full, timeout, bar).await });
        }
        let mut reports = Vec::new();
        while let Some(r) = tasks.join_next().await {
            reports.push(r.context("a board's task failed")?);
        }
        crate::cli::log_above(None);
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
    async fn fetch(
        &self,
        loaded: &Loaded,
        window: &Window,
        cache: &std::path::Path,
    ) -> Result<Vec<Occurrence>> {
        let fetcher = feeds::fetch::Fetcher::new(cache.to_path_buf());
        let sources = loaded.sources.clone();
        let fetched = tokio::task::spawn_blocking(move || fetch_all(fetcher, &sources))
            .await
            .context("fetching failed")??;
        let mut all = Vec::new();
        for ((source, feed), result) in loaded.sources.iter().zip(&loaded.config.feeds).zip(fetched)
        {
            let fetched = match result {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!("{e:#} — no copy to fall back on; skipped");
                    continue;
                }
            };
            if let Some(w) = &fetched.warning {
                tracing::warn!("{source}: {w} — using the last good copy");
            }
            let lang = feed
                .language
                .as_deref()
                .unwrap_or(loaded.config.centre.language.get_ref());
            let parsed = parse_feed_bytes(
                source,
                &fetched.bytes,
                window,
                &Default::default(),
                Some(lang),
            )?;
            for d in &parsed.diagnostics {
                tracing::warn!("{d}");
            }
            tracing::info!(feed = %source, events = parsed.occurrences.len(), "read");
            for mut o in parsed.occurrences {
                if o.category.is_empty() {
                    o.category = feed.category.clone().unwrap_or_default();
                }
                if o.language.is_empty() {
                    o.language = feed.language.clone().unwrap_or_default();
                }
                all.push(o);
            }
        }
        Ok(all)
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

/// Where the last bundle delivered to a board is kept.
fn last_path(cache: &std::path::Path, board: &str) -> PathBuf {
    cache
        .join("sync")
        .join(format!("{}.ansl", link::safe_file_name(board)))
}

/// Builds each board's bundle against the last one it was sent.
fn plan(
    loaded: &Loaded,
    occurrences: &[Occurrence],
    window: &Window,
    created_at: i64,
    cache: &std::path::Path,
) -> Result<Vec<Planned>> {
    let secret: [u8; 64] = crate::cmd::keygen::read_key(&loaded.key)
        .with_context(|| format!("{}: [signing] key", loaded.at(&loaded.config.signing.key)))?;
    let centre = &loaded.config.centre;
    let mut plans = Vec::new();
    for (index, board) in loaded.config.boards.iter().enumerate() {
        let mine: Vec<Occurrence> = occurrences
            .iter()
            .filter(|o| board.shows(o))
            .cloned()
            .collect();
        let last = std::fs::read(last_path(cache, board.name.get_ref())).ok();
        let last_header = last
            .as_deref()
            .and_then(|b| Bundle::parse(b).ok())
            .map(|b| (b.header().sequence, b.header().created_at));
        let info = BoardInfo {
            board: board.name.get_ref().clone(),
            centre: centre.name.clone(),
            language: centre.language.get_ref().clone(),
            sequence: u64::try_from(created_at).unwrap_or(0),
            created_at,
            refresh_minutes: centre.refresh_minutes,
        };
        // Unchanged: the same listing built with the last bundle's sequence and time is that
        // bundle, byte for byte.
        let unchanged = match (&last, last_header) {
            (Some(last), Some((sequence, created))) => {
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
        let info = BoardInfo {
            // Strictly newer than the last, even when two syncs fall in the same second.
            sequence: info
                .sequence
                .max(last_header.map_or(0, |(s, _)| s.saturating_add(1))),
            ..info
        };
        let bytes = listing::encode_with_base(&mine, window, &info, last.as_deref())?;
        let events = Bundle::parse(&bytes)?.len();
        let signature = anslag_core::wire::sign(&bytes, info.sequence, &secret)
            .context("the [signing] key is not a valid signing key")?;
        plans.push(Planned {
            index,
            signed: Signed {
                bytes,
                sequence: info.sequence,
                board: board.name.get_ref().clone(),
                signature,
            },
            events,
            last,
            unchanged,
        });
    }
    Ok(plans)
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
    let mut report = BoardReport {
        board: p.signed.board.clone(),
        transport: transport.to_string(),
        events: p.events,
        bytes_sent: 0,
        mode: "none",
        result: "unchanged",
        reason: None,
        attempts: 0,
    };
    if p.unchanged {
        tracing::info!(board = %report.board, "unchanged; nothing to send");
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
        let outcome = attempt_once(&p, &transport, &known, full, timeout, &bar).await;
        match outcome {
            Ok((result, bytes, delta, reason)) => {
                report.bytes_sent = bytes;
                report.mode = if result == "written" || !delta {
                    "full"
                } else {
                    "delta"
                };
                report.result = result;
                report.reason = reason;
                if matches!(result, "activated" | "up-to-date" | "written" | "published") {
                    let path = last_path(&cache, &p.signed.board);
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    if let Err(e) = write_atomically(&path, &p.signed.bytes) {
                        report.reason = Some(format!("delivered, but not recorded: {e:#}"));
                    }
                    let _ = known.remember(&p.signed.board, p.signed.sequence, &p.signed.bytes);
                }
                if result != "timed-out" {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(board = %report.board, attempt, "{e:#}");
                report.result = "failed";
                report.reason = Some(format!("{e:#}"));
            }
        }
        if attempt < 3 {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
    }
    bar.finish_and_clear();
    report
}

/// One try: (result, bytes sent, delta, reason).
async fn attempt_once(
    p: &Planned,
    transport: &Transport,
    known: &KnownBundles,
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
            let published = crate::link::mqtt::publish(
                url,
                &p.signed,
                p.last.as_deref().filter(|_| !full),
                &[],
                Duration::from_secs(timeout),
            )
            .await?;
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

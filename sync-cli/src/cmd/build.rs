//! `anslag build`: feeds in, one bundle (.ansl) out.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::feeds::{self, FeedKind, Parsed, Window};
use crate::listing::{self, BoardInfo};

/// Build a bundle (.ansl) for a board from calendar and feed files.
///
/// Calendars are expanded (recurrences, exceptions, time zones), feed posts become notices
/// (dated by the dates written in them, when there are any), spreadsheet rows become events.
/// Every occurrence in the window is converted to the board's wall-clock time (DST-correct)
/// and stored in the compact format the kiosk reads in place. Bad items are reported as
/// warnings with file, line and UID, and skipped; the rest is still built. A feed that cannot
/// be read at all is reported and left out, the others are still built (exit status 0; see
/// [`FeedFailure`]). Nothing is written unless the build succeeds, and nothing when no feed
/// could be read, so the previous bundle stays in place.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag build events.ics --tz Europe/Riga --from 2026-03-05 --days 14 --out hall.ansl
  anslag build choir.ics library.ics --tz Europe/Stockholm --board library --centre 'Nässjö bibliotek' \\
      --lang sv --out library.ansl

Reproducible builds: set SOURCE_DATE_EPOCH to fix the build time (and the default sequence).")]
pub struct Cmd {
    /// Feeds to read, as files or http(s) URLs: iCalendar (.ics), RSS/Atom/JSON Feed, or
    /// spreadsheets saved as CSV. They are fetched concurrently; a feed that fails (or sends
    /// something that is not a good copy, e.g. an HTML page) is replaced by its last good copy
    /// from the cache, with a warning; one without a good copy is left out, with an error.
    #[arg(required = true, value_name = "FEED")]
    pub feeds: Vec<String>,
    /// Where fetched feeds are cached (ETag/Last-Modified, last good copies)
    /// [default: $XDG_CACHE_HOME/anslag or ~/.cache/anslag].
    #[arg(long, value_name = "DIR", env = "ANSLAG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The board's time zone (IANA name, e.g. Europe/Riga, Europe/Berlin, Europe/Stockholm).
    #[arg(long, value_name = "ZONE", value_parser = parse_tz)]
    pub tz: chrono_tz::Tz,
    /// First day of the listing, YYYY-MM-DD [default: today in the board's zone].
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Number of days the listing covers (the board warns when they are over).
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(u16).range(1..))]
    pub days: u16,
    /// Where to write the bundle.
    #[arg(long, short, value_name = "FILE.ansl")]
    pub out: PathBuf,
    /// Board identifier (used by `push` and fleets).
    #[arg(long, default_value = "board")]
    pub board: String,
    /// Name shown in the board's header [default: the board identifier].
    #[arg(long)]
    pub centre: Option<String>,
    /// Board UI language: de, lv, lt, et, fi, sv, da, pl, en or uk.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Sequence number; must grow with every bundle for a board [default: build time in seconds].
    #[arg(long)]
    pub sequence: Option<u64>,
    /// Sign with this secret key (from `anslag keygen`): writes FILE.ansl.sig next to the
    /// bundle; boards accept only bundles signed by their pinned key.
    #[arg(long, value_name = "NAME")]
    pub key: Option<PathBuf>,
    /// The bundle the board has now: keep its text ids so the update is a small delta.
    #[arg(long, value_name = "PREVIOUS.ansl")]
    pub base: Option<PathBuf>,
    /// Minutes until a fresher bundle is expected; later the board shows a "stale" note.
    #[arg(long, value_name = "MINUTES", default_value_t = 24 * 60)]
    pub refresh: u32,
    /// Read calendars RFC-strictly: ignore Google's X-WR-TIMEZONE (as `anslag expand` does).
    #[arg(long)]
    pub ignore_x_wr_timezone: bool,
}

/// Parses a time-zone name with a helpful error.
pub fn parse_tz(name: &str) -> Result<chrono_tz::Tz, String> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        format!(
            "unknown time zone `{name}` (use an IANA name such as Europe/Riga or Europe/Berlin)"
        )
    })
}

/// Build time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub fn build_time() -> Result<i64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{v}` is not a number of seconds")),
        Err(_) => Ok(chrono::Utc::now().timestamp()),
    }
}

/// The feed cache directory: the option, else `$XDG_CACHE_HOME/anslag`, else
/// `~/.cache/anslag`, else `.anslag-cache`.
pub fn cache_dir(option: Option<PathBuf>) -> PathBuf {
    option
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("anslag")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/anslag")))
        .unwrap_or_else(|| PathBuf::from(".anslag-cache"))
}

/// Fetches every source concurrently (files and URLs alike), results in the order given.
///
/// A new copy only replaces the cached last-good one when it is a good copy
/// ([`feeds::check::check`]: it reads as its kind and is not suddenly empty), so a server's
/// maintenance page or a half-copied file does not poison the cache; the last good copy is
/// used instead, with the warning in [`feeds::fetch::Fetched::warning`] for the caller to print.
///
/// # Errors
/// The async runtime cannot start, or a fetch task panicked.
pub fn fetch_all(
    fetcher: feeds::fetch::Fetcher,
    sources: &[String],
) -> Result<Vec<Result<feeds::fetch::Fetched, feeds::fetch::FetchError>>> {
    let validated = |fetcher: &feeds::fetch::Fetcher, source: &str| {
        let validate = |bytes: &[u8], last_good: &dyn Fn() -> Option<Vec<u8>>| {
            feeds::check::check(source, bytes, last_good)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        fetcher.fetch_validated(source, &validate)
    };
    // One source needs no concurrency, and no runtime to start (a millisecond of `expand`).
    if let [source] = sources {
        return Ok(vec![validated(&fetcher, source)]);
    }
    let fetcher = std::sync::Arc::new(fetcher);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, source) in sources.iter().cloned().enumerate() {
            let fetcher = fetcher.clone();
            // The HTTP client is blocking; each fetch gets a blocking thread, all run at once.
            tasks.spawn_blocking(move || (i, validated(&fetcher, &source)));
        }
        let mut results: Vec<_> = (0..sources.len()).map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            let (i, r) = done.context("a fetch task failed")?;
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        results
            .into_iter()
            .map(|r| r.context("a fetch task did not report"))
            .collect()
    })
}

/// Reads and expands one feed file into the window.
///
/// # Errors
/// The file cannot be read or its kind cannot be told; problems *inside* a feed are
/// diagnostics in the result, not errors.
pub fn load_feed(path: &std::path::Path, window: &Window) -> Result<Parsed> {
    let source = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read feed {source}"))?;
    parse_feed_bytes(
        &source,
        &bytes,
        window,
        &feeds::ics::IcsOptions::default(),
        None,
    )
}

/// Parses one feed of any kind (iCalendar, RSS/Atom/JSON Feed, CSV) into occurrences in the
/// window. `lang_hint` is used for feed entries that declare no language.
///
/// # Errors
/// The kind cannot be told, or a feed document is not readable at all.
pub fn parse_feed_bytes(
    source: &str,
    bytes: &[u8],
    window: &Window,
    opts: &feeds::ics::IcsOptions,
    lang_hint: Option<&str>,
) -> Result<Parsed> {
    let kind = FeedKind::detect(std::path::Path::new(source), bytes).with_context(|| {
        format!("{source}: cannot tell what kind of feed this is (expected iCalendar, RSS/Atom/JSON Feed or CSV)")
    })?;
    Ok(match kind {
        FeedKind::Ics => {
            let (text, warning) = feeds::ics::decode(bytes);
            with_warning(
                source,
                warning,
                feeds::ics::parse_ics(&text, source, window, opts),
            )
        }
        FeedKind::Csv => {
            let (text, warning) = feeds::csv::decode_text(bytes);
            with_warning(
                source,
                warning,
                feeds::csv::parse_csv(&text, source, window),
            )
        }
        FeedKind::Feed => {
            // The error names the source already.
            let entries = feeds::feed::parse_feed(bytes, source).map_err(anyhow::Error::new)?;
            let occurrences = entries
                .iter()
                .flat_map(|e| feeds::feed::entry_occurrences(e, window, lang_hint))
                .collect();
            Parsed {
                occurrences,
                diagnostics: Vec::new(),
            }
        }
    })
}

/// `parsed` with a whole-file warning (e.g. "not UTF-8") first, naming the file.
fn with_warning(source: &str, warning: Option<String>, mut parsed: Parsed) -> Parsed {
    if let Some(message) = warning {
        parsed
            .diagnostics
            .insert(0, feeds::Diagnostic::whole_feed(source, message));
    }
    parsed
}

impl Cmd {
    /// Runs the command.
    ///
    /// # Errors
    /// No feed could be read, the options are inconsistent, or the output cannot be written.
    pub fn run(self) -> Result<()> {
        let created_at = build_time()?;
        let from = match self.from {
            Some(d) => d,
            None => chrono::DateTime::from_timestamp(created_at, 0)
                .context("build time out of range")?
                .with_timezone(&self.tz)
                .date_naive(),
        };
        let to = from
            .checked_add_days(chrono::Days::new(u64::from(self.days)))
            .context("window ends beyond the calendar")?;
        let window = Window {
            from,
            to,
            tz: self.tz,
        };

        let mut occurrences = Vec::new();
        let mut skipped = 0;
        let mut failed = Vec::new();
        let fetcher = feeds::fetch::Fetcher::new(cache_dir(self.cache_dir.clone()));
        let opts = feeds::ics::IcsOptions {
            ignore_x_wr_timezone: self.ignore_x_wr_timezone,
        };
        for (source, fetched) in self.feeds.iter().zip(fetch_all(fetcher, &self.feeds)?) {
            // One unreadable feed must not keep the others' events off the board: it is
            // reported and left out (see `FeedFailure` for the exit status).
            let fetched = match fetched {
                Ok(f) => f,
                Err(e) => {
                    failed.push(FeedFailure::unfetchable(source, &e));
                    continue;
                }
            };
            // The warning names the feed and says the last good copy is used.
            if let Some(w) = &fetched.warning {
                eprintln!("{w}");
            }
            let parsed =
                match parse_feed_bytes(source, &fetched.bytes, &window, &opts, Some(&self.lang)) {
                    Ok(p) => p,
                    Err(e) => {
                        failed.push(FeedFailure::unreadable(source, &e));
                        continue;
                    }
                };
            for d in &parsed.diagnostics {
                eprintln!("warning: {d}");
            }
            skipped += parsed.diagnostics.len();
            occurrences.extend(parsed.occurrences);
        }
        FeedFailure::check_any_read(
            &failed,
            self.feeds.len(),
            &format!("nothing written, {} is left as it was", self.out.display()),
        )?;

        let named = occurrences.iter().map(|o| {
            (
                format!("\"{}\" (UID {}, {})", o.summary, o.uid, o.start),
                [o.summary.clone(), o.location.clone(), o.category.clone()],
            )
        });
        for w in listing::glyph_warnings(named) {
            eprintln!("warning: {w}");
        }

        let info = BoardInfo {
            centre: self.centre.clone().unwrap_or_else(|| self.board.clone()),
            board: self.board.clone(),
            language: self.lang.clone(),
            sequence: self.sequence.unwrap_or(created_at.max(0) as u64),
            created_at,
            refresh_minutes: self.refresh,
        };
        let base = match &self.base {
            Some(p) => Some(
                std::fs::read(p)
                    .with_context(|| format!("cannot read base bundle {}", p.display()))?,
            ),
            None => None,
        };
        let bytes = listing::encode_with_base(&occurrences, &window, &info, base.as_deref())?;
        let count = anslag_core::bundle::Bundle::parse(&bytes)
            .context("the freshly built bundle does not verify (a bug: please report it)")?
            .len();
        let signature = match &self.key {
            Some(k) => {
                let secret = crate::cmd::keygen::read_key::<64>(k)?;
                Some(
                    anslag_core::wire::sign(&bytes, info.sequence, &secret)
                        .with_context(|| format!("{}: not a valid signing key", k.display()))?,
                )
            }
            None => None,
        };
        write_atomically(&self.out, &bytes)?;
        if let Some(sig) = signature {
            let path = signature_path(&self.out);
            let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
            std::fs::write(&path, hex + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("signed: {}", path.display());
        }
        let per_event = if count > 0 {
            bytes.len() as f64 / count as f64
        } else {
            0.0
        };
        eprintln!(
            "wrote {}: {count} event{}, {} bytes ({per_event:.1} bytes/event), {from} … {} ({} days, {}), sequence {}{}",
            self.out.display(),
            if count == 1 { "" } else { "s" },
            bytes.len(),
            to.pred_opt().unwrap_or(to),
            self.days,
            self.tz,
            info.sequence,
            if skipped > 0 { format!("; {skipped} problems reported above") } else { String::new() },
        );
        FeedFailure::summary(&failed, self.feeds.len());
        Ok(())
    }
}

/// A feed left out of a run (`build`, `sync`, `expand`): it could not be fetched and there is
/// no last good copy, or what there is cannot be read.
///
/// Exit status policy, the same for the three commands: one failed feed does not stop the
/// others. `build` and `sync` still publish the feeds that could be read, say which feed failed
/// and why (when it happens and again at the end), and exit with 0, so `anslag build … &&
/// anslag push …` keeps the board current with everything that is readable. Only when *no* feed
/// could be read do they exit with 1 and write or push nothing: an empty listing would blank the
/// board, while the bundle it has stays valid. `expand`, the inspection command, prints what it
/// could read and exits with 1 when any feed failed, since its output is then incomplete.
#[derive(Debug, Clone)]
pub struct FeedFailure {
    /// File or URL as given.
    pub source: String,
    /// Why, in a full sentence that names the feed.
    pub message: String,
}

impl FeedFailure {
    /// The feed could not be fetched, and there is no good copy in the cache. Printed now.
    pub fn unfetchable(source: &str, e: &feeds::fetch::FetchError) -> FeedFailure {
        Self::report(
            source,
            format!(
                "feed {source} could not be read ({}) and there is no last good copy to fall \
                 back on; it is left out",
                e.reason()
            ),
        )
    }

    /// The bytes could not be read as a feed. Printed now.
    pub fn unreadable(source: &str, e: &anyhow::Error) -> FeedFailure {
        Self::report(source, format!("{e:#}; the feed is left out"))
    }

    fn report(source: &str, message: String) -> FeedFailure {
        eprintln!("ERROR: {message}");
        FeedFailure {
            source: source.to_owned(),
            message,
        }
    }

    /// Fails when every one of `total` feeds failed: nothing is to be published then.
    ///
    /// # Errors
    /// No feed could be read.
    pub fn check_any_read(failed: &[FeedFailure], total: usize, consequence: &str) -> Result<()> {
        if total > 0 && failed.len() >= total {
            anyhow::bail!(
                "no feed could be read ({}); {consequence}",
                Self::names(failed)
            );
        }
        Ok(())
    }

    /// The closing line when some feeds failed: which ones, so the last line of the output
    /// says it (a volunteer reads the end first).
    pub fn summary(failed: &[FeedFailure], total: usize) {
        if !failed.is_empty() {
            eprintln!(
                "WARNING: {} of {total} feeds could not be read and are not in this listing: {} \
                 (see the errors above)",
                failed.len(),
                Self::names(failed)
            );
        }
    }

    fn names(failed: &[FeedFailure]) -> String {
        failed
            .iter()
            .map(|f| f.source.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where the detached signature of a bundle goes: `FILE.ansl.sig`.
pub fn signature_path(bundle: &std::path::Path) -> PathBuf {
    let mut p = bundle.as_os_str().to_owned();
    p.push(".sig");
    PathBuf::from(p)
}

/// Writes `bytes` to `path` via a temporary file and a rename, so a reader (or a crash)
/// never sees half a bundle.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("ansl.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))
}

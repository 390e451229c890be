//! Getting feed bytes from http(s) URLs or files, with a conditional-request cache and a
//! last-good fallback so that a broken feed never blanks a board.
//!
//! ```no_run
//! use anslag_cli::feeds::fetch::Fetcher;
//! use std::time::Duration;
//! let fetcher = Fetcher::new("/var/cache/anslag").with_timeout(Duration::from_secs(10));
//! let got = fetcher.fetch("https://example.org/events.ics")?;
//! if let Some(w) = &got.warning {
//!     eprintln!("{w}"); // the feed failed; these bytes are the last good copy
//! }
//! # Ok::<(), anslag_cli::feeds::fetch::FetchError>(())
//! ```
//!
//! Design notes:
//! - HTTP is `ureq` (blocking, rustls, no OpenSSL): a build fetches a handful of feeds, so a
//!   thread per feed is simpler than async and the CLI can run it in `spawn_blocking`.
//! - Every good copy is kept in the cache directory (`<hash>.body` + `<hash>.meta.json`,
//!   written to a temporary file and renamed, so a power cut leaves the old or the new copy).
//!   The stored `ETag` / `Last-Modified` go out as `If-None-Match` / `If-Modified-Since`; a 304
//!   answer is served from the cache.
//! - When a fetch fails (network, timeout, HTTP error, oversized body, or the caller's
//!   validator rejects the bytes, e.g. an HTML error page instead of a calendar, see
//!   [`super::check`]), the last good copy is returned with [`Fetched::from_cache_fallback`]
//!   set and a loud warning naming the feed and the reason. The caller prints it (once: the
//!   fetcher itself prints nothing, so `--json` output and logs stay the caller's). Only
//!   without any good copy is it an error.
//! - Local paths (and `file://` URLs) go through the same last-good logic: a half-copied file
//!   on a USB stick must not blank the board either.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::feed::fnv1a;

/// Fetches feeds with caching and last-good fallback. Cheap to clone? No: build one per run.
#[derive(Debug)]
pub struct Fetcher {
    cache_dir: PathBuf,
    timeout: Duration,
    max_bytes: u64,
    max_redirects: u32,
    agent: ureq::Agent,
}

/// Decides whether new bytes are a good copy: `validate(new, last_good)`, `Err(why)` if not;
/// `last_good()` reads the cached last good copy (from disk, so only call it when needed).
pub type Validator<'a> = dyn Fn(&[u8], &dyn Fn() -> Option<Vec<u8>>) -> Result<(), String> + 'a;

/// Where the bytes of a [`Fetched`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Fresh from the server (200).
    Network,
    /// The server said 304 Not Modified: the cached copy is current.
    NotModified,
    /// Read from a local file.
    File,
    /// The feed failed; this is the last good copy (see [`Fetched::warning`]).
    LastGood,
}

/// Bytes of a feed and how they were obtained.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The feed's bytes, undecoded.
    pub bytes: Vec<u8>,
    /// Where they came from.
    pub origin: Origin,
    /// The feed failed and these are the last good bytes: show the warning to the user.
    pub from_cache_fallback: bool,
    /// What went wrong, when [`Fetched::from_cache_fallback`] is set.
    pub warning: Option<String>,
    /// `Content-Type` of the response, when fetched over HTTP.
    pub content_type: Option<String>,
}

/// Why a feed could not be obtained, not even from the cache.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with an error status.
    Status {
        /// URL asked for.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// Connection, TLS, timeout, redirect loop, or a body larger than the limit.
    Transport {
        /// URL asked for.
        url: String,
        /// What the HTTP client said.
        message: String,
    },
    /// A local file could not be read.
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// The caller's validator rejected the bytes.
    Invalid {
        /// URL or path.
        source: String,
        /// Why.
        message: String,
    },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status { url, status } => write!(f, "{url}: HTTP status {status}"),
            FetchError::Transport { url, message } => write!(f, "{url}: {message}"),
            FetchError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FetchError::Invalid { source, message } => {
                write!(f, "{source}: not a usable feed: {message}")
            }
        }
    }
}

impl FetchError {
    /// What went wrong, without the URL or path (for messages that name the feed already).
    pub fn reason(&self) -> String {
        match self {
            FetchError::Status { status, .. } => format!("HTTP status {status}"),
            FetchError::Transport { message, .. } => message.clone(),
            FetchError::Io { source, .. } => source.to_string(),
            FetchError::Invalid { message, .. } => format!("not a usable copy: {message}"),
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FetchError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What we remember about the last good copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    content_type: Option<String>,
    /// Unix seconds when the copy was stored.
    saved_at: u64,
    /// Length and CRC-32 of the stored body: an unchanged copy (a local calendar read on every
    /// run) is not written again. Absent in caches from before: then it is.
    #[serde(default)]
    body: Option<(u64, u32)>,
}

impl Fetcher {
    /// Default timeout for a whole request (connect, redirects, body).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default limit on a feed's size: a year of a busy calendar is well under this.
    pub const DEFAULT_MAX_BYTES: u64 = 32 * 1024 * 1024;

    /// A fetcher keeping its cache in `cache_dir` (created on first store).
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        let mut f = Fetcher {
            cache_dir: cache_dir.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_redirects: 5,
            agent: ureq::Agent::new_with_defaults(),
        };
        f.rebuild_agent();
        f
    }

    /// Sets the timeout for a whole request.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.rebuild_agent();
        self
    }

    /// Sets the largest body accepted.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets how many redirects are followed.
    #[must_use]
    pub fn with_max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self.rebuild_agent();
        self
    }

    fn rebuild_agent(&mut self) {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .max_redirects(self.max_redirects)
            // Statuses are ours to judge (304 is not an error; 5xx means "use last good").
            .http_status_as_error(false)
            .user_agent(concat!("anslag/", env!("CARGO_PKG_VERSION")))
            .build();
        self.agent = ureq::Agent::new_with_config(config);
    }

    /// Fetches `url_or_path` (http(s) URL, `file://` URL or path).
    ///
    /// # Errors
    /// When the feed fails and there is no good copy in the cache.
    pub fn fetch(&self, url_or_path: &str) -> Result<Fetched, FetchError> {
        self.fetch_validated(url_or_path, &|_, _| Ok(()))
    }

    /// Like [`Fetcher::fetch`], and new bytes only count as good (and replace the cached copy)
    /// when `validate(new, last_good)` accepts them, e.g. when they parse as a feed and are not
    /// suddenly empty where the last good copy was not ([`super::check::check`]).
    ///
    /// # Errors
    /// When the feed fails (or is rejected) and there is no good copy in the cache.
    pub fn fetch_validated(
        &self,
        url_or_path: &str,
        validate: &Validator<'_>,
    ) -> Result<Fetched, FetchError> {
        let key = format!("{:016x}", fnv1a(url_or_path.as_bytes()));
        // Only the small meta file is read up front; the body (megabytes for a big calendar)
        // only when it is served (304, fallback) or the validator asks for it.
        let cached = self.load_meta(&key, url_or_path);
        let cached_body = || cached.as_ref().and_then(|_| self.load_body(&key));
        let result = if is_http(url_or_path) {
            self.fetch_http(url_or_path, cached.as_ref())
        } else {
            let path = url_or_path.strip_prefix("file://").unwrap_or(url_or_path);
            std::fs::read(path)
                .map(|bytes| (Origin::File, bytes, None))
                .map_err(|source| FetchError::Io {
                    path: PathBuf::from(path),
                    source,
                })
        };
        let error = match result {
            Ok((Origin::NotModified, _, _)) => match (cached.clone(), cached_body()) {
                (Some(meta), Some(bytes)) => {
                    return Ok(Fetched {
                        bytes,
                        origin: Origin::NotModified,
                        from_cache_fallback: false,
                        warning: None,
                        content_type: meta.content_type,
                    })
                }
                // 304 without a copy cannot happen unless the cache vanished between the
                // load and now; treat it as a failure.
                _ => FetchError::Transport {
                    url: url_or_path.to_owned(),
                    message: "304 Not Modified but no cached copy".to_owned(),
                },
            },
            Ok((origin, bytes, meta)) => match validate(&bytes, &cached_body) {
                Ok(()) => {
                    let meta = meta.unwrap_or(Meta {
                        url: url_or_path.to_owned(),
                        etag: None,
                        last_modified: None,
                        content_type: None,
                        saved_at: 0,
                        body: None,
                    });
                    let stored = cached.as_ref().and_then(|m| m.body);
                    if let Err(e) = self.store(&key, &meta, &bytes, stored) {
                        // A read-only cache costs us the fallback, not this run.
                        eprintln!(
                            "warning: cannot keep a copy of {url_or_path} in {}: {e}",
                            self.cache_dir.display()
                        );
                    }
                    return Ok(Fetched {
                        bytes,
                        origin,
                        from_cache_fallback: false,
                        warning: None,
                        content_type: meta.content_type,
                    });
                }
                Err(message) => FetchError::Invalid {
                    source: url_or_path.to_owned(),
                    message,
                },
            },
            Err(e) => e,
        };
        match (cached.clone(), cached_body()) {
            (Some(meta), Some(bytes)) => {
                let warning = format!(
                    "WARNING: feed {url_or_path} failed ({}); using the last good copy from {}",
                    error.reason(),
                    describe_age(meta.saved_at)
                );
                Ok(Fetched {
                    bytes,
                    origin: Origin::LastGood,
                    from_cache_fallback: true,
                    warning: Some(warning),
                    content_type: meta.content_type,
                })
            }
            _ => Err(error),
        }
    }

    fn fetch_http(
        &self,
        url: &str,
        cached: Option<&Meta>,
    ) -> Result<(Origin, Vec<u8>, Option<Meta>), FetchError> {
        let transport = |e: ureq::Error| FetchError::Transport {
            url: url.to_owned(),
            message: e.to_string(),
        };
        let mut req = self.agent.get(url);
        if let Some(meta) = cached {
            if let Some(etag) = &meta.etag {
                req = req.header("If-None-Match", etag);
            }
            if let Some(lm) = &meta.last_modified {
                req = req.header("If-Modified-Since", lm);
            }
        }
        let mut resp = req.call().map_err(transport)?;
        let status = resp.status().as_u16();
        if status == 304 && cached.is_some() {
            return Ok((Origin::NotModified, Vec::new(), None));
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let meta = Meta {
            url: url.to_owned(),
            etag: header("etag"),
            last_modified: header("last-modified"),
            content_type: header("content-type"),
            saved_at: now_secs(),
            body: None,
        };
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(self.max_bytes)
            .read_to_vec()
            .map_err(transport)?;
        Ok((Origin::Network, bytes, Some(meta)))
    }

    fn paths(&self, key: &str) -> (PathBuf, PathBuf) {
        (
            self.cache_dir.join(format!("{key}.body")),
            self.cache_dir.join(format!("{key}.meta.json")),
        )
    }

    /// What we remember about the cached copy for `url`, if it is really for this URL (hash
    /// collisions).
    fn load_meta(&self, key: &str, url: &str) -> Option<Meta> {
        let (_, meta) = self.paths(key);
        let meta: Meta = serde_json::from_slice(&std::fs::read(meta).ok()?).ok()?;
        (meta.url == url).then_some(meta)
    }

    /// The cached body; only after [`Fetcher::load_meta`] said it is this URL's.
    fn load_body(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.paths(key).0).ok()
    }

    /// Keeps `bytes` as the good copy; `stored` is the fingerprint of the copy already there
    /// (from its meta, read at the start of the fetch), so an unchanged body is not rewritten.
    fn store(
        &self,
        key: &str,
        meta: &Meta,
        bytes: &[u8],
        stored: Option<(u64, u32)>,
    ) -> io::Result<()> {
        std::fs::create_dir_all(&self.cache_dir)?;
        let (body, meta_path) = self.paths(key);
        let mut meta = meta.clone();
        meta.saved_at = now_secs();
        let fingerprint = (bytes.len() as u64, anslag_core::checksum::crc32(bytes));
        let unchanged = stored == Some(fingerprint) && body.is_file();
        meta.body = Some(fingerprint);
        // Body first: a meta file only ever points at a complete body. The meta is rewritten
        // after, so a crash in between leaves the new body with the old validators, which at
        // worst costs one full download.
        if !unchanged {
            write_atomic(&body, bytes)?;
        }
        let json = serde_json::to_vec_pretty(&meta).map_err(io::Error::other)?;
        write_atomic(&meta_path, &json)
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn is_http(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn describe_age(saved_at: u64) -> String {
    let when = chrono::DateTime::from_timestamp(i64::try_from(saved_at).unwrap_or(0), 0)
        .map_or_else(
            || "an unknown time".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        );
    let age_h = now_secs().saturating_sub(saved_at) / 3600;
    format!("{when}, {age_h} h old")
}

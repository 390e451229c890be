//! RSS 0.9x/1.0/2.0, Atom and JSON Feed: each entry becomes a [`FeedEntry`] (a notice), and a
//! notice becomes board [`Occurrence`]s through [`entry_occurrences`].
//!
//! ```
//! use anslag_cli::feeds::feed::{entry_json, parse_feed};
//! let rss = br#"<rss version="2.0"><channel><item><title>Talka</title>
//!   <link>https://example.org/talka</link><guid>t1</guid>
//!   <pubDate>Mon, 01 Jun 2026 08:00:00 +0300</pubDate>
//!   <description>&lt;p&gt;Sestdien &amp;amp; sv&#275;tdien&lt;/p&gt;</description>
//! </item></channel></rss>"#;
//! let entries = parse_feed(rss, "example.xml").unwrap();
//! let json = entry_json(&entries[0]);
//! assert_eq!(json["published"], "2026-06-01T05:00:00Z");
//! assert_eq!(json["summary"], "Sestdien & svētdien");
//! ```
//!
//! Design notes:
//! - The XML/JSON structure is read by the `feed-rs` crate (it handles the five formats, XML
//!   namespaces and declared encodings such as EUC-KR). What a notice *means* is ours and follows
//!   the reference reader of the conformance corpus (Python feedparser): missing ids stay missing
//!   (feed-rs would invent a hash, which would make ids change when a title is edited), dates are
//!   parsed by our own lenient RFC 822 / W3C-DTF reader, summaries fall back to the content, HTML
//!   is stripped and entities decoded.
//! - Ill-formed XML is common on small community sites. When the strict parse fails we salvage:
//!   the document is cut after the last complete item and closed again, and parsed once more;
//!   the repair is reported (see [`ParsedFeed::diagnostics`]). A feed that cannot be salvaged is
//!   an error, so the caller can fall back to the last good copy ([`super::fetch`]).
//! - How a notice shows on the board is decided in exactly one place, [`entry_occurrences`].

use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use feed_rs::model::{Feed, FeedType};

use super::textdate;
use super::{Diagnostic, Occurrence, Window};

/// How many days a notice without a date in its text stays on the board, counted from the day
/// it was published (board time). A week keeps news visible between weekly USB-stick updates.
pub const NOTICE_DAYS: i64 = 7;

/// One entry of an RSS, Atom or JSON feed, as plain text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedEntry {
    /// `guid` / Atom `id` / JSON `id` (RSS 1.0: `rdf:about`), when the feed gives one.
    pub id: Option<String>,
    /// Title, HTML stripped.
    pub title: Option<String>,
    /// Link to the post (the alternate link for Atom, `url` for JSON Feed).
    pub link: Option<String>,
    /// Publication time; falls back to the update time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time (RSS: falls back to the publication time, as feedparser does).
    pub updated: Option<DateTime<Utc>>,
    /// Summary (or the content when there is no summary): HTML stripped, entities decoded,
    /// whitespace collapsed.
    pub summary: Option<String>,
    /// Language of the entry or of the whole feed (`lv`, `de-de`, ...), when declared.
    pub language: Option<String>,
    /// Category labels.
    pub categories: Vec<String>,
}

/// Which feed format a document was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedFormat {
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.x.
    Json,
    /// RSS 0.9x.
    Rss0,
    /// RSS 1.0 (RDF).
    Rss1,
    /// RSS 2.0.
    Rss2,
}

/// A whole parsed feed: its entries, and the repairs made on the way.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    /// Format of the document.
    pub format: FeedFormat,
    /// Title of the feed.
    pub title: Option<String>,
    /// Entries in document order.
    pub entries: Vec<FeedEntry>,
    /// Repairs (e.g. ill-formed XML salvaged).
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a feed could not be read at all.
#[derive(Debug)]
#[non_exhaustive]
pub enum FeedError {
    /// Neither the strict parse nor the salvage attempt produced a feed.
    Parse {
        /// File or URL.
        source: String,
        /// What the parser said (of the strict attempt).
        message: String,
    },
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Parse { source, message } => {
                write!(f, "{source}: not a readable RSS/Atom/JSON feed: {message}")
            }
        }
    }
}

impl std::error::Error for FeedError {}

/// Parses an RSS/Atom/JSON feed into its entries.
///
/// # Errors
/// [`FeedError::Parse`] when the bytes are not a feed, even after salvaging.
pub fn parse_feed(bytes: &[u8], source: &str) -> Result<Vec<FeedEntry>, FeedError> {
    parse_feed_full(bytes, source).map(|f| f.entries)
}

/// Like [`parse_feed`], and also returns the format, title and the repairs made.
///
/// # Errors
/// [`FeedError::Parse`] when the bytes are not a feed, even after salvaging.
pub fn parse_feed_full(bytes: &[u8], source: &str) -> Result<ParsedFeed, FeedError> {
    let coerced = coerce_json_feed_ids(bytes);
    let bytes = coerced.as_deref().unwrap_or(bytes);
    match parse_with_feed_rs(bytes) {
        Ok(feed) => Ok(convert(feed, bytes, Vec::new())),
        Err(strict) => {
            let Some(repaired) = salvage(bytes) else {
                return Err(FeedError::Parse {
                    source: source.to_owned(),
                    message: strict,
                });
            };
            match parse_with_feed_rs(&repaired) {
                Ok(feed) => {
                    let diag = Diagnostic::whole_feed(
                        source,
                        format!("ill-formed feed ({strict}); read up to the last complete entry"),
                    );
                    Ok(convert(feed, &repaired, vec![diag]))
                }
                Err(_) => Err(FeedError::Parse {
                    source: source.to_owned(),
                    message: strict,
                }),
            }
        }
    }
}

fn parse_with_feed_rs(bytes: &[u8]) -> Result<Feed, String> {
    feed_rs::parser::Builder::new()
        // An empty id means "the feed gave none"; see the module notes.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(parse_timestamp)
        .build()
        .parse(bytes)
        .map_err(|e| e.to_string())
}

/// A JSON Feed whose item ids are not all strings, rewritten with string ids; `None` when
/// nothing needs changing (not JSON, or already strings).
///
/// JSON Feed 1.1 says a reader must coerce a non-string `id` (`"id": 123`, common from CMS
/// plugins that use the database key) to a string. feed-rs insists on a string and rejects
/// the whole feed otherwise, so the ids are fixed before it sees the document.
fn coerce_json_feed_ids(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !head.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    let mut doc: serde_json::Value = serde_json::from_slice(head).ok()?;
    let items = doc.get_mut("items")?.as_array_mut()?;
    let mut changed = false;
    for item in items
        .iter_mut()
        .filter_map(serde_json::Value::as_object_mut)
    {
        let coerced = match item.get("id") {
            None | Some(serde_json::Value::String(_)) => continue,
            // `null` says "no id", as a missing one does.
            Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
            Some(other) => Some(other.to_string()),
        };
        match coerced {
            Some(id) => item.insert("id".to_owned(), serde_json::Value::String(id)),
            None => item.remove("id"),
        };
        changed = true;
    }
    if !changed {
        return None;
    }
    serde_json::to_vec(&doc).ok()
}

/// Cuts an ill-formed XML feed after its last complete entry and closes the open container
/// elements, or `None` when that cannot help (JSON, or no known root).
fn salvage(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        return None;
    }
    let find = |needle: &str| text.find(needle);
    let (end_tag, closers): (&str, &str) = if find("<feed").is_some() {
        ("</entry>", "</feed>")
    } else if find("<rdf:RDF").is_some() {
        ("</item>", "</rdf:RDF>")
    } else if find("<rss").is_some() {
        ("</item>", "</channel></rss>")
    } else {
        return None;
    };
    let mut cut = match text.rfind(end_tag) {
        Some(pos) => text[..pos + end_tag.len()].to_owned(),
        None => {
            // No complete entry: keep the feed head only (up to the channel/feed start tag).
            let start = if end_tag == "</entry>" {
                "<feed"
            } else {
                "<channel"
            };
            let pos = text.find(start)?;
            let close = text[pos..].find('>')? + pos;
            text[..=close].to_owned()
        }
    };
    // RSS 1.0 items are siblings of the channel, so only the root is left open there; for RSS
    // 0.9x/2.0 the channel element is open too.
    if closers == "</channel></rss>" && !cut.contains("<channel") {
        cut.push_str("</rss>");
    } else {
        cut.push_str(closers);
    }
    Some(cut.into_bytes())
}

fn convert(feed: Feed, bytes: &[u8], diagnostics: Vec<Diagnostic>) -> ParsedFeed {
    let format = match feed.feed_type {
        FeedType::Atom => FeedFormat::Atom,
        FeedType::JSON => FeedFormat::Json,
        FeedType::RSS0 => FeedFormat::Rss0,
        FeedType::RSS1 => FeedFormat::Rss1,
        FeedType::RSS2 => FeedFormat::Rss2,
    };
    let is_rss = matches!(
        format,
        FeedFormat::Rss0 | FeedFormat::Rss1 | FeedFormat::Rss2
    );
    let feed_language = feed.language.clone();
    // feed-rs does not keep RSS 1.0's `rdf:about`, the item's identity there.
    let mut abouts = if format == FeedFormat::Rss1 {
        rdf_abouts(bytes, feed.entries.len()).into_iter()
    } else {
        Vec::new().into_iter()
    };
    let entries = feed
        .entries
        .into_iter()
        .map(|e| {
            let id = Some(e.id)
                .filter(|id| !id.is_empty())
                .or_else(|| abouts.next().flatten());
            let summary_html = e
                .summary
                .map(|t| t.content)
                .or_else(|| e.content.and_then(|c| c.body));
            let link = e
                .links
                .iter()
                .find(|l| {
                    l.target.is_none() && matches!(l.rel.as_deref(), None | Some("alternate"))
                })
                .or_else(|| e.links.first())
                .map(|l| l.href.trim().to_owned())
                .filter(|l| !l.is_empty())
                // An id that is a web address is the permalink (RSS `guid`, Atom `id`).
                .or_else(|| {
                    id.clone()
                        .filter(|i| i.starts_with("http://") || i.starts_with("https://"))
                });
            let updated = if is_rss {
                e.updated.or(e.published)
            } else {
                e.updated
            };
            FeedEntry {
                id,
                title: e.title.map(|t| html_to_text(&t.content)),
                link,
                published: e.published.or(e.updated),
                updated,
                summary: summary_html.map(|s| html_to_text(&s)),
                language: e.language.or_else(|| feed_language.clone()),
                categories: e
                    .categories
                    .into_iter()
                    .map(|c| c.label.unwrap_or(c.term))
                    .collect(),
            }
        })
        .collect();
    ParsedFeed {
        format,
        title: feed.title.map(|t| html_to_text(&t.content)),
        entries,
        diagnostics,
    }
}

/// The `rdf:about` of each `<item>` of an RSS 1.0 document, in order; all `None` when the
/// count does not match the entries feed-rs found (then we cannot pair them safely).
fn rdf_abouts(bytes: &[u8], n: usize) -> Vec<Option<String>> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(pos) = rest.find("<item") {
        let after = &rest[pos + 5..];
        rest = after;
        if !after.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            continue; // <items>, <itemFoo>
        }
        let Some(end) = tag_end(after) else { break };
        let tag = &after[..end];
        let about = tag.find("rdf:about=").and_then(|a| {
            let v = &tag[a + 10..];
            let q = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let v = &v[1..];
            v.find(q)
                .map(|e| html_escape::decode_html_entities(&v[..e]).into_owned())
        });
        out.push(about);
    }
    if out.len() == n {
        out
    } else {
        vec![None; n]
    }
}

/// The `anslag expand` record of one entry, its fields in the schema's order (`id, title, link,
/// published, updated, summary`, as issue 4 lists them): a struct rather than a
/// `serde_json::Value`, whose map would print the keys alphabetically.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EntryRecord {
    /// Entry id, `null` when the feed gives none.
    pub id: Option<String>,
    /// Title, plain text.
    pub title: Option<String>,
    /// Link to the post.
    pub link: Option<String>,
    /// Publication time, UTC `YYYY-MM-DDTHH:MM:SSZ`.
    pub published: Option<String>,
    /// Update time, UTC `YYYY-MM-DDTHH:MM:SSZ`.
    pub updated: Option<String>,
    /// Summary, plain text.
    pub summary: Option<String>,
}

impl EntryRecord {
    /// The record of `entry`.
    pub fn from_entry(entry: &FeedEntry) -> EntryRecord {
        let time =
            |t: &Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        EntryRecord {
            id: entry.id.clone(),
            title: entry.title.clone(),
            link: entry.link.clone(),
            published: time(&entry.published),
            updated: time(&entry.updated),
            summary: entry.summary.clone(),
        }
    }
}

/// The `anslag expand` record of one entry as a JSON value (see [`EntryRecord`]): `id, title,
/// link, published, updated, summary`, times in UTC as `YYYY-MM-DDTHH:MM:SSZ`, missing values
/// `null`.
pub fn entry_json(entry: &FeedEntry) -> serde_json::Value {
    serde_json::to_value(EntryRecord::from_entry(entry)).unwrap_or_default()
}

/// Turns a notice into board occurrences; the one place that decides how notices show.
///
/// - When its title or summary names dates ([`textdate::find_dates`], the year inferred from
///   the publication day), each date becomes an occurrence marked `date_from_text`: timed when
///   a time is given next to it (ending at its start, or at the end time of a range), all-day
///   otherwise.
/// - Otherwise it is an all-day notice from its publication day (board time) lasting
///   [`NOTICE_DAYS`] days, so recent news stays visible for a week. A notice with neither a
///   date in its text nor a publication/update time is not shown: nothing says it is current.
///
/// Only occurrences that overlap `window` are returned. `lang_hint` (e.g. from the board's
/// configuration) is used when the feed does not declare a language.
pub fn entry_occurrences(
    entry: &FeedEntry,
    window: &Window,
    lang_hint: Option<&str>,
) -> Vec<Occurrence> {
    let published_day = entry
        .published
        .or(entry.updated)
        .map(|t| t.with_timezone(&window.tz).date_naive());
    let title = entry.title.clone().unwrap_or_default();
    let summary = entry.summary.clone().unwrap_or_default();
    let uid = entry
        .id
        .clone()
        .or_else(|| entry.link.clone())
        .unwrap_or_else(|| format!("notice-{:016x}", fnv1a(title.as_bytes())));
    let language = entry
        .language
        .as_deref()
        .or(lang_hint)
        .unwrap_or_default()
        .to_owned();
    let base = Occurrence {
        uid: uid.clone(),
        summary: title.clone(),
        location: String::new(),
        description: summary.clone(),
        category: entry.categories.first().cloned().unwrap_or_default(),
        url: entry.link.clone().unwrap_or_default(),
        language,
        start: NaiveDate::MIN.and_time(NaiveTime::MIN),
        end: NaiveDate::MIN.and_time(NaiveTime::MIN),
        all_day: true,
        floating: false,
        cancelled: false,
        date_from_text: false,
    };

    let reference_day = published_day.unwrap_or(window.from);
    let text = format!("{title}\n{summary}");
    let mut found = textdate::find_dates(&text, reference_day);
    found.dedup_by(|a, b| a.date == b.date && a.time == b.time);

    let mut out = Vec::new();
    if found.is_empty() {
        let Some(day) = published_day else {
            return out;
        };
        let mut occ = base;
        occ.start = day.and_time(NaiveTime::MIN);
        occ.end = (day + Duration::days(NOTICE_DAYS)).and_time(NaiveTime::MIN);
        out.push(occ);
    } else {
        for f in found {
            let mut occ = base.clone();
            occ.date_from_text = true;
            // Several dates in one post share the post's id: make each occurrence distinct.
            occ.uid = format!("{uid}#{}", f.date.format("%Y-%m-%d"));
            match f.time {
                Some(t) => {
                    occ.all_day = false;
                    occ.floating = true;
                    occ.start = f.date.and_time(t);
                    let end_day = f.end_date.unwrap_or(f.date);
                    occ.end = match f.end_time {
                        Some(et) if end_day.and_time(et) >= occ.start => end_day.and_time(et),
                        Some(et) => (end_day + Duration::days(1)).and_time(et),
                        None => occ.start,
                    };
                }
                None => {
                    occ.start = f.date.and_time(NaiveTime::MIN);
                    let last = f.end_date.unwrap_or(f.date);
                    occ.end = (last + Duration::days(1)).and_time(NaiveTime::MIN);
                }
            }
            out.push(occ);
        }
    }
    out.retain(|o| overlaps(o, window));
    out
}

/// The window rule of the issue: overlap with [from 00:00, to 00:00), or a zero-length
/// occurrence starting inside.
pub(crate) fn overlaps(o: &Occurrence, window: &Window) -> bool {
    let from = window.from.and_time(NaiveTime::MIN);
    let to = window.to.and_time(NaiveTime::MIN);
    if o.start == o.end {
        o.start >= from && o.start < to
    } else {
        o.start < to && o.end > from
    }
}

/// 64-bit FNV-1a: a stable hash for made-up ids (std's hasher is randomly seeded per process).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// HTML (or plain text) to one line of plain text: tags removed (with the contents of
/// `script`/`style`), entities decoded, whitespace collapsed. Block-level tags become a space
/// so that "<p>a</p><p>b</p>" does not read "ab".
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let Some(first) = after.chars().next() else {
            out.push('<');
            rest = after;
            break;
        };
        if after.starts_with("!--") {
            // Comment: skip to its end (an unterminated one swallows the rest, like browsers).
            rest = after.find("-->").map_or("", |e| &after[e + 3..]);
            continue;
        }
        if !(first.is_ascii_alphabetic() || first == '/' || first == '!' || first == '?') {
            // A lone "<" as in "a < b": text, not a tag.
            out.push('<');
            rest = after;
            continue;
        }
        let Some(gt) = tag_end(after) else {
            // Unterminated tag: drop the rest rather than show markup.
            rest = "";
            break;
        };
        let tag = &after[..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[gt + 1..];
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            let close = format!("</{name}");
            rest = find_ascii_ci(rest, &close).map_or("", |p| {
                let r = &rest[p..];
                r.find('>').map_or("", |g| &r[g + 1..])
            });
            out.push(' ');
            continue;
        }
        if is_block(&name) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    let decoded = html_escape::decode_html_entities(&out);
    collapse_whitespace(&decoded)
}

/// End of a tag (index of its `>`), skipping `>` inside quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "br"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "dd"
            | "dt"
            | "figure"
            | "figcaption"
    )
}

/// Collapses runs of whitespace to one space and trims, as `" ".join(s.split())` does.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Feed timestamps: RFC 822/2822 (`Tue, 15 Nov 2022 20:15:04 +0100`, also with full month
/// names, two-digit years, US zone names, missing seconds or zone) and W3C-DTF/ISO 8601
/// (`2022-11-15T20:15:04+01:00`, date only, no colon in the offset, a truncated offset).
///
/// A leading word that is not an English day name makes the date unreadable, as in feedparser:
/// `mer, 16 nov 2022` (Italian) is `None` rather than a guess.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        if let Some(d) = parse_w3c(t) {
            return Some(d);
        }
    }
    parse_rfc822(t)
}

fn parse_w3c(t: &str) -> Option<DateTime<Utc>> {
    let b = t.as_bytes();
    let num = |s: &str| -> Option<u32> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let year = num(t.get(0..4)?)?;
    let (month, day, mut i) = if b.get(4) == Some(&b'-') {
        let month = num(t.get(5..7)?)?;
        match b.get(7) {
            Some(b'-') => (month, num(t.get(8..10)?)?, 10),
            _ => (month, 1, 7),
        }
    } else if b.len() >= 8 && b.get(4).is_some_and(u8::is_ascii_digit) {
        (num(t.get(4..6)?)?, num(t.get(6..8)?)?, 8)
    } else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let mut time = NaiveTime::MIN;
    let mut offset_secs: i32 = 0;
    if matches!(b.get(i), Some(b'T' | b't' | b' ')) && b.get(i + 1).is_some_and(u8::is_ascii_digit)
    {
        i += 1;
        let hh = num(t.get(i..i + 2)?)?;
        i += 2;
        let mut mm = 0;
        let mut ss = 0;
        if b.get(i) == Some(&b':') {
            mm = num(t.get(i + 1..i + 3)?)?;
            i += 3;
            if b.get(i) == Some(&b':') {
                ss = num(t.get(i + 1..i + 3)?)?;
                i += 3;
                if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
                    i += 1;
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                }
            }
        }
        // 24:00 is the end of the day.
        let (hh, extra_day) = if hh == 24 && mm == 0 && ss == 0 {
            (0, 1)
        } else {
            (hh, 0)
        };
        time = NaiveTime::from_hms_opt(hh, mm, ss.min(59))?;
        let rest = t.get(i..)?.trim();
        offset_secs = match rest {
            "" | "Z" | "z" => 0,
            _ => parse_numeric_offset(rest)?,
        };
        let naive = date.and_time(time) + Duration::days(extra_day);
        let off = FixedOffset::east_opt(offset_secs)?;
        return off
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc));
    }
    if !t.get(i..)?.trim().is_empty() {
        return None;
    }
    let off = FixedOffset::east_opt(offset_secs)?;
    off.from_local_datetime(&date.and_time(time))
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// `+HH:MM`, `+HHMM`, `+HH`, and truncated forms such as `+00:0` (seen in the wild).
fn parse_numeric_offset(s: &str) -> Option<i32> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hh: i32 = digits.get(0..2.min(digits.len()))?.parse().ok()?;
    let mm: i32 = match digits.get(2..) {
        Some(m) if !m.is_empty() => m.parse().ok()?,
        _ => 0,
    };
    if hh > 23 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 3600 + mm * 60))
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_rfc822(t: &str) -> Option<DateTime<Utc>> {
    let lower = t.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(first) = parts.first() {
        if first.starts_with(|c: char| c.is_ascii_alphabetic())
            && DAY_NAMES.contains(&first.get(..3).unwrap_or(first))
            && parts.get(1).is_some_and(|p| {
                p.starts_with(|c: char| c.is_ascii_digit()) || month_of(p).is_some()
            })
        {
            parts.remove(0);
        }
    }
    // Day and month may come in either order ("15 Nov 2022" or "Nov 15 2022").
    let (day, month) = match (parts.first(), parts.get(1)) {
        (Some(a), Some(b)) => match (a.parse::<u32>().ok(), month_of(b)) {
            (Some(d), Some(m)) => (d, m),
            _ => (b.parse::<u32>().ok()?, month_of(a)?),
        },
        _ => return None,
    };
    let year_text = parts.get(2)?;
    let mut year: i32 = year_text.parse().ok()?;
    if year_text.len() <= 2 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let mut time = NaiveTime::MIN;
    if let Some(tm) = parts.get(3) {
        let mut it = tm.split(':');
        let hh: u32 = it.next()?.parse().ok()?;
        let mm: u32 = it.next().unwrap_or("0").parse().ok()?;
        let ss: u32 = it.next().unwrap_or("0").parse().ok()?;
        time = NaiveTime::from_hms_opt(hh.min(23), mm, ss.min(59))?;
    }
    let offset = match parts.get(4).copied() {
        None | Some("gmt" | "ut" | "utc" | "z") => 0,
        Some("est") => -5 * 3600,
        Some("edt") => -4 * 3600,
        Some("cst") => -6 * 3600,
        Some("cdt") => -5 * 3600,
        Some("mst") => -7 * 3600,
        Some("mdt") => -6 * 3600,
        Some("pst") => -8 * 3600,
        Some("pdt") => -7 * 3600,
        Some(z) => parse_numeric_offset(z)?,
    };
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn month_of(word: &str) -> Option<u32> {
    let key = word.get(..3)?;
    MONTH_NAMES
        .iter()
        .position(|m| *m == key)
        .and_then(|i| u32::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON Feed 1.1: "If the id is presented as a number or other type, a JSON Feed reader
    /// must coerce it to a string." feed-rs rejected the whole feed on `"id": 1`.
    #[test]
    fn json_feed_numeric_ids_are_coerced_to_strings() {
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":1,"title":"One","content_text":"a","date_published":"2026-03-02T10:00:00Z"},
            {"id":"two","title":"Two","content_text":"b"},
            {"id":3.5,"title":"Three","content_text":"c"},
            {"id":null,"title":"Four","content_text":"d"}]}"#;
        let entries = parse_feed(json, "n.json").expect("a feed with numeric ids is read");
        let ids: Vec<Option<&str>> = entries.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, [Some("1"), Some("two"), Some("3.5"), None]);
        assert_eq!(entries[0].title.as_deref(), Some("One"));
        // Documents that need nothing are passed through untouched.
        assert!(coerce_json_feed_ids(br#"{"items":[{"id":"x"}]}"#).is_none());
        assert!(coerce_json_feed_ids(b"<rss/>").is_none());
    }

    #[test]
    fn timestamps() {
        let p = |s| parse_timestamp(s).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        assert_eq!(
            p("Tue, 06 Aug 2019 05:01:15 +0000").as_deref(),
            Some("2019-08-06T05:01:15Z")
        );
        assert_eq!(
            p("Sat, 21 Mar 2020 06:29:51 -0400").as_deref(),
            Some("2020-03-21T10:29:51Z")
        );
        assert_eq!(
            p("2017-06-13T03:18:00+00:0").as_deref(),
            Some("2017-06-13T03:18:00Z")
        );
        assert_eq!(
            p("2017-05-17T08:02:12-07:00").as_deref(),
            Some("2017-05-17T15:02:12Z")
        );
        assert_eq!(p("2022-04-21").as_deref(), Some("2022-04-21T00:00:00Z"));
        assert_eq!(p("mer, 16 nov 2022 00:38:15 +0100"), None);
        assert_eq!(
            p("Thursday, 13 July 2011 07:38 EDT").as_deref(),
            Some("2011-07-13T11:38:00Z")
        );
        assert_eq!(p("not a date"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn html_is_stripped() {
        assert_eq!(
            html_to_text("<p>Hello, world!</p>\n\n<script>alert('<p>');</script>"),
            "Hello, world!"
        );
        assert_eq!(html_to_text("a<p>b</p><p>c</p>"), "a b c");
        assert_eq!(html_to_text("x &lt; y &amp;amp; <b>z</b>"), "x < y &amp; z");
        assert_eq!(
            html_to_text("1 < 2 and <a href=\"x>y\">link</a>"),
            "1 < 2 and link"
        );
        assert_eq!(html_to_text("caf&eacute; &#8211; &#x41;"), "café – A");
        assert_eq!(html_to_text("<!-- c -->t<br/>u"), "t u");
    }

    #[test]
    fn salvage_closes_truncated_rss() {
        let bad = b"<rss version=\"2.0\"><channel><item><title>A</title></item><item><title>B";
        let parsed = parse_feed_full(bad, "t").expect("salvaged");
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].title.as_deref(), Some("A"));
        assert_eq!(parsed.diagnostics.len(), 1);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_feed(b"hello", "t").is_err());
        assert!(parse_feed(b"{\"not\": \"a feed\"", "t").is_err());
    }
}

//! Spreadsheets saved as CSV: one event per row, columns found by their (multilingual) header.
//!
//! ```
//! use anslag_cli::feeds::{csv::parse_csv, Window};
//! use chrono::NaiveDate;
//! let text = "Datums;Laiks;Nosaukums;Vieta\n06.06.2026;18:00;Talka;Parks\n07.06.2026;;Tirgus;Laukums\n";
//! let window = Window {
//!     from: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
//!     to: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
//!     tz: chrono_tz::Europe::Riga,
//! };
//! let parsed = parse_csv(text, "events.csv", &window);
//! assert_eq!(parsed.occurrences.len(), 2);
//! assert!(parsed.occurrences[1].all_day);
//! ```
//!
//! Design notes:
//! - Reading CSV (quotes, quoted newlines and doubled quotes, line numbers) is the `csv`
//!   crate's job. Ours are the header aliases, the delimiter sniffing and the date formats that
//!   spreadsheets in our countries export.
//! - The delimiter is sniffed on the header line: the most frequent of `;` (what Excel writes
//!   where the decimal separator is a comma: de, lv, pl, ...), tab and `,` outside quotes.
//! - Columns: `date` and `title` are required; `time`/`start`, `end`, `end date`, `place`,
//!   `description`, `category`, `link`, `language`, `uid` are optional. Unknown columns are
//!   ignored. A `start` or `end` cell may hold a date and a time.
//! - Times have no zone: they are board wall-clock (`floating`). An empty time makes the row
//!   all-day; an end time earlier than the start means the event runs past midnight.
//! - A row with a bad date, time or no title is reported with its line number and skipped;
//!   the good rows are kept. Empty rows are skipped silently.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::feed::{fnv1a, overlaps};
use super::{Diagnostic, Occurrence, Parsed, Window};

/// The columns we understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Date,
    EndDate,
    Time,
    EndTime,
    Title,
    Place,
    Description,
    Category,
    Link,
    Language,
    Uid,
}

/// Header aliases, lower case, in en, de, lv, sv, pl, et, fi, da, lt (and a few obvious
/// variants). Matching ignores case, surrounding spaces and a trailing `:`.
#[rustfmt::skip]
const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::Date,
        &[
            "date", "day", "datum", "datums", "diena", "data", "dzień", "päivä",
            "päivämäärä", "pvm", "kuupäev", "kuupäeva", "dato", "start date", "startdatum",
            "sākuma datums", "data rozpoczęcia", "alkupäivä", "alguskuupäev", "pradžios data",
        ],
    ),
    (
        Field::EndDate,
        &[
            "end date", "enddatum", "bis datum", "beigu datums", "slutdatum", "data zakończenia",
            "loppupäivä", "lõppkuupäev", "slutdato", "pabaigos data", "until",
        ],
    ),
    (
        Field::Time,
        &[
            "time", "start", "start time", "begin", "from", "zeit", "uhrzeit", "beginn",
            "startzeit", "von", "laiks", "sākums", "sākuma laiks", "plkst", "plkst.", "tid",
            "klockslag", "starttid", "kl", "kl.", "från", "czas", "godzina", "godz.",
            "początek", "od", "aika", "kellonaika", "klo", "alkaa", "alkamisaika", "kellaaeg",
            "aeg", "algus", "algusaeg", "kell", "tidspunkt", "fra", "laikas", "pradžia", "nuo",
        ],
    ),
    (
        Field::EndTime,
        &[
            "end", "end time", "to", "ende", "endzeit", "bis", "beigas", "beigu laiks", "līdz",
            "slut", "sluttid", "till", "koniec", "do", "godzina zakończenia", "loppu",
            "päättyy", "päättymisaika", "lõpp", "lõpuaeg", "kuni", "pabaiga", "iki",
        ],
    ),
    (
        Field::Title,
        &[
            "title", "name", "event", "summary", "subject", "what", "titel", "name",
            "veranstaltung", "bezeichnung", "was", "nosaukums", "pasākums", "kas", "rubrik",
            "evenemang", "händelse", "aktivitet", "vad", "tytuł", "tytul", "nazwa",
            "wydarzenie", "otsikko", "tapahtuma", "nimi", "mitä", "pealkiri", "üritus",
            "sündmus", "nimetus", "mis", "titel", "begivenhed", "arrangement", "hvad",
            "pavadinimas", "renginys", "kas vyksta",
        ],
    ),
    (
        Field::Place,
        &[
            "place", "location", "venue", "where", "address", "ort", "veranstaltungsort", "wo",
            "adresse", "vieta", "norises vieta", "kur", "adrese", "plats", "lokal", "var",
            "adress", "miejsce", "lokalizacja", "gdzie", "adres", "paikka", "missä", "osoite",
            "koht", "asukoht", "toimumiskoht", "kus", "aadress", "sted", "hvor", "adresas",
        ],
    ),
    (
        Field::Description,
        &[
            "description", "details", "notes", "info", "text", "beschreibung", "details",
            "apraksts", "piezīmes", "beskrivning", "info", "opis", "uwagi", "kuvaus",
            "lisätiedot", "kirjeldus", "märkused", "beskrivelse", "aprašymas", "pastabos",
        ],
    ),
    (
        Field::Category,
        &[
            "category", "type", "kategorie", "art", "kategorija", "veids", "kategori", "typ",
            "kategoria", "rodzaj", "luokka", "tyyppi", "kategooria", "liik", "tips", "tipas",
        ],
    ),
    (
        Field::Link,
        &[
            "link", "url", "website", "web", "more info", "webseite", "saite",
            "tīmekļa vietne", "länk", "webbplats", "odnośnik", "strona", "linkki", "verkkosivu",
            "veebileht", "nuoroda", "hjemmeside",
        ],
    ),
    (
        Field::Language,
        &[
            "language", "lang", "sprache", "valoda", "språk", "język", "jezyk", "kieli", "keel",
            "sprog", "kalba",
        ],
    ),
    (Field::Uid, &["uid", "id"]),
];

fn field_of(header: &str) -> Option<Field> {
    let h = header.trim().trim_end_matches(':').trim().to_lowercase();
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(f, _)| *f)
}

/// The delimiter of the header line: the most frequent of `;`, tab, `,` outside quotes
/// (`,` when none occurs: a one-column file).
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b';', 0usize), (b'\t', 0), (b',', 0)];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            _ if !in_quotes => {
                for (d, n) in &mut counts {
                    if *d == b {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

/// Parses spreadsheet rows into occurrences inside `window`.
///
/// Never fails as a whole: problems are [`Diagnostic`]s with the row's line number, and the
/// rows without problems are returned. A header without a date or a title column gives one
/// diagnostic and no occurrences.
pub fn parse_csv(text: &str, source: &str, window: &Window) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = Parsed::default();
    let diag = |line: Option<usize>, message: String| Diagnostic {
        source: source.to_owned(),
        line,
        uid: None,
        message,
    };
    let delimiter = sniff_delimiter(text);
    let (text, unclosed) = skip_unclosed_quotes(text, delimiter);
    let text: &str = &text;
    for line in unclosed {
        parsed.diagnostics.push(diag(
            Some(line),
            "a quote opened here is never closed; row skipped (the rows after it are read)"
                .to_owned(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    let columns = match read_header(&mut records) {
        Ok(columns) => columns,
        Err((line, message)) => {
            parsed.diagnostics.push(diag(line, message));
            return parsed;
        }
    };

    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(text, p.byte()));
                parsed
                    .diagnostics
                    .push(diag(line, format!("unreadable row skipped: {e}")));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row = Row::default();
        for (cell, field) in rec.iter().zip(&columns) {
            if let Some(f) = field {
                row.set(*f, cell.trim());
            }
        }
        match row.occurrence(source) {
            Ok(occ) => {
                if overlaps(&occ, window) {
                    parsed.occurrences.push(occ);
                }
            }
            Err(message) => {
                let line = rec.position().map(|p| line_at(text, p.byte()));
                let mut d = diag(line, format!("row skipped: {message}"));
                d.uid = row.uid.filter(|u| !u.is_empty()).map(str::to_owned);
                parsed.diagnostics.push(d);
            }
        }
    }
    parsed
}

/// The columns of the header, the first non-empty row.
///
/// # Errors
/// The line (when known) and the message when the header cannot be read or lacks a date or a
/// title column.
fn read_header<R: std::io::Read>(
    records: &mut csv::StringRecordsIter<'_, R>,
) -> Result<Vec<Option<Field>>, (Option<usize>, String)> {
    let mut columns: Vec<Option<Field>> = Vec::new();
    for rec in records.by_ref() {
        match rec {
            Ok(r) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Ok(r) => {
                columns = r.iter().map(field_of).collect();
                break;
            }
            Err(e) => {
                return Err((
                    e.position().map(|p| p.line() as usize),
                    format!("unreadable header: {e}"),
                ))
            }
        }
    }
    let has = |f: Field| columns.contains(&Some(f));
    if !has(Field::Date) || !has(Field::Title) {
        return Err((
            Some(1),
            "header needs a date and a title column (e.g. \"date;title\", \"Datum;Titel\", \
             \"datums;nosaukums\"); nothing read"
                .to_owned(),
        ));
    }
    Ok(columns)
}

/// How many non-empty rows a sheet has under a usable header, whatever their dates: what tells
/// a good copy of a sheet from a broken one ([`super::check`]).
///
/// # Errors
/// The header cannot be read or lacks a date or a title column (the message says which).
pub fn row_count(text: &str) -> Result<usize, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    read_header(&mut records).map_err(|(_, message)| message)?;
    Ok(records
        .filter(|r| {
            r.as_ref()
                .map_or(true, |r| r.iter().any(|c| !c.trim().is_empty()))
        })
        .count())
}

/// Blanks out every row whose quoted field is never closed, and returns the 1-based lines
/// where those quotes opened.
///
/// The `csv` crate reads an unclosed quote as a field running on to the next quote, or to the
/// end of the file, so one stray `"` (a title typed as `"Talka`) would silently swallow the
/// later rows into one title. Quoting is followed as the crate does it (a quote opens a field
/// only at its start, `""` inside is a quote). A quote counts as never closed when the file
/// ends inside its field, or when its field runs over a line break and the quote that ends it
/// is not followed by a delimiter or a line end (`"Tirgus⏎2026-03-07;"Koris"` — a well-formed
/// field with a line break, as spreadsheets write for multi-line cells, always is). The broken
/// row, from its start to the end of the line where the quote opened, is overwritten with
/// spaces, so it reads as an empty row, the rows after it are read normally, and byte offsets
/// and line numbers stay those of the original.
fn skip_unclosed_quotes(text: &str, delimiter: u8) -> (std::borrow::Cow<'_, str>, Vec<usize>) {
    let mut lines = Vec::new();
    let mut bytes: Option<Vec<u8>> = None;
    let mut from = 0;
    // Each pass fixes one unclosed quote and resumes at that row; a row can only be fixed once.
    while let Some((row_start, quote)) =
        unclosed_quote(bytes.as_deref().unwrap_or(text.as_bytes()), from, delimiter)
    {
        let buf = bytes.get_or_insert_with(|| text.as_bytes().to_vec());
        lines.push(
            1 + buf
                .get(..quote)
                .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()),
        );
        let line_end = buf
            .get(quote..)
            .and_then(|rest| rest.iter().position(|c| *c == b'\n' || *c == b'\r'))
            .map_or(buf.len(), |p| quote + p);
        for b in buf.get_mut(row_start..line_end).into_iter().flatten() {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
        from = row_start;
    }
    match bytes {
        // Only ASCII bytes were replaced by ASCII spaces, and whole characters at that (the
        // range starts at a row start and ends at a line break), so this is still UTF-8.
        Some(b) => (
            std::borrow::Cow::Owned(
                String::from_utf8(b)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
            lines,
        ),
        None => (std::borrow::Cow::Borrowed(text), lines),
    }
}

/// The first quoted field at or after the row starting at `from` that is never properly closed
/// (see [`skip_unclosed_quotes`]): `(start of its row, position of the opening quote)`.
fn unclosed_quote(bytes: &[u8], from: usize, delimiter: u8) -> Option<(usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted field: the end of it, or the first half of `""`.
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let (mut row_start, mut quote, mut spans_lines) = (from, from, false);
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        let line_break = b == b'\n' || b == b'\r';
        state = match state {
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => {
                spans_lines |= line_break;
                State::Quoted
            }
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted if spans_lines && b != delimiter && !line_break => {
                return Some((row_start, quote));
            }
            State::FieldStart if b == b'"' => {
                quote = i;
                spans_lines = false;
                State::Quoted
            }
            _ if b == delimiter => State::FieldStart,
            _ if line_break => {
                row_start = i + 1;
                State::FieldStart
            }
            _ => State::Unquoted,
        };
    }
    (state == State::Quoted).then_some((row_start, quote))
}

/// 1-based line of the record starting at `byte`. The `csv` crate's own line number is that
/// of the blank lines it skipped before the record, so we count ourselves (only for errors).
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut b = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    while bytes.get(b).is_some_and(|c| *c == b'\n' || *c == b'\r') {
        b += 1;
    }
    1 + bytes
        .get(..b)
        .map_or(0, |s| s.iter().filter(|c| **c == b'\n').count())
}

#[derive(Debug, Default)]
struct Row<'a> {
    date: Option<&'a str>,
    end_date: Option<&'a str>,
    time: Option<&'a str>,
    end_time: Option<&'a str>,
    title: Option<&'a str>,
    place: Option<&'a str>,
    description: Option<&'a str>,
    category: Option<&'a str>,
    link: Option<&'a str>,
    language: Option<&'a str>,
    uid: Option<&'a str>,
}

impl<'a> Row<'a> {
    fn set(&mut self, f: Field, v: &'a str) {
        // The first column of a kind wins; later duplicates only fill a gap.
        let slot = match f {
            Field::Date => &mut self.date,
            Field::EndDate => &mut self.end_date,
            Field::Time => &mut self.time,
            Field::EndTime => &mut self.end_time,
            Field::Title => &mut self.title,
            Field::Place => &mut self.place,
            Field::Description => &mut self.description,
            Field::Category => &mut self.category,
            Field::Link => &mut self.link,
            Field::Language => &mut self.language,
            Field::Uid => &mut self.uid,
        };
        if slot.is_none_or(str::is_empty) {
            *slot = Some(v);
        }
    }

    fn occurrence(&self, source: &str) -> Result<Occurrence, String> {
        let nonempty = |v: Option<&'a str>| v.filter(|s| !s.is_empty());
        let title = nonempty(self.title).ok_or("no title")?;
        let date_cell = nonempty(self.date).ok_or("no date")?;
        // A date cell may carry the time too ("2026-06-06 18:00").
        let (date, time_in_date) =
            parse_date_time(date_cell).ok_or_else(|| format!("unreadable date {date_cell:?}"))?;
        let (start_date, start_time) = match nonempty(self.time) {
            None => (date, time_in_date),
            Some(cell) => match parse_date_time(cell) {
                Some((d, t)) if t.is_some() => (d, t),
                _ => (
                    date,
                    Some(parse_time(cell).ok_or_else(|| format!("unreadable time {cell:?}"))?),
                ),
            },
        };
        let end_date = match nonempty(self.end_date) {
            None => None,
            Some(cell) => Some(
                parse_date_time(cell)
                    .map(|(d, _)| d)
                    .ok_or_else(|| format!("unreadable end date {cell:?}"))?,
            ),
        };
        let end_time: Option<(Option<NaiveDate>, NaiveTime)> = match nonempty(self.end_time) {
            None => None,
            Some(cell) => match parse_date_time(cell) {
                Some((d, Some(t))) => Some((Some(d), t)),
                _ => Some((
                    None,
                    parse_time(cell).ok_or_else(|| format!("unreadable end time {cell:?}"))?,
                )),
            },
        };
        if end_date.is_some_and(|e| e < start_date) {
            return Err("end date before start date".to_owned());
        }

        let (start, end, all_day) = match start_time {
            None => {
                let last = end_date.unwrap_or(start_date);
                (
                    start_date.and_time(NaiveTime::MIN),
                    (last + Duration::days(1)).and_time(NaiveTime::MIN),
                    true,
                )
            }
            Some(t) => {
                let start = start_date.and_time(t);
                let end: NaiveDateTime = match end_time {
                    None => start,
                    Some((Some(d), et)) => d.and_time(et),
                    Some((None, et)) => {
                        let d = end_date.unwrap_or(start_date);
                        let e = d.and_time(et);
                        // "22:00–02:00": past midnight.
                        if e < start {
                            e + Duration::days(1)
                        } else {
                            e
                        }
                    }
                };
                if end < start {
                    return Err("ends before it starts".to_owned());
                }
                (start, end, false)
            }
        };
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        let uid = match nonempty(self.uid) {
            Some(u) => u.to_owned(),
            None => {
                // Stable across runs and row moves: what the row says, not where it is.
                let key = format!(
                    "{source}\u{1f}{title}\u{1f}{start}\u{1f}{}",
                    text(self.place)
                );
                format!("csv-{:016x}", fnv1a(key.as_bytes()))
            }
        };
        Ok(Occurrence {
            uid,
            summary: title.to_owned(),
            location: text(self.place),
            description: text(self.description),
            category: text(self.category),
            url: text(self.link),
            language: text(self.language),
            start,
            end,
            all_day,
            floating: !all_day,
            cancelled: false,
            date_from_text: false,
        })
    }
}

/// Decodes a spreadsheet export to text: UTF-8 (BOM optional) or UTF-16 with a BOM, as Excel
/// writes for "Unicode text"; anything else that is not UTF-8 is read as Windows-1252 (what
/// Excel's plain "CSV" is in de/sv/da/fi) and says so in the returned warning, since Baltic and
/// Polish exports would need 1257/1250 and only the user can tell: "save as CSV UTF-8".
pub fn decode_text(bytes: &[u8]) -> (String, Option<String>) {
    let (text, windows_1252) = super::decode_text(bytes);
    let warning = windows_1252.then(|| {
        "not UTF-8: read as Windows-1252; save the sheet as \"CSV UTF-8\" if letters look wrong"
            .to_owned()
    });
    (text.into_owned(), warning)
}

/// A date, optionally followed by a time: `2026-06-06`, `06.06.2026`, `6.6.26`, `06/06/2026`,
/// `2026-06-06T18:00`, `06.06.2026 18:00`.
pub fn parse_date_time(cell: &str) -> Option<(NaiveDate, Option<NaiveTime>)> {
    let cell = cell.trim();
    if let Some(d) = parse_date(cell) {
        return Some((d, None));
    }
    // Split at a 'T' or a space such that both halves read ("6. 6. 2026 18:00" has spaces
    // inside the date too).
    cell.char_indices()
        .filter(|(_, c)| *c == 'T' || *c == ' ')
        .find_map(|(i, _)| {
            let date = parse_date(&cell[..i])?;
            let time = parse_time(cell.get(i + 1..)?)?;
            Some((date, Some(time)))
        })
}

/// `2026-06-06`, `06.06.2026`, `6.6.26`, `06/06/2026`, `6-6-2026`, `2026.06.06`, `2026/06/06`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches('.');
    let parts: Vec<&str> = s.split(['-', '.', '/']).map(str::trim).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let n = |x: &str| -> Option<u32> {
        if x.is_empty() || x.len() > 4 || !x.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        x.parse().ok()
    };
    let (y, m, d) = if a.len() == 4 {
        (n(a)?, n(b)?, n(c)?)
    } else {
        let y = n(c)?;
        let y = match c.len() {
            2 if y < 70 => 2000 + y,
            2 => 1900 + y,
            4 => y,
            _ => return None,
        };
        (y, n(b)?, n(a)?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// `18:00`, `18.00`, `18`, `18:00:00`, `9:30`, `18 Uhr`, `kl. 18`, `6 pm`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let lower = s.trim().to_lowercase();
    let mut t = lower.as_str();
    for prefix in ["kl.", "kl", "klo", "kell", "plkst.", "plkst", "godz.", "um"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.starts_with(|c: char| c.is_whitespace() || c.is_ascii_digit()) {
                t = rest.trim_start();
                break;
            }
        }
    }
    let mut pm = false;
    let mut am = false;
    for suffix in ["uhr", "val.", "val", "h", "pm", "am"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            pm = suffix == "pm";
            am = suffix == "am";
            t = rest.trim_end();
            break;
        }
    }
    let parts: Vec<&str> = t.split([':', '.']).collect();
    let n = |x: &str| -> Option<u32> {
        if x.is_empty() || x.len() > 2 || !x.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        x.parse().ok()
    };
    let (h, m, sec) = match parts.as_slice() {
        [h] => (n(h)?, 0, 0),
        [h, m] => (n(h)?, n(m)?, 0),
        [h, m, s] => (n(h)?, n(m)?, n(s)?),
        _ => return None,
    };
    let h = match (pm, am, h) {
        (true, _, h) if h < 12 => h + 12,
        (_, true, 12) => 0,
        (_, _, 24) if m == 0 && sec == 0 => 0,
        (_, _, h) => h,
    };
    NaiveTime::from_hms_opt(h, m, sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("2026-06-06"), d(2026, 6, 6));
        assert_eq!(parse_date("06.06.2026"), d(2026, 6, 6));
        assert_eq!(parse_date("6.6.26"), d(2026, 6, 6));
        assert_eq!(parse_date("06/06/2026"), d(2026, 6, 6));
        assert_eq!(parse_date("31.06.2026"), None);
        assert_eq!(parse_date("tomorrow"), None);
        assert_eq!(parse_date("1.2"), None);
    }

    #[test]
    fn times() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(parse_time("18:00"), t(18, 0));
        assert_eq!(parse_time("18.30"), t(18, 30));
        assert_eq!(parse_time("9"), t(9, 0));
        assert_eq!(parse_time("18 Uhr"), t(18, 0));
        assert_eq!(parse_time("kl. 18"), t(18, 0));
        assert_eq!(parse_time("6 pm"), t(18, 0));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_time("abends"), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFa;b").0, "a;b");
        assert_eq!(decode_text(b"\xFF\xFEa\0;\0").0, "a;");
        let (t, w) = decode_text(b"K\xF6ln");
        assert_eq!(t, "Köln");
        assert!(w.is_some());
        assert_eq!(decode_text("Rīga".as_bytes()), ("Rīga".to_owned(), None));
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter("a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c\n"), b',');
        assert_eq!(sniff_delimiter("title\n"), b',');
    }

    #[test]
    fn aliases() {
        assert_eq!(field_of(" Datum: "), Some(Field::Date));
        assert_eq!(field_of("PÄIVÄ"), Some(Field::Date));
        assert_eq!(field_of("Nosaukums"), Some(Field::Title));
        assert_eq!(field_of("Rubrik"), Some(Field::Title));
        assert_eq!(field_of("Tytuł"), Some(Field::Title));
        assert_eq!(field_of("Ort"), Some(Field::Place));
        assert_eq!(field_of("whatever"), None);
    }
}

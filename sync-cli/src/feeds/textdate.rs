//! Dates and times in the prose of community posts, in de, lv, sv, pl, et, fi, da, lt and en.
//!
//! ```
//! use anslag_cli::feeds::textdate::find_dates;
//! use chrono::{NaiveDate, NaiveTime};
//! let published = NaiveDate::from_ymd_opt(2026, 5, 20).unwrap();
//! let found = find_dates("Am 6. Juni um 18 Uhr: Sommerfest im Gemeindehaus", published);
//! assert_eq!(found[0].date, NaiveDate::from_ymd_opt(2026, 6, 6).unwrap());
//! assert_eq!(found[0].time, NaiveTime::from_hms_opt(18, 0, 0));
//! ```
//!
//! Design notes:
//! - The text is split into number, word and symbol tokens (keeping whether a space or a line
//!   break came before each), and a handful of patterns are tried at every token: numeric
//!   dates (`27.06.2017`, `20. 10. 2016`, `21/11/2015`, `2017-06-27`, `12.06.`), day + month
//!   name (`6. Juni`, `den 14 januari`, `21 januari 2020`, `14 stycznia`, `14. tammikuuta`),
//!   month name + day for English and Lithuanian (`January 14, 2020`, `sausio 14 d.`), and the
//!   year-first Latvian and Lithuanian forms (`2017. gada 27. jūnijā`, `2020 m. sausio 14 d.`).
//!   Day ranges (`27.–29. Juni`, `6. bis 8. Juni`) give an end date.
//! - A month name alone ("Im Juni", "novembra beigās") is not a date: a noticeboard needs a day.
//! - A time belongs to the date before it when it follows in the same line, within a few
//!   words, before the next date: `um 18 Uhr`, `18–20 Uhr`, `plkst. 18.00`, `kl. 18.00`,
//!   `klo 18`, `kell 18`, `godz. 18:00`, `18 val.`, `at 6 pm`, or a bare `18:30`. A bare
//!   `18.00` is not a time (it is as often a price) unless a marker or unit says so.
//! - A date without a year gets the year that puts it nearest to the publication day: posts
//!   both report what happened and announce what comes, so "14 januari" in a post of
//!   21 January 2020 is 2020-01-14 and "14. Januar" in a post of December 2019 is 2020-01-14.
//! - Deliberately not handled: weekday-only references ("next Saturday"), relative words
//!   ("tomorrow"), US month/day order in numeric dates.

use std::ops::Range;

use chrono::{Datelike, NaiveDate, NaiveTime};

/// A date (with its time, when one was given) found in free text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    /// The day.
    pub date: NaiveDate,
    /// Start time, when the text gives one next to the date.
    pub time: Option<NaiveTime>,
    /// Last day of a day range (`27.–29. Juni`), inclusive.
    pub end_date: Option<NaiveDate>,
    /// End time of a time range (`18–20 Uhr`).
    pub end_time: Option<NaiveTime>,
    /// Byte range of the date (and its time) in the text.
    pub span: Range<usize>,
    /// The year was inferred from the publication day, not written.
    pub year_inferred: bool,
}

/// Finds the dates (and times) named in `text`, in order of appearance, without duplicates.
/// `published` is the post's publication day in board time; it supplies missing years.
pub fn find_dates(text: &str, published: NaiveDate) -> Vec<FoundDate> {
    let toks = tokenize(text);
    let mut out: Vec<FoundDate> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Some(m) = date_at(&toks, i) else {
            i += 1;
            continue;
        };
        let mut next = m.next;
        let Some((date, end_date, inferred)) = resolve(&m, published) else {
            i = next;
            continue;
        };
        let mut span_end = toks.get(m.next.saturating_sub(1)).map_or(0, |t| t.end);
        let mut time = None;
        let mut end_time = None;
        if let Some(t) = time_after(&toks, m.next) {
            time = Some(t.start);
            end_time = t.end;
            span_end = t.span_end;
            next = t.next;
        }
        let start = toks.get(i).map_or(0, |t| t.start);
        let found = FoundDate {
            date,
            time,
            end_date,
            end_time,
            span: start..span_end,
            year_inferred: inferred,
        };
        if !out
            .iter()
            .any(|f| f.date == found.date && f.time == found.time && f.end_date == found.end_date)
        {
            out.push(found);
        }
        i = next;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A run of ASCII digits: value (saturating) and number of digits.
    Num(u32, usize),
    /// A run of letters, lower-cased.
    Word(String),
    /// Any other visible character.
    Sym(char),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    /// Whitespace between this token and the previous one.
    space_before: bool,
    /// A line break between this token and the previous one.
    newline_before: bool,
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut space = false;
    let mut newline = false;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            space = true;
            newline |= c == '\n' || c == '\r';
            continue;
        }
        let mut end = start + c.len_utf8();
        let kind = if c.is_ascii_digit() {
            let mut value = c.to_digit(10).unwrap_or(0);
            let mut digits = 1;
            while let Some(&(i, d)) = chars.peek() {
                let Some(v) = d.to_digit(10).filter(|_| d.is_ascii_digit()) else {
                    break;
                };
                value = value.saturating_mul(10).saturating_add(v);
                digits += 1;
                end = i + d.len_utf8();
                chars.next();
            }
            Kind::Num(value, digits)
        } else if c.is_alphabetic() {
            let mut w: String = c.to_lowercase().collect();
            while let Some(&(i, d)) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                w.extend(d.to_lowercase());
                end = i + d.len_utf8();
                chars.next();
            }
            Kind::Word(w)
        } else {
            Kind::Sym(c)
        };
        toks.push(Tok {
            kind,
            start,
            end,
            space_before: space,
            newline_before: newline,
        });
        space = false;
        newline = false;
    }
    toks
}

fn num(toks: &[Tok], i: usize, max_digits: usize) -> Option<u32> {
    match toks.get(i)?.kind {
        Kind::Num(v, d) if d <= max_digits => Some(v),
        _ => None,
    }
}

fn num_exact(toks: &[Tok], i: usize, digits: usize) -> Option<u32> {
    match toks.get(i)?.kind {
        Kind::Num(v, d) if d == digits => Some(v),
        _ => None,
    }
}

fn word(toks: &[Tok], i: usize) -> Option<&str> {
    match &toks.get(i)?.kind {
        Kind::Word(w) => Some(w),
        _ => None,
    }
}

fn is_sym(toks: &[Tok], i: usize, c: char) -> bool {
    toks.get(i).is_some_and(|t| t.kind == Kind::Sym(c))
}

fn is_dash(toks: &[Tok], i: usize) -> bool {
    is_sym(toks, i, '-') || is_sym(toks, i, '–') || is_sym(toks, i, '—')
}

/// No whitespace between token `i - 1` and `i`.
fn attached(toks: &[Tok], i: usize) -> bool {
    toks.get(i).is_some_and(|t| !t.space_before)
}

fn is_word(toks: &[Tok], i: usize, options: &[&str]) -> bool {
    word(toks, i).is_some_and(|w| options.contains(&w))
}

// ---------------------------------------------------------------------------------------------
// Months

/// (form, month, may come before the day). Lower case; every inflected form a date uses.
#[rustfmt::skip]
const MONTHS: &[(&str, u32, bool)] = &[
    // en
    ("january", 1, true), ("february", 2, true), ("march", 3, true), ("april", 4, true),
    ("may", 5, true), ("june", 6, true), ("july", 7, true), ("august", 8, true),
    ("september", 9, true), ("october", 10, true), ("november", 11, true),
    ("december", 12, true),
    ("jan", 1, true), ("feb", 2, true), ("mar", 3, true), ("apr", 4, true), ("jun", 6, true),
    ("jul", 7, true), ("aug", 8, true), ("sep", 9, true), ("sept", 9, true), ("oct", 10, true),
    ("nov", 11, true), ("dec", 12, true),
    // de (and abbreviations not already above)
    ("januar", 1, false), ("jänner", 1, false), ("februar", 2, false), ("märz", 3, false),
    ("mai", 5, false), ("juni", 6, false), ("juli", 7, false), ("oktober", 10, false),
    ("dezember", 12, false), ("mär", 3, false), ("okt", 10, false), ("dez", 12, false),
    // sv
    ("januari", 1, false), ("februari", 2, false), ("mars", 3, false), ("maj", 5, false),
    ("augusti", 8, false),
    // da
    ("marts", 3, false),
    // pl (genitive, as in dates; nominative for headings)
    ("stycznia", 1, false), ("lutego", 2, false), ("marca", 3, false), ("kwietnia", 4, false),
    ("maja", 5, false), ("czerwca", 6, false), ("lipca", 7, false), ("sierpnia", 8, false),
    ("września", 9, false), ("października", 10, false), ("listopada", 11, false),
    ("grudnia", 12, false),
    ("styczeń", 1, false), ("luty", 2, false), ("marzec", 3, false), ("kwiecień", 4, false),
    ("czerwiec", 6, false), ("lipiec", 7, false), ("sierpień", 8, false),
    ("wrzesień", 9, false), ("październik", 10, false), ("listopad", 11, false),
    ("grudzień", 12, false),
    // fi (partitive, as in dates; nominative)
    ("tammikuuta", 1, false), ("helmikuuta", 2, false), ("maaliskuuta", 3, false),
    ("huhtikuuta", 4, false), ("toukokuuta", 5, false), ("kesäkuuta", 6, false),
    ("heinäkuuta", 7, false), ("elokuuta", 8, false), ("syyskuuta", 9, false),
    ("lokakuuta", 10, false), ("marraskuuta", 11, false), ("joulukuuta", 12, false),
    ("tammikuu", 1, false), ("helmikuu", 2, false), ("maaliskuu", 3, false),
    ("huhtikuu", 4, false), ("toukokuu", 5, false), ("kesäkuu", 6, false),
    ("heinäkuu", 7, false), ("elokuu", 8, false), ("syyskuu", 9, false), ("lokakuu", 10, false),
    ("marraskuu", 11, false), ("joulukuu", 12, false),
    // et (nominative and adessive "-il")
    ("jaanuar", 1, false), ("veebruar", 2, false), ("märts", 3, false), ("aprill", 4, false),
    ("juuni", 6, false), ("juuli", 7, false), ("oktoober", 10, false), ("detsember", 12, false),
    ("jaanuaril", 1, false), ("veebruaril", 2, false), ("märtsil", 3, false),
    ("aprillil", 4, false), ("mail", 5, false), ("juunil", 6, false), ("juulil", 7, false),
    ("augustil", 8, false), ("septembril", 9, false), ("oktoobril", 10, false),
    ("novembril", 11, false), ("detsembril", 12, false),
    // lt (genitive: "sausio 14 d.", "14 sausio")
    ("sausio", 1, true), ("vasario", 2, true), ("kovo", 3, true), ("balandžio", 4, true),
    ("gegužės", 5, true), ("birželio", 6, true), ("liepos", 7, true), ("rugpjūčio", 8, true),
    ("rugsėjo", 9, true), ("spalio", 10, true), ("lapkričio", 11, true), ("gruodžio", 12, true),
    // lv (nominative, locative "-ā/-ī", genitive)
    ("janvāris", 1, false), ("janvārī", 1, false), ("janvāra", 1, false),
    ("februāris", 2, false), ("februārī", 2, false), ("februāra", 2, false),
    ("martā", 3, false), ("marta", 3, false),
    ("aprīlis", 4, false), ("aprīlī", 4, false), ("aprīļa", 4, false),
    ("maijs", 5, false), ("maijā", 5, false), ("maija", 5, false),
    ("jūnijs", 6, false), ("jūnijā", 6, false), ("jūnija", 6, false),
    ("jūlijs", 7, false), ("jūlijā", 7, false), ("jūlija", 7, false),
    ("augusts", 8, false), ("augustā", 8, false), ("augusta", 8, false),
    ("septembris", 9, false), ("septembrī", 9, false), ("septembra", 9, false),
    ("oktobris", 10, false), ("oktobrī", 10, false), ("oktobra", 10, false),
    ("novembris", 11, false), ("novembrī", 11, false), ("novembra", 11, false),
    ("decembris", 12, false), ("decembrī", 12, false), ("decembra", 12, false),
];

fn month(toks: &[Tok], i: usize) -> Option<(u32, bool)> {
    let w = word(toks, i)?;
    MONTHS
        .iter()
        .find(|(form, _, _)| *form == w)
        .map(|&(_, m, first)| (m, first))
}

// ---------------------------------------------------------------------------------------------
// Dates

/// A date as written: year possibly missing.
#[derive(Debug)]
struct DateMatch {
    day: u32,
    month: u32,
    year: Option<i32>,
    /// Last day of a range in the same month.
    end_day: Option<u32>,
    /// Token index after the match.
    next: usize,
}

fn year_of(v: u32, digits: usize) -> Option<i32> {
    let y = i32::try_from(v).ok()?;
    let y = match digits {
        2 if y < 70 => 2000 + y,
        2 => 1900 + y,
        4 => y,
        _ => return None,
    };
    (1900..=2100).contains(&y).then_some(y)
}

fn valid_dm(day: u32, month: u32) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// A range word or dash between two days or times.
fn is_range_sep(toks: &[Tok], i: usize) -> bool {
    is_dash(toks, i)
        || is_word(
            toks,
            i,
            &[
                "bis", "till", "til", "līdz", "do", "to", "until", "iki", "kuni", "–",
            ],
        )
}

/// Optional 4-digit year at `i` (and a trailing year abbreviation such as pl "r.", lv "g.",
/// lt "m."): (year, next index).
fn opt_year(toks: &[Tok], mut i: usize) -> (Option<i32>, usize) {
    if is_sym(toks, i, ',') {
        if let Some(y) = num_exact(toks, i + 1, 4).and_then(|v| year_of(v, 4)) {
            return (Some(y), skip_year_word(toks, i + 2));
        }
    }
    if let Some(y) = num_exact(toks, i, 4).and_then(|v| year_of(v, 4)) {
        // "2020." ends a sentence or starts "gada": both fine to consume the dot only if a
        // year word follows.
        i += 1;
        return (Some(y), skip_year_word(toks, i));
    }
    (None, i)
}

fn skip_year_word(toks: &[Tok], i: usize) -> usize {
    let i = if is_sym(toks, i, '.')
        && is_word(
            toks,
            i + 1,
            &["gada", "g", "m", "r", "roku", "vuonna", "aastal", "metų"],
        ) {
        i + 1
    } else {
        i
    };
    if is_word(toks, i, &["gada", "g", "m", "r", "roku", "aastal", "metų"]) {
        if is_sym(toks, i + 1, '.') {
            i + 2
        } else {
            i + 1
        }
    } else {
        i
    }
}

/// The number at `i` is glued to a number before it (`1.2.3`, `18:30`): not a date start.
fn glued_to_number(toks: &[Tok], i: usize) -> bool {
    if i == 0 || !attached(toks, i) {
        return false;
    }
    let prev = i - 1;
    match toks.get(prev).map(|t| &t.kind) {
        Some(Kind::Num(..)) => true,
        Some(Kind::Sym('.' | ':' | ',' | '/')) => {
            attached(toks, prev)
                && matches!(
                    toks.get(prev.wrapping_sub(1)).map(|t| &t.kind),
                    Some(Kind::Num(..))
                )
        }
        _ => false,
    }
}

fn date_at(toks: &[Tok], i: usize) -> Option<DateMatch> {
    if glued_to_number(toks, i) {
        return None;
    }
    year_first(toks, i)
        .or_else(|| iso(toks, i))
        .or_else(|| numeric(toks, i))
        .or_else(|| day_month_name(toks, i))
        .or_else(|| month_name_day(toks, i))
}

/// lv `2017. gada 27. jūnijā`, `2017.g. 27.jūnijā`; lt `2020 m. sausio 14 d.`.
fn year_first(toks: &[Tok], i: usize) -> Option<DateMatch> {
    let year = year_of(num_exact(toks, i, 4)?, 4)?;
    // Latvian
    let mut j = i + 1;
    if is_sym(toks, j, '.') && is_word(toks, j + 1, &["gada", "g"]) {
        j += 2;
        if is_sym(toks, j, '.') {
            j += 1;
        }
        let day = num(toks, j, 2)?;
        if !is_sym(toks, j + 1, '.') {
            return None;
        }
        let (m, _) = month(toks, j + 2)?;
        return valid_dm(day, m).then_some(DateMatch {
            day,
            month: m,
            year: Some(year),
            end_day: None,
            next: j + 3,
        });
    }
    // Lithuanian
    j = i + 1;
    if is_word(toks, j, &["m"]) {
        j += 1;
        if is_sym(toks, j, '.') {
            j += 1;
        }
    }
    let (m, first) = month(toks, j)?;
    if !first {
        return None;
    }
    let day = num(toks, j + 1, 2)?;
    let mut next = j + 2;
    if is_word(toks, next, &["d"]) {
        next += 1;
        if is_sym(toks, next, '.') {
            next += 1;
        }
    }
    valid_dm(day, m).then_some(DateMatch {
        day,
        month: m,
        year: Some(year),
        end_day: None,
        next,
    })
}

/// `2017-06-27`.
fn iso(toks: &[Tok], i: usize) -> Option<DateMatch> {
    let year = year_of(num_exact(toks, i, 4)?, 4)?;
    if !(is_sym(toks, i + 1, '-') && attached(toks, i + 1) && attached(toks, i + 2)) {
        return None;
    }
    let m = num(toks, i + 2, 2)?;
    if !(is_sym(toks, i + 3, '-') && attached(toks, i + 3) && attached(toks, i + 4)) {
        return None;
    }
    let day = num(toks, i + 4, 2)?;
    valid_dm(day, m).then_some(DateMatch {
        day,
        month: m,
        year: Some(year),
        end_day: None,
        next: i + 5,
    })
}

/// `27.06.2017`, `20. 10. 2016`, `1.2.20`, `21/11/2015`, `21-11-2015`, `27.-29.06.2017`,
/// and `12.06.` without a year.
fn numeric(toks: &[Tok], i: usize) -> Option<DateMatch> {
    let day = num(toks, i, 2)?;
    let mut j = i + 1;
    let mut end_day = None;
    // "27.-29.06.2017"
    if is_sym(toks, j, '.') && attached(toks, j) && is_dash(toks, j + 1) {
        let d2 = num(toks, j + 2, 2)?;
        end_day = Some(d2);
        j += 3;
    }
    let sep = match toks.get(j).map(|t| &t.kind) {
        Some(Kind::Sym(c @ ('.' | '/' | '-'))) if attached(toks, j) => *c,
        _ => return None,
    };
    // A space is fine after a dot ("20. 10. 2016") but not around '/' or '-'.
    let spaced_ok = sep == '.';
    if !spaced_ok && !attached(toks, j + 1) {
        return None;
    }
    let m = num(toks, j + 1, 2)?;
    if !(is_sym(toks, j + 2, sep) && attached(toks, j + 2)) {
        return None;
    }
    let after = j + 3;
    let year_tok = toks.get(after);
    let year_here = match year_tok.map(|t| &t.kind) {
        Some(Kind::Num(v, d @ (2 | 4))) if spaced_ok || attached(toks, after) => year_of(*v, *d),
        _ => None,
    };
    if let Some(y) = year_here {
        // Not a version number or an IP address: "1.2.2020.5".
        if is_sym(toks, after + 1, sep)
            && attached(toks, after + 1)
            && matches!(toks.get(after + 2).map(|t| &t.kind), Some(Kind::Num(..)))
            && attached(toks, after + 2)
        {
            return None;
        }
        if !valid_dm(day, m) || end_day.is_some_and(|e| !(day..=31).contains(&e)) {
            return None;
        }
        return Some(DateMatch {
            day,
            month: m,
            year: Some(y),
            end_day,
            next: after + 1,
        });
    }
    // Year-less "12.06." only written tight, and only with dots.
    if sep != '.' || !attached(toks, j + 1) {
        return None;
    }
    if matches!(year_tok.map(|t| &t.kind), Some(Kind::Num(..))) && attached(toks, after) {
        return None;
    }
    if !valid_dm(day, m) || end_day.is_some_and(|e| !(day..=31).contains(&e)) {
        return None;
    }
    Some(DateMatch {
        day,
        month: m,
        year: None,
        end_day,
        next: after,
    })
}

/// `6. Juni`, `19.Juni`, `den 14 januari`, `21 januari 2020`, `14th of January`,
/// `27.–29. Juni`, `6. bis 8. Juni`, `14 stycznia 2020 r.`.
fn day_month_name(toks: &[Tok], i: usize) -> Option<DateMatch> {
    let day = num(toks, i, 2)?;
    let mut j = i + 1;
    let skip_day_suffix = |mut j: usize| {
        if is_sym(toks, j, '.') && attached(toks, j) {
            j += 1;
        } else if is_word(toks, j, &["st", "nd", "rd", "th", "d"]) && attached(toks, j) {
            j += 1;
            if is_sym(toks, j, '.') {
                j += 1;
            }
        }
        j
    };
    j = skip_day_suffix(j);
    let mut end_day = None;
    if is_range_sep(toks, j) {
        if let Some(d2) = num(toks, j + 1, 2) {
            end_day = Some(d2);
            j = skip_day_suffix(j + 2);
        }
    }
    if is_word(toks, j, &["of"]) {
        j += 1;
    }
    let (m, _) = month(toks, j)?;
    j += 1;
    // abbreviation dot ("6. Okt. 2026") – but not a sentence end before a year-less date.
    if is_sym(toks, j, '.') && attached(toks, j) && num_exact(toks, j + 1, 4).is_some() {
        j += 1;
    }
    let (year, next) = opt_year(toks, j);
    if !valid_dm(day, m) || end_day.is_some_and(|e| !(day..=31).contains(&e)) {
        return None;
    }
    Some(DateMatch {
        day,
        month: m,
        year,
        end_day,
        next,
    })
}

/// English and Lithuanian month-first: `January 14, 2020`, `May 5th`, `sausio 14 d.`.
fn month_name_day(toks: &[Tok], i: usize) -> Option<DateMatch> {
    let (m, first) = month(toks, i)?;
    if !first {
        return None;
    }
    let mut j = i + 1;
    if is_sym(toks, j, '.') && attached(toks, j) {
        j += 1;
    }
    let day = num(toks, j, 2)?;
    // "May 18:00" or "Dec 3.5": not a day.
    if (is_sym(toks, j + 1, ':') || is_sym(toks, j + 1, '.'))
        && attached(toks, j + 1)
        && matches!(toks.get(j + 2).map(|t| &t.kind), Some(Kind::Num(..)))
        && attached(toks, j + 2)
    {
        return None;
    }
    j += 1;
    if is_word(toks, j, &["st", "nd", "rd", "th", "d"]) {
        j += 1;
        if is_sym(toks, j, '.') {
            j += 1;
        }
    }
    let (year, next) = opt_year(toks, j);
    valid_dm(day, m).then_some(DateMatch {
        day,
        month: m,
        year,
        end_day: None,
        next,
    })
}

/// The calendar date (and range end) of a match; a missing year is the one nearest to
/// `published`. `None` for impossible dates (31 June).
fn resolve(m: &DateMatch, published: NaiveDate) -> Option<(NaiveDate, Option<NaiveDate>, bool)> {
    let build = |y: i32| -> Option<(NaiveDate, Option<NaiveDate>)> {
        let d = NaiveDate::from_ymd_opt(y, m.month, m.day)?;
        let end = match m.end_day {
            Some(e) => Some(NaiveDate::from_ymd_opt(y, m.month, e)?),
            None => None,
        };
        Some((d, end))
    };
    if let Some(y) = m.year {
        let (d, e) = build(y)?;
        return Some((d, e, false));
    }
    let py = published.year();
    [py - 1, py, py + 1]
        .into_iter()
        .filter_map(build)
        .min_by_key(|(d, _)| (*d - published).num_days().abs())
        .map(|(d, e)| (d, e, true))
}

// ---------------------------------------------------------------------------------------------
// Times

/// Words that announce a time: de um, lv plkst., sv/da kl./klockan, fi klo/kello, et kell,
/// pl godz./godzinie.
const TIME_MARKERS: &[&str] = &[
    "um", "plkst", "kl", "klockan", "klo", "kello", "kell", "godz", "godzinie", "godzina",
];

/// Words that often precede a time but also a count ("at 3 places", "ab 14 Jahren"): they
/// are skipped, but a time after them needs minutes, a unit or a real marker as evidence.
const WEAK_MARKERS: &[&str] = &["ab", "gegen", "von", "at", "from", "fra", "nuo", "no", "o"];

/// Units after a time: de Uhr, lt val., en h / pm / am.
const TIME_UNITS: &[&str] = &["uhr", "val", "h", "pm", "am"];

struct TimeMatch {
    start: NaiveTime,
    end: Option<NaiveTime>,
    span_end: usize,
    next: usize,
}

/// How far (in tokens) after a date a time may be.
const TIME_LOOKAHEAD: usize = 12;

fn time_after(toks: &[Tok], from: usize) -> Option<TimeMatch> {
    for k in from..toks.len().min(from + TIME_LOOKAHEAD) {
        // A time on the next line, or after another date, belongs to something else.
        if toks.get(k)?.newline_before || (k > from && date_at(toks, k).is_some()) {
            return None;
        }
        if let Some(m) = time_at(toks, k) {
            return Some(m);
        }
    }
    None
}

/// One clock value `18`, `18:30`, `18.30`: (hour, minute, had minutes with ':', next).
fn clock(toks: &[Tok], i: usize) -> Option<(u32, u32, bool, usize)> {
    let h = num(toks, i, 2)?;
    if h > 24 {
        return None;
    }
    if (is_sym(toks, i + 1, ':') || is_sym(toks, i + 1, '.'))
        && attached(toks, i + 1)
        && attached(toks, i + 2)
    {
        if let Some(mm) = num_exact(toks, i + 2, 2) {
            if mm > 59 {
                return None;
            }
            return Some((h, mm, is_sym(toks, i + 1, ':'), i + 3));
        }
    }
    Some((h, 0, false, i + 1))
}

/// `um 18 Uhr`, `18–20 Uhr`, `plkst. 18.00`, `kl. 18.00–20.00`, `klo 18`, `18 val.`,
/// `at 6 pm`, `18:30`.
fn time_at(toks: &[Tok], i: usize) -> Option<TimeMatch> {
    let mut j = i;
    let mut marker = false;
    let mut weak = false;
    // "o godz." / "no plkst.": a marker may follow another.
    while is_word(toks, j, TIME_MARKERS) || is_word(toks, j, WEAK_MARKERS) {
        if is_word(toks, j, TIME_MARKERS) {
            marker = true;
        } else {
            weak = true;
        }
        j += 1;
        if is_sym(toks, j, '.') {
            j += 1;
        }
    }
    if (marker || weak) && num(toks, j, 2).is_none() {
        return None;
    }
    let (h1, m1, colon1, mut k) = clock(toks, j)?;
    let minutes1 = k == j + 3;
    // A number glued to what is before it ("2.18", "IMG_18") is not a time.
    if !marker && glued_to_number(toks, j) {
        return None;
    }
    let unit = |k: usize| -> Option<(&str, usize)> {
        let w = word(toks, k)?;
        if !TIME_UNITS.contains(&w) {
            return None;
        }
        // "18 val." abbreviates; after "18 Uhr." the dot ends the sentence.
        let next = if w == "val" && is_sym(toks, k + 1, '.') {
            k + 2
        } else {
            k + 1
        };
        Some((w, next))
    };
    let mut unit1 = unit(k);
    if let Some((_, n)) = unit1 {
        k = n;
    }
    let mut end = None;
    let mut unit2 = None;
    if is_range_sep(toks, k) {
        let mut e = k + 1;
        while is_word(toks, e, TIME_MARKERS) || is_word(toks, e, WEAK_MARKERS) {
            e += 1;
            if is_sym(toks, e, '.') {
                e += 1;
            }
        }
        if let Some((h2, m2, colon2, n)) = clock(toks, e) {
            let u2 = unit(n);
            // "18–20 Uhr" / "18:00-20:00": the end needs the same evidence as a start.
            if u2.is_some() || colon2 || marker || unit1.is_some() {
                end = Some((h2, m2));
                unit2 = u2;
                k = u2.map_or(n, |(_, nn)| nn);
            }
        }
    }
    if unit1.is_none() {
        unit1 = unit2;
    }
    if !(marker || unit1.is_some() || colon1 || (weak && minutes1)) {
        return None;
    }
    let pm = matches!(unit1.map(|u| u.0), Some("pm"));
    let am = matches!(unit1.map(|u| u.0), Some("am"));
    let to_time = |h: u32, m: u32| -> Option<NaiveTime> {
        let h = if pm && h < 12 {
            h + 12
        } else if am && h == 12 {
            0
        } else {
            h
        };
        // 24:00 means midnight at the end of the day; shown as 23:59 would be a lie, so 00:00.
        NaiveTime::from_hms_opt(h % 24, m, 0)
    };
    let start = to_time(h1, m1)?;
    let end = match end {
        Some((h2, m2)) => Some(to_time(h2, m2)?),
        None => None,
    };
    let span_end = toks.get(k.saturating_sub(1)).map_or(0, |t| t.end);
    Some(TimeMatch {
        start,
        end,
        span_end,
        next: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    /// (year, month, day) of publication.
    type Published = (i32, u32, u32);

    /// (text, published, expected "YYYY-MM-DD[ HH:MM[-HH:MM]][..YYYY-MM-DD]" list)
    #[rustfmt::skip]
    const CASES: &[(&str, Published, &[&str])] = &[
        // de
        ("Am 6. Juni um 18 Uhr im Saal", (2026, 5, 1), &["2026-06-06 18:00"]),
        ("Sommerfest 27.–29. Juni, jeweils ab 14 Uhr", (2026, 5, 1), &["2026-06-27 14:00..2026-06-29"]),
        ("Treffen am 12.06. von 18–20 Uhr", (2026, 5, 1), &["2026-06-12 18:00-20:00"]),
        ("Am 19.Juni ging es", (2018, 7, 1), &["2018-06-19"]),
        ("Termin: 3. Okt. 2026, 19:30", (2026, 5, 1), &["2026-10-03 19:30"]),
        ("Im Juni und im November", (2026, 5, 1), &[]),
        // lv
        ("2017. gada 27. jūnijā plkst. 18.00 Liepājā", (2017, 6, 1), &["2017-06-27 18:00"]),
        ("Talka notiks 14. maijā no plkst. 10 līdz 14", (2026, 5, 1), &["2026-05-14 10:00-14:00"]),
        ("programmas 2014.-2020. gadam ietvaros, 1. prioritāte", (2017, 6, 1), &[]),
        // sv / da
        ("den 14 januari kl. 18.00 i Nässjö", (2020, 1, 21), &["2020-01-14 18:00"]),
        ("Loppis lördag 3 maj kl 10–14", (2026, 4, 1), &["2026-05-03 10:00-14:00"]),
        ("Fællesspisning den 5. marts kl. 18", (2026, 2, 1), &["2026-03-05 18:00"]),
        // pl
        ("Spotkanie 14 stycznia 2020 r. o godz. 17:00", (2020, 1, 2), &["2020-01-14 17:00"]),
        // fi
        ("Tilaisuus 14. tammikuuta klo 18", (2025, 12, 20), &["2026-01-14 18:00"]),
        ("Kokous 5.2.2026 klo 18.30", (2026, 1, 10), &["2026-02-05 18:30"]),
        // et
        ("Kohtumine 14. jaanuaril kell 18", (2026, 1, 2), &["2026-01-14 18:00"]),
        // lt
        ("Renginys vyks 2026 m. sausio 14 d. 18 val.", (2026, 1, 2), &["2026-01-14 18:00"]),
        ("sausio 14 d. nuo 18 val.", (2026, 1, 2), &["2026-01-14 18:00"]),
        // en
        ("Join us on January 14, 2026 at 6 pm", (2026, 1, 2), &["2026-01-14 18:00"]),
        ("the 3rd of May at 10:30", (2026, 4, 1), &["2026-05-03 10:30"]),
        ("May we see you on 2026-03-01?", (2026, 1, 1), &["2026-03-01"]),
        // numeric forms and non-dates
        ("21/11/2015 and 1.2.20", (2015, 11, 1), &["2015-11-21", "2020-02-01"]),
        ("Version 1.2.2020.5, price 18.00 EUR, 3.5 km", (2020, 1, 1), &[]),
        ("20. 10. 2016", (2016, 10, 20), &["2016-10-20"]),
        ("31. Juni is not a day", (2026, 1, 1), &[]),
    ];

    fn render(f: &FoundDate) -> String {
        let mut s = f.date.format("%Y-%m-%d").to_string();
        if let Some(t) = f.time {
            s.push_str(&t.format(" %H:%M").to_string());
        }
        if let Some(t) = f.end_time {
            s.push_str(&t.format("-%H:%M").to_string());
        }
        if let Some(e) = f.end_date {
            s.push_str(&e.format("..%Y-%m-%d").to_string());
        }
        s
    }

    #[test]
    fn languages_and_forms() {
        let mut failures = Vec::new();
        for (text, (y, m, day), want) in CASES {
            let got: Vec<String> = find_dates(text, d(*y, *m, *day))
                .iter()
                .map(render)
                .collect();
            if got != *want {
                failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn year_is_nearest_to_publication() {
        let f = find_dates("am 14. Januar", d(2019, 12, 10));
        assert_eq!(f[0].date, d(2020, 1, 14));
        assert!(f[0].year_inferred);
        let f = find_dates("am 20. Dezember", d(2020, 1, 5));
        assert_eq!(f[0].date, d(2019, 12, 20));
    }

    #[test]
    fn span_covers_date_and_time() {
        let text = "x Am 6. Juni um 18 Uhr. y";
        let f = find_dates(text, d(2026, 1, 1));
        assert_eq!(text.get(f[0].span.clone()), Some("6. Juni um 18 Uhr"));
    }
}

//! Layout and drawing of one screen: header, events by day, footer, pages.
//!
//! The layout is computed twice per screen without storing it (once to count pages, once to
//! draw the page due now), so rendering needs no heap and a bounded stack.

use core::fmt::Write as _;

use anslag_core::bundle::{Bundle, Event};
use anslag_core::time::DateTime;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};

use crate::board::{self, Moment};
use crate::i18n::{Lang, Words};
use crate::profile::Profile;
use crate::text::{self, Face, Faces, Wrapped};

/// Rendering choices that are not part of the bundle.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Minutes each page stays before the next one when events overflow.
    pub page_minutes: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { page_minutes: 1 }
    }
}

/// What was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shown {
    /// Page drawn, 0-based.
    pub page: usize,
    /// Pages the current events fill.
    pub pages: usize,
    /// Events on this page.
    pub events: usize,
    /// The board's wall-clock time used.
    pub local: DateTime,
    /// The listing was stale.
    pub stale: bool,
    /// The listing was expired.
    pub expired: bool,
}

const MARGIN: i32 = 8;
const TITLE_LINES: usize = 2;

struct Geometry {
    faces: Faces,
    width: i32,
    body_top: i32,
    body_bottom: i32,
    time_cols: usize,
}

impl Geometry {
    fn new(p: &Profile) -> Geometry {
        let faces = text::faces(p.large);
        let header_h = faces.heading.height() + 2 * MARGIN;
        let footer_h = faces.small.height() + MARGIN + 4;
        Geometry {
            faces,
            width: p.width as i32,
            body_top: header_h + MARGIN / 2,
            body_bottom: p.height as i32 - footer_h,
            time_cols: 12,
        }
    }

    fn title_x(&self) -> i32 {
        MARGIN + self.faces.body.advance() * self.time_cols as i32
    }

    fn title_columns(&self) -> usize {
        self.faces
            .title
            .columns(self.width - self.title_x() - MARGIN)
    }

    fn heading_height(&self) -> i32 {
        self.faces.heading.height() + 6
    }

    fn event_height(&self, title: &Wrapped<TITLE_LINES>, has_second_line: bool) -> i32 {
        let lines = title.line_count().max(1) as i32;
        lines * self.faces.title.height()
            + if has_second_line {
                self.faces.body.height()
            } else {
                0
            }
            + 6
    }
}

fn has_second_line(e: &Event<'_>) -> bool {
    !e.place().is_empty() || e.is_cancelled()
}

/// One positioned element of the layout.
// Only one lives at a time, on the stack, and there is no heap to box the big variant into.
#[allow(clippy::large_enum_variant)]
enum Item<'a> {
    Day(anslag_core::time::Date),
    Event(Event<'a>, Wrapped<TITLE_LINES>),
}

/// Walks the layout, calling `visit(page, y, item)` for every element.
fn layout<'a>(
    bundle: &Bundle<'a>,
    m: &Moment,
    g: &Geometry,
    mut visit: impl FnMut(usize, i32, &Item<'a>),
) -> usize {
    let (mut page, mut y) = (0usize, g.body_top);
    let mut day = None;
    let mut any = false;
    for e in board::current(bundle, m) {
        any = true;
        let title = Wrapped::<TITLE_LINES>::new(e.title().chars(), g.title_columns());
        let listed = board::listed_day(&e, m);
        let new_day = day != Some(listed);
        let h = g.event_height(&title, has_second_line(&e));
        let need = h + if new_day { g.heading_height() } else { 0 };
        if y + need > g.body_bottom && y > g.body_top {
            page += 1;
            y = g.body_top;
            // Repeat the day heading on top of a continued page.
            if !new_day {
                visit(page, y, &Item::Day(listed));
                y += g.heading_height();
            }
        }
        if new_day {
            visit(page, y, &Item::Day(listed));
            y += g.heading_height();
            day = Some(listed);
        }
        visit(page, y, &Item::Event(e, title));
        y += h;
    }
    if any {
        page + 1
    } else {
        0
    }
}

/// A small formatting buffer for times and headings.
struct Buf {
    bytes: [u8; 96],
    len: usize,
}

impl Buf {
    fn new() -> Self {
        Buf {
            bytes: [0; 96],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl core::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            let enc = c.encode_utf8(&mut tmp).as_bytes();
            let end = self.len + enc.len();
            // Cut at a character boundary when full.
            let Some(dst) = self.bytes.get_mut(self.len..end) else {
                return Ok(());
            };
            dst.copy_from_slice(enc);
            self.len = end;
        }
        Ok(())
    }
}

fn hm(t: DateTime) -> impl core::fmt::Display {
    struct Hm(DateTime);
    impl core::fmt::Display for Hm {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute_of_hour())
        }
    }
    Hm(t)
}

fn time_column(e: &Event<'_>, m: &Moment, lang: Lang, out: &mut Buf) {
    let w: &Words = lang.words();
    let (s, end) = (e.start(), e.end());
    // The last day an event covers (its end is exclusive).
    let last_day = DateTime::from_minutes(e.end_minutes() - 1).date;
    let _ = if e.is_all_day() || last_day > board::listed_day(e, m) && s.date < m.today() {
        if last_day > board::listed_day(e, m) {
            write!(out, "{} {}", w.until, lang.short_date(last_day))
        } else {
            write!(out, "{}", w.all_day)
        }
    } else if e.duration_minutes() == 0 {
        write!(out, "{}", hm(s))
    } else if end.date == s.date || (end.date == s.date.add_days(1) && end.minute == 0) {
        write!(out, "{}-{}", hm(s), hm(end))
    } else {
        write!(out, "{}-{}", hm(s), lang.short_date(end.date))
    };
}

fn draw_str<D: DrawTarget<Color = BinaryColor>>(
    d: &mut D,
    s: &str,
    x: i32,
    y: i32,
    face: &Face,
    color: BinaryColor,
) -> Result<i32, D::Error> {
    text::draw(
        d,
        text::display_chars(s.chars()),
        Point::new(x, y),
        face,
        color,
    )
}

/// Draws the screen for `now_utc` (UTC seconds from the kiosk clock) onto `d`.
///
/// # Errors
/// Whatever the draw target reports (a frame buffer never fails).
pub fn render<D: DrawTarget<Color = BinaryColor>>(
    d: &mut D,
    bundle: &Bundle<'_>,
    now_utc: i64,
    profile: &Profile,
    opts: &Options,
) -> Result<Shown, D::Error> {
    let h = bundle.header();
    let lang = Lang::from_tag(h.language);
    let w = lang.words();
    let m = Moment::at(bundle, now_utc);
    let g = Geometry::new(profile);
    let f = g.faces;
    let (ink, paper) = (BinaryColor::On, BinaryColor::Off);
    d.clear(paper)?;

    // Header: a dark band with the centre's name and today's date.
    let band = g.faces.heading.height() + 2 * MARGIN;
    Rectangle::new(Point::zero(), Size::new(profile.width, band as u32))
        .into_styled(PrimitiveStyle::with_fill(ink))
        .draw(d)?;
    let mut today = Buf::new();
    let _ = write!(today, "{}", lang.day_heading(m.today()));
    let today_cols = today.as_str().chars().count() as i32;
    let centre_cols = f
        .heading
        .columns(g.width - 3 * MARGIN - today_cols * f.heading.advance());
    let centre = Wrapped::<1>::new(h.centre.chars(), centre_cols);
    text::draw(
        d,
        centre.line(0).iter().copied(),
        Point::new(MARGIN, MARGIN),
        &f.heading,
        paper,
    )?;
    draw_str(
        d,
        today.as_str(),
        g.width - MARGIN - today_cols * f.heading.advance(),
        MARGIN,
        &f.heading,
        paper,
    )?;

    // Body.
    let pages = layout(bundle, &m, &g, |_, _, _| {});
    let page = if pages == 0 {
        0
    } else {
        let slot = m
            .local
            .to_minutes()
            .div_euclid(i64::from(opts.page_minutes.max(1)));
        usize::try_from(slot.rem_euclid(pages as i64)).unwrap_or(0)
    };
    let mut shown = 0;
    let mut result = Ok(());
    if pages == 0 {
        let y = (g.body_top + g.body_bottom) / 2 - f.title.height();
        let msg = Wrapped::<2>::new(w.no_events.chars(), f.title.columns(g.width - 2 * MARGIN));
        for i in 0..msg.line_count() {
            let line = msg.line(i);
            let x = (g.width - line.len() as i32 * f.title.advance()) / 2;
            text::draw(
                d,
                line.iter().copied(),
                Point::new(x, y + i as i32 * f.title.height()),
                &f.title,
                ink,
            )?;
        }
    }
    layout(bundle, &m, &g, |p, y, item| {
        if p != page || result.is_err() {
            return;
        }
        result = draw_item(d, item, y, &g, &m, lang);
        if matches!(item, Item::Event(..)) {
            shown += 1;
        }
    });
    result?;

    // Footer: when updated, warnings, page n/m.
    let fy = g.body_bottom + 4;
    Line::new(Point::new(MARGIN, fy), Point::new(g.width - MARGIN, fy))
        .into_styled(PrimitiveStyle::with_stroke(ink, 1))
        .draw(d)?;
    let ty = fy + 4;
    let mut foot = Buf::new();
    let built = bundle.local_time(h.created_at);
    let _ = write!(
        foot,
        "{} {} {}",
        w.updated,
        lang.short_date(built.date),
        hm(built)
    );
    draw_str(d, foot.as_str(), MARGIN, ty, &f.small, ink)?;
    if m.expired || m.stale {
        let warn = if m.expired { w.expired } else { w.stale };
        let cols = warn.chars().count() as i32 + 2;
        let x = (g.width - cols * f.small.advance()) / 2;
        Rectangle::new(
            Point::new(x, ty - 2),
            Size::new(
                (cols * f.small.advance()) as u32,
                (f.small.height() + 3) as u32,
            ),
        )
        .into_styled(PrimitiveStyle::with_fill(ink))
        .draw(d)?;
        draw_str(d, warn, x + f.small.advance(), ty, &f.small, paper)?;
    }
    if pages > 1 {
        let mut p = Buf::new();
        let _ = write!(p, "{}/{}", page + 1, pages);
        let cols = p.as_str().chars().count() as i32;
        draw_str(
            d,
            p.as_str(),
            g.width - MARGIN - cols * f.small.advance(),
            ty,
            &f.small,
            ink,
        )?;
    }
    Ok(Shown {
        page,
        pages,
        events: shown,
        local: m.local,
        stale: m.stale,
        expired: m.expired,
    })
}

fn draw_item<D: DrawTarget<Color = BinaryColor>>(
    d: &mut D,
    item: &Item<'_>,
    y: i32,
    g: &Geometry,
    m: &Moment,
    lang: Lang,
) -> Result<(), D::Error> {
    let f = &g.faces;
    let (ink, paper) = (BinaryColor::On, BinaryColor::Off);
    match item {
        Item::Day(date) => {
            let mut b = Buf::new();
            let w = lang.words();
            let _ = if *date == m.today() {
                write!(b, "{} · {}", w.today, lang.day_heading(*date))
            } else if *date == m.today().add_days(1) {
                write!(b, "{} · {}", w.tomorrow, lang.day_heading(*date))
            } else {
                write!(b, "{}", lang.day_heading(*date))
            };
            let x = draw_str(d, b.as_str(), MARGIN, y + 2, &f.heading, ink)?;
            let ly = y + f.heading.height() + 2;
            Line::new(Point::new(MARGIN, ly), Point::new(x.max(MARGIN + 40), ly))
                .into_styled(PrimitiveStyle::with_stroke(ink, 1))
                .draw(d)?;
        }
        Item::Event(e, title) => {
            let mut t = Buf::new();
            time_column(e, m, lang, &mut t);
            draw_str(d, t.as_str(), MARGIN, y, &f.body, ink)?;
            let x = g.title_x();
            let mut ty = y;
            for i in 0..title.line_count() {
                let end = text::draw(
                    d,
                    title.line(i).iter().copied(),
                    Point::new(x, ty),
                    &f.title,
                    ink,
                )?;
                if e.is_cancelled() {
                    let sy = ty + f.title.height() / 2;
                    Line::new(Point::new(x, sy), Point::new(end, sy))
                        .into_styled(PrimitiveStyle::with_stroke(ink, 2))
                        .draw(d)?;
                }
                ty += f.title.height();
            }
            if has_second_line(e) {
                let mut px = x;
                if e.is_cancelled() {
                    let word = lang.words().cancelled;
                    let cols = word.chars().count() as i32;
                    Rectangle::new(
                        Point::new(px, ty),
                        Size::new(
                            ((cols + 1) * f.body.advance()) as u32,
                            f.body.height() as u32,
                        ),
                    )
                    .into_styled(PrimitiveStyle::with_fill(ink))
                    .draw(d)?;
                    draw_str(d, word, px + f.body.advance() / 2, ty, &f.body, paper)?;
                    px += (cols + 2) * f.body.advance();
                }
                let cols = f.body.columns(g.width - px - MARGIN);
                let place = Wrapped::<1>::new(e.place().chars(), cols);
                text::draw(
                    d,
                    place.line(0).iter().copied(),
                    Point::new(px, ty),
                    &f.body,
                    ink,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rendering keeps its working data on the stack: these are the big items, held to a budget
    /// so a change that bloats them is noticed (the frame buffer itself is the caller's).
    #[test]
    fn working_data_stays_small() {
        let wrapped = core::mem::size_of::<Wrapped<TITLE_LINES>>();
        let item = core::mem::size_of::<Item<'static>>();
        let buf = core::mem::size_of::<Buf>();
        std::println!("Wrapped<2> {wrapped} B, layout item {item} B, text buffer {buf} B");
        assert!(wrapped <= 1024 && item <= 1200 && buf <= 128);
    }
}

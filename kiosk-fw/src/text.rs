//! Text on the panel: fonts with per-character fallback, typographic substitutions, a visible
//! placeholder for what no font has, and word wrapping — all without a heap.
//!
//! Font choice (measured, see docs/KIOSK.md): `embedded-graphics` mono fonts. Of those, only
//! the ISO 8859-13 set covers every Baltic-rim letter we need (lv, lt, et, pl, de, sv, fi, da),
//! so it is the primary font of every face; the other ISO 8859 sets of the same cell size
//! follow per character for the rest of Latin-1 and Latin Extended-A, and ISO 8859-5 for
//! Cyrillic (uk). A character no font has is drawn as a hollow box — never the silent `?` the
//! fonts would draw — and [`unsupported_chars`] lets the CLI warn about it when a bundle is
//! built.

use embedded_graphics::mono_font::{self, MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};

/// A face: one cell size, as a chain of fonts tried in order for each character. The first is
/// ISO 8859-13 (Baltic rim: lv, lt, et, pl, de, sv, fi, da); then the other ISO 8859 Latin sets
/// for the rest of Latin-1 and Latin Extended-A; last ISO 8859-5 for Cyrillic. All have the same
/// cell size, so columns stay aligned whatever font a character comes from.
#[derive(Debug, Clone, Copy)]
pub struct Face {
    chain: &'static [&'static MonoFont<'static>; CHAIN],
}

/// Fonts in a face's fallback chain.
pub const CHAIN: usize = 11;

impl Face {
    fn primary(&self) -> &'static MonoFont<'static> {
        self.chain[0]
    }

    /// Cell width including spacing: every character advances by this much.
    pub fn advance(&self) -> i32 {
        (self.primary().character_size.width + self.primary().character_spacing) as i32
    }

    /// Line height.
    pub fn height(&self) -> i32 {
        self.primary().character_size.height as i32
    }

    /// How many characters fit in `width` pixels.
    pub fn columns(&self, width: i32) -> usize {
        usize::try_from(width / self.advance().max(1)).unwrap_or(0)
    }

    /// The first font of the chain that has `c`.
    fn font_for(&self, c: char) -> Option<&'static MonoFont<'static>> {
        self.chain.iter().copied().find(|f| has_glyph(f, c))
    }
}

/// Every font of every fallback chain, each once: what the firmware links in. The size
/// report (`cargo xtask fw-size`) finds their bitmaps in the image to count fonts apart from
/// code.
pub fn fonts() -> impl Iterator<Item = &'static MonoFont<'static>> {
    let chains: [&'static [&'static MonoFont<'static>; CHAIN]; 8] = [
        &H_LARGE, &T_LARGE, &B_LARGE, &S_LARGE, &H_SMALL, &T_SMALL, &B_SMALL, &S_SMALL,
    ];
    let all = move || chains.into_iter().flat_map(|c| c.iter().copied());
    all()
        .enumerate()
        .filter(move |(i, f)| !all().take(*i).any(|g| core::ptr::eq(g, *f)))
        .map(|(_, f)| f)
}

/// The faces a layout uses.
#[derive(Debug, Clone, Copy)]
pub struct Faces {
    /// Centre name and day headings.
    pub heading: Face,
    /// Event titles.
    pub title: Face,
    /// Times, places.
    pub body: Face,
    /// Footer.
    pub small: Face,
}

static H_LARGE: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_9X18_BOLD,
    &mono_font::iso_8859_1::FONT_9X18_BOLD,
    &mono_font::iso_8859_2::FONT_9X18_BOLD,
    &mono_font::iso_8859_4::FONT_9X18_BOLD,
    &mono_font::iso_8859_10::FONT_9X18_BOLD,
    &mono_font::iso_8859_14::FONT_9X18_BOLD,
    &mono_font::iso_8859_15::FONT_9X18_BOLD,
    &mono_font::iso_8859_16::FONT_9X18_BOLD,
    &mono_font::iso_8859_3::FONT_9X18_BOLD,
    &mono_font::iso_8859_9::FONT_9X18_BOLD,
    &mono_font::iso_8859_5::FONT_9X18_BOLD,
];
static T_LARGE: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_9X15_BOLD,
    &mono_font::iso_8859_1::FONT_9X15_BOLD,
    &mono_font::iso_8859_2::FONT_9X15_BOLD,
    &mono_font::iso_8859_4::FONT_9X15_BOLD,
    &mono_font::iso_8859_10::FONT_9X15_BOLD,
    &mono_font::iso_8859_14::FONT_9X15_BOLD,
    &mono_font::iso_8859_15::FONT_9X15_BOLD,
    &mono_font::iso_8859_16::FONT_9X15_BOLD,
    &mono_font::iso_8859_3::FONT_9X15_BOLD,
    &mono_font::iso_8859_9::FONT_9X15_BOLD,
    &mono_font::iso_8859_5::FONT_9X15_BOLD,
];
static B_LARGE: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_9X15,
    &mono_font::iso_8859_1::FONT_9X15,
    &mono_font::iso_8859_2::FONT_9X15,
    &mono_font::iso_8859_4::FONT_9X15,
    &mono_font::iso_8859_10::FONT_9X15,
    &mono_font::iso_8859_14::FONT_9X15,
    &mono_font::iso_8859_15::FONT_9X15,
    &mono_font::iso_8859_16::FONT_9X15,
    &mono_font::iso_8859_3::FONT_9X15,
    &mono_font::iso_8859_9::FONT_9X15,
    &mono_font::iso_8859_5::FONT_9X15,
];
static S_LARGE: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_7X13,
    &mono_font::iso_8859_1::FONT_7X13,
    &mono_font::iso_8859_2::FONT_7X13,
    &mono_font::iso_8859_4::FONT_7X13,
    &mono_font::iso_8859_10::FONT_7X13,
    &mono_font::iso_8859_14::FONT_7X13,
    &mono_font::iso_8859_15::FONT_7X13,
    &mono_font::iso_8859_16::FONT_7X13,
    &mono_font::iso_8859_3::FONT_7X13,
    &mono_font::iso_8859_9::FONT_7X13,
    &mono_font::iso_8859_5::FONT_7X13,
];
static H_SMALL: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_7X13_BOLD,
    &mono_font::iso_8859_1::FONT_7X13_BOLD,
    &mono_font::iso_8859_2::FONT_7X13_BOLD,
    &mono_font::iso_8859_4::FONT_7X13_BOLD,
    &mono_font::iso_8859_10::FONT_7X13_BOLD,
    &mono_font::iso_8859_14::FONT_7X13_BOLD,
    &mono_font::iso_8859_15::FONT_7X13_BOLD,
    &mono_font::iso_8859_16::FONT_7X13_BOLD,
    &mono_font::iso_8859_3::FONT_7X13_BOLD,
    &mono_font::iso_8859_9::FONT_7X13_BOLD,
    &mono_font::iso_8859_5::FONT_7X13_BOLD,
];
static T_SMALL: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_6X13_BOLD,
    &mono_font::iso_8859_1::FONT_6X13_BOLD,
    &mono_font::iso_8859_2::FONT_6X13_BOLD,
    &mono_font::iso_8859_4::FONT_6X13_BOLD,
    &mono_font::iso_8859_10::FONT_6X13_BOLD,
    &mono_font::iso_8859_14::FONT_6X13_BOLD,
    &mono_font::iso_8859_15::FONT_6X13_BOLD,
    &mono_font::iso_8859_16::FONT_6X13_BOLD,
    &mono_font::iso_8859_3::FONT_6X13_BOLD,
    &mono_font::iso_8859_9::FONT_6X13_BOLD,
    &mono_font::iso_8859_5::FONT_6X13_BOLD,
];
static B_SMALL: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_6X13,
    &mono_font::iso_8859_1::FONT_6X13,
    &mono_font::iso_8859_2::FONT_6X13,
    &mono_font::iso_8859_4::FONT_6X13,
    &mono_font::iso_8859_10::FONT_6X13,
    &mono_font::iso_8859_14::FONT_6X13,
    &mono_font::iso_8859_15::FONT_6X13,
    &mono_font::iso_8859_16::FONT_6X13,
    &mono_font::iso_8859_3::FONT_6X13,
    &mono_font::iso_8859_9::FONT_6X13,
    &mono_font::iso_8859_5::FONT_6X13,
];
static S_SMALL: [&MonoFont<'static>; CHAIN] = [
    &mono_font::iso_8859_13::FONT_6X10,
    &mono_font::iso_8859_1::FONT_6X10,
    &mono_font::iso_8859_2::FONT_6X10,
    &mono_font::iso_8859_4::FONT_6X10,
    &mono_font::iso_8859_10::FONT_6X10,
    &mono_font::iso_8859_14::FONT_6X10,
    &mono_font::iso_8859_15::FONT_6X10,
    &mono_font::iso_8859_16::FONT_6X10,
    &mono_font::iso_8859_3::FONT_6X10,
    &mono_font::iso_8859_9::FONT_6X10,
    &mono_font::iso_8859_5::FONT_6X10,
];

/// Faces for large (800×480) and small (≤ 400×300) panels.
pub fn faces(large: bool) -> Faces {
    if large {
        Faces {
            heading: Face { chain: &H_LARGE },
            title: Face { chain: &T_LARGE },
            body: Face { chain: &B_LARGE },
            small: Face { chain: &S_LARGE },
        }
    } else {
        Faces {
            heading: Face { chain: &H_SMALL },
            title: Face { chain: &T_SMALL },
            body: Face { chain: &B_SMALL },
            small: Face { chain: &S_SMALL },
        }
    }
}

/// A character no font has (private use area): its glyph index is the font's replacement.
const SURELY_MISSING: char = '\u{E000}';

fn has_glyph(font: &MonoFont<'_>, c: char) -> bool {
    c == '?' || font.glyph_mapping.index(c) != font.glyph_mapping.index(SURELY_MISSING)
}

/// Typographic characters the fonts lack, written with ones they have.
fn substitute(c: char) -> Option<&'static str> {
    Some(match c {
        '–' | '—' | '‒' | '−' => "-",
        '‘' | '’' | 'ʼ' | '′' | '‚' => "'",
        '«' | '»' | '″' => "\"",
        '…' => "...",
        '\u{00A0}' | '\u{2009}' | '\u{202F}' | '\t' => " ",
        '\n' | '\r' => " ",
        '•' | '·' => "·",
        // The few letters of Latin-1, Latin Extended-A and Cyrillic that no ISO 8859 font has
        // (measured by the coverage test): their base letters, which every reader recognises.
        'Ґ' => "Г",
        'ґ' => "г",
        'Ѝ' => "И",
        'ѝ' => "и",
        'ѐ' => "е",
        'Ĕ' => "E",
        'ĕ' => "e",
        'Ĭ' => "I",
        'ĭ' => "i",
        'Ŏ' => "O",
        'ŏ' => "o",
        'Ĳ' => "IJ",
        'ĳ' => "ij",
        'Ŀ' => "L·",
        'ŀ' => "l·",
        'ŉ' => "'n",
        'ſ' => "s",
        _ => return None,
    })
}

/// Characters of `text` the board cannot show (after substitutions), in order, repeated as they
/// occur: the CLI names them with the event when a bundle is built.
pub fn unsupported_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let face = faces(true).body;
    text.chars()
        .filter(move |&c| substitute(c).is_none() && face.font_for(c).is_none())
}

/// Characters as they will be drawn: substitutions applied.
pub fn display_chars<I: IntoIterator<Item = char>>(chars: I) -> impl Iterator<Item = char> {
    chars.into_iter().flat_map(|c| {
        let (one, many) = match substitute(c) {
            Some(s) => (None, Some(s.chars())),
            None => (Some(c), None),
        };
        one.into_iter().chain(many.into_iter().flatten())
    })
}

/// Draws `chars` (already substituted) from `pos` (top-left), returns the x after the last.
///
/// # Errors
/// Whatever the draw target reports.
pub fn draw<D, I>(
    d: &mut D,
    chars: I,
    pos: Point,
    face: &Face,
    color: BinaryColor,
) -> Result<i32, D::Error>
where
    D: DrawTarget<Color = BinaryColor>,
    I: IntoIterator<Item = char>,
{
    let mut x = pos.x;
    let mut buf = [0u8; 4];
    for c in chars {
        let at = Point::new(x, pos.y);
        match face.font_for(c) {
            _ if c == ' ' => {}
            Some(font) => {
                Text::with_baseline(
                    c.encode_utf8(&mut buf),
                    at,
                    MonoTextStyle::new(font, color),
                    Baseline::Top,
                )
                .draw(d)?;
            }
            None => {
                let size = face.primary().character_size;
                Rectangle::new(
                    at + Point::new(1, 2),
                    Size::new(size.width.saturating_sub(2), size.height.saturating_sub(4)),
                )
                .into_styled(PrimitiveStyle::with_stroke(color, 1))
                .draw(d)?;
            }
        }
        x += face.advance();
    }
    Ok(x)
}

/// Most characters a wrapped text keeps; longer texts are cut with an ellipsis.
pub const WRAP_CAPACITY: usize = 240;

/// A text broken into at most `L` lines of at most a given number of columns.
#[derive(Debug, Clone)]
pub struct Wrapped<const L: usize> {
    chars: [char; WRAP_CAPACITY],
    len: usize,
    lines: [(usize, usize); L],
    count: usize,
}

impl<const L: usize> Wrapped<L> {
    /// Wraps `chars` (substituted first) at spaces into lines of `columns`; a word longer than
    /// a line is cut; what does not fit in `L` lines ends the last line with "...".
    pub fn new<I: IntoIterator<Item = char>>(chars: I, columns: usize) -> Self {
        let mut w = Wrapped {
            chars: [' '; WRAP_CAPACITY],
            len: 0,
            lines: [(0, 0); L],
            count: 0,
        };
        let mut overflow = false;
        for c in display_chars(chars) {
            match w.chars.get_mut(w.len) {
                Some(slot) => {
                    *slot = c;
                    w.len += 1;
                }
                None => {
                    overflow = true;
                    break;
                }
            }
        }
        let columns = columns.max(4);
        let mut start = 0;
        while start < w.len && w.count < L {
            while w.chars.get(start) == Some(&' ') {
                start += 1;
            }
            if start >= w.len {
                break;
            }
            let mut end = (start + columns).min(w.len);
            if end < w.len && w.chars.get(end) != Some(&' ') {
                if let Some(space) = (start + 1..end)
                    .rev()
                    .find(|&i| w.chars.get(i) == Some(&' '))
                {
                    end = space;
                }
            }
            if let Some(line) = w.lines.get_mut(w.count) {
                *line = (start, end);
            }
            w.count += 1;
            start = end;
        }
        let rest = (start..w.len).any(|i| w.chars.get(i) != Some(&' '));
        if (rest || overflow) && w.count > 0 {
            // The last line takes what fits before "...", not just whole words.
            if let Some(last) = w.lines.get_mut(w.count - 1) {
                let mut end = (last.0 + columns - 3).min(w.len).min(WRAP_CAPACITY - 3);
                while end > last.0 && w.chars.get(end - 1) == Some(&' ') {
                    end -= 1;
                }
                for i in 0..3 {
                    if let Some(c) = w.chars.get_mut(end + i) {
                        *c = '.';
                    }
                }
                last.1 = end + 3;
            }
        }
        w
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.count
    }

    /// Line `i`'s characters.
    pub fn line(&self, i: usize) -> &[char] {
        self.lines
            .get(i)
            .and_then(|&(s, e)| self.chars.get(s..e))
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines<const L: usize>(w: &Wrapped<L>) -> std::vec::Vec<std::string::String> {
        (0..w.line_count())
            .map(|i| w.line(i).iter().collect())
            .collect()
    }

    #[test]
    fn coverage_of_our_languages() {
        let all = "Rīga Liepāja Ķegums Šiauliai Łódź Nässjö Plön Grüße Õunaaia Kiev Київ п'ятниця „Ķekava“";
        assert_eq!(
            unsupported_chars(all).count(),
            0,
            "{:?}",
            unsupported_chars(all).collect::<std::string::String>()
        );
        assert_eq!(
            unsupported_chars("Feier 🎉 und ✓").collect::<std::string::String>(),
            "🎉✓"
        );
        assert_eq!(
            display_chars("a–b…".chars()).collect::<std::string::String>(),
            "a-b..."
        );
    }

    #[test]
    fn covers_latin1_latin_extended_a_and_cyrillic_in_every_face() {
        for large in [true, false] {
            let f = faces(large);
            for face in [f.heading, f.title, f.body, f.small] {
                let missing: std::string::String = ('\u{A1}'..='\u{17F}')
                    .chain('\u{401}'..='\u{45F}')
                    .chain(['Ґ', 'ґ', 'Є', 'є', 'І', 'і', 'Ї', 'ї'])
                    .filter(|&c| face.font_for(c).is_none() && substitute(c).is_none())
                    .collect();
                // Measured gaps of the ISO 8859 sets: the soft hyphen and 'ŉ' (deprecated).
                assert!(
                    missing
                        .chars()
                        .all(|c| c == '\u{AD}' || c == 'ŉ' || c == '\u{40D}' || c == '\u{45D}'),
                    "missing: {missing:?}"
                );
            }
        }
    }

    #[test]
    fn wraps_at_spaces_and_ellipsises() {
        let w = Wrapped::<2>::new("Jauktā kora „Ķekava“ mēģinājums ar viesiem".chars(), 16);
        assert_eq!(lines(&w), ["Jauktā kora", "„Ķekava“ mēģi..."]);
        let w = Wrapped::<3>::new("Kurz".chars(), 16);
        assert_eq!(lines(&w), ["Kurz"]);
        let w = Wrapped::<1>::new("Donaudampfschifffahrtsgesellschaft".chars(), 10);
        assert_eq!(lines(&w), ["Donauda..."]);
    }
}

#[cfg(test)]
mod fonts_tests {
    #[test]
    fn lists_each_font_once() {
        let fonts: Vec<_> = super::fonts().collect();
        // 8 chains × 11 fonts, at most 88.
        assert!((33..=88).contains(&fonts.len()), "{}", fonts.len());
        for (i, f) in fonts.iter().enumerate() {
            assert!(!fonts[..i].iter().any(|g| core::ptr::eq(*g, *f)));
        }
    }
}

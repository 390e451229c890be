//! `anslag preview`: the board's screen as a PNG, drawn by the kiosk library itself.

use std::path::PathBuf;

use anslag_core::bundle::Bundle;
use anslag_core::time::DateTime;
use anslag_kiosk::framebuf::FrameBuf;
use anslag_kiosk::profile::{self, Profile};
use anslag_kiosk::render::{self, Options, Shown};
use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// Render a bundle as the board would show it, into a PNG.
///
/// The picture is drawn by the same code the kiosk firmware runs, into the same 1-bit frame
/// buffer; `--frame-hash` prints the SHA-256 of that frame so a firmware build can prove it
/// draws the same pixels.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag preview hall.ansl --now 2026-03-05T09:00 --out board.png
  anslag preview hall.ansl --profile lcd-320x240 --now 2026-03-29T10:30+03:00 --out lcd.png
  anslag preview hall.ansl --now 2026-03-05T09:00 --out board.png --frame-hash

Profiles: epd-7in5 (800×480 e-paper), epd-4in2 (400×300 e-paper), lcd-320x240 (ILI9341).")]
pub struct Cmd {
    /// The bundle to show.
    #[arg(value_name = "FILE.ansl")]
    pub file: PathBuf,
    /// The display to draw for.
    #[arg(long, default_value = "epd-7in5", value_parser = profile::parse)]
    pub profile: Profile,
    /// The moment to show: board wall-clock YYYY-MM-DDTHH:MM, or RFC 3339 with an offset
    /// [default: now].
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Where to write the PNG.
    #[arg(long, short, value_name = "FILE.png")]
    pub out: PathBuf,
    /// Print the SHA-256 of the raw frame buffer.
    #[arg(long)]
    pub frame_hash: bool,
    /// Minutes each page stays when events fill more than one page.
    #[arg(long, value_name = "MINUTES", default_value_t = 1)]
    pub page_minutes: u32,
}

/// UTC seconds for a `--now` value: RFC 3339 with an offset is absolute; a plain wall-clock
/// time is read on the board's clock through the bundle's offset table.
///
/// # Errors
/// The text is neither form.
pub fn parse_now(bundle: &Bundle<'_>, text: &str) -> Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp());
    }
    let local: DateTime = text
        .parse()
        .map_err(|_| anyhow::anyhow!("--now `{text}`: expected YYYY-MM-DDTHH:MM or RFC 3339"))?;
    Ok(local_to_utc(bundle, local))
}

/// The UTC second at which the board's wall clock reads `local`. In a DST gap (a time that
/// does not exist) the later offset is used, so 02:30 on a spring-forward night reads 03:30.
pub fn local_to_utc(bundle: &Bundle<'_>, local: DateTime) -> i64 {
    let local_min = local.to_minutes();
    let mut fallback = None;
    for change in bundle.utc_offsets() {
        let utc = local_min - i64::from(change.offset_minutes);
        if i64::from(bundle.utc_offset_minutes(utc * 60)) == i64::from(change.offset_minutes) {
            return utc * 60;
        }
        fallback = Some(utc * 60);
    }
    fallback.unwrap_or(local_min * 60)
}

/// A rendered screen.
#[derive(Debug)]
pub struct Screen {
    /// The raw 1-bit frame (what the panel gets).
    pub frame: Vec<u8>,
    /// SHA-256 of `frame`, hex.
    pub frame_hash: String,
    /// PNG of the frame.
    pub png: Vec<u8>,
    /// What was drawn.
    pub shown: Shown,
}

/// Renders `bundle` at `now_utc` for `profile` and encodes the PNG.
///
/// # Errors
/// PNG encoding fails (it does not for valid sizes).
pub fn render_screen(
    bundle: &Bundle<'_>,
    now_utc: i64,
    profile: &Profile,
    opts: &Options,
) -> Result<Screen> {
    let mut frame = vec![0u8; profile.frame_bytes()];
    let mut fb = FrameBuf::new(&mut frame, profile.width, profile.height);
    let Ok(shown) = render::render(&mut fb, bundle, now_utc, profile, opts);
    let frame_hash = hex(&Sha256::digest(&frame));
    let png = encode_png(&frame, profile)?;
    Ok(Screen {
        frame,
        frame_hash,
        png,
        shown,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Ink colour of the LCD profile (dark blue on white); e-paper is black on white.
const LCD_INK: [u8; 3] = [0x13, 0x2a, 0x4f];

fn encode_png(frame: &[u8], p: &Profile) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, p.width, p.height);
        if p.color {
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let stride = (p.width as usize).div_ceil(8);
            let mut rgb = Vec::with_capacity((p.width * p.height * 3) as usize);
            for y in 0..p.height as usize {
                for x in 0..p.width as usize {
                    let on = frame
                        .get(y * stride + x / 8)
                        .is_some_and(|b| b & (0x80 >> (x % 8)) != 0);
                    rgb.extend_from_slice(if on { &LCD_INK } else { &[0xff, 0xff, 0xff] });
                }
            }
            enc.write_header()?.write_image_data(&rgb)?;
        } else {
            // A 1-bit MSB-first frame is PNG's 1-bit row layout; PNG's 1 is white, ours is ink.
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::One);
            let inverted: Vec<u8> = frame.iter().map(|b| !b).collect();
            enc.write_header()?.write_image_data(&inverted)?;
        }
    }
    Ok(out)
}

impl Cmd {
    /// Runs the command.
    ///
    /// # Errors
    /// The bundle cannot be read or is invalid, `--now` cannot be read, or the PNG cannot be
    /// written.
    pub fn run(self) -> Result<()> {
        let name = self.file.display();
        let bytes = std::fs::read(&self.file).with_context(|| format!("cannot read {name}"))?;
        let bundle =
            Bundle::parse(&bytes).with_context(|| format!("{name} is not a valid bundle"))?;
        let now = match &self.now {
            Some(t) => parse_now(&bundle, t)?,
            None => chrono::Utc::now().timestamp(),
        };
        if self.page_minutes == 0 {
            bail!("--page-minutes must be at least 1");
        }
        let screen = render_screen(
            &bundle,
            now,
            &self.profile,
            &Options {
                page_minutes: self.page_minutes,
            },
        )?;
        std::fs::write(&self.out, &screen.png)
            .with_context(|| format!("cannot write {}", self.out.display()))?;
        let s = screen.shown;
        eprintln!(
            "wrote {} ({}, {}×{}): {} at {}, page {}/{}{}{}",
            self.out.display(),
            self.profile.name,
            self.profile.width,
            self.profile.height,
            match s.events {
                1 => "1 event".to_string(),
                n => format!("{n} events"),
            },
            s.local,
            s.page + usize::from(s.pages > 0),
            s.pages,
            if s.stale { ", stale" } else { "" },
            if s.expired { ", expired" } else { "" },
        );
        if self.frame_hash {
            println!("{}", screen.frame_hash);
        }
        Ok(())
    }
}

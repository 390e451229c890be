//! `cargo xtask fw-size`: builds the RP2040 firmware and checks it against the budget of the
//! firmware issue — ≤ 96 KB of code (fonts counted separately) and ≤ 64 KB of static RAM besides
//! the 48,000-byte frame buffer.
//!
//! Fonts are the glyph bitmaps of `anslag_kiosk::text::fonts()` found in the image: each font's
//! bitmap is drawn on the host into the same 1-bit layout embedded-graphics stores, and the
//! bytes are looked up in the ELF's `.rodata`. So only fonts the linker kept count, each once.

use std::path::Path;

use anyhow::{bail, Context, Result};
use embedded_graphics::image::Image;
use embedded_graphics::prelude::*;
use object::{Object, ObjectSection};

use crate::root;

/// Code budget in bytes (fonts not included).
pub const CODE_BUDGET: u64 = 96 * 1024;
/// Static RAM budget in bytes, besides the frame buffer.
pub const RAM_BUDGET: u64 = 64 * 1024;
/// The e-paper frame buffer.
pub const FRAME_BUFFER: u64 = 48_000;

/// The numbers of one firmware image.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Vector table, boot2, .text, .rodata and .data's load image, without fonts.
    pub code: u64,
    /// Glyph bitmaps found in .rodata.
    pub fonts: u64,
    /// Fonts found, of those the library lists.
    pub fonts_found: (usize, usize),
    /// .data + .bss + .uninit, without the frame buffer.
    pub static_ram: u64,
    /// The frame buffer (counted apart).
    pub frame_buffer: u64,
}

/// The bitmap of a font as embedded-graphics stores it (rows of MSB-first bits, padded to
/// bytes), drawn through the kiosk library's frame buffer, which has that layout.
fn font_bitmap(font: &embedded_graphics::mono_font::MonoFont<'static>) -> Vec<u8> {
    let size = font.image.size();
    let mut bytes = vec![0u8; (size.width as usize).div_ceil(8) * size.height as usize];
    let mut fb = anslag_kiosk::framebuf::FrameBuf::new(&mut bytes, size.width, size.height);
    let _ = Image::new(&font.image, Point::zero()).draw(&mut fb);
    bytes
}

/// Measures the ELF at `path`.
///
/// # Errors
/// It cannot be read or is not an ELF.
pub fn measure(path: &Path) -> Result<Size> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let elf = object::File::parse(&*data).context("not an ELF file")?;
    let section = |name: &str| elf.section_by_name(name).map_or(0, |s| s.size());
    let rodata = elf
        .section_by_name(".rodata")
        .and_then(|s| s.data().ok())
        .unwrap_or(&[]);
    let mut fonts = 0u64;
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let listed: Vec<_> = anslag_kiosk::text::fonts().collect();
    let mut found = 0;
    for font in &listed {
        let bitmap = font_bitmap(font);
        if seen.contains(&bitmap) {
            continue;
        }
        if rodata.windows(bitmap.len()).any(|w| w == bitmap.as_slice()) {
            fonts += bitmap.len() as u64;
            found += 1;
        }
        seen.push(bitmap);
    }
    let flash = [".vector_table", ".boot2", ".text", ".rodata", ".data"]
        .iter()
        .map(|s| section(s))
        .sum::<u64>();
    let ram = [".data", ".bss", ".uninit"]
        .iter()
        .map(|s| section(s))
        .sum::<u64>();
    Ok(Size {
        code: flash - fonts,
        fonts,
        fonts_found: (found, listed.len()),
        static_ram: ram.saturating_sub(FRAME_BUFFER),
        frame_buffer: FRAME_BUFFER,
    })
}

/// Builds the RP2040 firmware (release, thumbv6m-none-eabi) with `features` and measures it.
///
/// # Errors
/// The build fails or the image cannot be read.
pub fn rp2040(features: &str) -> Result<Size> {
    let dir = root().join("kiosk-fw/boards/rp2040");
    let status = crate::board_cargo(&dir)
        .args(["build", "--release", "--quiet", "--features", features])
        .status()
        .context("cannot run cargo for the RP2040 firmware")?;
    if !status.success() {
        bail!("RP2040 firmware build failed");
    }
    measure(&dir.join("target/thumbv6m-none-eabi/release/anslag-board-rp2040"))
}

/// Prints the report as a Markdown table; fails when over budget.
///
/// # Errors
/// Over budget.
pub fn report(variant: &str, size: &Size) -> Result<()> {
    let kb = |b: u64| format!("{:.1} KB", b as f64 / 1024.0);
    let verdict = |used: u64, budget: u64| if used <= budget { "met" } else { "**over**" };
    println!("\n| RP2040 firmware, {variant} (thumbv6m-none-eabi, release) | bytes | budget |");
    println!("|---|---:|---|");
    println!(
        "| code (vector table, boot2, .text, .rodata, .data image; fonts excluded) | {} ({}) | ≤ 96 KB: {} |",
        size.code,
        kb(size.code),
        verdict(size.code, CODE_BUDGET)
    );
    println!(
        "| fonts ({} of {} listed fonts linked) | {} ({}) | counted apart |",
        size.fonts_found.0,
        size.fonts_found.1,
        size.fonts,
        kb(size.fonts)
    );
    println!(
        "| static RAM (.data, .bss; frame buffer excluded) | {} ({}) | ≤ 64 KB: {} |",
        size.static_ram,
        kb(size.static_ram),
        verdict(size.static_ram, RAM_BUDGET)
    );
    println!("| frame buffer | {} | — |", size.frame_buffer);
    if size.code > CODE_BUDGET || size.static_ram > RAM_BUDGET {
        bail!("the RP2040 firmware is over its size budget");
    }
    Ok(())
}

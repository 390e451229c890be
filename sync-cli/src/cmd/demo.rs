//! `anslag demo`: the whole chain on built-in example data, offline, in one command.

use std::path::PathBuf;

use anslag_core::bundle::Bundle;
use anslag_core::store::{mock_flash::MockFlash, Store};
use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::cmd::build::{parse_feed_bytes, write_atomically};
use crate::cmd::inspect::write_report;
use crate::cmd::preview::{parse_now, render_screen};
use crate::feeds::{ics::IcsOptions, Window};
use crate::listing::{self, BoardInfo};
use anslag_kiosk::profile::{EPD_7IN5, LCD_320X240};
use anslag_kiosk::render::Options;

/// The example feeds, compiled into the binary so the demo runs anywhere.
pub const EXAMPLE_FEEDS: [(&str, &str); 3] = [
    (
        "tautas-nams.ics",
        include_str!("../../../examples/feeds/tautas-nams.ics"),
    ),
    ("news.xml", include_str!("../../../examples/feeds/news.xml")),
    (
        "wydarzenia.csv",
        include_str!("../../../examples/feeds/wydarzenia.csv"),
    ),
];

/// Run the whole chain on built-in example data: build a listing from a calendar, an RSS feed
/// and a spreadsheet (Latvian, German, Swedish, Polish, Ukrainian), hand it to the kiosk code,
/// and write what the board shows as PNGs (e-paper and LCD).
///
/// Everything happens offline, on this machine, in a few seconds. The output folder holds the
/// example feeds (to look at or edit), the bundle and the picture.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  anslag demo --out-dir /tmp/anslag-demo && xdg-open /tmp/anslag-demo/board.png")]
pub struct Cmd {
    /// Where to write the example feeds, the bundle and board.png.
    #[arg(long, value_name = "DIR", default_value = "anslag-demo")]
    pub out_dir: PathBuf,
    /// The board's wall-clock time to show, YYYY-MM-DDTHH:MM (the examples are for March 2026).
    #[arg(long, default_value = "2026-03-05T09:00")]
    pub now: String,
}

/// The demo kiosk's flash: 64 KiB, 4 KiB erase blocks, 4-byte writes (like a small SPI NOR).
type KioskFlash = MockFlash<65536, 4096, 4>;

/// The demo board.
const CENTRE: &str = "Ķekavas tautas nams";
/// Build time of the demo bundle: 2026-03-05 07:00 UTC, so the board is fresh at the default
/// moment.
const BUILT_AT: i64 = 1_772_694_000;

impl Cmd {
    /// Runs the demo.
    ///
    /// # Errors
    /// The output folder cannot be written, or a stage fails (a bug: the inputs are fixed).
    pub fn run(self) -> Result<()> {
        let feeds_dir = self.out_dir.join("feeds");
        std::fs::create_dir_all(&feeds_dir)
            .with_context(|| format!("cannot create {}", feeds_dir.display()))?;
        let from = NaiveDate::from_ymd_opt(2026, 3, 2).context("date")?;
        let window = Window {
            from,
            to: from + chrono::Days::new(28),
            tz: chrono_tz::Europe::Riga,
        };

        println!("1. Feeds (written to {}):", feeds_dir.display());
        let mut occurrences = Vec::new();
        for (name, text) in EXAMPLE_FEEDS {
            let path = feeds_dir.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let parsed = parse_feed_bytes(
                &path.display().to_string(),
                text.as_bytes(),
                &window,
                &IcsOptions::default(),
                Some("lv"),
            )?;
            for d in &parsed.diagnostics {
                eprintln!("   warning: {d}");
            }
            println!("   {name:<18} {:>3} occurrences", parsed.occurrences.len());
            occurrences.extend(parsed.occurrences);
        }

        let info = BoardInfo {
            board: "tautas-nams".into(),
            centre: CENTRE.into(),
            language: "lv".into(),
            sequence: 1,
            created_at: BUILT_AT,
            refresh_minutes: 24 * 60,
        };
        let bytes = listing::encode(&occurrences, &window, &info)?;
        let bundle_path = self.out_dir.join("tautas-nams.ansl");
        write_atomically(&bundle_path, &bytes)?;
        let bundle = Bundle::parse(&bytes)?;
        println!(
            "\n2. Bundle {}: {} events in {} bytes ({:.0} bytes/event), {} … {}, Europe/Riga\n",
            bundle_path.display(),
            bundle.len(),
            bytes.len(),
            bytes.len() as f64 / bundle.len().max(1) as f64,
            window.from,
            window.to.pred_opt().unwrap_or(window.to),
        );
        let mut out = std::io::stdout().lock();
        write_report(&mut out, &bundle_path.display().to_string(), &bundle)?;
        drop(out);

        // 3. The kiosk: installs the bundle into its (simulated) NOR flash through the A/B
        //    store, reboots, verifies the active slot and draws the screen from it.
        println!("\n3. Kiosk (simulated 64 KiB NOR flash, the anslag-kiosk library as the firmware runs it):");
        let mut flash = Box::new(KioskFlash::new());
        let active = {
            let mut store = Store::mount(&mut *flash).map_err(|e| anyhow::anyhow!("{e}"))?;
            store
                .begin(bytes.len() as u32)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for (i, chunk) in bytes.chunks(233).enumerate() {
                store
                    .write((i * 233) as u32, chunk)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            store
                .finish(info.sequence)
                .map_err(|e| anyhow::anyhow!("{e}"))?
        }; // the store and its borrow of the flash end here: the kiosk reboots
        let mut rebooted = Store::mount(&mut *flash).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut installed = vec![0u8; rebooted.active().map_or(0, |a| a.len as usize)];
        rebooted
            .read_active(0, &mut installed)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let on_board =
            Bundle::parse(&installed).context("the kiosk's flash holds an invalid bundle")?;
        println!(
            "   installed in slot {} (sequence {}, {} bytes in 233-byte chunks), survived a reboot, CRC verified",
            active.slot, active.sequence, active.len
        );
        println!("   screen at {}:", self.now);
        let now = parse_now(&on_board, &self.now)?;
        for (profile, file) in [(EPD_7IN5, "board.png"), (LCD_320X240, "board-lcd.png")] {
            let screen = render_screen(&on_board, now, &profile, &Options::default())?;
            let path = self.out_dir.join(file);
            std::fs::write(&path, &screen.png)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "   {:<12} {}×{}  {} events on page {}/{}  frame sha256 {}…  → {}",
                profile.name,
                profile.width,
                profile.height,
                screen.shown.events,
                screen.shown.page + 1,
                screen.shown.pages,
                &screen.frame_hash[..16],
                path.display()
            );
        }
        Ok(())
    }
}

//! `anslag demo`: the whole chain on built-in example data, offline, in one command.

use std::path::PathBuf;

use anslag_core::bundle::Bundle;
use anslag_core::store::{mock_flash::MockFlash, Store};
use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::cmd::build::{parse_feed_bytes, write_atomically};
use crate::cmd::inspect::write_report;
use crate::cmd::preview::{parse_now, render_screen};
use crate::cmd::push::Signed;
use crate::feeds::{ics::IcsOptions, Window};
use crate::link;
use crate::listing::{self, BoardInfo};
use anslag_core::sync::{HostConfig, Kiosk, Outcome};
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

        // 3. The kiosk: the real kiosk code (protocol machine, A/B store on a simulated NOR
        //    flash) listening on 127.0.0.1 in this process; `anslag push`'s code pushes to it.
        println!(
            "\n3. Kiosk: a simulated board in this process (the anslag-kiosk code on a 64 KiB NOR \
             flash), on 127.0.0.1; pushed with a demo key (not for real boards):"
        );
        let keys = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([0x5a; 32]));
        let (secret, public) = (*keys.sk, *keys.pk);
        let signed = |bytes: Vec<u8>, sequence: u64| -> Result<Signed> {
            let signature = anslag_core::wire::sign(&bytes, sequence, &secret)
                .context("signing the demo bundle")?;
            Ok(Signed {
                bytes,
                sequence,
                board: info.board.clone(),
                signature,
            })
        };
        // The second update: the first event called off, built against the first bundle.
        let mut changed = occurrences.clone();
        let off = changed
            .iter_mut()
            .find(|o| !o.cancelled)
            .context("no event to cancel")?;
        off.cancelled = true;
        let off_title = off.summary.clone();
        let info2 = BoardInfo {
            sequence: 2,
            ..info.clone()
        };
        let bytes2 = listing::encode_with_base(&changed, &window, &info2, Some(&bytes))?;
        let updates = [signed(bytes.clone(), 1)?, signed(bytes2, 2)?];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // The board runs in its own thread, as it would on its own hardware (and with room
        // for the 64 KiB flash and the 43 KiB receive state on its stack).
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let board = std::thread::Builder::new()
            .name("kiosk".into())
            .stack_size(8 << 20)
            .spawn(move || -> Result<Store<KioskFlash>> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                    addr_tx.send(listener.local_addr()?)?;
                    let mut store =
                        Store::mount(KioskFlash::new()).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let mut kiosk = Box::new(Kiosk::new("tautas-nams", public, 1024, 8));
                    for _ in 0..2 {
                        let (mut link, _) = listener.accept().await?;
                        link::serve(&mut link, &mut kiosk, &mut store, |_, _| false, |_| {})
                            .await?;
                    }
                    Ok(store)
                })
            })?;
        let addr = addr_rx
            .recv()
            .context("the simulated kiosk did not start")?;
        runtime.block_on(async {
            let mut known: Option<Vec<u8>> = None;
            for (update, what) in updates.iter().zip([
                "the listing".to_string(),
                format!("\"{off_title}\" called off"),
            ]) {
                let mut stream = tokio::net::TcpStream::connect(addr).await?;
                let base = known.clone();
                let report = link::push(
                    &mut stream,
                    HostConfig::default(),
                    |peer| {
                        let base = base.as_deref().filter(|b| {
                            peer.active
                                .is_some_and(|a| a.crc == anslag_core::wire::bundle_crc(b))
                        });
                        Ok(update.seal(base, false))
                    },
                    |_| {},
                )
                .await?;
                let (result, reason) = crate::cmd::push::describe(&report.outcome);
                println!(
                    "   push {}: {result}{} — {}, {} bytes on the wire ({} of {} bytes), {:.0} ms",
                    update.sequence,
                    reason.map(|r| format!(" ({r})")).unwrap_or_default(),
                    what,
                    report.progress.wire_bytes,
                    if report.delta {
                        "delta"
                    } else {
                        "full, deflated"
                    },
                    update.bytes.len(),
                    report.elapsed.as_secs_f64() * 1e3,
                );
                if report.outcome
                    != (Outcome::Activated {
                        sequence: update.sequence,
                    })
                {
                    anyhow::bail!(
                        "the simulated kiosk did not take update {}",
                        update.sequence
                    );
                }
                known = Some(update.bytes.clone());
            }
            Ok::<(), anyhow::Error>(())
        })?;
        let mut store = board
            .join()
            .map_err(|_| anyhow::anyhow!("the simulated kiosk crashed"))??;
        let active = *store.active().context("nothing installed")?;
        let mut installed = vec![0u8; active.len as usize];
        store
            .read_active(0, &mut installed)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let on_board =
            Bundle::parse(&installed).context("the kiosk's flash holds an invalid bundle")?;
        println!(
            "   the board runs sequence {} from slot {} ({} bytes, signature and CRC verified)",
            active.sequence, active.slot, active.len
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

//! `anslag bench push`: push time over a serial-speed link against the link's own limit.
//!
//! The host (`anslag push`'s code) and a kiosk (the kiosk code on a simulated NOR flash, in
//! its own thread) talk over loopback TCP through a relay that lets bytes through at the line
//! rate — 10 bits per byte (8N1), each direction on its own, as a UART does. The ideal is the
//! envelope's size divided by that rate; framing, acknowledgements, flash erase and the
//! final signature check are what the ratio shows.

use std::path::PathBuf;
use std::time::Duration;

use anslag_core::store::{mock_flash::MockFlash, Store};
use anslag_core::sync::{HostConfig, Kiosk, Outcome};
use anyhow::{bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{bench_board, tight_window};
use crate::cmd::build::parse_tz;
use crate::cmd::push::Signed;
use crate::link;
use crate::listing;

/// Arguments of `anslag bench push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Calendar file whose listing is pushed.
    #[arg(value_name = "FEED.ics")]
    pub feed: PathBuf,
    /// Board time zone for the listing.
    #[arg(long, default_value = "Europe/Riga", value_parser = parse_tz)]
    pub tz: chrono_tz::Tz,
    /// Line rate in baud (10 bits per byte).
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Frame sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "233,1024")]
    pub frames: Vec<u16>,
}

type BenchFlash = MockFlash<{ 256 * 1024 }, 4096, 4>;

/// Copies `from` to `to` at `bytes_per_sec`, like a UART transmitter.
async fn throttle(mut from: TcpStream, mut to: TcpStream, bytes_per_sec: f64) {
    let mut buf = vec![0u8; 256];
    let mut line_free = tokio::time::Instant::now();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Byte by byte in small groups, so a frame arrives as it would over a wire.
        for chunk in buf[..n].chunks(16) {
            // Timers wake late by up to a millisecond; count from when the line really became
            // free unless it sat idle, so late wake-ups do not add up to a slower line.
            let now = tokio::time::Instant::now();
            if now > line_free + Duration::from_millis(5) {
                line_free = now;
            }
            line_free += Duration::from_secs_f64(chunk.len() as f64 / bytes_per_sec);
            tokio::time::sleep_until(line_free).await;
            if to.write_all(chunk).await.is_err() {
                return;
            }
        }
    }
}

/// Runs the benchmark.
///
/// # Errors
/// The feed cannot be read or a push fails.
pub fn push(args: &PushArgs) -> Result<()> {
    let (window, occurrences) = tight_window(&args.feed, args.tz)?;
    let info = bench_board();
    let bytes = listing::encode(&occurrences, &window, &info)?;
    let keys = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([7; 32]));
    let signature = anslag_core::wire::sign(&bytes, 1, &keys.sk).context("sign")?;
    let signed = Signed {
        bytes,
        sequence: 1,
        board: info.board.clone(),
        signature,
    };
    let envelope = signed.seal(None, false);
    let rate = f64::from(args.baud) / 10.0;
    let ideal = envelope.len() as f64 / rate;
    println!(
        "Push of {} ({} bytes, envelope {} bytes) over a {} baud link ({rate:.0} bytes/s each way); \
         ideal {:.3} s\n",
        args.feed.display(),
        signed.bytes.len(),
        envelope.len(),
        args.baud,
        ideal
    );
    println!("| frame | bytes on the wire | seconds | × ideal (envelope ÷ rate) |");
    println!("|---:|---:|---:|---:|");
    for &frame in &args.frames {
        let public = *keys.pk;
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let kiosk =
            std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn(move || -> Result<()> {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        let listener = TcpListener::bind("127.0.0.1:0").await?;
                        addr_tx.send(listener.local_addr()?)?;
                        let mut store =
                            Store::mount(BenchFlash::new()).map_err(|e| anyhow::anyhow!("{e}"))?;
                        let mut kiosk = Box::new(Kiosk::new("bench", public, frame, 8));
                        let (mut link, _) = listener.accept().await?;
                        link.set_nodelay(true)?;
                        link::serve(&mut link, &mut kiosk, &mut store, |_, _| false, |_| {}).await
                    })
                })?;
        let kiosk_addr = addr_rx.recv().context("kiosk did not start")?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let report = rt.block_on(async {
            // host ⇄ relay ⇄ kiosk, each relay direction throttled.
            let relay = TcpListener::bind("127.0.0.1:0").await?;
            let relay_addr = relay.local_addr()?;
            let host_side = tokio::spawn(async move { relay.accept().await.map(|(s, _)| s) });
            let mut host = TcpStream::connect(relay_addr).await?;
            host.set_nodelay(true)?;
            let from_host = host_side.await??;
            let to_kiosk = TcpStream::connect(kiosk_addr).await?;
            from_host.set_nodelay(true)?;
            to_kiosk.set_nodelay(true)?;
            let (h_read, h_write) = (from_host.into_std()?, to_kiosk.into_std()?);
            let (h_read2, h_write2) = (h_read.try_clone()?, h_write.try_clone()?);
            tokio::spawn(throttle(
                TcpStream::from_std(h_read)?,
                TcpStream::from_std(h_write)?,
                rate,
            ));
            tokio::spawn(throttle(
                TcpStream::from_std(h_write2)?,
                TcpStream::from_std(h_read2)?,
                rate,
            ));
            link::push(
                &mut host,
                HostConfig {
                    max_frame: frame,
                    retry_timeout_ms: 5_000,
                    ..HostConfig::default()
                },
                |_| Ok(envelope.clone()),
                |_| {},
            )
            .await
        })?;
        drop(rt);
        kiosk
            .join()
            .map_err(|_| anyhow::anyhow!("kiosk crashed"))??;
        if report.outcome != (Outcome::Activated { sequence: 1 }) {
            bail!("push at frame {frame} ended {:?}", report.outcome);
        }
        let secs = report.elapsed.as_secs_f64();
        println!(
            "| {frame} | {} | {secs:.3} | {:.3}× |",
            report.progress.wire_bytes,
            secs / ideal
        );
    }
    Ok(())
}

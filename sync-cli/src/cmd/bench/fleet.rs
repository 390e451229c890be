//! `anslag bench fleet`: N simulated kiosks (the kiosk code: store on a simulated NOR flash,
//! `receive::install`) subscribed to a real mosquitto on loopback, in this process; measures
//! from the first publish until every board runs the new bundle — for a full update and for a
//! one-event change (delta) — and this process's peak memory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anslag_core::store::{mock_flash::MockFlash, Store};
use anslag_core::wire::Receiver;
use anyhow::{bail, Context, Result};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::cmd::demo::EXAMPLE_FEEDS;
use crate::cmd::push::Signed;
use crate::feeds::{ics::IcsOptions, Window};
use crate::link::mqtt::{self, MqttUrl};
use crate::listing::{self, BoardInfo};

/// Arguments of `anslag bench fleet`.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Simulated boards.
    #[arg(long, default_value_t = 1000)]
    pub boards: usize,
    /// The mosquitto binary (started on a free loopback port for the run).
    #[arg(long, value_name = "PATH", default_value = "/usr/sbin/mosquitto")]
    pub mosquitto: PathBuf,
}

/// Each board's flash: 16 KiB (two 4 KiB slots: the 2.4 KB bundle fits), 4 KiB erase blocks.
type BoardFlash = MockFlash<{ 16 * 1024 }, 4096, 4>;

/// A mosquitto for the run, stopped when dropped.
struct Broker(std::process::Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the benchmark.
///
/// # Errors
/// mosquitto cannot be started, or a board does not get its bundle within a minute.
pub fn fleet(args: &FleetArgs) -> Result<()> {
    // The demo's listing (a calendar, a feed and a spreadsheet; 15 events).
    let from = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).context("date")?;
    let window = Window {
        from,
        to: from + chrono::Days::new(28),
        tz: chrono_tz::Europe::Riga,
    };
    let mut occurrences = Vec::new();
    for (name, text) in EXAMPLE_FEEDS {
        let parsed = crate::cmd::build::parse_feed_bytes(
            name,
            text.as_bytes(),
            &window,
            &IcsOptions::default(),
            Some("lv"),
        )?;
        occurrences.extend(parsed.occurrences);
    }
    let mut changed = occurrences.clone();
    if let Some(o) = changed.iter_mut().find(|o| !o.cancelled) {
        o.cancelled = true;
    }
    let keys = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([3; 32]));
    let sign = |bytes: Vec<u8>, sequence: u64, board: &str| -> Result<Signed> {
        let signature = anslag_core::wire::sign(&bytes, sequence, &keys.sk).context("sign")?;
        Ok(Signed {
            bytes,
            sequence,
            board: board.to_string(),
            signature,
        })
    };
    // Every board's two bundles, built before the clock starts (as `anslag sync` does).
    let mut v1 = Vec::with_capacity(args.boards);
    let mut v2 = Vec::with_capacity(args.boards);
    for i in 0..args.boards {
        let board = format!("board-{i}");
        let info = BoardInfo {
            board: board.clone(),
            centre: "Ķekavas tautas nams".into(),
            language: "lv".into(),
            sequence: 1,
            created_at: 1_772_694_000,
            refresh_minutes: 1440,
        };
        let a = listing::encode(&occurrences, &window, &info)?;
        let info2 = BoardInfo {
            sequence: 2,
            ..info
        };
        let b = listing::encode_with_base(&changed, &window, &info2, Some(&a))?;
        v1.push(sign(a, 1, &board)?);
        v2.push(sign(b, 2, &board)?);
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let conf = std::env::temp_dir().join(format!("anslag-bench-fleet-{}.conf", std::process::id()));
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
             max_inflight_messages 0\nmax_queued_messages 0\n"
        ),
    )?;
    let _broker = Broker(
        std::process::Command::new(&args.mosquitto)
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", args.mosquitto.display()))?,
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(10) {
            bail!("mosquitto did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = MqttUrl {
        host: "127.0.0.1".into(),
        port,
        credentials: None,
        prefix: "bench".into(),
        tls: None,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let public = keys.pk;
    let (subscribed, activated) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    // Installs are CPU work: a few receivers (43 KiB each) serve all boards in turn.
    let receivers: Arc<Mutex<Vec<Box<Receiver>>>> = Arc::new(Mutex::new(Vec::new()));
    runtime.block_on(async {
        for i in 0..args.boards {
            let (url, subscribed, activated, receivers) = (
                url.clone(),
                subscribed.clone(),
                activated.clone(),
                receivers.clone(),
            );
            tokio::spawn(async move {
                let mut flash = Box::new(BoardFlash::new());
                let Ok(mut store) = Store::mount(&mut *flash) else {
                    return;
                };
                let mut opts =
                    MqttOptions::new(format!("bench-kiosk-{i}"), url.host.clone(), url.port);
                opts.set_keep_alive(Duration::from_secs(60));
                opts.set_max_packet_size(16 * 1024, 16 * 1024);
                let (client, mut events) = AsyncClient::new(opts, 4);
                let _ = client
                    .subscribe(format!("bench/board-{i}/#"), QoS::AtLeastOnce)
                    .await;
                let mut buf = [0u8; 512];
                loop {
                    match events.poll().await {
                        Ok(Event::Incoming(Packet::SubAck(_))) => {
                            subscribed.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            let mut rx = receivers
                                .lock()
                                .ok()
                                .and_then(|mut r| r.pop())
                                .unwrap_or_else(|| Box::new(Receiver::new()));
                            let ok = anslag_kiosk::receive::install(
                                &mut &p.payload[..],
                                &public,
                                &mut store,
                                &mut rx,
                                &mut buf,
                            )
                            .is_ok();
                            if let Ok(mut r) = receivers.lock() {
                                r.push(rx);
                            }
                            if ok {
                                activated.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Ok(_) => {}
                        Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
            });
        }
        let wait = |counter: Arc<AtomicUsize>, target: usize| async move {
            let start = Instant::now();
            while counter.load(Ordering::SeqCst) < target {
                if start.elapsed() > Duration::from_secs(60) {
                    bail!(
                        "only {} of {target} boards after a minute",
                        counter.load(Ordering::SeqCst)
                    );
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Ok(start.elapsed())
        };
        let connect = wait(subscribed.clone(), args.boards).await?;
        println!(
            "{} boards connected and subscribed in {:.2} s\n",
            args.boards,
            connect.as_secs_f64()
        );
        println!("| update | bytes published | seconds until every board runs it | boards |");
        println!("|---|---:|---:|---:|");
        for (what, bundles, base, target) in [
            ("full (15 events)", &v1, None, args.boards),
            (
                "one event cancelled (delta first)",
                &v2,
                Some(&v1),
                2 * args.boards,
            ),
        ] {
            let start = Instant::now();
            let bytes = publish_all(&url, bundles, base).await?;
            let elapsed = wait(activated.clone(), target)
                .await
                .map(|_| start.elapsed())?;
            println!(
                "| {what} | {bytes} | {:.2} | {} |",
                elapsed.as_secs_f64(),
                args.boards
            );
        }
        Ok::<(), anyhow::Error>(())
    })?;
    let _ = std::fs::remove_file(&conf);
    println!(
        "\npeak memory of this process (publisher + {} simulated boards): {:.1} MB",
        args.boards,
        peak_rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}

/// Publishes every board's envelopes (delta first when there is a base) on one connection,
/// retained, QoS 1, and waits for the broker's acknowledgements.
async fn publish_all(
    url: &MqttUrl,
    bundles: &[Signed],
    bases: Option<&Vec<Signed>>,
) -> Result<u64> {
    let mut opts = MqttOptions::new("bench-publisher", url.host.clone(), url.port);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    opts.set_inflight(1000);
    let (client, mut events) = AsyncClient::new(opts, 4096);
    let mut messages = Vec::new();
    for (i, signed) in bundles.iter().enumerate() {
        if let Some(base) = bases.and_then(|b| b.get(i)) {
            let crc = anslag_core::wire::bundle_crc(&base.bytes);
            messages.push((
                mqtt::delta_topic(url, &signed.board, crc),
                signed.seal(Some(&base.bytes), false),
            ));
        }
        messages.push((
            mqtt::bundle_topic(url, &signed.board),
            signed.seal(None, false),
        ));
    }
    let bytes = messages.iter().map(|(_, m)| m.len() as u64).sum();
    let total = messages.len();
    let sender = tokio::spawn(async move {
        for (topic, payload) in messages {
            client
                .publish(topic, QoS::AtLeastOnce, true, payload)
                .await?;
        }
        Ok::<AsyncClient, rumqttc::ClientError>(client)
    });
    let mut acked = 0;
    while acked < total {
        match events.poll().await {
            Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
            Ok(_) => {}
            Err(e) => bail!("publisher: {e}"),
        }
    }
    let client = sender.await??;
    let _ = client.disconnect().await;
    Ok(bytes)
}

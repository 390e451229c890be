//! Running the sans-IO protocol machines of `anslag_core::sync` over real byte links (TCP, a
//! serial device, an in-process pipe): the only place where the protocol meets tokio.
//!
//! [`push`] drives a [`Host`] for one transfer; [`serve`] drives a [`Kiosk`] on one link for
//! as long as it stays up. Both are generic over `AsyncRead + AsyncWrite`, so TCP, serial and
//! the throttled pipe of `anslag bench push` run the same code.

pub mod flash;
pub mod http;
pub mod mqtt;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anslag_core::store::Store;
use anslag_core::sync::frame::{self, Reader};
use anslag_core::sync::{Host, HostConfig, Kiosk, KioskEvent, Outcome, Progress, MAX_FRAME};
use anslag_core::wire::{self, BaseId};
use anyhow::{bail, Context, Result};
use embedded_storage::nor_flash::NorFlash;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What the host knows about the kiosk on the other end, from its Hello.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The board's name.
    pub board: String,
    /// Its active bundle.
    pub active: Option<BaseId>,
    /// Bytes a slot holds.
    pub capacity: u32,
    /// Frame size in use.
    pub frame: u16,
}

/// How one push ended, with its numbers.
#[derive(Debug, Clone)]
pub struct PushReport {
    /// The kiosk, once it said Hello.
    pub peer: Option<Peer>,
    /// How it ended.
    pub outcome: Outcome,
    /// Progress counters (wire bytes, resends, resumed).
    pub progress: Progress,
    /// Whether a delta was sent.
    pub delta: bool,
    /// Envelope length (header + payload).
    pub envelope_len: usize,
    /// Wall-clock time of the transfer.
    pub elapsed: Duration,
}

/// Pushes to the kiosk at the other end of `link`. `seal` is called once the kiosk's Hello
/// arrived and returns the envelope to offer (full or a delta against the kiosk's bundle);
/// `progress` is called as acknowledgements arrive.
///
/// # Errors
/// The link fails, or `seal` fails.
pub async fn push<S: AsyncRead + AsyncWrite + Unpin>(
    link: &mut S,
    config: HostConfig,
    seal: impl FnOnce(&Peer) -> Result<Vec<u8>>,
    mut progress: impl FnMut(&Progress),
) -> Result<PushReport> {
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    let envelope: std::cell::OnceCell<Vec<u8>> = std::cell::OnceCell::new();
    let mut seal = Some(seal);
    // Send our clock to kiosks without one (unless the caller chose a clock).
    let wall_clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok());
    let config = HostConfig {
        wall_clock: config.wall_clock.or(wall_clock),
        ..config
    };
    let mut host = Host::new(config, now());
    let mut reader = Reader::<MAX_FRAME>::new();
    let mut out = vec![0u8; MAX_FRAME];
    let mut inbox = vec![0u8; 4096];
    let mut peer: Option<Peer> = None;
    let mut delta = false;
    // A lone frame delimiter: wakes a kiosk that only speaks when called (the RP2040 board
    // between its own hourly calls); every frame reader skips it as an empty frame.
    link.write_all(&[0]).await.context("link write failed")?;
    link.flush().await.context("link flush failed")?;
    loop {
        if host.wants_envelope() {
            let hello = host.hello().context("hello")?;
            let p = Peer {
                board: hello.board().to_string(),
                active: hello.active,
                capacity: hello.capacity,
                frame: hello.frame,
            };
            let make = seal.take().context("sealed twice")?;
            let sealed = make(&p)?;
            let (header, _) =
                wire::Header::decode(&sealed).map_err(|e| anyhow::anyhow!("bad envelope: {e}"))?;
            delta = header.base.is_some();
            peer = Some(p);
            // Declared before the host, so the host may borrow it for the rest of the push.
            let env = envelope.get_or_init(|| sealed);
            host.offer(env, now())
                .map_err(|e| anyhow::anyhow!("bad envelope: {e}"))?;
        }
        let mut wrote = false;
        while let Some(n) = host.poll_transmit(now(), &mut out) {
            link.write_all(&out[..n])
                .await
                .context("link write failed")?;
            wrote = true;
        }
        if wrote {
            link.flush().await.context("link flush failed")?;
        }
        if let Some(outcome) = host.outcome() {
            return Ok(PushReport {
                peer,
                outcome,
                progress: host.progress(),
                delta,
                envelope_len: envelope.get().map_or(0, Vec::len),
                elapsed: start.elapsed(),
            });
        }
        let wake = host.poll_at().unwrap_or(now() + 1000);
        let wait = Duration::from_millis(wake.saturating_sub(now()));
        tokio::select! {
            read = link.read(&mut inbox) => {
                let n = read.context("link read failed")?;
                if n == 0 {
                    bail!("the kiosk closed the link");
                }
                let mut at = 0;
                while at < n {
                    let (taken, complete) = reader.push(&inbox[at..n]);
                    at += taken;
                    if complete {
                        host.receive(reader.frame(), now());
                    }
                }
                progress(&host.progress());
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Serves one link as the kiosk: says Hello (again every second until the host speaks),
/// answers every frame, and calls `activated` for each new bundle. Returns when the link
/// closes or `activated` returns `false`.
///
/// # Errors
/// The link fails.
pub async fn serve<S, F>(
    link: &mut S,
    kiosk: &mut Kiosk<'_>,
    store: &mut Store<F>,
    mut activated: impl FnMut(&mut Store<F>, u64) -> bool,
    mut rejected: impl FnMut(wire::Error),
) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: NorFlash,
{
    let mut reader = Reader::<MAX_FRAME>::new();
    let (mut scratch, mut out) = (vec![0u8; MAX_FRAME], vec![0u8; MAX_FRAME]);
    let mut inbox = vec![0u8; 4096];
    let mut heard = false;
    loop {
        if !heard {
            let hello = kiosk.hello(store, store.slot_capacity());
            let n = frame::encode(&hello, &mut scratch, &mut out)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            link.write_all(&out[..n]).await?;
            link.flush().await?;
        }
        let n = if heard {
            link.read(&mut inbox).await?
        } else {
            match tokio::time::timeout(Duration::from_secs(1), link.read(&mut inbox)).await {
                Ok(r) => r?,
                Err(_) => continue,
            }
        };
        if n == 0 {
            return Ok(());
        }
        let mut at = 0;
        while at < n {
            let (taken, complete) = reader.push(&inbox[at..n]);
            at += taken;
            if !complete {
                continue;
            }
            let Ok(message) = frame::decode(reader.frame()) else {
                continue;
            };
            heard = true;
            let (reply, event) = kiosk.handle(&message, store);
            if let Some(reply) = reply {
                let n = frame::encode(&reply, &mut scratch, &mut out)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                link.write_all(&out[..n]).await?;
                link.flush().await?;
            }
            match event {
                Some(KioskEvent::Activated { sequence }) if !activated(store, sequence) => {
                    return Ok(());
                }
                Some(KioskEvent::Rejected(reason)) => rejected(reason),
                Some(KioskEvent::Activated { .. } | KioskEvent::Clock { .. }) | None => {}
            }
        }
    }
}

/// A board name as a file name: letters, digits, `-` and `_` kept, the rest `_`.
pub fn safe_file_name(board: &str) -> String {
    board
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where `anslag push` remembers what each board holds, so the next push can be a delta.
#[derive(Debug, Clone)]
pub struct KnownBundles {
    dir: PathBuf,
}

impl KnownBundles {
    /// Bundles under `cache_dir/boards/`.
    pub fn new(cache_dir: PathBuf) -> Self {
        KnownBundles {
            dir: cache_dir.join("boards"),
        }
    }

    fn path(&self, board: &str, id: BaseId) -> PathBuf {
        self.dir
            .join(safe_file_name(board))
            .join(format!("{}-{:08x}.ansl", id.sequence, id.crc))
    }

    /// The bundle `board` runs, if we pushed it (or were told about it).
    pub fn find(&self, board: &str, id: BaseId) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(board, id)).ok()?;
        (wire::bundle_crc(&bytes) == id.crc).then_some(bytes)
    }

    /// Records that `board` now runs `bundle` (sequence `sequence`).
    ///
    /// # Errors
    /// The cache cannot be written.
    pub fn remember(&self, board: &str, sequence: u64, bundle: &[u8]) -> Result<()> {
        let id = BaseId {
            sequence,
            crc: wire::bundle_crc(bundle),
        };
        let path = self.path(board, id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, bundle).with_context(|| format!("cannot write {}", path.display()))
    }
}

//! `anslag kiosk-sim`: a kiosk on the host. It runs the real kiosk code — the protocol machine
//! of `anslag_core::sync`, the A/B store on a file-backed NOR flash, the board renderer of
//! `anslag_kiosk` — and writes the screen as a PNG on every activation. Use it to try pushes
//! without hardware, in tests, and in the demo.

use std::path::{Path, PathBuf};

use anslag_core::bundle::Bundle;
use anslag_core::store::Store;
use anslag_core::sync::Kiosk;
use anslag_kiosk::profile::Profile;
use anslag_kiosk::render::Options;
use anyhow::{bail, Context, Result};

use crate::cmd::preview::{parse_now, render_screen};
use crate::link::{self, flash::FileFlash};

/// Arguments of `anslag kiosk-sim`.
#[derive(Debug, clap::Args)]
#[command(
    group = clap::ArgGroup::new("link").required(true).args(["listen", "serial", "mqtt", "http"]),
    after_help = "\
Examples:
  anslag kiosk-sim --listen 127.0.0.1:7878 --key anslag.key.pub --png board.png
  anslag kiosk-sim --serial /dev/pts/5 --key anslag.key.pub --flash hall.img --now 2026-03-05T09:00
  anslag kiosk-sim --mqtt mqtt://127.0.0.1:1883/anslag --board hall --key anslag.key.pub
  anslag kiosk-sim --mqtt 'mqtts://hall:s3cret@broker.lan/anslag?ca=ca.pem' --board hall \\
      --key anslag.key.pub
  anslag kiosk-sim --http http://127.0.0.1:8000/ --board hall --poll 10 --key anslag.key.pub

The flash image keeps NOR rules (erase to 0xFF in 4 KiB blocks, writes only clear bits) and
every write goes to the file at once: kill the simulator at any moment and the next start boots
the complete old or the complete new bundle. It prints one line per event on stdout:
  listening 127.0.0.1:7878 | activated SEQUENCE | rejected REASON | png PATH")]
pub struct Cmd {
    /// Listen for `anslag push --tcp` on this address (port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Subscribe on an MQTT broker (mqtt://[USER:PASSWORD@]HOST[:PORT][/PREFIX], or mqtts://…
    /// for TLS, …?ca=FILE.pem for a broker's own CA) to this board's retained bundle and deltas.
    #[arg(long, value_name = "URL")]
    pub mqtt: Option<String>,
    /// Poll a web server's `anslag publish` directory (its URL, without manifest.json).
    #[arg(long, value_name = "URL")]
    pub http: Option<String>,
    /// Seconds between polls with --http.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub poll: u64,
    /// Serve `anslag push --serial` on this serial device or pseudo-terminal.
    #[arg(long, value_name = "DEV")]
    pub serial: Option<PathBuf>,
    /// The flash image (created erased when missing).
    #[arg(long, value_name = "FILE", default_value = "board.img")]
    pub flash: PathBuf,
    /// Size of the flash image in KiB (two slots and two superblock blocks).
    #[arg(long, value_name = "KIB", default_value_t = 512)]
    pub flash_kib: usize,
    /// Where to write the screen after every activation.
    #[arg(long, value_name = "FILE.png", default_value = "board.png")]
    pub png: PathBuf,
    /// The board's pinned public key (from `anslag keygen`): it accepts nothing else.
    #[arg(long, value_name = "PUB")]
    pub key: PathBuf,
    /// The board's name (pushes of bundles for other boards are refused by `push`).
    #[arg(long, default_value = "board")]
    pub board: String,
    /// The moment to render: board wall-clock YYYY-MM-DDTHH:MM or RFC 3339 [default: now].
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// The display to draw for.
    #[arg(long, default_value = "epd-7in5", value_parser = anslag_kiosk::profile::parse)]
    pub profile: Profile,
    /// Largest frame the kiosk receives, in bytes (233 for a LoRa-class radio).
    #[arg(long, value_name = "BYTES", default_value_t = 1024)]
    pub max_frame: u16,
    /// Stop after this many activations (for scripts and tests).
    #[arg(long, value_name = "N")]
    pub exit_after: Option<u32>,
}

/// Renders the store's active bundle into `png`; returns a one-line summary.
///
/// # Errors
/// The active bundle does not read back or parse, or the PNG cannot be written.
pub fn render_active(
    store: &mut Store<impl embedded_storage::nor_flash::NorFlash>,
    png: &Path,
    now: Option<&str>,
    profile: &Profile,
) -> Result<String> {
    let Some(active) = store.active().copied() else {
        bail!("no bundle installed");
    };
    let mut bytes = vec![0u8; active.len as usize];
    store
        .read_active(0, &mut bytes)
        .map_err(|e| anyhow::anyhow!("reading the active slot: {e}"))?;
    let bundle = Bundle::parse(&bytes).context("the active slot holds an invalid bundle")?;
    let now_utc = match now {
        Some(t) => parse_now(&bundle, t)?,
        None => chrono::Utc::now().timestamp(),
    };
    let screen = render_screen(&bundle, now_utc, profile, &Options::default())?;
    // Atomically, so a viewer (or a test) never sees half a picture.
    let tmp = png.with_extension("png.tmp");
    std::fs::write(&tmp, &screen.png).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, png).with_context(|| format!("cannot write {}", png.display()))?;
    Ok(format!(
        "sequence {}, {} events, shown {} at {} ({})",
        active.sequence,
        bundle.len(),
        screen.shown.events,
        screen.shown.local,
        screen.frame_hash
    ))
}

impl Cmd {
    /// Runs the simulator until interrupted (or `--exit-after` activations).
    ///
    /// # Errors
    /// The flash image, key or link cannot be opened.
    pub fn run(self) -> Result<()> {
        let public: [u8; 32] = crate::cmd::keygen::read_key(&self.key)?;
        let flash = FileFlash::open(&self.flash, self.flash_kib * 1024)?;
        let mut store =
            Store::mount(flash).map_err(|e| anyhow::anyhow!("{}: {e}", self.flash.display()))?;
        let board: &'static str = Box::leak(self.board.clone().into_boxed_str());
        let mut kiosk = Box::new(Kiosk::new(board, public, self.max_frame, 8));
        if store.active().is_some() {
            let line = render_active(&mut store, &self.png, self.now.as_deref(), &self.profile)?;
            println!("booted {line}");
        }
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let activations = std::cell::Cell::new(0u32);
            let done = || self.exit_after.is_some_and(|max| activations.get() >= max);
            let mut on_activate = |store: &mut Store<FileFlash>, _seq: u64| {
                match render_active(store, &self.png, self.now.as_deref(), &self.profile) {
                    Ok(line) => println!("activated {line}\npng {}", self.png.display()),
                    Err(e) => println!("activated, but rendering failed: {e:#}"),
                }
                activations.set(activations.get() + 1);
                !done()
            };
            let on_reject = |reason: anslag_core::wire::Error| println!("rejected {reason}");
            if let Some(url) = &self.http {
                println!("listening {url}");
                let mut receiver = Box::new(anslag_core::wire::Receiver::new());
                let mut poller = link::http::Poller::new(url, &self.board);
                loop {
                    match poller.poll(&mut store, &public, &mut receiver) {
                        Ok(Some(seq)) => {
                            if !on_activate(&mut store, seq) {
                                return Ok(());
                            }
                        }
                        Ok(None) => {}
                        Err(e) => println!("rejected {e:#}"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(self.poll.max(1))).await;
                }
            }
            if let Some(url) = &self.mqtt {
                let url = link::mqtt::parse_url(url).map_err(|e| anyhow::anyhow!(e))?;
                println!("listening {url}");
                let mut receiver = Box::new(anslag_core::wire::Receiver::new());
                let mut buf = vec![0u8; 1024];
                return link::mqtt::subscribe(&url, &self.board, |_topic, payload| {
                    if payload.is_empty() {
                        return true; // a cleared retained message
                    }
                    use anslag_kiosk::receive::{install, InstallError};
                    match install(
                        &mut &payload[..],
                        &public,
                        &mut store,
                        &mut receiver,
                        &mut buf,
                    ) {
                        Ok(seq) => on_activate(&mut store, seq),
                        // What it has already, or a delta for another base: not for us.
                        Err(InstallError::Refused(
                            anslag_core::wire::Error::Replayed { .. }
                            | anslag_core::wire::Error::WrongBase,
                        )) => true,
                        Err(e) => {
                            println!("rejected {e}");
                            true
                        }
                    }
                })
                .await;
            }
            if let Some(addr) = &self.listen {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                println!("listening {}", listener.local_addr()?);
                loop {
                    let (mut stream, _) = listener.accept().await?;
                    stream.set_nodelay(true)?;
                    let r = link::serve(
                        &mut stream,
                        &mut kiosk,
                        &mut store,
                        &mut on_activate,
                        on_reject,
                    )
                    .await;
                    if let Err(e) = r {
                        eprintln!("link: {e:#}");
                    }
                    if done() {
                        return Ok(());
                    }
                }
            } else if let Some(dev) = &self.serial {
                let mut port = crate::cmd::push::open_serial(dev, 115_200)?;
                println!("listening {}", dev.display());
                // A serial line has no connections: serve until --exit-after is reached.
                loop {
                    let r = link::serve(
                        &mut port,
                        &mut kiosk,
                        &mut store,
                        &mut on_activate,
                        on_reject,
                    )
                    .await;
                    if let Err(e) = r {
                        eprintln!("link: {e:#}");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    if done() {
                        return Ok(());
                    }
                }
            }
            Ok::<(), anyhow::Error>(())
        })
    }
}

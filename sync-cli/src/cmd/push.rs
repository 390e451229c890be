//! `anslag push`: send a signed bundle to one kiosk — over TCP, a serial cable, or as a file on
//! a USB stick — as a delta when the kiosk holds a bundle we know, in full otherwise.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anslag_core::bundle::Bundle;
use anslag_core::sync::{HostConfig, Outcome};
use anslag_core::wire::seal::{seal_with, Options};
use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::link::{self, KnownBundles, Peer, PushReport};

/// Arguments of `anslag push`.
#[derive(Debug, clap::Args)]
#[command(
    group = clap::ArgGroup::new("to").required(true).args(["tcp", "serial", "dir", "mqtt"]),
    after_help = "\
Examples:
  anslag push hall.ansl --tcp 192.168.1.40:7878          a kiosk on the network
  anslag push hall.ansl --serial /dev/ttyUSB0            a kiosk on a USB-serial cable
  anslag push hall.ansl --dir /media/usb                 a USB stick the kiosk reads
  anslag push hall.ansl --mqtt mqtt://broker.lan --base old.ansl
                                                         retained on a broker, full + delta
  anslag push hall.ansl --tcp 127.0.0.1:7878 --json      a report for scripts

The bundle must be signed (`anslag build --key`, which writes FILE.ansl.sig) or --key given.
After a successful push the bundle is remembered in the cache, so the next push to the same
board sends only what changed. A refusal (bad signature, older sequence, no space) is printed
with its reason and the exit status is 1; the kiosk keeps showing what it had.")]
pub struct Cmd {
    /// The bundle to push (from `anslag build`).
    #[arg(value_name = "FILE.ansl")]
    pub bundle: PathBuf,
    /// A kiosk listening on TCP (e.g. `anslag kiosk-sim --listen`).
    #[arg(long, value_name = "HOST:PORT")]
    pub tcp: Option<String>,
    /// A kiosk on a serial device.
    #[arg(long, value_name = "DEV")]
    pub serial: Option<PathBuf>,
    /// Serial speed.
    #[arg(long, value_name = "N", default_value_t = 115_200, requires = "serial")]
    pub baud: u32,
    /// Write the update as BOARD.anslw into this directory (a USB stick the kiosk reads).
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Publish on an MQTT broker, retained: mqtt://[USER:PASSWORD@]HOST[:PORT][/PREFIX], or
    /// mqtts://… for TLS (…?ca=FILE.pem for a broker's own CA). Topics PREFIX/BOARD/bundle and
    /// PREFIX/BOARD/delta/BASECRC; see docs/PROTOCOL.md.
    #[arg(long, value_name = "URL")]
    pub mqtt: Option<String>,
    /// Sign now with this secret key instead of using FILE.ansl.sig.
    #[arg(long, value_name = "NAME")]
    pub key: Option<PathBuf>,
    /// The bundle the kiosk runs, if the cache does not know it (enables a delta).
    #[arg(long, value_name = "PREVIOUS.ansl")]
    pub base: Option<PathBuf>,
    /// Always send the whole bundle, never a delta.
    #[arg(long)]
    pub full: bool,
    /// Print a JSON report (bytes_sent, mode, result, ...) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Largest frame to send in bytes (the kiosk may ask for less; 233 fits a LoRa packet).
    #[arg(long, value_name = "BYTES", default_value_t = 1024)]
    pub max_frame: u16,
    /// Seconds to wait for the kiosk to answer before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
    /// Where pushed bundles are remembered (for deltas).
    #[arg(long, value_name = "DIR", env = "ANSLAG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// The `--json` report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The board that answered (or the bundle's board for `--dir`).
    pub board: String,
    /// tcp, serial or dir.
    pub transport: &'static str,
    /// Bytes put on the link, framing and resends included.
    pub bytes_sent: u64,
    /// The envelope's size (header + payload).
    pub envelope_bytes: usize,
    /// full or delta.
    pub mode: &'static str,
    /// activated, up-to-date, rejected, timed-out, no-answer, incompatible, written.
    pub result: &'static str,
    /// The kiosk's reason for a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The bundle's sequence.
    pub sequence: u64,
    /// Whether a transfer interrupted earlier was resumed.
    pub resumed: bool,
    /// Data frames sent again after losses.
    pub resent_frames: u32,
    /// Seconds the push took.
    pub seconds: f64,
}

/// A bundle and its signature, ready to seal for any kiosk.
#[derive(Debug)]
pub struct Signed {
    /// The bundle's bytes.
    pub bytes: Vec<u8>,
    /// Its sequence.
    pub sequence: u64,
    /// Its board.
    pub board: String,
    /// Its Ed25519 signature.
    pub signature: [u8; 64],
}

impl Signed {
    /// Reads `path` and its signature (`--key` signs now; otherwise FILE.ansl.sig).
    ///
    /// # Errors
    /// Unreadable or invalid bundle, no signature.
    pub fn load(path: &Path, key: Option<&Path>) -> Result<Signed> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let bundle = Bundle::parse(&bytes)
            .with_context(|| format!("{} is not a valid bundle", path.display()))?;
        let sequence = bundle.header().sequence;
        let board = bundle.header().board.to_string();
        let signature = match key {
            Some(k) => {
                let secret: [u8; 64] = crate::cmd::keygen::read_key(k)?;
                anslag_core::wire::sign(&bytes, sequence, &secret)
                    .with_context(|| format!("{}: not a valid signing key", k.display()))?
            }
            None => {
                let sig_path = crate::cmd::build::signature_path(path);
                if !sig_path.exists() {
                    bail!(
                        "{} is not signed: boards accept only signed bundles. Build it with \
                         `anslag build --key NAME` (writes {}) or pass --key NAME",
                        path.display(),
                        sig_path.display()
                    );
                }
                crate::cmd::keygen::read_key(&sig_path)?
            }
        };
        Ok(Signed {
            bytes,
            sequence,
            board,
            signature,
        })
    }

    /// The envelope for a kiosk running `base` (a delta when that is smaller, unless `full`).
    pub fn seal(&self, base: Option<&[u8]>, full: bool) -> Vec<u8> {
        seal_with(
            &self.bytes,
            self.sequence,
            base,
            &Options {
                force_full: full,
                signature: Some(&self.signature),
                ..Options::default()
            },
        )
    }
}

/// Which envelope to offer `peer`: a delta against what it runs, when we know that bundle.
pub fn seal_for(
    signed: &Signed,
    peer: &Peer,
    known: &KnownBundles,
    extra_base: Option<&[u8]>,
    full: bool,
) -> Vec<u8> {
    let base = peer.active.and_then(|id| {
        extra_base
            .filter(|b| anslag_core::wire::bundle_crc(b) == id.crc)
            .map(<[u8]>::to_vec)
            .or_else(|| known.find(&peer.board, id))
    });
    signed.seal(base.as_deref(), full)
}

/// Text for an outcome.
pub fn describe(outcome: &Outcome) -> (&'static str, Option<String>) {
    match outcome {
        Outcome::Activated { .. } => ("activated", None),
        Outcome::UpToDate => ("up-to-date", None),
        Outcome::Rejected(r) => ("rejected", Some(r.to_string())),
        Outcome::TimedOut => (
            "timed-out",
            Some("the kiosk stopped answering; run push again to resume".into()),
        ),
        Outcome::NoHello => ("no-answer", Some("the kiosk did not say hello".into())),
        Outcome::Incompatible => (
            "incompatible",
            Some("the kiosk speaks another protocol version or frame size".into()),
        ),
    }
}

impl Cmd {
    /// Runs `anslag push`.
    ///
    /// # Errors
    /// The bundle cannot be read or the kiosk refused or could not be reached.
    pub fn run(self) -> Result<()> {
        let signed = Signed::load(&self.bundle, self.key.as_deref())?;
        if let Some(dir) = &self.dir {
            return self.write_dir(&signed, dir);
        }
        if let Some(url) = &self.mqtt {
            return self.publish_mqtt(&signed, url);
        }
        let known = KnownBundles::new(crate::cmd::build::cache_dir(self.cache_dir.clone()));
        let extra_base = match &self.base {
            Some(p) => {
                Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?)
            }
            None => None,
        };
        let config = HostConfig {
            max_frame: self.max_frame,
            hello_timeout_ms: self.timeout * 1000,
            retry_timeout_ms: 2_000,
            ..HostConfig::default()
        };
        let runtime = tokio::runtime::Runtime::new()?;
        let bar = progress_bar(self.json);
        bar.set_prefix(signed.board.clone());
        let (transport, report) = runtime.block_on(async {
            let seal = |peer: &Peer| {
                if peer.board != signed.board {
                    bail!(
                        "{} is for board '{}', but the kiosk is '{}'",
                        self.bundle.display(),
                        signed.board,
                        peer.board
                    );
                }
                Ok(seal_for(
                    &signed,
                    peer,
                    &known,
                    extra_base.as_deref(),
                    self.full,
                ))
            };
            let progress = |p: &anslag_core::sync::Progress| {
                bar.set_length(u64::from(p.total));
                bar.set_position(u64::from(p.acked));
            };
            if let Some(addr) = &self.tcp {
                let mut stream = tokio::time::timeout(
                    Duration::from_secs(self.timeout),
                    tokio::net::TcpStream::connect(addr),
                )
                .await
                .with_context(|| format!("no answer from {addr}"))?
                .with_context(|| format!("cannot connect to the kiosk at {addr}"))?;
                stream.set_nodelay(true)?;
                Ok::<_, anyhow::Error>((
                    "tcp",
                    link::push(&mut stream, config, seal, progress).await?,
                ))
            } else if let Some(dev) = &self.serial {
                let mut port = open_serial(dev, self.baud)?;
                Ok((
                    "serial",
                    link::push(&mut port, config, seal, progress).await?,
                ))
            } else {
                bail!("say where to push: --tcp, --serial or --dir")
            }
        })?;
        bar.finish_and_clear();
        if let (Outcome::Activated { sequence }, Some(peer)) = (report.outcome, &report.peer) {
            known.remember(&peer.board, sequence, &signed.bytes)?;
        }
        self.finish(&signed, transport, &report)
    }

    fn finish(&self, signed: &Signed, transport: &'static str, r: &PushReport) -> Result<()> {
        let (result, reason) = describe(&r.outcome);
        let report = Report {
            board: r
                .peer
                .as_ref()
                .map_or_else(|| signed.board.clone(), |p| p.board.clone()),
            transport,
            bytes_sent: r.progress.wire_bytes,
            envelope_bytes: r.envelope_len,
            mode: if r.delta { "delta" } else { "full" },
            result,
            reason: reason.clone(),
            sequence: signed.sequence,
            resumed: r.progress.resumed,
            resent_frames: r.progress.resent_frames,
            seconds: r.elapsed.as_secs_f64(),
        };
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            match r.outcome {
                Outcome::Activated { sequence } => eprintln!(
                    "{}: activated sequence {sequence} ({} update, {} bytes sent in {:.1} s{}{})",
                    report.board,
                    report.mode,
                    report.bytes_sent,
                    report.seconds,
                    if report.resumed { ", resumed" } else { "" },
                    if report.resent_frames > 0 {
                        format!(", {} frames resent", report.resent_frames)
                    } else {
                        String::new()
                    },
                ),
                Outcome::UpToDate => eprintln!(
                    "{}: already runs sequence {}; nothing sent",
                    report.board, signed.sequence
                ),
                _ => {}
            }
        }
        match r.outcome {
            Outcome::Activated { .. } | Outcome::UpToDate => Ok(()),
            Outcome::Rejected(_) => bail!(
                "board '{}' refused the update: {}; it keeps showing its current listing",
                report.board,
                reason.unwrap_or_default()
            ),
            _ => bail!(
                "push to '{}' failed: {}",
                report.board,
                reason.unwrap_or_default()
            ),
        }
    }

    fn publish_mqtt(&self, signed: &Signed, url: &str) -> Result<()> {
        let url = crate::link::mqtt::parse_url(url).map_err(|e| anyhow::anyhow!(e))?;
        let base = match &self.base {
            Some(p) => {
                Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?)
            }
            None => None,
        };
        let started = std::time::Instant::now();
        let runtime = tokio::runtime::Runtime::new()?;
        // As `anslag sync` does: the delta this machine left retained last time is cleared.
        let cache = crate::cmd::build::cache_dir(self.cache_dir.clone());
        let clear = crate::link::mqtt::last_retained(&cache, &signed.board);
        let published = runtime.block_on(crate::link::mqtt::publish(
            &url,
            signed,
            base.as_deref().filter(|_| !self.full),
            &clear,
            Duration::from_secs(self.timeout),
        ))?;
        crate::link::mqtt::remember_retained(&cache, &signed.board, &published);
        let report = Report {
            board: signed.board.clone(),
            transport: "mqtt",
            bytes_sent: published.bytes,
            envelope_bytes: published.bytes as usize,
            mode: if published.delta { "delta" } else { "full" },
            result: "published",
            reason: None,
            sequence: signed.sequence,
            resumed: false,
            resent_frames: 0,
            seconds: started.elapsed().as_secs_f64(),
        };
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            eprintln!(
                "published sequence {} for board '{}' on {url} ({} bytes{}, retained)",
                signed.sequence,
                signed.board,
                published.bytes,
                if published.delta {
                    ", full and delta"
                } else {
                    ""
                }
            );
        }
        Ok(())
    }

    fn write_dir(&self, signed: &Signed, dir: &Path) -> Result<()> {
        let envelope = signed.seal(None, true);
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{}.anslw", signed.board));
        let tmp = dir.join(format!(".{}.anslw.tmp", signed.board));
        std::fs::write(&tmp, &envelope)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        let report = Report {
            board: signed.board.clone(),
            transport: "dir",
            bytes_sent: envelope.len() as u64,
            envelope_bytes: envelope.len(),
            mode: "full",
            result: "written",
            reason: None,
            sequence: signed.sequence,
            resumed: false,
            resent_frames: 0,
            seconds: 0.0,
        };
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            eprintln!(
                "wrote {} ({} bytes): plug the stick into board '{}'",
                path.display(),
                envelope.len(),
                signed.board
            );
        }
        Ok(())
    }
}

/// A progress bar on stderr (bytes, rate, ETA), hidden for `--json` and when not a terminal.
pub fn progress_bar(hidden: bool) -> indicatif::ProgressBar {
    if hidden {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {prefix:.bold} {bytes}/{total_bytes} {wide_bar} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Opens a serial device raw at `baud` (a pseudo-terminal works too).
///
/// # Errors
/// The device cannot be opened.
pub fn open_serial(dev: &Path, baud: u32) -> Result<tokio_serial::SerialStream> {
    use tokio_serial::SerialPortBuilderExt;
    tokio_serial::new(dev.to_string_lossy(), baud)
        .open_native_async()
        .with_context(|| format!("cannot open serial device {}", dev.display()))
}

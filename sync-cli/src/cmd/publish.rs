//! `anslag publish --dir DIR`: boards that pull over HTTP. Writes each board's signed envelopes
//! and a manifest into a directory any static web server can serve:
//!
//! ```text
//! DIR/manifest.json               {"boards": {"hall": {"sequence": 11, "crc": "…",
//!                                    "bundle": "hall/bundle.anslw",
//!                                    "deltas": {"<base crc>": "hall/delta-<base crc>.anslw"}}}}
//! DIR/BOARD/bundle.anslw          the full envelope
//! DIR/BOARD/delta-BASECRC.anslw   a delta from the previously published bundle
//! DIR/BOARD/bundle.ansl           the bundle itself (the base of the next delta)
//! ```
//!
//! A board polls `manifest.json` with `If-None-Match`/`If-Modified-Since` (a 304 costs a few
//! hundred bytes), and fetches the delta for the bundle it holds, or else the full envelope.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::cmd::build::write_atomically;
use crate::cmd::push::Signed;

/// Arguments of `anslag publish`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  anslag publish --dir /var/www/anslag hall.ansl library.ansl
  # boards (or `anslag kiosk-sim --http https://example.org/anslag`) poll manifest.json")]
pub struct Cmd {
    /// Bundles to publish (signed: FILE.ansl.sig next to each, or --key).
    #[arg(required = true, value_name = "FILE.ansl")]
    pub bundles: Vec<PathBuf>,
    /// The directory the web server serves.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Sign now with this secret key instead of using FILE.ansl.sig.
    #[arg(long, value_name = "NAME")]
    pub key: Option<PathBuf>,
}

/// `manifest.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Per board.
    pub boards: BTreeMap<String, Entry>,
}

/// One board in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The newest bundle's sequence.
    pub sequence: u64,
    /// Its CRC-32, 8 hex digits.
    pub crc: String,
    /// Path of the full envelope, relative to the manifest.
    pub bundle: String,
    /// Deltas by base CRC (8 hex digits), relative paths.
    pub deltas: BTreeMap<String, String>,
}

/// Publishes `signed` into `dir`, updating the manifest; returns the bytes written.
///
/// # Errors
/// The directory cannot be written.
pub fn publish_one(dir: &Path, signed: &Signed) -> Result<u64> {
    let board_dir = dir.join(&signed.board);
    std::fs::create_dir_all(&board_dir)
        .with_context(|| format!("cannot create {}", board_dir.display()))?;
    let previous = std::fs::read(board_dir.join("bundle.ansl")).ok();
    let full = signed.seal(None, false);
    write_atomically(&board_dir.join("bundle.anslw"), &full)?;
    let mut written = full.len() as u64;
    let mut deltas = BTreeMap::new();
    if let Some(base) = previous.filter(|b| *b != signed.bytes) {
        let delta = signed.seal(Some(&base), false);
        if anslag_core::wire::Header::decode(&delta).is_ok_and(|(h, _)| h.base.is_some()) {
            let crc = format!("{:08x}", anslag_core::wire::bundle_crc(&base));
            let name = format!("delta-{crc}.anslw");
            write_atomically(&board_dir.join(&name), &delta)?;
            written += delta.len() as u64;
            deltas.insert(crc, format!("{}/{name}", signed.board));
        }
    }
    write_atomically(&board_dir.join("bundle.ansl"), &signed.bytes)?;
    let manifest_path = dir.join("manifest.json");
    let mut manifest: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    manifest.boards.insert(
        signed.board.clone(),
        Entry {
            sequence: signed.sequence,
            crc: format!("{:08x}", anslag_core::wire::bundle_crc(&signed.bytes)),
            bundle: format!("{}/bundle.anslw", signed.board),
            deltas,
        },
    );
    write_atomically(&manifest_path, &serde_json::to_vec_pretty(&manifest)?)?;
    Ok(written)
}

impl Cmd {
    /// Runs `anslag publish`.
    ///
    /// # Errors
    /// A bundle cannot be read or is unsigned, or the directory cannot be written.
    pub fn run(self) -> Result<()> {
        for path in &self.bundles {
            let signed = Signed::load(path, self.key.as_deref())?;
            let bytes = publish_one(&self.dir, &signed)?;
            eprintln!(
                "published board '{}' sequence {} into {} ({bytes} bytes)",
                signed.board,
                signed.sequence,
                self.dir.display()
            );
        }
        Ok(())
    }
}

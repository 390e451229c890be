//! HTTP pull for boards: poll an `anslag publish` directory's `manifest.json` on any static web
//! server, with `If-None-Match` and `If-Modified-Since` so an unchanged manifest costs a 304,
//! and fetch the delta for the bundle held, or else the full envelope.

use anyhow::{Context, Result};
use embedded_storage::nor_flash::NorFlash;

use crate::cmd::publish::Manifest;
use anslag_core::store::Store;
use anslag_core::wire::{Receiver, Target};

/// One board's poller.
#[derive(Debug)]
pub struct Poller {
    base: String,
    board: String,
    agent: ureq::Agent,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Poller {
    /// Polls `base_url/manifest.json` for `board`.
    pub fn new(base_url: &str, board: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        Poller {
            base: base_url.trim_end_matches('/').to_string(),
            board: board.to_string(),
            agent,
            etag: None,
            last_modified: None,
        }
    }

    fn get(&self, path: &str) -> Result<Vec<u8>> {
        let url = format!("{}/{path}", self.base);
        let mut r = self
            .agent
            .get(&url)
            .call()
            .with_context(|| format!("GET {url}"))?;
        if r.status() != 200 {
            anyhow::bail!("GET {url}: HTTP {}", r.status());
        }
        r.body_mut()
            .with_config()
            .limit(8 << 20)
            .read_to_vec()
            .with_context(|| format!("GET {url}"))
    }

    /// One poll: installs a newer bundle when the manifest has one; returns its sequence.
    ///
    /// # Errors
    /// The server fails, or the kiosk refuses what it got (the reason is in the error).
    pub fn poll<F: NorFlash>(
        &mut self,
        store: &mut Store<F>,
        public_key: &[u8; 32],
        receiver: &mut Receiver,
    ) -> Result<Option<u64>> {
        let url = format!("{}/manifest.json", self.base);
        let mut req = self.agent.get(&url);
        if let Some(e) = &self.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(m) = &self.last_modified {
            req = req.header("If-Modified-Since", m);
        }
        let mut resp = req.call().with_context(|| format!("GET {url}"))?;
        if resp.status() == 304 {
            return Ok(None);
        }
        if resp.status() != 200 {
            anyhow::bail!("GET {url}: HTTP {}", resp.status());
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        // A Last-Modified in the same second as the response is not a safe validator: the file
        // may change again within that second (servers count whole seconds).
        let (etag, modified) = (
            header("etag"),
            header("last-modified").filter(|m| Some(m) != header("date").as_ref()),
        );
        let body = resp
            .body_mut()
            .read_to_vec()
            .context("reading the manifest")?;
        let manifest: Manifest =
            serde_json::from_slice(&body).with_context(|| format!("{url}: not a manifest"))?;
        self.etag = etag;
        self.last_modified = modified;
        let Some(entry) = manifest.boards.get(&self.board) else {
            return Ok(None);
        };
        let active = Target::active(store);
        if active.is_some_and(|a| a.sequence >= entry.sequence) {
            return Ok(None);
        }
        let path = active
            .and_then(|a| entry.deltas.get(&format!("{:08x}", a.crc)))
            .unwrap_or(&entry.bundle);
        let envelope = self.get(path)?;
        let mut buf = [0u8; 1024];
        anslag_kiosk::receive::install(&mut &envelope[..], public_key, store, receiver, &mut buf)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

//! Receiving a bundle as a plain byte stream of known length — a file on a USB stick, a serial
//! cable in raw mode — into the store: streamed into the inactive slot in small pieces (no
//! buffer the size of the bundle), hashed on the way, and activated only when the signature
//! verifies against the board's pinned key and the sequence is newer.

use core::fmt;

use anslag_core::store::{Active, Error as StoreError, Store};
use anslag_core::wire::{self, BundleHasher};
use embedded_io::{Read, ReadExactError};
use embedded_storage::nor_flash::NorFlash;

/// What the sender announces with the bundle (e.g. from its `.sig` file and header).
#[derive(Debug, Clone, Copy)]
pub struct Announced<'a> {
    /// Bundle length in bytes.
    pub len: u32,
    /// Its sequence number.
    pub sequence: u64,
    /// Its Ed25519 signature (64 bytes), empty when unsigned.
    pub signature: &'a [u8],
}

/// Why an install failed; the active bundle is unchanged in every case.
#[derive(Debug)]
#[non_exhaustive]
pub enum InstallError<R, F> {
    /// The stream failed or ended early.
    Read(ReadExactError<R>),
    /// The store refused (too large, corrupted on write-back, stale) or the flash failed.
    Store(StoreError<F>),
    /// Unsigned, wrong key, or the bytes are not what was signed.
    Signature(wire::Error),
}

impl<R: fmt::Debug, F: fmt::Debug> fmt::Display for InstallError<R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::Read(e) => write!(f, "reading the bundle failed: {e:?}"),
            InstallError::Store(e) => write!(f, "{e}"),
            InstallError::Signature(e) => write!(f, "{e}"),
        }
    }
}

/// Streams `announced.len` bytes from `reader` through `buf` into `store` and activates them.
///
/// # Errors
/// See [`InstallError`]; nothing is activated unless every check passed.
pub fn install<R: Read, F: NorFlash>(
    reader: &mut R,
    announced: &Announced<'_>,
    public_key: &[u8; 32],
    store: &mut Store<F>,
    buf: &mut [u8],
) -> Result<Active, InstallError<R::Error, F::Error>> {
    // Refuse a replay before spending flash wear on it.
    if let Some(a) = store.active() {
        if announced.sequence <= a.sequence {
            return Err(InstallError::Signature(wire::Error::Replayed {
                active: a.sequence,
            }));
        }
    }
    store.begin(announced.len).map_err(InstallError::Store)?;
    let mut hasher = BundleHasher::new();
    let mut at = 0u32;
    while at < announced.len {
        let n = buf.len().min((announced.len - at) as usize).max(1);
        let Some(chunk) = buf.get_mut(..n) else { break };
        reader.read_exact(chunk).map_err(InstallError::Read)?;
        hasher.update(chunk);
        store.write(at, chunk).map_err(InstallError::Store)?;
        at += n as u32;
    }
    wire::verify_hash(
        &hasher.finalize(),
        announced.sequence,
        announced.len,
        announced.signature,
        public_key,
    )
    .map_err(InstallError::Signature)?;
    store
        .finish(announced.sequence)
        .map_err(InstallError::Store)
}

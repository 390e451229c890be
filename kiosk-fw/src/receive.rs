//! Receiving an envelope as a plain byte stream — a file on a USB stick written by
//! `anslag push --dir`, a serial cable in raw mode — into the store. The same
//! [`Receiver`](anslag_core::wire::Receiver) as the sync protocol does the work: the payload is
//! inflated and patched in pieces of `buf`'s size straight into the inactive slot (no buffer the
//! size of the bundle), hashed on the way, and activated only when the signature verifies against
//! the board's pinned key and the sequence is newer.

use core::fmt;

use anslag_core::wire::{self, Header, Receiver, Target, MAX_HEADER_LEN};
use embedded_io::{Read, ReadExactError};

/// Why an install failed; the active bundle is unchanged in every case.
#[derive(Debug)]
#[non_exhaustive]
pub enum InstallError<R> {
    /// The stream failed or ended early.
    Read(ReadExactError<R>),
    /// Refused: unsigned, wrong key, replayed, wrong base, altered, too large, flash failure.
    Refused(wire::Error),
}

impl<R: fmt::Debug> fmt::Display for InstallError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::Read(e) => write!(f, "reading the update failed: {e:?}"),
            InstallError::Refused(e) => write!(f, "update refused: {e}"),
        }
    }
}

/// Reads one envelope from `reader` and installs it into `target` (the store). `receiver` is the
/// board's one [`Receiver`] (≈ 43 KiB; keep it in a `static`); `buf` sets the piece size.
/// Returns the sequence now active.
///
/// # Errors
/// See [`InstallError`]; nothing is activated unless every check passed.
pub fn install<R: Read, T: Target>(
    reader: &mut R,
    public_key: &[u8; 32],
    target: &mut T,
    receiver: &mut Receiver,
    buf: &mut [u8],
) -> Result<u64, InstallError<R::Error>> {
    // The header is at most MAX_HEADER_LEN bytes; what we read past it is payload.
    let mut head = [0u8; MAX_HEADER_LEN];
    let mut have = 0;
    let (header_len, header) = loop {
        let n = reader
            .read(head.get_mut(have..).unwrap_or_default())
            .map_err(|e| InstallError::Read(ReadExactError::Other(e)))?;
        have += n;
        let bytes = head.get(..have).unwrap_or_default();
        match Header::decode(bytes) {
            Ok((h, rest)) => break (bytes.len() - rest.len(), h),
            Err(wire::Error::Truncated) if n > 0 && have < head.len() => continue,
            Err(wire::Error::Truncated) if n == 0 => {
                return Err(InstallError::Read(ReadExactError::UnexpectedEof))
            }
            Err(e) => return Err(InstallError::Refused(e)),
        }
    };
    receiver
        .begin(&header, target)
        .map_err(InstallError::Refused)?;
    // Payload bytes that came with the header.
    let early = head.get(header_len..have).unwrap_or_default();
    let early = early
        .get(..early.len().min(header.payload_len as usize))
        .unwrap_or_default();
    receiver
        .feed(early, target)
        .map_err(InstallError::Refused)?;
    while receiver.consumed() < receiver.payload_len() {
        let left = (receiver.payload_len() - receiver.consumed()) as usize;
        let chunk = buf
            .get_mut(..left.min(buf.len()).max(1))
            .unwrap_or_default();
        reader.read_exact(chunk).map_err(InstallError::Read)?;
        receiver
            .feed(chunk, target)
            .map_err(InstallError::Refused)?;
    }
    receiver
        .finish(public_key, target)
        .map_err(InstallError::Refused)
}

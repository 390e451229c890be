//! The wire envelope: how a bundle travels from the coordinator to a kiosk — in full or as a
//! delta against the bundle the kiosk has — and how the kiosk knows it is authentic.
//!
//! ```text
//! Envelope (postcard): version · sequence · bundle_len · bundle_hash (SHA-256)
//!                      · mode (Full | Delta{base_hash}) · payload · signature (Ed25519)
//! signed message     : "anslag-bundle-v1\0" · sequence (u64 LE) · bundle_len (u32 LE) · bundle_hash
//! delta payload      : ops, each  0 · offset · len      copy len bytes of the base from offset
//!                                 1 · len · bytes        insert bytes          (varints)
//! ```
//!
//! The signature covers the hash of the *resulting* bundle, so one check covers both modes: a
//! kiosk streams the payload (or the patch applied to its active bundle) into its inactive
//! slot through an [`Applier`], hashing as it writes, and activates only when the length and
//! hash match and the signature verifies against its pinned key. Everything here is sans-IO
//! and needs no heap on the kiosk; sealing (host side) uses `alloc`.
//!
//! Not yet here (see the sync issue): compression of the payload.

use core::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// SHA-256 of a bundle: its identity on the wire.
pub type BundleHash = [u8; 32];

/// Envelope format version.
pub const VERSION: u8 = 1;
const SIGNING_CONTEXT: &[u8] = b"anslag-bundle-v1\0";

/// How the payload makes the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// The payload is the bundle.
    Full,
    /// The payload is a patch against the bundle whose hash is given.
    Delta {
        /// SHA-256 of the base bundle the kiosk must hold.
        base_hash: BundleHash,
    },
}

/// A decoded envelope, borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<'a> {
    /// Envelope format version ([`VERSION`]).
    pub version: u8,
    /// The bundle's sequence number (must grow).
    pub sequence: u64,
    /// Length of the resulting bundle.
    pub bundle_len: u32,
    /// SHA-256 of the resulting bundle.
    pub bundle_hash: BundleHash,
    /// Full or delta.
    pub mode: Mode,
    /// The bundle, or the patch.
    #[serde(borrow)]
    pub payload: &'a [u8],
    /// Ed25519 signature (64 bytes) over the signing message; empty when unsigned.
    #[serde(borrow)]
    pub signature: &'a [u8],
}

/// Why an envelope or update was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The envelope is cut short or not an envelope.
    Truncated,
    /// An envelope version this kiosk does not read.
    UnsupportedVersion(u8),
    /// No signature, and this kiosk accepts only signed bundles.
    Unsigned,
    /// The signature does not verify against the pinned key (tampered, or another key).
    BadSignature,
    /// The pinned public key itself is malformed.
    BadKey,
    /// The sequence is not newer than the kiosk's active bundle (a replay or an old bundle).
    Replayed {
        /// The kiosk's active sequence.
        active: u64,
    },
    /// A delta for a base the kiosk does not hold.
    WrongBase,
    /// The patch is malformed (bad op, copy outside the base, longer than announced).
    BadPatch,
    /// The result does not have the announced length or hash: the payload was altered.
    TamperedPayload,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("envelope truncated or malformed"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported envelope version {v}"),
            Error::Unsigned => f.write_str("bundle is not signed"),
            Error::BadSignature => f.write_str("signature does not verify against the board's key"),
            Error::BadKey => f.write_str("the board's public key is malformed"),
            Error::Replayed { active } => {
                write!(f, "sequence is not newer than the board's ({active})")
            }
            Error::WrongBase => f.write_str("delta against a bundle the board does not hold"),
            Error::BadPatch => f.write_str("malformed delta patch"),
            Error::TamperedPayload => f.write_str("payload does not produce the signed bundle"),
        }
    }
}

impl core::error::Error for Error {}

/// SHA-256 of `bundle`.
pub fn bundle_hash(bundle: &[u8]) -> BundleHash {
    Sha256::digest(bundle).into()
}

/// The message an envelope's signature covers.
pub fn signing_message(sequence: u64, bundle_len: u32, hash: &BundleHash) -> [u8; 17 + 8 + 4 + 32] {
    let mut m = [0u8; 61];
    for (dst, src) in m.iter_mut().zip(
        SIGNING_CONTEXT
            .iter()
            .chain(&sequence.to_le_bytes())
            .chain(&bundle_len.to_le_bytes())
            .chain(hash.iter()),
    ) {
        *dst = *src;
    }
    m
}

/// Signs a bundle: the Ed25519 signature (64 bytes) over its sequence, length and hash, valid
/// for whatever mode carries it. `None` when `secret_key` is not a valid Ed25519 key.
pub fn sign(bundle: &[u8], sequence: u64, secret_key: &[u8; 64]) -> Option<[u8; 64]> {
    let key = ed25519_compact::SecretKey::from_slice(secret_key).ok()?;
    let len = u32::try_from(bundle.len()).ok()?;
    Some(*key.sign(signing_message(sequence, len, &bundle_hash(bundle)), None))
}

/// Checks a detached signature made by [`sign`].
///
/// # Errors
/// [`Error::BadKey`] or [`Error::BadSignature`].
pub fn verify(
    bundle: &[u8],
    sequence: u64,
    signature: &[u8],
    public_key: &[u8; 32],
) -> Result<(), Error> {
    let key = ed25519_compact::PublicKey::from_slice(public_key).map_err(|_| Error::BadKey)?;
    let sig = ed25519_compact::Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    let len = u32::try_from(bundle.len()).map_err(|_| Error::TamperedPayload)?;
    key.verify(signing_message(sequence, len, &bundle_hash(bundle)), &sig)
        .map_err(|_| Error::BadSignature)
}

/// SHA-256 of a bundle computed piece by piece, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct BundleHasher(Sha256);

impl BundleHasher {
    /// A fresh hash.
    pub fn new() -> Self {
        BundleHasher(Sha256::new())
    }

    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hash of everything added.
    pub fn finalize(self) -> BundleHash {
        self.0.finalize().into()
    }
}

/// Checks a detached signature against a bundle already hashed (e.g. streamed into flash).
///
/// # Errors
/// [`Error::Unsigned`] for an empty signature, [`Error::BadKey`], [`Error::BadSignature`].
pub fn verify_hash(
    hash: &BundleHash,
    sequence: u64,
    bundle_len: u32,
    signature: &[u8],
    public_key: &[u8; 32],
) -> Result<(), Error> {
    if signature.is_empty() {
        return Err(Error::Unsigned);
    }
    let key = ed25519_compact::PublicKey::from_slice(public_key).map_err(|_| Error::BadKey)?;
    let sig = ed25519_compact::Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    key.verify(signing_message(sequence, bundle_len, hash), &sig)
        .map_err(|_| Error::BadSignature)
}

impl<'a> Envelope<'a> {
    /// Decodes an envelope.
    ///
    /// # Errors
    /// [`Error::Truncated`] or [`Error::UnsupportedVersion`].
    pub fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        let (env, rest) =
            postcard::take_from_bytes::<Envelope<'a>>(bytes).map_err(|_| Error::Truncated)?;
        if !rest.is_empty() {
            return Err(Error::Truncated);
        }
        if env.version != VERSION {
            return Err(Error::UnsupportedVersion(env.version));
        }
        Ok(env)
    }

    /// Checks the signature against the kiosk's pinned key and the sequence against its active
    /// one, before any byte is written.
    ///
    /// # Errors
    /// [`Error::Unsigned`], [`Error::BadKey`], [`Error::BadSignature`], [`Error::Replayed`].
    pub fn authenticate(
        &self,
        public_key: &[u8; 32],
        active_sequence: Option<u64>,
    ) -> Result<(), Error> {
        if self.signature.is_empty() {
            return Err(Error::Unsigned);
        }
        let key = ed25519_compact::PublicKey::from_slice(public_key).map_err(|_| Error::BadKey)?;
        let sig = ed25519_compact::Signature::from_slice(self.signature)
            .map_err(|_| Error::BadSignature)?;
        key.verify(
            signing_message(self.sequence, self.bundle_len, &self.bundle_hash),
            &sig,
        )
        .map_err(|_| Error::BadSignature)?;
        match active_sequence {
            Some(active) if self.sequence <= active => Err(Error::Replayed { active }),
            _ => Ok(()),
        }
    }

    /// An [`Applier`] for this envelope, given the hash of the kiosk's active bundle.
    ///
    /// # Errors
    /// [`Error::WrongBase`] for a delta against another base.
    pub fn applier(&self, active_hash: Option<&BundleHash>) -> Result<Applier<'a>, Error> {
        if let Mode::Delta { base_hash } = &self.mode {
            if active_hash != Some(base_hash) {
                return Err(Error::WrongBase);
            }
        }
        Ok(Applier {
            envelope: *self,
            pos: 0,
            written: 0,
            hasher: Sha256::new(),
        })
    }
}

/// Streams an envelope's result into a sink, piece by piece, hashing as it goes.
#[derive(Debug, Clone)]
pub struct Applier<'a> {
    envelope: Envelope<'a>,
    /// Position in the payload.
    pos: usize,
    /// Bytes of the result produced so far.
    written: u32,
    hasher: Sha256,
}

/// One piece of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Bytes to write as they are.
    Bytes(&'a [u8]),
    /// Copy `len` bytes of the base bundle from `offset` (read them from the active slot).
    Copy {
        /// Offset in the base.
        offset: u32,
        /// Length.
        len: u32,
    },
}

fn varint(bytes: &[u8], pos: &mut usize) -> Result<u32, Error> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos).ok_or(Error::BadPatch)?;
        *pos += 1;
        value |= u32::from(b & 0x7F)
            .checked_shl(shift)
            .ok_or(Error::BadPatch)?;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Error::BadPatch)
}

impl<'a> Applier<'a> {
    /// The next piece of the result, or `None` when the payload is used up.
    ///
    /// # Errors
    /// [`Error::BadPatch`] for a malformed patch or a result longer than announced.
    pub fn next_piece(&mut self) -> Result<Option<Piece<'a>>, Error> {
        let payload = self.envelope.payload;
        if self.pos >= payload.len() {
            return Ok(None);
        }
        let piece = match self.envelope.mode {
            Mode::Full => {
                let bytes = payload.get(self.pos..).ok_or(Error::BadPatch)?;
                self.pos = payload.len();
                Piece::Bytes(bytes)
            }
            Mode::Delta { .. } => {
                let op = *payload.get(self.pos).ok_or(Error::BadPatch)?;
                self.pos += 1;
                match op {
                    0 => {
                        let offset = varint(payload, &mut self.pos)?;
                        let len = varint(payload, &mut self.pos)?;
                        Piece::Copy { offset, len }
                    }
                    1 => {
                        let len = varint(payload, &mut self.pos)? as usize;
                        let bytes = payload
                            .get(self.pos..self.pos + len)
                            .ok_or(Error::BadPatch)?;
                        self.pos += len;
                        Piece::Bytes(bytes)
                    }
                    _ => return Err(Error::BadPatch),
                }
            }
        };
        let len = match piece {
            Piece::Bytes(b) => b.len() as u32,
            Piece::Copy { len, .. } => len,
        };
        self.written = self.written.checked_add(len).ok_or(Error::BadPatch)?;
        if self.written > self.envelope.bundle_len {
            return Err(Error::BadPatch);
        }
        Ok(Some(piece))
    }

    /// Feeds bytes that were written to the result (the piece's own bytes, or the base bytes a
    /// copy read) into the hash.
    pub fn hash(&mut self, written: &[u8]) {
        self.hasher.update(written);
    }

    /// Checks the result's length and hash against the signed ones.
    ///
    /// # Errors
    /// [`Error::TamperedPayload`].
    pub fn finish(self) -> Result<(), Error> {
        let hash: BundleHash = self.hasher.finalize().into();
        if self.written != self.envelope.bundle_len || hash != self.envelope.bundle_hash {
            return Err(Error::TamperedPayload);
        }
        Ok(())
    }
}

/// Host side: building envelopes.
#[cfg(feature = "alloc")]
pub mod seal {
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    use super::{bundle_hash, signing_message, Envelope, Mode, VERSION};

    /// Shortest run of base bytes worth a copy op.
    const MIN_MATCH: usize = 12;

    fn push_varint(out: &mut Vec<u8>, mut v: u32) {
        loop {
            let b = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn flush_insert(out: &mut Vec<u8>, pending: &[u8]) {
        if !pending.is_empty() {
            out.push(1);
            push_varint(out, pending.len() as u32);
            out.extend_from_slice(pending);
        }
    }

    /// A patch turning `base` into `new`: greedy copies of runs of at least 12 bytes found
    /// through an index of the base's 12-byte windows, inserts for the rest.
    pub fn diff(base: &[u8], new: &[u8]) -> Vec<u8> {
        let mut index: BTreeMap<&[u8], u32> = BTreeMap::new();
        for (i, w) in base.windows(MIN_MATCH).enumerate() {
            index.entry(w).or_insert(i as u32);
        }
        let mut out = Vec::new();
        let mut pending_from = 0;
        let mut i = 0;
        while i + MIN_MATCH <= new.len() {
            let hit = new
                .get(i..i + MIN_MATCH)
                .and_then(|w| index.get(w))
                .copied();
            let Some(at) = hit else {
                i += 1;
                continue;
            };
            let (mut start, mut base_at) = (i, at as usize);
            // Extend backwards into the pending insert, then forwards.
            while start > pending_from && base_at > 0 && new.get(start - 1) == base.get(base_at - 1)
            {
                start -= 1;
                base_at -= 1;
            }
            let mut len = i - start + MIN_MATCH;
            while new.get(start + len).is_some() && new.get(start + len) == base.get(base_at + len)
            {
                len += 1;
            }
            flush_insert(&mut out, new.get(pending_from..start).unwrap_or(&[]));
            out.push(0);
            push_varint(&mut out, base_at as u32);
            push_varint(&mut out, len as u32);
            i = start + len;
            pending_from = i;
        }
        flush_insert(&mut out, new.get(pending_from..).unwrap_or(&[]));
        out
    }

    /// Seals `bundle` for the wire: in full, or as a delta against `base` when that is smaller;
    /// signed with the 64-byte Ed25519 secret key when given.
    pub fn seal(
        bundle: &[u8],
        sequence: u64,
        base: Option<&[u8]>,
        secret_key: Option<&[u8; 64]>,
    ) -> Vec<u8> {
        let hash = bundle_hash(bundle);
        let len = bundle.len() as u32;
        let patch = base.map(|b| (bundle_hash(b), diff(b, bundle)));
        let (mode, payload): (Mode, &[u8]) = match &patch {
            Some((base_hash, p)) if p.len() < bundle.len() => (
                Mode::Delta {
                    base_hash: *base_hash,
                },
                p,
            ),
            _ => (Mode::Full, bundle),
        };
        let signature = secret_key
            .and_then(|k| ed25519_compact::SecretKey::from_slice(k).ok())
            .map(|k| k.sign(signing_message(sequence, len, &hash), None));
        let env = Envelope {
            version: VERSION,
            sequence,
            bundle_len: len,
            bundle_hash: hash,
            mode,
            payload,
            signature: signature.as_ref().map_or(&[], |s| &s[..]),
        };
        postcard::to_allocvec(&env).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;

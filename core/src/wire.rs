//! The wire envelope: how a bundle travels from the coordinator to a kiosk — in full or as a
//! delta against the bundle the kiosk has, deflated — and how the kiosk knows it is authentic.
//!
//! ```text
//! envelope       : Header (postcard) · payload (payload_len bytes)
//! Header         : version · sequence · bundle_len · bundle_crc · base (None | crc)
//!                  · compression (None | Deflate) · payload_len · signature (Ed25519, 64 bytes)
//! signed message : "anslag-bundle-v1\0" · sequence (u64 LE) · bundle_len (u32 LE) · SHA-256(bundle)
//! payload        : patch ops (docs/PROTOCOL.md), raw-deflated when that is smaller: copies from
//!                  the base and inserts for a delta; the bundle's tables re-encoded for
//!                  deflate ("packed") for a full update
//! ```
//!
//! The header is small (≈ 95 bytes), so it fits one radio packet and travels first; the payload
//! streams after it and is never held whole by the kiosk. A [`Receiver`] undoes the compression
//! in a fixed 32 KiB window ([`Inflater`]), applies the ops reading copies from the active
//! bundle, and writes the result into the inactive slot of a [`Target`] (the store), hashing on
//! the way. It activates only when the length and CRC match the header and the signature over the
//! SHA-256 it computed verifies against the kiosk's pinned key.
//!
//! The base is named by its CRC-32 (4 bytes), not its hash (32): the kiosk knows its CRC and
//! sequence from its superblock without reading the bundle, and a wrong base cannot slip through
//! because the signature covers the hash of the *result*. Everything here is sans-IO and needs
//! no heap on the kiosk; sealing (host side) uses `alloc`.

use core::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checksum::Crc32;

/// SHA-256 of a bundle: what its signature covers.
pub type BundleHash = [u8; 32];

/// Envelope format version.
pub const VERSION: u8 = 3;
const SIGNING_CONTEXT: &[u8] = b"anslag-bundle-v1\0";
/// Largest encoded [`Header`]: what a kiosk must buffer before the payload starts.
pub const MAX_HEADER_LEN: usize = 128;

/// A CRC-32 on the wire: four bytes, little-endian, never a varint (a CRC is random, so a
/// varint would take five).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crc(pub [u8; 4]);

impl Crc {
    /// The CRC as a number.
    pub fn get(self) -> u32 {
        u32::from_le_bytes(self.0)
    }

    /// A CRC from its value.
    pub fn of(value: u32) -> Self {
        Crc(value.to_le_bytes())
    }
}

/// The bundle a kiosk runs, as its superblock knows it (said in its Hello).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseId {
    /// The base bundle's sequence number.
    pub sequence: u64,
    /// The base bundle's CRC-32 (its trailer).
    pub crc: u32,
}

/// How the payload is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compression {
    /// As it is.
    None,
    /// Raw deflate (RFC 1951), any window up to 32 KiB.
    Deflate,
}

/// The envelope header: everything but the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Envelope format version ([`VERSION`]).
    pub version: u8,
    /// The bundle's sequence number (must grow).
    pub sequence: u64,
    /// Length of the resulting bundle.
    pub bundle_len: u32,
    /// The resulting bundle's CRC-32 (its trailer): tells a damaged payload from a bad signature.
    pub bundle_crc: Crc,
    /// `None` for a full bundle; for a delta patch, the CRC-32 of the base it applies to. A base
    /// that merely shares the CRC cannot slip through: the signature covers the result's hash.
    pub base: Option<Crc>,
    /// Compression of the payload.
    pub compression: Compression,
    /// Length of the payload that follows the header.
    pub payload_len: u32,
    /// Ed25519 signature over the signing message (all zero when unsigned): always 64 bytes,
    /// so no length on the wire.
    pub signature: [[u8; 32]; 2],
}

/// Why an envelope or update was refused. Also the reason a kiosk gives on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The compressed payload does not inflate.
    BadCompression,
    /// The result does not have the announced length or CRC: the payload was altered.
    TamperedPayload,
    /// The bundle does not fit the kiosk's slot.
    TooLarge {
        /// Bytes a slot holds.
        capacity: u32,
    },
    /// The kiosk's flash failed, or the written bundle did not read back intact.
    Storage,
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
            Error::BadCompression => f.write_str("compressed payload does not inflate"),
            Error::TamperedPayload => f.write_str("payload does not produce the signed bundle"),
            Error::TooLarge { capacity } => {
                write!(
                    f,
                    "bundle does not fit the board's slot of {capacity} bytes"
                )
            }
            Error::Storage => f.write_str("the board's flash failed"),
        }
    }
}

impl core::error::Error for Error {}

/// SHA-256 of `bundle`.
pub fn bundle_hash(bundle: &[u8]) -> BundleHash {
    Sha256::digest(bundle).into()
}

/// The CRC-32 trailer of a bundle (its last four bytes), `0` when it is shorter.
pub fn bundle_crc(bundle: &[u8]) -> u32 {
    bundle
        .len()
        .checked_sub(4)
        .and_then(|at| bundle.get(at..))
        .and_then(|t| t.try_into().ok())
        .map_or(0, u32::from_le_bytes)
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

#[cfg(feature = "alloc")]
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
/// [`Error::Unsigned`], [`Error::BadKey`] or [`Error::BadSignature`].
pub fn verify(
    bundle: &[u8],
    sequence: u64,
    signature: &[u8],
    public_key: &[u8; 32],
) -> Result<(), Error> {
    let len = u32::try_from(bundle.len()).map_err(|_| Error::TamperedPayload)?;
    verify_hash(&bundle_hash(bundle), sequence, len, signature, public_key)
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
    // Verification uses `salty`, written for microcontrollers: 15 KB of code on a Cortex-M0+
    // against 40 KB for ed25519-compact (which signs, on the host). A test checks they agree.
    let key = salty::PublicKey::try_from(public_key).map_err(|_| Error::BadKey)?;
    let sig: &[u8; 64] = signature.try_into().map_err(|_| Error::BadSignature)?;
    key.verify(
        &signing_message(sequence, bundle_len, hash),
        &salty::Signature::from(sig),
    )
    .map_err(|_| Error::BadSignature)
}

impl Header {
    /// The signature as one 64-byte array.
    pub fn signature_bytes(&self) -> [u8; 64] {
        let mut s = [0u8; 64];
        let (a, b) = s.split_at_mut(32);
        a.copy_from_slice(&self.signature[0]);
        b.copy_from_slice(&self.signature[1]);
        s
    }

    /// The header's signature field for a 64-byte signature.
    pub fn signature_field(signature: &[u8; 64]) -> [[u8; 32]; 2] {
        let mut f = [[0u8; 32]; 2];
        let (a, b) = signature.split_at(32);
        f[0].copy_from_slice(a);
        f[1].copy_from_slice(b);
        f
    }

    /// Decodes a header from the start of `bytes`; returns it and the bytes after it.
    ///
    /// # Errors
    /// [`Error::Truncated`] or [`Error::UnsupportedVersion`].
    pub fn decode(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        // The version comes first, so a newer format is named as such, not as garbage.
        match bytes.first() {
            None => return Err(Error::Truncated),
            Some(&v) if v != VERSION => return Err(Error::UnsupportedVersion(v)),
            Some(_) => {}
        }
        postcard::take_from_bytes::<Header>(bytes).map_err(|_| Error::Truncated)
    }

    /// Decodes a whole envelope: the header and exactly `payload_len` payload bytes.
    ///
    /// # Errors
    /// [`Error::Truncated`] or [`Error::UnsupportedVersion`].
    pub fn decode_envelope(bytes: &[u8]) -> Result<(Self, &[u8]), Error> {
        let (header, payload) = Self::decode(bytes)?;
        if payload.len() != header.payload_len as usize {
            return Err(Error::Truncated);
        }
        Ok((header, payload))
    }

    /// The checks a kiosk makes before it writes a byte: signed at all, newer than its active
    /// bundle, against the base it holds.
    ///
    /// # Errors
    /// [`Error::Unsigned`], [`Error::Replayed`],
    /// [`Error::WrongBase`].
    pub fn precheck(&self, active: Option<BaseId>) -> Result<(), Error> {
        if self.signature == [[0; 32]; 2] {
            return Err(Error::Unsigned);
        }
        if let Some(a) = active {
            if self.sequence <= a.sequence {
                return Err(Error::Replayed { active: a.sequence });
            }
        }
        if let Some(base) = self.base {
            if active.map(|a| a.crc) != Some(base.get()) {
                return Err(Error::WrongBase);
            }
        }
        Ok(())
    }
}

/// Where a [`Receiver`] writes: the kiosk's store (or a buffer on the host).
pub trait Target {
    /// The active bundle, if any.
    fn active(&self) -> Option<BaseId>;
    /// Reads bytes of the active bundle (for delta copies).
    ///
    /// # Errors
    /// [`Error::BadPatch`] outside the bundle, [`Error::Storage`] when the flash fails.
    fn read_active(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Error>;
    /// Prepares to receive `len` bytes (erasing the inactive slot).
    ///
    /// # Errors
    /// [`Error::TooLarge`] or [`Error::Storage`].
    fn begin(&mut self, len: u32) -> Result<(), Error>;
    /// Writes the next bytes at `offset`, in order.
    ///
    /// # Errors
    /// [`Error::Storage`].
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Error>;
    /// Activates what was written, as `sequence`.
    ///
    /// # Errors
    /// [`Error::Replayed`] for an old sequence, [`Error::Storage`] when it did not read back.
    fn activate(&mut self, sequence: u64) -> Result<(), Error>;
}

impl<F: embedded_storage::nor_flash::NorFlash> Target for crate::store::Store<F> {
    fn active(&self) -> Option<BaseId> {
        crate::store::Store::active(self).map(|a| BaseId {
            sequence: a.sequence,
            crc: a.crc,
        })
    }

    fn read_active(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Error> {
        crate::store::Store::read_active(self, offset, buf).map_err(store_error)
    }

    fn begin(&mut self, len: u32) -> Result<(), Error> {
        crate::store::Store::begin(self, len).map_err(store_error)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Error> {
        crate::store::Store::write(self, offset, bytes).map_err(store_error)
    }

    fn activate(&mut self, sequence: u64) -> Result<(), Error> {
        self.finish(sequence).map(|_| ()).map_err(store_error)
    }
}

fn store_error<E>(e: crate::store::Error<E>) -> Error {
    use crate::store::Error as S;
    match e {
        S::TooLarge { capacity } => Error::TooLarge { capacity },
        S::Stale { active } => Error::Replayed { active },
        S::OutOfOrder => Error::BadPatch,
        _ => Error::Storage,
    }
}

/// The receiving side of an envelope: header first, then the payload in pieces of any size.
///
/// ```text
/// payload → [Inflater] → [patch ops | bundle bytes] → Target::write + SHA-256 + CRC-32
///                                  └ copy → Target::read_active ┘
/// ```
#[derive(Debug, Default)]
pub struct Receiver {
    /// Payload bytes consumed.
    consumed: u32,
    payload_len: u32,
    compressed: bool,
    result: Assembly,
    inflater: Inflater,
}

/// The result being assembled from decompressed payload bytes.
#[derive(Debug, Default)]
struct Assembly {
    sequence: u64,
    bundle_len: u32,
    bundle_crc: u32,
    delta: bool,
    signature: Option<[u8; 64]>,
    /// Result bytes written.
    written: u32,
    patch: patch::Decoder,
    hasher: BundleHasher,
    crc: Crc32,
    trailer: [u8; 4],
}

impl Receiver {
    /// An idle receiver (allocate it once; [`Receiver::begin`] reuses it).
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks `header` against the target's active bundle and starts writing.
    ///
    /// # Errors
    /// See [`Header::precheck`] and [`Target::begin`].
    pub fn begin<T: Target>(&mut self, header: &Header, target: &mut T) -> Result<(), Error> {
        header.precheck(target.active())?;
        let signature = header.signature_bytes();
        target.begin(header.bundle_len)?;
        self.consumed = 0;
        self.payload_len = header.payload_len;
        self.compressed = header.compression == Compression::Deflate;
        self.result = Assembly {
            sequence: header.sequence,
            bundle_len: header.bundle_len,
            bundle_crc: header.bundle_crc.get(),
            delta: header.base.is_some(),
            signature: Some(signature),
            ..Assembly::default()
        };
        self.inflater.reset();
        Ok(())
    }

    /// Payload bytes consumed so far (where a resumed transfer continues).
    pub fn consumed(&self) -> u32 {
        self.consumed
    }

    /// The payload's announced length.
    pub fn payload_len(&self) -> u32 {
        self.payload_len
    }

    /// The sequence being received.
    pub fn sequence(&self) -> u64 {
        self.result.sequence
    }

    /// Consumes the next payload bytes (any split; they must follow on from the last ones).
    ///
    /// # Errors
    /// [`Error::BadPatch`], [`Error::BadCompression`], [`Error::Truncated`] past the announced
    /// length or before [`Receiver::begin`], or the target's errors.
    pub fn feed<T: Target>(&mut self, payload: &[u8], target: &mut T) -> Result<(), Error> {
        if self.result.signature.is_none() {
            return Err(Error::Truncated);
        }
        let end = self
            .consumed
            .checked_add(payload.len() as u32)
            .filter(|&e| e <= self.payload_len)
            .ok_or(Error::Truncated)?;
        let last = end == self.payload_len;
        let result = &mut self.result;
        if self.compressed {
            self.inflater
                .feed(payload, last, |bytes| result.decoded(bytes, target))?;
        } else {
            result.decoded(payload, target)?;
        }
        self.consumed = end;
        Ok(())
    }

    /// Checks the result against the header and the signature against `public_key`, then
    /// activates it. The receiver is idle afterwards, whatever the outcome.
    ///
    /// # Errors
    /// [`Error::TamperedPayload`] (wrong length or CRC: the payload was damaged or altered),
    /// [`Error::BadCompression`] (stream not finished), [`Error::BadSignature`],
    /// [`Error::BadKey`], or the target's errors.
    pub fn finish<T: Target>(
        &mut self,
        public_key: &[u8; 32],
        target: &mut T,
    ) -> Result<u64, Error> {
        let result = core::mem::take(&mut self.result);
        let signature = result.signature.ok_or(Error::Truncated)?;
        if self.consumed != self.payload_len {
            return Err(Error::Truncated);
        }
        if self.compressed && !self.inflater.is_done() {
            return Err(Error::BadCompression);
        }
        if !result.patch.is_idle() {
            return Err(if result.delta {
                Error::BadPatch
            } else {
                Error::TamperedPayload
            });
        }
        let crc = result.crc.finalize();
        let trailer = u32::from_le_bytes(result.trailer);
        if result.written != result.bundle_len || crc != trailer || trailer != result.bundle_crc {
            return Err(Error::TamperedPayload);
        }
        verify_hash(
            &result.hasher.finalize(),
            result.sequence,
            result.bundle_len,
            &signature,
            public_key,
        )?;
        target.activate(result.sequence)?;
        Ok(result.sequence)
    }
}

impl Assembly {
    /// Handles decompressed payload bytes: patch ops, with copies from the base for a delta.
    fn decoded<T: Target>(&mut self, bytes: &[u8], target: &mut T) -> Result<(), Error> {
        let mut decoder = self.patch;
        let with_base = self.delta;
        let result = decoder.feed(
            bytes,
            with_base,
            &mut Writing {
                result: self,
                target,
            },
        );
        self.patch = decoder;
        // A full payload that does not decode was damaged or altered: say so, not "patch".
        result.map_err(|e| match e {
            Error::BadPatch if !with_base => Error::TamperedPayload,
            e => e,
        })
    }

    /// Copies `len` bytes of the active bundle from `offset` into the result, adding `add` to
    /// every little-endian u16 when it is not 0 (a shifted index table).
    fn copy<T: Target>(
        &mut self,
        offset: u32,
        len: u32,
        add: u16,
        target: &mut T,
    ) -> Result<(), Error> {
        if self
            .written
            .checked_add(len)
            .is_none_or(|e| e > self.bundle_len)
        {
            return Err(Error::BadPatch);
        }
        let mut chunk = [0u8; 64];
        let mut done = 0u32;
        while done < len {
            let n = (len - done).min(chunk.len() as u32) as usize;
            let part = chunk.get_mut(..n).ok_or(Error::BadPatch)?;
            let at = offset.checked_add(done).ok_or(Error::BadPatch)?;
            target.read_active(at, part)?;
            if add != 0 {
                for pair in part.chunks_exact_mut(2) {
                    if let [lo, hi] = pair {
                        [*lo, *hi] = u16::from_le_bytes([*lo, *hi])
                            .wrapping_add(add)
                            .to_le_bytes();
                    }
                }
            }
            self.output(part, target)?;
            done += n as u32;
        }
        Ok(())
    }

    /// Writes result bytes, hashing them and keeping the CRC of everything before the trailer.
    fn output<T: Target>(&mut self, bytes: &[u8], target: &mut T) -> Result<(), Error> {
        let end = self
            .written
            .checked_add(bytes.len() as u32)
            .filter(|&e| e <= self.bundle_len)
            .ok_or(if self.delta {
                Error::BadPatch
            } else {
                Error::TamperedPayload
            })?;
        target.write(self.written, bytes)?;
        self.hasher.update(bytes);
        let body = self.bundle_len.saturating_sub(4);
        let split = body.saturating_sub(self.written).min(bytes.len() as u32) as usize;
        let (crc_part, trailer_part) = bytes.split_at(split);
        self.crc.update(crc_part);
        for (i, &b) in trailer_part.iter().enumerate() {
            let at = self.written + (split + i) as u32 - body;
            if let Some(t) = self.trailer.get_mut(at as usize) {
                *t = b;
            }
        }
        self.written = end;
        Ok(())
    }
}

/// An [`Assembly`] writing into its target, as the patch decoder's [`patch::Sink`].
struct Writing<'a, T> {
    result: &'a mut Assembly,
    target: &'a mut T,
}

impl<T: Target> patch::Sink for Writing<'_, T> {
    fn copy(&mut self, offset: u32, len: u32, add: u16) -> Result<(), Error> {
        self.result.copy(offset, len, add, self.target)
    }

    fn output(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.result.output(bytes, self.target)
    }
}

/// Host side: building envelopes, and applying them in memory.
#[cfg(feature = "alloc")]
pub mod seal {
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    use super::patch::op;
    pub use super::patch::write::pack;
    use super::patch::write::{insert as flush_insert, varint as push_varint, zigzag};

    /// The ops that write `bundle` as it is: one INSERT.
    fn whole(bundle: &[u8]) -> Vec<u8> {
        let mut ops = Vec::with_capacity(bundle.len() + 6);
        flush_insert(&mut ops, bundle);
        ops
    }
    use super::{
        bundle_crc, bundle_hash, signing_message, BaseId, Compression, Crc, Error, Header,
        Receiver, Target, VERSION,
    };

    /// Shortest run of base bytes worth a copy op from anywhere in the base.
    const MIN_MATCH: usize = 12;
    /// Shortest run worth a copy op where the last copy left off (a copy op costs ≤ 5 bytes).
    const MIN_CONTINUATION: usize = 6;

    /// A patch turning `base` into `new`: greedy copies of runs of at least 12 bytes found
    /// through an index of the base's 12-byte windows, inserts for the rest.
    pub fn diff(base: &[u8], new: &[u8]) -> Vec<u8> {
        let mut index: BTreeMap<&[u8], u32> = BTreeMap::new();
        for (i, w) in base.windows(MIN_MATCH).enumerate() {
            index.entry(w).or_insert(i as u32);
        }
        let mut out = Vec::new();
        let mut pending_from = 0;
        // Offset from positions in `new` to the same place in `base`, after the last copy.
        let mut align: isize = 0;
        let mut i = 0;
        while i + MIN_MATCH <= new.len() {
            let hit = new
                .get(i..i + MIN_MATCH)
                .and_then(|w| index.get(w))
                .copied()
                .or_else(|| {
                    // A shorter run where the last copy left off is still worth a copy op: an
                    // unchanged field between two changed ones.
                    let at = usize::try_from(i as isize + align).ok()?;
                    let same = new
                        .get(i..)?
                        .iter()
                        .zip(base.get(at..)?)
                        .take_while(|(a, b)| a == b)
                        .count();
                    (same >= MIN_CONTINUATION).then_some(at as u32)
                });
            let Some(at) = hit else {
                // No plain match here: perhaps an index table whose entries all moved by the
                // same amount (the day index after an inserted event).
                if let Some((count, delta)) = shifted_u16_run(base, new, i, i as isize + align) {
                    flush_insert(&mut out, new.get(pending_from..i).unwrap_or(&[]));
                    out.push(op::ADD16);
                    push_varint(&mut out, (i as isize + align) as u32);
                    push_varint(&mut out, count as u32);
                    push_varint(&mut out, zigzag(i32::from(delta as i16)));
                    i += 2 * count;
                    pending_from = i;
                    continue;
                }
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
            // Forwards from `i`: the index promises MIN_MATCH equal bytes, a continuation fewer.
            let mut len = i - start;
            while new.get(start + len).is_some() && new.get(start + len) == base.get(base_at + len)
            {
                len += 1;
            }
            flush_insert(&mut out, new.get(pending_from..start).unwrap_or(&[]));
            out.push(op::COPY);
            push_varint(&mut out, base_at as u32);
            push_varint(&mut out, len as u32);
            i = start + len;
            pending_from = i;
            align = base_at as isize - start as isize;
        }
        flush_insert(&mut out, new.get(pending_from..).unwrap_or(&[]));
        out
    }

    /// At least 4 little-endian u16 values of `new` from `at` that equal those of `base` from
    /// `base_at` plus one non-zero constant: (how many, the constant).
    fn shifted_u16_run(base: &[u8], new: &[u8], at: usize, base_at: isize) -> Option<(usize, u16)> {
        const MIN_RUN: usize = 4;
        let base_at = usize::try_from(base_at).ok()?;
        let u16_at = |b: &[u8], i: usize| {
            b.get(i..i + 2)
                .and_then(|p| p.try_into().ok())
                .map(u16::from_le_bytes)
        };
        let delta = u16_at(new, at)?.wrapping_sub(u16_at(base, base_at)?);
        if delta == 0 {
            return None;
        }
        let mut count = 1;
        while let (Some(n), Some(b)) = (
            u16_at(new, at + 2 * count),
            u16_at(base, base_at + 2 * count),
        ) {
            if n.wrapping_sub(b) != delta {
                break;
            }
            count += 1;
        }
        (count >= MIN_RUN).then_some((count, delta))
    }

    /// Payloads from this size on are worth zopfli's time (≈ 0.1 s each); below it the
    /// saving is tens of bytes and a fleet of small boards would wait for nothing.
    pub const ZOPFLI_FROM: usize = 4096;

    /// Raw deflate at miniz's best level: fast (≈ 1 ms for a 28 KB bundle), used to compare
    /// the candidate payloads.
    pub fn deflate_fast(bytes: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec(bytes, 10)
    }

    /// Raw deflate as small as zopfli's optimal parsing makes it (a standard stream: the
    /// kiosk's inflater does not know the difference; ≈ 8 % smaller than [`deflate_fast`]).
    /// Effort drops with size so that a large listing still seals in about a second.
    pub fn deflate(bytes: &[u8]) -> Vec<u8> {
        let iterations = match bytes.len() {
            0..=65_536 => 15,
            65_537..=262_144 => 5,
            _ => 1,
        };
        let options = zopfli::Options {
            iteration_count: core::num::NonZeroU64::new(iterations)
                .unwrap_or(core::num::NonZeroU64::MIN),
            ..zopfli::Options::default()
        };
        let mut encoder =
            zopfli::DeflateEncoder::new(options, zopfli::BlockType::Dynamic, Vec::new());
        // One write per 1 MiB: zopfli compresses each write as its own chunk.
        for chunk in bytes.chunks(1 << 20) {
            if zopfli::Write::write_all(&mut encoder, chunk).is_err() {
                return deflate_fast(bytes);
            }
        }
        encoder.finish().unwrap_or_else(|_| deflate_fast(bytes))
    }

    /// How to seal.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Options<'k> {
        /// Never a delta, even when a base is given.
        pub force_full: bool,
        /// Never compress.
        pub no_compression: bool,
        /// The 64-byte Ed25519 secret key; unsigned when `None` (unless `signature` is given).
        pub secret_key: Option<&'k [u8; 64]>,
        /// A detached signature made earlier by [`super::sign`] (e.g. `anslag build --key`).
        pub signature: Option<&'k [u8; 64]>,
    }

    /// Seals `bundle` for the wire: in full, or as a delta against `base` when that is smaller,
    /// deflated when that is smaller, signed when a key is given.
    pub fn seal_with(
        bundle: &[u8],
        sequence: u64,
        base: Option<&[u8]>,
        options: &Options<'_>,
    ) -> Vec<u8> {
        let len = bundle.len() as u32;
        // Candidates: the packed tables (they win from a few events on), the bundle as one
        // INSERT (a tiny bundle deflates better as it is), and a delta against the base. Each
        // is compared deflated fast (or not, when that is smaller); only the winner, when it
        // is large, gets zopfli's slow, smaller deflate.
        let mut candidates = alloc::vec![(None, pack(bundle)), (None, whole(bundle))];
        if let Some(b) = base.filter(|_| !options.force_full) {
            candidates.push((Some(Crc::of(bundle_crc(b))), diff(b, bundle)));
        }
        let sized = candidates.into_iter().map(|(base_id, ops)| {
            let deflated = (!options.no_compression)
                .then(|| deflate_fast(&ops))
                .filter(|d| d.len() < ops.len());
            (base_id, ops, deflated)
        });
        let best =
            sized.min_by_key(|(_, ops, deflated)| deflated.as_ref().map_or(ops.len(), Vec::len));
        let (base_id, (compression, payload)) = match best {
            Some((base_id, ops, Some(fast))) => {
                let small = if fast.len() >= ZOPFLI_FROM {
                    Some(deflate(&ops)).filter(|z| z.len() < fast.len())
                } else {
                    None
                };
                (base_id, (Compression::Deflate, small.unwrap_or(fast)))
            }
            Some((base_id, ops, None)) => (base_id, (Compression::None, ops)),
            None => (None, (Compression::None, whole(bundle))),
        };
        let signature = options
            .secret_key
            .and_then(|k| ed25519_compact::SecretKey::from_slice(k).ok())
            .map(|k| *k.sign(signing_message(sequence, len, &bundle_hash(bundle)), None))
            .or(options.signature.copied());
        let header = Header {
            version: VERSION,
            sequence,
            bundle_len: len,
            bundle_crc: Crc::of(bundle_crc(bundle)),
            base: base_id,
            compression,
            payload_len: payload.len() as u32,
            signature: signature
                .as_ref()
                .map_or([[0; 32]; 2], Header::signature_field),
        };
        let mut out = postcard::to_allocvec(&header).unwrap_or_default();
        out.extend_from_slice(&payload);
        out
    }

    /// [`seal_with`] with compression, a delta when it is smaller, and the given key.
    pub fn seal(
        bundle: &[u8],
        sequence: u64,
        base: Option<&[u8]>,
        secret_key: Option<&[u8; 64]>,
    ) -> Vec<u8> {
        seal_with(
            bundle,
            sequence,
            base,
            &Options {
                secret_key,
                ..Options::default()
            },
        )
    }

    /// A [`Target`] in memory: the base and the result as vectors.
    #[derive(Debug, Clone, Default)]
    pub struct MemoryTarget {
        /// The active bundle and its sequence.
        pub active: Option<(Vec<u8>, u64)>,
        /// The bundle being written.
        pub pending: Vec<u8>,
    }

    impl Target for MemoryTarget {
        fn active(&self) -> Option<BaseId> {
            self.active.as_ref().map(|(b, s)| BaseId {
                sequence: *s,
                crc: bundle_crc(b),
            })
        }

        fn read_active(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Error> {
            let (b, _) = self.active.as_ref().ok_or(Error::WrongBase)?;
            let src = b
                .get(offset as usize..offset as usize + buf.len())
                .ok_or(Error::BadPatch)?;
            buf.copy_from_slice(src);
            Ok(())
        }

        fn begin(&mut self, _len: u32) -> Result<(), Error> {
            self.pending.clear();
            Ok(())
        }

        fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Error> {
            if offset as usize != self.pending.len() {
                return Err(Error::BadPatch);
            }
            self.pending.extend_from_slice(bytes);
            Ok(())
        }

        fn activate(&mut self, sequence: u64) -> Result<(), Error> {
            self.active = Some((core::mem::take(&mut self.pending), sequence));
            Ok(())
        }
    }

    /// Applies a whole envelope to `target` in pieces of `chunk` bytes, as a kiosk would.
    ///
    /// # Errors
    /// Every [`Error`] the kiosk would give.
    pub fn apply<T: Target>(
        envelope: &[u8],
        public_key: &[u8; 32],
        target: &mut T,
        chunk: usize,
    ) -> Result<u64, Error> {
        let (header, payload) = Header::decode_envelope(envelope)?;
        let mut rx = alloc::boxed::Box::new(Receiver::new());
        rx.begin(&header, target)?;
        for piece in payload.chunks(chunk.max(1)) {
            rx.feed(piece, target)?;
        }
        rx.finish(public_key, target)
    }
}

mod inflate;
mod patch;
#[cfg(test)]
mod tests;

pub use inflate::{Inflater, INFLATE_WINDOW};

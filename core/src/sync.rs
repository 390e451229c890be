//! The sync protocol: sans-IO state machines for the host (`anslag push`) and the kiosk, which
//! move one envelope ([`crate::wire`]) over any byte link — TCP, a serial cable, a radio — and
//! survive what such links do: drop, duplicate, corrupt, cut short, or die mid-transfer.
//!
//! ```text
//! kiosk                                   host
//!   ── Hello{board, active, partial, capacity, max_frame, window} ──▶
//!   ◀── Time{unix_seconds}                     (the host's clock, once)
//!   ◀── Offer{transfer, header}                (or nothing: already up to date)
//!   ── Accept{transfer, offset} ──▶            (after erasing the slot; offset > 0 resumes)
//!   ◀── Data{transfer, offset, bytes} × window
//!   ── Ack{transfer, offset} ──▶               (cumulative; a repeated offset asks for a resend)
//!   ◀── Commit{transfer}
//!   ── Done{transfer, sequence} | Reject{transfer, reason} ──▶
//! ```
//!
//! Every message is postcard, followed by its CRC-32, COBS-encoded and ended by a `0x00` byte
//! ([`frame`]); a frame that fails COBS or CRC is dropped and the timers recover it. The frame
//! size is the smaller of the two sides' maxima and can be as small as [`MIN_FRAME`] (233 bytes,
//! a LoRa packet). The kiosk accepts data only at the offset it has reached, so duplicates and
//! gaps are harmless; the host resends from the last acknowledged offset after a timeout or a
//! repeated ack (go-back-N). A transfer is named by the CRC-32 of its envelope header, so after a
//! dropped link the kiosk's next Hello names its partial transfer and the host resumes it.
//!
//! Neither machine reads a clock or a socket: the caller passes `now` in milliseconds, feeds
//! received frames in, asks for frames to send, and sleeps until [`Host::poll_at`].

mod host;
mod kiosk;

use serde::{Deserialize, Serialize};

use crate::checksum::crc32;
use crate::wire::{self, BaseId};

pub use host::{Host, HostConfig, Outcome, Progress};
pub use kiosk::{Kiosk, KioskEvent};

/// Protocol version carried in [`Hello`].
pub const PROTOCOL: u8 = 1;
/// Smallest frame size the protocol works with (a LoRa packet), delimiter included.
pub const MIN_FRAME: usize = 233;
/// Largest frame size either side may announce.
pub const MAX_FRAME: usize = 4096;

/// What a kiosk says when a link comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello<'a> {
    /// [`PROTOCOL`].
    pub protocol: u8,
    /// The board's name (from its provisioning).
    pub board: &'a str,
    /// The active bundle, if any.
    pub active: Option<BaseId>,
    /// A transfer it was receiving when the link dropped.
    pub partial: Option<Partial>,
    /// Bytes a bundle slot holds.
    pub capacity: u32,
    /// Largest frame it receives, delimiter included.
    pub max_frame: u16,
    /// Data frames it can take in flight.
    pub window: u8,
}

/// A transfer in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// Its transfer id.
    pub transfer: u32,
    /// Payload bytes received and applied.
    pub offset: u32,
}

/// One protocol message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message<'a> {
    /// Kiosk → host, when the link comes up.
    #[serde(borrow)]
    Hello(Hello<'a>),
    /// Host → kiosk: the envelope header of the bundle on offer.
    Offer {
        /// CRC-32 of `header`.
        transfer: u32,
        /// The encoded [`wire::Header`].
        header: &'a [u8],
    },
    /// Kiosk → host: ready; send the payload from `offset`.
    Accept {
        /// The transfer.
        transfer: u32,
        /// Where to start (non-zero when resuming).
        offset: u32,
    },
    /// Host → kiosk: payload bytes.
    Data {
        /// The transfer.
        transfer: u32,
        /// Offset of `bytes` in the payload.
        offset: u32,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// Kiosk → host: payload received and applied up to `offset`.
    Ack {
        /// The transfer.
        transfer: u32,
        /// Bytes received in order.
        offset: u32,
    },
    /// Host → kiosk, right after the Hello: the host's clock, UTC seconds. A kiosk without a
    /// battery-backed clock sets its own from it (a kiosk with one may correct drift).
    Time {
        /// Seconds since 1970-01-01 UTC.
        unix_seconds: i64,
    },
    /// Host → kiosk: all payload sent and acknowledged; check it and activate.
    Commit {
        /// The transfer.
        transfer: u32,
    },
    /// Kiosk → host: verified and active.
    Done {
        /// The transfer.
        transfer: u32,
        /// The sequence now active.
        sequence: u64,
    },
    /// Kiosk → host: refused; its active bundle is unchanged.
    Reject {
        /// The transfer.
        transfer: u32,
        /// Why.
        reason: wire::Error,
    },
}

/// The id of the transfer that sends `header`.
pub fn transfer_id(header: &[u8]) -> u32 {
    crc32(header)
}

/// Bytes of payload a Data message can carry in a frame of `frame` bytes.
pub fn data_capacity(frame: usize) -> usize {
    // Data = tag (1) + transfer (≤ 5) + offset (≤ 5) + length (≤ 3) + bytes, then CRC (4),
    // then COBS (1 + 1 per 254) and the delimiter (1).
    let overhead = |n: usize| {
        let raw = n + 1 + 5 + 5 + 3 + 4;
        raw + raw / 254 + 1 + 1
    };
    let mut n = frame.saturating_sub(20);
    while n > 0 && overhead(n) > frame {
        n -= 1;
    }
    n
}

/// Frames: `COBS(postcard(message) · CRC-32 LE) · 0x00`.
pub mod frame {
    use super::Message;
    use crate::checksum::crc32;

    /// Why a frame was dropped.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum FrameError {
        /// Not valid COBS, or too short to hold a CRC.
        Cobs,
        /// The CRC does not match: corrupted on the link.
        Crc,
        /// The CRC matches but the message does not decode (another version?).
        Message,
        /// The message does not fit the buffer.
        TooLarge,
    }

    impl core::fmt::Display for FrameError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str(match self {
                FrameError::Cobs => "bad COBS framing",
                FrameError::Crc => "CRC mismatch",
                FrameError::Message => "undecodable message",
                FrameError::TooLarge => "frame too large",
            })
        }
    }

    /// Encodes `message` as a frame into `out` (delimiter included), using `scratch` for the
    /// unencoded bytes. Returns the frame's length.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] when `scratch` or `out` is too small.
    pub fn encode(
        message: &Message<'_>,
        scratch: &mut [u8],
        out: &mut [u8],
    ) -> Result<usize, FrameError> {
        let n = postcard::to_slice(message, scratch)
            .map_err(|_| FrameError::TooLarge)?
            .len();
        let crc = crc32(scratch.get(..n).ok_or(FrameError::TooLarge)?);
        scratch
            .get_mut(n..n + 4)
            .ok_or(FrameError::TooLarge)?
            .copy_from_slice(&crc.to_le_bytes());
        let raw = scratch.get(..n + 4).ok_or(FrameError::TooLarge)?;
        let len = cobs::try_encode(raw, out).map_err(|_| FrameError::TooLarge)?;
        *out.get_mut(len).ok_or(FrameError::TooLarge)? = 0;
        Ok(len + 1)
    }

    /// Decodes a frame (without its delimiter) in place.
    ///
    /// # Errors
    /// [`FrameError::Cobs`], [`FrameError::Crc`] or [`FrameError::Message`].
    pub fn decode(frame: &mut [u8]) -> Result<Message<'_>, FrameError> {
        let n = cobs::decode_in_place(frame).map_err(|_| FrameError::Cobs)?;
        let body_len = n.checked_sub(4).ok_or(FrameError::Cobs)?;
        let (body, rest) = frame.split_at(body_len);
        let crc = rest
            .get(..4)
            .and_then(|c| c.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or(FrameError::Cobs)?;
        if crc32(body) != crc {
            return Err(FrameError::Crc);
        }
        postcard::from_bytes(body).map_err(|_| FrameError::Message)
    }

    /// Collects bytes from a link into frames of at most `N` bytes.
    #[derive(Debug, Clone)]
    pub struct Reader<const N: usize> {
        buf: [u8; N],
        len: usize,
        overflow: bool,
    }

    impl<const N: usize> Default for Reader<N> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<const N: usize> Reader<N> {
        /// An empty reader.
        pub const fn new() -> Self {
            Reader {
                buf: [0; N],
                len: 0,
                overflow: false,
            }
        }

        /// Takes bytes up to and including the next delimiter; returns how many were taken and
        /// whether a frame is complete (then read it with [`Reader::frame`] before pushing more).
        /// A frame longer than `N` is dropped whole.
        pub fn push(&mut self, bytes: &[u8]) -> (usize, bool) {
            for (i, &b) in bytes.iter().enumerate() {
                if b == 0 {
                    let complete = !self.overflow && self.len > 0;
                    if !complete {
                        self.len = 0;
                    }
                    self.overflow = false;
                    if complete {
                        return (i + 1, true);
                    }
                    continue;
                }
                match self.buf.get_mut(self.len) {
                    Some(slot) if !self.overflow => {
                        *slot = b;
                        self.len += 1;
                    }
                    _ => {
                        self.overflow = true;
                        self.len = 0;
                    }
                }
            }
            (bytes.len(), false)
        }

        /// The complete frame's bytes (valid until the next `push`); clears the reader.
        pub fn frame(&mut self) -> &mut [u8] {
            let n = core::mem::take(&mut self.len);
            self.buf.get_mut(..n).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests;

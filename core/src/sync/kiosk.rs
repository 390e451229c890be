//! The kiosk's side: answers the host, applies payload in order, activates on commit.

use super::{Hello, Message, Partial, PROTOCOL};
use crate::wire::{self, Header, Receiver, Target};

/// What happened to the kiosk's bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KioskEvent {
    /// A new bundle is active: redraw.
    Activated {
        /// Its sequence.
        sequence: u64,
    },
    /// An update was refused; the active bundle is unchanged.
    Rejected(wire::Error),
    /// The host's clock: set ours (UTC seconds).
    Clock {
        /// Seconds since 1970-01-01 UTC.
        unix_seconds: i64,
    },
}

/// How the last transfer ended, to answer a repeated Commit or Offer the same way.
#[derive(Debug, Clone, Copy)]
struct Ended {
    transfer: u32,
    result: Result<u64, wire::Error>,
}

/// The kiosk's protocol state. Holds a [`Receiver`] (≈ 43 KiB with its inflate window), so
/// keep it in a `static` on a microcontroller.
#[derive(Debug)]
pub struct Kiosk<'k> {
    board: &'k str,
    public_key: [u8; 32],
    max_frame: u16,
    window: u8,
    /// The transfer being received.
    receiving: Option<u32>,
    ended: Option<Ended>,
    receiver: Receiver,
}

impl<'k> Kiosk<'k> {
    /// A kiosk named `board` that accepts only bundles signed by `public_key`, receiving frames
    /// of up to `max_frame` bytes, `window` of them in flight.
    pub fn new(board: &'k str, public_key: [u8; 32], max_frame: u16, window: u8) -> Self {
        Kiosk {
            board,
            public_key,
            max_frame,
            window: window.max(1),
            receiving: None,
            ended: None,
            receiver: Receiver::new(),
        }
    }

    /// The Hello to send when a link comes up (it names a partial transfer to resume).
    pub fn hello<T: Target>(&self, target: &T, capacity: u32) -> Message<'k> {
        Message::Hello(Hello {
            protocol: PROTOCOL,
            board: self.board,
            active: target.active(),
            partial: self.receiving.map(|transfer| Partial {
                transfer,
                offset: self.receiver.consumed(),
            }),
            capacity,
            max_frame: self.max_frame,
            window: self.window,
        })
    }

    /// Handles one message from the host; returns the reply to send, if any, and what happened.
    pub fn handle<T: Target>(
        &mut self,
        message: &Message<'_>,
        target: &mut T,
    ) -> (Option<Message<'k>>, Option<KioskEvent>) {
        match *message {
            Message::Offer { transfer, header } => {
                (Some(self.offer(transfer, header, target)), None)
            }
            Message::Data {
                transfer,
                offset,
                bytes,
            } => self.data(transfer, offset, bytes, target),
            Message::Commit { transfer } => self.commit(transfer, target),
            Message::Time { unix_seconds } => (None, Some(KioskEvent::Clock { unix_seconds })),
            // The kiosk's own messages echoed back, or nonsense: ignore.
            _ => (None, None),
        }
    }

    fn answer(ended: &Ended) -> Message<'k> {
        match ended.result {
            Ok(sequence) => Message::Done {
                transfer: ended.transfer,
                sequence,
            },
            Err(reason) => Message::Reject {
                transfer: ended.transfer,
                reason,
            },
        }
    }

    fn offer<T: Target>(&mut self, transfer: u32, header: &[u8], target: &mut T) -> Message<'k> {
        if self.receiving == Some(transfer) {
            // A resend of the offer, or a resume after a dropped link.
            return Message::Accept {
                transfer,
                offset: self.receiver.consumed(),
            };
        }
        if let Some(ended) = self.ended.filter(|e| e.transfer == transfer) {
            return Self::answer(&ended);
        }
        let started = if super::transfer_id(header) != transfer {
            Err(wire::Error::Truncated)
        } else {
            Header::decode(header)
                .and_then(|(h, rest)| {
                    if rest.is_empty() {
                        Ok(h)
                    } else {
                        Err(wire::Error::Truncated)
                    }
                })
                .and_then(|h| self.receiver.begin(&h, target))
        };
        match started {
            Ok(()) => {
                self.receiving = Some(transfer);
                Message::Accept {
                    transfer,
                    offset: 0,
                }
            }
            Err(reason) => {
                self.receiving = None;
                Message::Reject { transfer, reason }
            }
        }
    }

    fn data<T: Target>(
        &mut self,
        transfer: u32,
        offset: u32,
        bytes: &[u8],
        target: &mut T,
    ) -> (Option<Message<'k>>, Option<KioskEvent>) {
        if self.receiving != Some(transfer) {
            // Late data of an ended transfer: nothing to say.
            return (None, None);
        }
        if offset == self.receiver.consumed() {
            if let Err(reason) = self.receiver.feed(bytes, target) {
                return self.end(transfer, Err(reason));
            }
        }
        // In order: acknowledges it; a duplicate or a gap: repeats where we are.
        (
            Some(Message::Ack {
                transfer,
                offset: self.receiver.consumed(),
            }),
            None,
        )
    }

    fn commit<T: Target>(
        &mut self,
        transfer: u32,
        target: &mut T,
    ) -> (Option<Message<'k>>, Option<KioskEvent>) {
        if self.receiving != Some(transfer) {
            return match self.ended.filter(|e| e.transfer == transfer) {
                Some(ended) => (Some(Self::answer(&ended)), None),
                None => (None, None),
            };
        }
        if self.receiver.consumed() != self.receiver.payload_len() {
            return (
                Some(Message::Ack {
                    transfer,
                    offset: self.receiver.consumed(),
                }),
                None,
            );
        }
        let result = self.receiver.finish(&self.public_key, target);
        self.end(transfer, result)
    }

    fn end(
        &mut self,
        transfer: u32,
        result: Result<u64, wire::Error>,
    ) -> (Option<Message<'k>>, Option<KioskEvent>) {
        let ended = Ended { transfer, result };
        self.receiving = None;
        self.ended = Some(ended);
        let event = match result {
            Ok(sequence) => KioskEvent::Activated { sequence },
            Err(reason) => KioskEvent::Rejected(reason),
        };
        (Some(Self::answer(&ended)), Some(event))
    }
}

//! The host's side: offers one envelope, streams its payload with a window of frames in
//! flight, resends from the last acknowledged offset, and commits.

use super::{data_capacity, frame, transfer_id, Hello, Message, MAX_FRAME, MIN_FRAME, PROTOCOL};
use crate::wire::{self, Header};

/// Timers and limits of a [`Host`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostConfig {
    /// Largest frame the host sends, delimiter included (the kiosk's Hello may lower it).
    pub max_frame: u16,
    /// Data frames in flight at most (the kiosk's Hello may lower it).
    pub window: u8,
    /// How long to wait for the kiosk's Hello.
    pub hello_timeout_ms: u64,
    /// How long to wait for an answer before resending.
    pub retry_timeout_ms: u64,
    /// Resends without progress before giving up.
    pub max_retries: u32,
    /// The host's clock (UTC seconds) to send after the Hello; `None` sends none.
    pub wall_clock: Option<i64>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            max_frame: 1024,
            window: 8,
            hello_timeout_ms: 10_000,
            retry_timeout_ms: 2_000,
            max_retries: 8,
            wall_clock: None,
        }
    }
}

/// How a push ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The kiosk verified and activated the bundle.
    Activated {
        /// Its sequence.
        sequence: u64,
    },
    /// The kiosk already runs this bundle: nothing was sent.
    UpToDate,
    /// The kiosk refused, for this reason; its bundle is unchanged.
    Rejected(wire::Error),
    /// No Hello in time.
    NoHello,
    /// The kiosk stopped answering (the transfer can resume on the next link).
    TimedOut,
    /// The kiosk speaks another protocol version, or its frames are too small.
    Incompatible,
}

/// Where a push is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Payload bytes the kiosk acknowledged.
    pub acked: u32,
    /// Payload length.
    pub total: u32,
    /// Bytes put on the link so far, framing and resends included.
    pub wire_bytes: u64,
    /// Data frames sent again.
    pub resent_frames: u32,
    /// Whether this transfer resumed one the kiosk had begun.
    pub resumed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitHello,
    /// Hello received; the caller must [`Host::offer`] an envelope (or finish).
    Hello,
    Offering,
    Sending,
    Committing,
    Finished(Outcome),
}

/// The host's protocol state for one push to one kiosk.
#[derive(Debug)]
pub struct Host<'e> {
    config: HostConfig,
    state: State,
    header: &'e [u8],
    payload: &'e [u8],
    transfer: u32,
    frame: usize,
    chunk: usize,
    window: usize,
    /// Next payload offset to send.
    next: u32,
    acked: u32,
    /// The acked offset at which we last went back (one resend per loss, not per dup ack).
    rewound_at: Option<u32>,
    /// Highest payload offset ever sent (data below it is a resend).
    high_water: u32,
    deadline: u64,
    /// Whether the message of the current state is due now.
    due: bool,
    retries: u32,
    progress: Progress,
    hello: Option<HelloInfo>,
    /// The Time message is due (once, after the Hello).
    time_due: bool,
}

/// The parts of a kiosk's Hello the caller needs to pick an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloInfo {
    /// The kiosk's active bundle.
    pub active: Option<wire::BaseId>,
    /// Bytes a slot holds.
    pub capacity: u32,
    /// The frame size both sides use.
    pub frame: u16,
    partial: Option<super::Partial>,
    board_len: usize,
    board: [u8; 64],
}

impl HelloInfo {
    /// The board's name as it announced it (up to 64 bytes).
    pub fn board(&self) -> &str {
        self.board
            .get(..self.board_len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl<'e> Host<'e> {
    /// A host waiting for a kiosk's Hello from `now_ms` on.
    pub fn new(config: HostConfig, now_ms: u64) -> Self {
        Host {
            config,
            state: State::AwaitHello,
            header: &[],
            payload: &[],
            transfer: 0,
            frame: usize::from(config.max_frame).clamp(MIN_FRAME, MAX_FRAME),
            chunk: 0,
            window: usize::from(config.window.max(1)),
            next: 0,
            acked: 0,
            rewound_at: None,
            high_water: 0,
            deadline: now_ms.saturating_add(config.hello_timeout_ms),
            due: false,
            retries: 0,
            progress: Progress {
                acked: 0,
                total: 0,
                wire_bytes: 0,
                resent_frames: 0,
                resumed: false,
            },
            hello: None,
            time_due: false,
        }
    }

    /// The kiosk's Hello, once it arrived.
    pub fn hello(&self) -> Option<&HelloInfo> {
        self.hello.as_ref()
    }

    /// Whether the host waits for [`Host::offer`].
    pub fn wants_envelope(&self) -> bool {
        self.state == State::Hello
    }

    /// The outcome, once the push ended.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.state {
            State::Finished(o) => Some(o),
            _ => None,
        }
    }

    /// Where the push is.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The frame size in use.
    pub fn frame_size(&self) -> usize {
        self.frame
    }

    /// When to call [`Host::poll_transmit`] next if no frame arrives (milliseconds).
    pub fn poll_at(&self) -> Option<u64> {
        match self.state {
            State::Finished(_) | State::Hello => None,
            _ => Some(self.deadline),
        }
    }

    /// Offers `envelope` (from [`crate::wire::seal`]) to the kiosk that said Hello. When the
    /// kiosk already runs exactly this bundle the push ends as [`Outcome::UpToDate`].
    ///
    /// # Errors
    /// The envelope's own decoding errors.
    pub fn offer(&mut self, envelope: &'e [u8], now_ms: u64) -> Result<(), wire::Error> {
        let (header, payload) = Header::decode_envelope(envelope)?;
        let header_len = envelope.len() - payload.len();
        let hello = self.hello.ok_or(wire::Error::Truncated)?;
        if hello.active
            == Some(wire::BaseId {
                sequence: header.sequence,
                crc: header.bundle_crc.get(),
            })
        {
            self.state = State::Finished(Outcome::UpToDate);
            return Ok(());
        }
        self.header = envelope.get(..header_len).ok_or(wire::Error::Truncated)?;
        self.payload = payload;
        self.transfer = transfer_id(self.header);
        self.progress.total = header.payload_len;
        self.progress.resumed = hello.partial.is_some_and(|p| p.transfer == self.transfer);
        self.enter(State::Offering, now_ms);
        Ok(())
    }

    fn enter(&mut self, state: State, now_ms: u64) {
        self.state = state;
        self.retries = 0;
        self.due = true;
        self.deadline = now_ms;
    }

    /// Handles a frame received from the kiosk (without its delimiter; decoded in place).
    /// Frames that fail COBS or CRC are dropped; the timers recover them.
    pub fn receive(&mut self, raw: &mut [u8], now_ms: u64) {
        let Ok(message) = frame::decode(raw) else {
            return;
        };
        self.handle(&message, now_ms);
    }

    /// Handles a decoded message from the kiosk.
    pub fn handle(&mut self, message: &Message<'_>, now_ms: u64) {
        match (*message, self.state) {
            (Message::Hello(h), State::AwaitHello) => self.on_hello(&h, now_ms),
            (Message::Accept { transfer, offset }, State::Offering)
                if transfer == self.transfer && offset <= self.progress.total =>
            {
                self.acked = offset;
                self.next = offset;
                self.progress.acked = offset;
                self.rewound_at = None;
                let state = if offset == self.progress.total {
                    State::Committing
                } else {
                    State::Sending
                };
                self.enter(state, now_ms);
            }
            (Message::Ack { transfer, offset }, State::Sending | State::Committing)
                if transfer == self.transfer && offset <= self.progress.total =>
            {
                self.on_ack(offset, now_ms);
            }
            (Message::Done { transfer, sequence }, state)
                if transfer == self.transfer && !matches!(state, State::Finished(_)) =>
            {
                self.state = State::Finished(Outcome::Activated { sequence });
            }
            (Message::Reject { transfer, reason }, state)
                if transfer == self.transfer && !matches!(state, State::Finished(_)) =>
            {
                self.state = State::Finished(Outcome::Rejected(reason));
            }
            _ => {}
        }
    }

    fn on_hello(&mut self, h: &Hello<'_>, now_ms: u64) {
        let frame = usize::from(h.max_frame).min(self.frame);
        if h.protocol != PROTOCOL || frame < MIN_FRAME {
            self.state = State::Finished(Outcome::Incompatible);
            return;
        }
        self.frame = frame;
        self.chunk = data_capacity(frame);
        self.window = self.window.min(usize::from(h.window.max(1)));
        let mut board = [0u8; 64];
        let name = h.board.as_bytes();
        let n = name.len().min(board.len());
        if let (Some(dst), Some(src)) = (board.get_mut(..n), name.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.hello = Some(HelloInfo {
            active: h.active,
            capacity: h.capacity,
            frame: frame as u16,
            partial: h.partial,
            board_len: n,
            board,
        });
        self.state = State::Hello;
        self.deadline = now_ms;
        self.time_due = self.config.wall_clock.is_some();
    }

    fn on_ack(&mut self, offset: u32, now_ms: u64) {
        if offset > self.acked {
            self.acked = offset;
            self.progress.acked = offset;
            self.retries = 0;
            self.deadline = now_ms.saturating_add(self.config.retry_timeout_ms);
            self.next = self.next.max(offset);
            if offset == self.progress.total && self.state == State::Sending {
                self.enter(State::Committing, now_ms);
            }
        } else if offset == self.acked && self.next > self.acked && self.rewound_at != Some(offset)
        {
            // The kiosk repeats where it is: something after it was lost. Go back once.
            self.rewound_at = Some(offset);
            self.next = offset;
        }
    }

    /// The next frame to send, written into `out` (at least the frame size); `None` when
    /// nothing is due before [`Host::poll_at`].
    pub fn poll_transmit(&mut self, now_ms: u64, out: &mut [u8]) -> Option<usize> {
        let mut scratch = [0u8; MAX_FRAME];
        if self.time_due {
            self.time_due = false;
            let unix_seconds = self.config.wall_clock?;
            let message = Message::Time { unix_seconds };
            let n = frame::encode(&message, &mut scratch, out).ok()?;
            self.progress.wire_bytes += n as u64;
            return Some(n);
        }
        if now_ms >= self.deadline && !self.due {
            self.on_timeout(now_ms);
        }
        let message = match self.state {
            State::Offering if self.due => Message::Offer {
                transfer: self.transfer,
                header: self.header,
            },
            State::Committing if self.due => Message::Commit {
                transfer: self.transfer,
            },
            State::Sending => {
                let in_flight = self.next.saturating_sub(self.acked) as usize;
                if self.next >= self.progress.total || in_flight >= self.window * self.chunk {
                    return None;
                }
                let from = self.next as usize;
                let to = (from + self.chunk).min(self.payload.len());
                let bytes = self.payload.get(from..to)?;
                if self.next < self.high_water {
                    self.progress.resent_frames += 1;
                }
                let message = Message::Data {
                    transfer: self.transfer,
                    offset: self.next,
                    bytes,
                };
                if self.acked == self.next {
                    // First frame in flight: the resend timer starts now.
                    self.deadline = now_ms.saturating_add(self.config.retry_timeout_ms);
                }
                self.next = to as u32;
                self.high_water = self.high_water.max(self.next);
                message
            }
            _ => return None,
        };
        if self.due {
            self.due = false;
            self.deadline = now_ms.saturating_add(self.config.retry_timeout_ms);
        }
        let n = frame::encode(&message, &mut scratch, out).ok()?;
        self.progress.wire_bytes += n as u64;
        Some(n)
    }

    fn on_timeout(&mut self, now_ms: u64) {
        match self.state {
            State::AwaitHello => self.state = State::Finished(Outcome::NoHello),
            State::Offering | State::Committing | State::Sending => {
                self.retries += 1;
                if self.retries > self.config.max_retries {
                    self.state = State::Finished(Outcome::TimedOut);
                    return;
                }
                if self.state == State::Sending {
                    self.next = self.acked;
                    self.rewound_at = None;
                    self.deadline = now_ms.saturating_add(self.config.retry_timeout_ms);
                } else {
                    self.due = true;
                }
            }
            State::Hello | State::Finished(_) => {}
        }
    }
}

//! E-paper care: a full refresh costs ~4 s and visible flashing, so the panel is refreshed only
//! when the rendered frame changed — plus once a day to clear ghosting.
//!
//! The kiosk renders every minute (cheap: RAM only) and asks [`RefreshPolicy::decide`]
//! whether to push the frame to the panel.

use anslag_core::checksum::crc32;
use anslag_core::time::Date;

/// What to do with a freshly rendered frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// The panel already shows this frame.
    Keep,
    /// The frame changed: refresh the panel.
    Changed,
    /// Unchanged, but a day has passed since the last full refresh: refresh against ghosting.
    Daily,
}

/// Remembers what the panel shows.
#[derive(Debug, Clone, Default)]
pub struct RefreshPolicy {
    shown: Option<u32>,
    last_full: Option<Date>,
}

impl RefreshPolicy {
    /// A policy for a panel that shows nothing yet.
    pub fn new() -> Self {
        RefreshPolicy::default()
    }

    /// Decides for `frame` rendered on board-local day `today`, and records the refresh.
    pub fn decide(&mut self, frame: &[u8], today: Date) -> Refresh {
        let crc = crc32(frame);
        let decision = if self.shown != Some(crc) {
            Refresh::Changed
        } else if self.last_full.is_some_and(|d| d < today) {
            Refresh::Daily
        } else {
            Refresh::Keep
        };
        if decision != Refresh::Keep {
            self.shown = Some(crc);
            self.last_full = Some(today);
        }
        decision
    }
}

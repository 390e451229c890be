//! Noticeboard firmware logic for anslag kiosks: decide what the board shows at a moment and
//! draw it on any `embedded-graphics` [`DrawTarget`](embedded_graphics::draw_target::DrawTarget)
//! — an e-paper panel, an LCD, or the PNG preview on the coordinator's laptop.
//!
//! ```
//! use anslag_kiosk::{framebuf::FrameBuf, profile::EPD_7IN5, render};
//! # fn show(bundle: &anslag_core::bundle::Bundle<'_>, now_utc: i64) {
//! let mut pixels = [0u8; EPD_7IN5.frame_bytes()];
//! let mut frame = FrameBuf::new(&mut pixels, EPD_7IN5.width, EPD_7IN5.height);
//! let shown = render::render(&mut frame, bundle, now_utc, &EPD_7IN5, &render::Options::default());
//! # let _ = shown; }
//! ```
//!
//! Stages: [`board`] (what is current: events not yet ended, grouped by day, paged) →
//! [`render`] (layout and drawing) using [`text`] (fonts with per-character fallback) and
//! [`i18n`] (day, month and UI words). No heap, no clock of its own: "now" is passed in.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod backoff;
pub mod board;
pub mod framebuf;
pub mod i18n;
pub mod palette;
pub mod profile;
pub mod receive;
pub mod refresh;
pub mod render;
pub mod text;
pub mod wake;

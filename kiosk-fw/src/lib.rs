//! Noticeboard firmware logic for anslag kiosks.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

//! The `anslag` command-line tool as a library, so end-to-end tests and benchmarks can drive
//! the same code the binary runs.
//!
//! Stages of the data flow, one module each:
//! [`feeds`] (fetch + parse + expand into board wall-clock occurrences) →
//! [`listing`] (normalise, de-duplicate, hand to `anslag_core::bundle`) →
//! [`link`] (the sync protocol over TCP, serial and pipes; the simulated kiosk's flash) →
//! [`cmd`] (one module per subcommand).

pub mod cli;
pub mod cmd;
pub mod config;
pub mod feeds;
pub mod link;
pub mod listing;

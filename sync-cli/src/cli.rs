//! Command-line definitions (clap). Each subcommand's arguments live next to its code in
//! [`crate::cmd`]; this file only lists them, so `anslag --help` reads as a table of contents.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::cmd;

/// anslag keeps community noticeboards up to date: build a listing from the feeds you already
/// keep (iCalendar, RSS/Atom/JSON Feed, CSV), preview it, and push it to your boards.
#[derive(Debug, Parser)]
#[command(
    name = "anslag",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "\
Examples:
  anslag demo               try it: example feeds, a simulated board, its picture
  anslag init               write a commented anslag.toml: centre, feeds, boards, key
  anslag sync --dry-run     check it: build and seal every board's update, send nothing
  anslag sync               the everyday command: build and push what changed
  anslag build events.ics --tz Europe/Riga --out hall.ansl
  anslag push hall.ansl --tcp 192.168.1.40:7878

`anslag COMMAND --help` shows each command's options and examples."
)]
pub struct Cli {
    /// More detail in the log on stderr (-v: each step, -vv: debugging); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Sends `tracing` logs to stderr at the level `-v` asks for (warnings by default).
    pub fn init_logging(&self) {
        let level = match self.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("anslag_cli={level}")));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(|| LogWriter)
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .without_time()
            .try_init();
    }
}

/// The progress bars on screen, if any: log lines go above them, not through them.
static BARS: std::sync::Mutex<Option<indicatif::MultiProgress>> = std::sync::Mutex::new(None);

/// Prints log lines above `bars` while they are on screen (`None` when they are gone).
pub fn log_above(bars: Option<indicatif::MultiProgress>) {
    if let Ok(mut b) = BARS.lock() {
        *b = bars;
    }
}

/// stderr, with the progress bars (if any) cleared while a log line is written.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bars = BARS.lock().ok().and_then(|b| b.clone());
        let write = || std::io::stderr().write_all(buf);
        match bars {
            Some(bars) => bars.suspend(write)?,
            None => write()?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole chain on built-in example feeds and write the board's picture.
    Demo(cmd::demo::Cmd),
    /// Write a commented anslag.toml: the centre, its feeds, its boards.
    Init(cmd::init::Cmd),
    /// The everyday command: fetch the feeds, build every board's listing, push what changed.
    Sync(cmd::sync::Cmd),
    /// Build a bundle (.ansl) for a board from calendar and feed files.
    Build(cmd::build::Cmd),
    /// Create the signing key pair boards use to accept only your bundles.
    Keygen(cmd::keygen::Cmd),
    /// Show what a bundle holds: header, validity window and events.
    Inspect(cmd::inspect::Cmd),
    /// Expand feeds into occurrences in a window, one JSON object per line.
    Expand(cmd::expand::Cmd),
    /// Render a bundle as the board would show it, into a PNG.
    Preview(cmd::preview::Cmd),
    /// Send a signed bundle to a kiosk (TCP, serial, MQTT broker, or a USB stick directory).
    Push(cmd::push::Cmd),
    /// Write signed bundles and a manifest into a directory a web server serves (HTTP pull).
    Publish(cmd::publish::Cmd),
    /// Run a simulated kiosk: the real kiosk code on a file-backed flash, PNG on every update.
    KioskSim(cmd::kiosk_sim::Cmd),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::Completions),
    /// Print the man page, or write one per command into a directory.
    Man(cmd::completions::Man),
    /// Measure anslag against its peers and print a report.
    #[command(
        subcommand,
        after_help = "\
Examples:
  anslag bench format ../shared/bench/listing-200.ics    bundle size and decode speed
  anslag bench wire ../shared/bench/listing-200.ics      bytes of a full and a one-event update
  anslag bench push ../shared/bench/listing-200.ics --baud 115200
  anslag bench fleet --boards 1000                       1,000 simulated boards on mosquitto"
    )]
    Bench(cmd::bench::Cmd),
}

impl Command {
    /// Runs the subcommand.
    ///
    /// # Errors
    /// Whatever the subcommand reports; `main` prints it with its context chain.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Demo(c) => c.run(),
            Command::Init(c) => c.run(),
            Command::Sync(c) => c.run(),
            Command::Completions(c) => c.run(),
            Command::Man(c) => c.run(),
            Command::Build(c) => c.run(),
            Command::Inspect(c) => c.run(),
            Command::Keygen(c) => c.run(),
            Command::Expand(c) => c.run(),
            Command::Preview(c) => c.run(),
            Command::Push(c) => c.run(),
            Command::Publish(c) => c.run(),
            Command::KioskSim(c) => c.run(),
            Command::Bench(c) => c.run(),
        }
    }
}

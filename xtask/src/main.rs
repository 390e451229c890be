//! `cargo xtask`: see `cargo xtask --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use anslag_kiosk::profile::{self, Profile};
use clap::{Parser, Subcommand};

/// anslag project automation.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the QEMU board firmware with a bundle and run it on an emulated Cortex-M3: it
    /// renders the screen of a display profile and prints the frame's SHA-256 (compare with
    /// `anslag preview --frame-hash --profile …`).
    Qemu {
        /// The bundle to show.
        #[arg(long)]
        bundle: PathBuf,
        /// Board wall-clock YYYY-MM-DDTHH:MM, or RFC 3339 with an offset.
        #[arg(long)]
        now: String,
        /// Put the board's UART0 on a TCP server at 127.0.0.1:PORT (QEMU waits for a client).
        #[arg(long, value_name = "PORT")]
        uart: Option<u16>,
        /// Display profile to render for, as `anslag preview --profile` takes it.
        #[arg(long, default_value = "epd-7in5", value_parser = profile::parse)]
        profile: Profile,
    },
    /// Build the RP2040 firmware and check its size: ≤ 96 KB of code (fonts apart) and ≤ 64 KB
    /// of static RAM besides the frame buffer. Prints a Markdown table; fails when over.
    FwSize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Qemu {
            bundle,
            now,
            uart,
            profile,
        } => xtask::qemu_run(&bundle, &now, &profile, uart).map(|run| print!("{}", run.output)),
        Task::FwSize => [("always-on build", ""), ("battery build", "battery")]
            .into_iter()
            .try_for_each(|(variant, features)| {
                xtask::size::rp2040(features).and_then(|s| xtask::size::report(variant, &s))
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

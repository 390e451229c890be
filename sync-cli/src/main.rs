//! The `anslag` binary: parses arguments, runs the subcommand, turns errors into exit codes.

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = anslag_cli::cli::Cli::parse();
    cli.init_logging();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `anslag inspect x.ansl | head` must not end in an error message.
            let broken_pipe = err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>().map(std::io::Error::kind)
                    == Some(ErrorKind::BrokenPipe)
                    || e.downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                        == Some(ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! One module per subcommand: each has a clap `Cmd` and a `run`.

pub mod bench;
pub mod build;
pub mod completions;
pub mod demo;
pub mod expand;
pub mod init;
pub mod inspect;
pub mod keygen;
pub mod kiosk_sim;
pub mod preview;
pub mod publish;
pub mod push;
pub mod sync;

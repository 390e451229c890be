//! `anslag preview` (being written; see the issue tracker).

/// Arguments of `anslag preview`.
#[derive(Debug, clap::Args)]
pub struct Cmd {}

impl Cmd {
    /// Runs the command.
    ///
    /// # Errors
    /// Always, until the command lands.
    pub fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("`anslag preview` is not available in this build yet")
    }
}

//! `anslag init`: write a commented `anslag.toml` to start from.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

/// Arguments of `anslag init`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  anslag init && $EDITOR anslag.toml && anslag sync --dry-run")]
pub struct Cmd {
    /// Where to write it.
    #[arg(long, value_name = "FILE", default_value = "anslag.toml")]
    pub config: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

impl Cmd {
    /// Runs `anslag init`.
    ///
    /// # Errors
    /// The file exists (without `--force`) or cannot be written.
    pub fn run(self) -> Result<()> {
        if self.config.exists() && !self.force {
            bail!(
                "{} exists already; edit it, or pass --force to start over",
                self.config.display()
            );
        }
        std::fs::write(&self.config, crate::config::TEMPLATE)
            .with_context(|| format!("cannot write {}", self.config.display()))?;
        eprintln!(
            "wrote {}: set the centre, feeds and boards, then `anslag sync --dry-run`",
            self.config.display()
        );
        Ok(())
    }
}

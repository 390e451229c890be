//! `anslag completions SHELL` and `anslag man`: generated from the clap definitions, so they
//! never disagree with `--help`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::CommandFactory;

/// Arguments of `anslag completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag completions bash > ~/.local/share/bash-completion/completions/anslag
  anslag completions zsh > ~/.zfunc/_anslag
  anslag completions fish > ~/.config/fish/completions/anslag.fish")]
pub struct Completions {
    /// The shell.
    pub shell: clap_complete::Shell,
}

impl Completions {
    /// Prints the completion script.
    ///
    /// # Errors
    /// Never (stdout errors are ignored by the generator).
    pub fn run(self) -> Result<()> {
        let mut cmd = crate::cli::Cli::command();
        clap_complete::generate(self.shell, &mut cmd, "anslag", &mut std::io::stdout());
        Ok(())
    }
}

/// Arguments of `anslag man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  anslag man | man -l -                    read it now
  anslag man --dir ~/.local/share/man/man1  install anslag.1 and one page per command")]
pub struct Man {
    /// Write anslag.1 and anslag-COMMAND.1 into this directory instead of printing anslag.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl Man {
    /// Prints or writes the man pages.
    ///
    /// # Errors
    /// The directory cannot be written.
    pub fn run(self) -> Result<()> {
        let cmd = crate::cli::Cli::command();
        match self.dir {
            None => clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .context("cannot write the man page"),
            Some(dir) => {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                clap_mangen::generate_to(cmd, &dir)
                    .with_context(|| format!("cannot write man pages into {}", dir.display()))
            }
        }
    }
}

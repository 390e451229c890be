//! `anslag keygen`: the coordinator's signing key pair.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Create a signing key pair: NAME (secret: keep it on the coordinator's computer) and
/// NAME.pub (public: give it to every board, which then accepts only bundles you signed).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  anslag keygen --out ~/.config/anslag/hall-key
  anslag build events.ics --tz Europe/Riga --key ~/.config/anslag/hall-key --out hall.ansl")]
pub struct Cmd {
    /// Path of the secret key; the public key goes to the same path plus `.pub`.
    #[arg(long, value_name = "NAME")]
    pub out: PathBuf,
    /// Replace existing key files (boards pinned to the old key will refuse new bundles).
    #[arg(long)]
    pub force: bool,
}

const SECRET_HEADER: &str = "# anslag signing key (SECRET: never share, never commit)";
const PUBLIC_HEADER: &str = "# anslag public key (give it to your boards)";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a key file written by `keygen`: comment lines, then the key in hex.
///
/// # Errors
/// The file is missing or does not hold exactly `N` bytes of hex.
pub fn read_key<const N: usize>(path: &Path) -> Result<[u8; N]> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read key {}", path.display()))?;
    let hex: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<_>>()
        .with_context(|| format!("{}: not a key written by `anslag keygen`", path.display()))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        anyhow::anyhow!(
            "{}: expected a {N}-byte key, found {} bytes",
            path.display(),
            b.len()
        )
    })
}

/// The public-key path for a secret key path.
pub fn public_path(secret: &Path) -> PathBuf {
    let mut p = secret.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

impl Cmd {
    /// Runs the command.
    ///
    /// # Errors
    /// The files exist (without `--force`) or cannot be written.
    pub fn run(self) -> Result<()> {
        let public = public_path(&self.out);
        for p in [&self.out, &public] {
            if p.exists() && !self.force {
                bail!("{} exists; use --force to replace it (boards pinned to the old key will refuse new bundles)", p.display());
            }
        }
        let kp = ed25519_compact::KeyPair::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options
            .open(&self.out)
            .with_context(|| format!("cannot write {}", self.out.display()))?;
        writeln!(f, "{SECRET_HEADER}\n{}", hex(&kp.sk[..]))?;
        std::fs::write(&public, format!("{PUBLIC_HEADER}\n{}\n", hex(&kp.pk[..])))
            .with_context(|| format!("cannot write {}", public.display()))?;
        eprintln!(
            "wrote secret key {} (mode 600) and public key {}",
            self.out.display(),
            public.display()
        );
        Ok(())
    }
}

//! Project automation behind `cargo xtask`: building firmware and running it in QEMU.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod size;

use anslag_core::bundle::Bundle;
use anyhow::{bail, Context, Result};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo` for a board crate in `dir`: each board crate is its own workspace with its own
/// `target/` (where the callers look for the ELF), so a `CARGO_TARGET_DIR` meant for the host
/// workspace must not move its build elsewhere — the caller would run or measure a stale image.
pub fn board_cargo(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    cmd
}

/// One firmware build directory: a build for one caller must not replace the ELF another
/// caller in this process is about to run.
fn firmware_lock() -> std::sync::MutexGuard<'static, ()> {
    static FIRMWARE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    FIRMWARE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The receiving kiosk firmware running in QEMU, its UART0 on a loopback TCP port.
#[derive(Debug)]
pub struct QemuKiosk {
    child: std::process::Child,
    _build: std::sync::MutexGuard<'static, ()>,
}

impl QemuKiosk {
    /// Builds the `kiosk` firmware provisioned with `public_key` and `board`, rendering at
    /// `now_utc` after an update, and starts it in QEMU with UART0 served at
    /// 127.0.0.1:`uart_port` (the firmware starts when a client connects).
    ///
    /// # Errors
    /// The build fails or QEMU cannot be started.
    pub fn start(public_key: &[u8; 32], board: &str, now_utc: i64, uart_port: u16) -> Result<Self> {
        let guard = firmware_lock();
        let dir = root().join("kiosk-fw/boards/qemu");
        let key: String = public_key.iter().map(|b| format!("{b:02x}")).collect();
        let status = board_cargo(&dir)
            .args(["build", "--release", "--quiet", "--bin", "kiosk"])
            .env("ANSLAG_PUBKEY", key)
            .env("ANSLAG_BOARD", board)
            .env("ANSLAG_NOW", now_utc.to_string())
            .status()
            .context("cannot run cargo for the firmware")?;
        if !status.success() {
            bail!("firmware build failed");
        }
        let child = Command::new("qemu-system-arm")
            .args(["-cpu", "cortex-m3", "-machine", "mps2-an385", "-nographic"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .args([
                "-serial",
                &format!("tcp:127.0.0.1:{uart_port},server=on,wait=on"),
            ])
            .arg("-kernel")
            .arg(dir.join("target/thumbv7m-none-eabi/release/kiosk"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .context("cannot run qemu-system-arm (install it: apt-get install qemu-system-arm)")?;
        Ok(QemuKiosk {
            child,
            _build: guard,
        })
    }

    /// Waits for the firmware to exit and returns what it printed.
    ///
    /// # Errors
    /// It exited with a failure.
    pub fn wait(self) -> Result<QemuRun> {
        let out = self.child.wait_with_output()?;
        let output = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!("kiosk firmware failed in QEMU ({}):\n{output}", out.status);
        }
        let frame_hash = output
            .lines()
            .find_map(|l| l.strip_prefix("frame-sha256 "))
            .map(str::to_string);
        Ok(QemuRun { output, frame_hash })
    }

    /// Stops the emulator.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the QEMU firmware printed.
#[derive(Debug, Clone)]
pub struct QemuRun {
    /// Everything it printed.
    pub output: String,
    /// The SHA-256 of its frame buffer, from the `frame-sha256` line.
    pub frame_hash: Option<String>,
}

/// Builds the QEMU board firmware with `bundle` and `now` (board wall-clock
/// `YYYY-MM-DDTHH:MM` or RFC 3339) embedded, runs it on an emulated Cortex-M3 and returns what
/// it printed. It renders for the 7.5" e-paper profile; [`qemu_run`] takes any profile.
///
/// # Errors
/// The bundle is invalid, the build fails, `qemu-system-arm` is missing, or the firmware
/// exits with a failure.
pub fn qemu(bundle: &Path, now: &str) -> Result<QemuRun> {
    qemu_run(bundle, now, &anslag_kiosk::profile::EPD_7IN5, None)
}

/// Like [`qemu`], with the board's UART0 on a TCP server at 127.0.0.1:`port` (QEMU waits for
/// one client to connect before the firmware starts).
///
/// # Errors
/// As [`qemu`].
pub fn qemu_with_uart(bundle: &Path, now: &str, uart_port: Option<u16>) -> Result<QemuRun> {
    qemu_run(bundle, now, &anslag_kiosk::profile::EPD_7IN5, uart_port)
}

/// Like [`qemu_with_uart`], rendering for `profile` (one of [`anslag_kiosk::profile::ALL`],
/// the profiles `anslag preview --profile` takes).
///
/// # Errors
/// As [`qemu`].
pub fn qemu_run(
    bundle: &Path,
    now: &str,
    profile: &anslag_kiosk::profile::Profile,
    uart_port: Option<u16>,
) -> Result<QemuRun> {
    let _one_at_a_time = firmware_lock();
    let bytes =
        std::fs::read(bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let parsed = Bundle::parse(&bytes)
        .with_context(|| format!("{} is not a valid bundle", bundle.display()))?;
    let now_utc = anslag_cli::cmd::preview::parse_now(&parsed, now)?;
    let board = root().join("kiosk-fw/boards/qemu");
    let status = board_cargo(&board)
        .args(["build", "--release", "--quiet", "--bin", "show"])
        .env("ANSLAG_BUNDLE", bundle.canonicalize()?)
        .env("ANSLAG_NOW", now_utc.to_string())
        .env("ANSLAG_PROFILE", profile.name)
        .status()
        .context("cannot run cargo for the firmware")?;
    if !status.success() {
        bail!("firmware build failed");
    }
    let elf = board.join("target/thumbv7m-none-eabi/release/show");
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(["-cpu", "cortex-m3", "-machine", "mps2-an385", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"]);
    if let Some(port) = uart_port {
        // Loopback only: the board's serial line is for this machine's tests and tools.
        cmd.args([
            "-serial",
            &format!("tcp:127.0.0.1:{port},server=on,wait=on"),
        ]);
    }
    let out = cmd
        .arg("-kernel")
        .arg(&elf)
        .output()
        .context("cannot run qemu-system-arm (install it: apt-get install qemu-system-arm)")?;
    let output =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("firmware failed in QEMU ({}):\n{output}", out.status);
    }
    let frame_hash = output
        .lines()
        .find_map(|l| l.strip_prefix("frame-sha256 "))
        .map(str::to_string);
    Ok(QemuRun { output, frame_hash })
}

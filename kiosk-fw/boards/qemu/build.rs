//! Puts memory.x on the linker path, embeds the bundle to show (`show`) and the provisioning
//! of the receiving kiosk (`kiosk`).
//!
//! `ANSLAG_BUNDLE` (path of a .ansl file), `ANSLAG_NOW` (UTC seconds) and `ANSLAG_PROFILE`
//! (`epd-7in5`, the default, `epd-4in2` or `lcd-320x240`) choose what the firmware renders;
//! `cargo xtask`-style callers (the QEMU test, the README command) set them.
//! Without them the firmware shows an empty placeholder bundle and exits with status 2.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy("memory.x", out.join("memory.x")).expect("memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");

    println!("cargo:rerun-if-env-changed=ANSLAG_BUNDLE");
    println!("cargo:rerun-if-env-changed=ANSLAG_NOW");
    let bundle = match std::env::var_os("ANSLAG_BUNDLE") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            std::fs::read(&path).unwrap_or_else(|e| panic!("ANSLAG_BUNDLE {path:?}: {e}"))
        }
        None => Vec::new(),
    };
    std::fs::write(out.join("bundle.ansl"), bundle).expect("write bundle");
    let now: i64 = std::env::var("ANSLAG_NOW")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    std::fs::write(out.join("now.rs"), format!("{now}")).expect("write now");
    // The display profile `show` renders for: the names `anslag preview --profile` takes.
    println!("cargo:rerun-if-env-changed=ANSLAG_PROFILE");
    let profile = std::env::var("ANSLAG_PROFILE").unwrap_or_else(|_| "epd-7in5".into());
    let constant = match profile.as_str() {
        "epd-7in5" => "EPD_7IN5",
        "epd-4in2" => "EPD_4IN2",
        "lcd-320x240" => "LCD_320X240",
        other => panic!("ANSLAG_PROFILE {other:?}: choose epd-7in5, epd-4in2 or lcd-320x240"),
    };
    std::fs::write(
        out.join("profile.rs"),
        format!("anslag_kiosk::profile::{constant}"),
    )
    .expect("write profile");

    // The kiosk firmware's provisioning: its pinned public key and its name.
    println!("cargo:rerun-if-env-changed=ANSLAG_PUBKEY");
    println!("cargo:rerun-if-env-changed=ANSLAG_BOARD");
    let key = std::env::var("ANSLAG_PUBKEY").unwrap_or_default();
    let key: Vec<u8> = (0..key.len() / 2)
        .filter_map(|i| u8::from_str_radix(key.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let key: [u8; 32] = key.try_into().unwrap_or([0; 32]);
    std::fs::write(out.join("pubkey.rs"), format!("{key:?}")).expect("write key");
    let board = std::env::var("ANSLAG_BOARD").unwrap_or_else(|_| "board".into());
    std::fs::write(out.join("board.rs"), format!("{board:?}")).expect("write board");
}

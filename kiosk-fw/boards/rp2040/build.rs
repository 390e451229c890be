//! Puts memory.x on the linker path and bakes in the board's provisioning: `ANSLAG_PUBKEY`
//! (64 hex digits: the only key whose bundles it accepts) and `ANSLAG_BOARD` (its name).
//! Without a key the firmware builds (CI checks size and lints) but accepts nothing.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy("memory.x", out.join("memory.x")).expect("memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-env-changed=ANSLAG_PUBKEY");
    println!("cargo:rerun-if-env-changed=ANSLAG_BOARD");
    let hex = std::env::var("ANSLAG_PUBKEY").unwrap_or_default();
    let key: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    if !hex.is_empty() && key.len() != 32 {
        panic!("ANSLAG_PUBKEY must be 64 hex digits (the content of `anslag keygen`'s NAME.pub)");
    }
    let key: [u8; 32] = key.try_into().unwrap_or([0; 32]);
    std::fs::write(out.join("pubkey.rs"), format!("{key:?}")).expect("write key");
    let board = std::env::var("ANSLAG_BOARD").unwrap_or_else(|_| "board".into());
    std::fs::write(out.join("board.rs"), format!("{board:?}")).expect("write board");
}

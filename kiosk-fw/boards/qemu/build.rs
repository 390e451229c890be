//! Puts memory.x on the linker path and embeds the bundle to show.
//!
//! `ANSLAG_BUNDLE` (path of a .ansl file) and `ANSLAG_NOW` (UTC seconds) choose what the
//! firmware renders; `cargo xtask`-style callers (the QEMU test, the README command) set them.
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
}

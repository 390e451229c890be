//! End-to-end tests live in `tests/`; this library holds what they share: running the CLI
//! in-process, free loopback ports, and a workspace with a key and two signed bundles.

use std::path::{Path, PathBuf};

use anslag_cli::cli::Cli;
use clap::Parser;

/// Runs `anslag ARGS…` in this process; the error is the message the binary would print.
///
/// # Errors
/// The command's error, with its context chain.
pub fn run(args: &[&str]) -> Result<(), String> {
    let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    cli.command.run().map_err(|e| format!("{e:#}"))
}

/// [`run`] with owned arguments.
///
/// # Errors
/// As [`run`].
pub fn run_owned(args: &[String]) -> Result<(), String> {
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A free TCP port on 127.0.0.1 (released again for the caller to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A path in the shared corpus beside the repository (`../shared/REL`).
pub fn shared(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

/// A fresh directory `name` under `tmp` (the test's `CARGO_TARGET_TMPDIR`) with a key pair `k` (and `other`) and
/// two signed bundles for board "hall" from `bench/listing-200.ics`: `v1.ansl` (30 days,
/// sequence 10) and `v2.ansl` (31 days, sequence 11, built against v1).
///
/// # Panics
/// When a build fails (a test failure).
pub fn workspace(tmp: &Path, name: &str) -> PathBuf {
    let dir = tmp.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    for key in ["k", "other"] {
        run(&["anslag", "keygen", "--out", &p(key)]).expect("keygen");
    }
    let feed = shared("bench/listing-200.ics");
    let (k, v1) = (p("k"), p("v1.ansl"));
    for (out, days, seq) in [("v1.ansl", "30", "10"), ("v2.ansl", "31", "11")] {
        let o = p(out);
        let mut args = vec![
            "anslag",
            "build",
            &feed,
            "--tz",
            "Europe/Riga",
            "--from",
            "2026-03-01",
            "--days",
            days,
            "--board",
            "hall",
            "--key",
            &k,
            "--sequence",
            seq,
            "-o",
            &o,
        ];
        if out == "v2.ansl" {
            args.extend(["--base", v1.as_str()]);
        }
        run(&args).expect("build");
    }
    dir
}

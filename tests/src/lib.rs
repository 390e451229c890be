//! End-to-end tests live in `tests/`; this library holds what they share: running the CLI
//! in-process (`sync` too, retrying while simulators bind their ports), free loopback ports,
//! fresh test directories, and a workspace with a key and two signed bundles.

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

/// `anslag build` of the benchmark listing (`bench/listing-200.ics`) for board `hall`, from
/// 2026-03-01 over `days` days, as `sequence`, into `dir/out`: signed with `key` when given,
/// text ids kept against `dir/base` when given.
///
/// # Panics
/// When the build fails (a test failure).
pub fn build_bench_bundle(
    dir: &Path,
    out: &str,
    days: u32,
    sequence: u64,
    key: Option<&str>,
    base: Option<&str>,
) {
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let (feed, out, days, sequence) = (
        shared("bench/listing-200.ics"),
        p(out),
        days.to_string(),
        sequence.to_string(),
    );
    let mut args = vec![
        "anslag",
        "build",
        &feed,
        "--tz",
        "Europe/Riga",
        "--from",
        "2026-03-01",
        "--days",
        &days,
        "--board",
        "hall",
        "--sequence",
        &sequence,
        "-o",
        &out,
    ];
    if let Some(k) = key {
        args.extend(["--key", k]);
    }
    let base = base.map(p);
    if let Some(b) = &base {
        args.extend(["--base", b.as_str()]);
    }
    run(&args).expect("build");
}

/// A fresh directory `name` under `tmp` (the test's `CARGO_TARGET_TMPDIR`) with a key pair `k` (and `other`) and
/// two signed bundles for board "hall" from `bench/listing-200.ics`: `v1.ansl` (30 days,
/// sequence 10) and `v2.ansl` (31 days, sequence 11, built against v1).
///
/// # Panics
/// When a build fails (a test failure).
pub fn workspace(tmp: &Path, name: &str) -> PathBuf {
    let dir = fresh_dir(tmp, name);
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    for key in ["k", "other"] {
        run(&["anslag", "keygen", "--out", &p(key)]).expect("keygen");
    }
    let k = p("k");
    build_bench_bundle(&dir, "v1.ansl", 30, 10, Some(&k), None);
    build_bench_bundle(&dir, "v2.ansl", 31, 11, Some(&k), Some("v1.ansl"));
    dir
}

/// An empty directory `name` under `tmp` (the test's `CARGO_TARGET_TMPDIR`), whatever an
/// earlier run left there.
///
/// # Panics
/// When it cannot be made (a test failure).
pub fn fresh_dir(tmp: &Path, name: &str) -> PathBuf {
    let dir = tmp.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    dir
}

/// `anslag sync` on `dir`'s config (`anslag.toml`) and cache (`cache/`), with a 5 s timeout and
/// `extra` arguments, retrying while simulators bind their ports.
///
/// # Errors
/// As [`run`].
pub fn sync_in(dir: &Path, extra: &[&str]) -> Result<(), String> {
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let (cfg, cache) = (p("anslag.toml"), p("cache"));
    let mut args = vec![
        "anslag",
        "sync",
        "--config",
        &cfg,
        "--cache-dir",
        &cache,
        "--timeout",
        "5",
    ];
    args.extend(extra);
    for _ in 0..50 {
        match run(&args) {
            Err(e) if e.contains("cannot connect") => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            r => return r,
        }
    }
    run(&args)
}

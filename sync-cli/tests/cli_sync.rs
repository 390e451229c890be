//! `anslag sync --dry-run` through the real binary: it seals every board's update as it would
//! be sent (a delta against the cached base when there is one) and reports its bytes and mode,
//! sending nothing; and it checks what can be checked without connecting (a broker's CA file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn anslag(dir: &Path, args: &[&str]) -> Output {
    anslag_at(dir, None, args)
}

/// `anslag` with its build time fixed to `epoch` (`SOURCE_DATE_EPOCH`): two runs in different
/// seconds would seal different sequences, and their deflated sizes may differ by a byte.
fn anslag_at(dir: &Path, epoch: Option<i64>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anslag"));
    command
        .args(args)
        .current_dir(dir)
        .env("ANSLAG_CACHE_DIR", dir.join("cache"));
    if let Some(epoch) = epoch {
        command.env("SOURCE_DATE_EPOCH", epoch.to_string());
    }
    command.output().expect("runs anslag")
}

fn config(dir: &Path, transport: &str) {
    std::fs::write(
        dir.join("anslag.toml"),
        format!(
            "[centre]\nname = \"Hall\"\ntimezone = \"Europe/Riga\"\n[signing]\nkey = \"k\"\n\
             [[feed]]\nsource = \"events.csv\"\n\
             [[board]]\nname = \"hall\"\ntransport = \"{transport}\"\n"
        ),
    )
    .unwrap();
}

/// Events from tomorrow on (sync builds from today), enough for a delta to pay.
fn feed(dir: &Path, extra: usize) {
    let day = |n: usize| {
        (chrono::Utc::now().date_naive() + chrono::Days::new(1 + (n % 10) as u64))
            .format("%d.%m.%Y")
            .to_string()
    };
    let mut csv = String::from("Datum;Zeit;Titel;Ort;Beschreibung;Kategorie\n");
    for n in 0..60 + extra {
        csv.push_str(&format!("{};18:00;Event {n};Hall;;\n", day(n)));
    }
    std::fs::write(dir.join("events.csv"), csv).unwrap();
}

fn setup(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(anslag(&dir, &["keygen", "--out", "k"]).status.success());
    feed(&dir, 0);
    dir
}

/// The one board's line of `sync --dry-run --json`, built at `epoch`.
fn dry_run(dir: &Path, epoch: i64) -> serde_json::Value {
    let out = anslag_at(dir, Some(epoch), &["sync", "--dry-run", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    reports[0].clone()
}

#[test]
fn dry_run_seals_and_reports_bytes_and_mode() {
    let dir = setup("cli_sync_dry_run");
    config(&dir, "dir://stick");
    let epoch = chrono::Utc::now().timestamp();
    let first = dry_run(&dir, epoch);
    assert_eq!(first["result"], "would-push", "{first}");
    assert_eq!(first["mode"], "full", "{first}");
    let full = first["bytes_sent"].as_u64().unwrap();
    // Header and signature alone are 81 bytes; 60 similar rows pack into a few hundred more.
    assert!(full > 200, "{first}");
    assert!(!dir.join("stick").exists(), "a dry run wrote the stick");

    let out = anslag_at(&dir, Some(epoch), &["sync"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read(dir.join("stick/hall.anslw")).unwrap();
    assert_eq!(
        written.len() as u64,
        full,
        "the dry run sealed what was sent"
    );
    assert_eq!(dry_run(&dir, epoch + 60)["result"], "unchanged");

    // One event more, for a board that takes deltas: sealed against the cached base.
    feed(&dir, 1);
    config(&dir, "tcp://127.0.0.1:9");
    let next = dry_run(&dir, epoch + 120);
    assert_eq!(next["result"], "would-push", "{next}");
    assert_eq!(next["mode"], "delta", "{next}");
    let delta = next["bytes_sent"].as_u64().unwrap();
    assert!(delta > 0 && delta < full, "{next}");
    // …and --full seals it whole.
    let out = anslag_at(
        &dir,
        Some(epoch + 120),
        &["sync", "--dry-run", "--json", "--full"],
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reports[0]["mode"], "full", "{reports}");
}

#[test]
fn dry_run_checks_a_brokers_ca_file() {
    let dir = setup("cli_sync_ca");
    std::fs::write(dir.join("ca.pem"), "not a certificate\n").unwrap();
    for ca in ["ca.pem", "missing.pem"] {
        config(&dir, &format!("mqtts://127.0.0.1:1/anslag?ca={ca}"));
        let out = anslag(&dir, &["sync", "--dry-run"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("anslag.toml:10: board 'hall'") && err.contains(ca),
            "{err}"
        );
    }
}

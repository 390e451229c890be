//! The firmware draws the same pixels as the preview: the QEMU board build (Cortex-M3) renders
//! a bundle and its frame hash must equal `anslag preview --frame-hash` for the same bundle,
//! profile and moment.
//!
//! Needs `qemu-system-arm` and the `thumbv7m-none-eabi` target (`.ci/run` installs both). In
//! CI (`CI=true`) their absence fails the test; elsewhere it is skipped with a loud message.

use std::process::Command;

use anslag_cli::cli::Cli;
use anslag_core::bundle::Bundle;
use anslag_tests::fresh_dir;
use clap::Parser;

fn qemu_available() -> bool {
    let qemu = Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let target = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("thumbv7m-none-eabi"));
    if qemu && target {
        return true;
    }
    let why = "qemu-system-arm and the thumbv7m-none-eabi target are needed \
               (apt-get install qemu-system-arm; rustup target add thumbv7m-none-eabi)";
    assert!(std::env::var("CI").is_err(), "CI: {why}");
    eprintln!("\n*** SKIPPED: firmware-in-QEMU test: {why} ***\n");
    false
}

#[test]
fn firmware_in_qemu_draws_the_same_frame_as_the_preview() {
    if !qemu_available() {
        return;
    }
    let (bundle, bytes) = demo_bundle("qemu");
    let parsed = Bundle::parse(&bytes).unwrap();

    for now in ["2026-03-05T09:00", "2026-03-29T09:00"] {
        let utc = anslag_cli::cmd::preview::parse_now(&parsed, now).unwrap();
        let host = anslag_cli::cmd::preview::render_screen(
            &parsed,
            utc,
            &anslag_kiosk::profile::EPD_7IN5,
            &anslag_kiosk::render::Options::default(),
        )
        .unwrap();
        let run = xtask::qemu(&bundle, now).unwrap();
        assert!(
            run.output.contains("anslag-qemu: board tautas-nams"),
            "{}",
            run.output
        );
        assert_eq!(
            run.frame_hash.as_deref(),
            Some(host.frame_hash.as_str()),
            "at {now}:\n{}",
            run.output
        );
        // Rendering's stack, measured by stack painting on the Cortex-M3, stays in budget.
        let stack = render_stack(&run.output);
        assert!(
            stack > 500 && stack <= 8 * 1024,
            "render stack {stack} bytes"
        );
    }
}

/// The smaller panels too: `cargo xtask qemu --profile` builds the firmware for the profile
/// and its frame is the preview's for that profile, pixel for pixel.
#[test]
fn firmware_in_qemu_draws_other_profiles_like_the_preview() {
    if !qemu_available() {
        return;
    }
    let (bundle, bytes) = demo_bundle("qemu-profiles");
    let parsed = Bundle::parse(&bytes).unwrap();
    let now = "2026-03-05T09:00";
    let utc = anslag_cli::cmd::preview::parse_now(&parsed, now).unwrap();
    for profile in [
        anslag_kiosk::profile::EPD_4IN2,
        anslag_kiosk::profile::LCD_320X240,
    ] {
        let host = anslag_cli::cmd::preview::render_screen(
            &parsed,
            utc,
            &profile,
            &anslag_kiosk::render::Options::default(),
        )
        .unwrap();
        let run = xtask::qemu_run(&bundle, now, &profile, None).unwrap();
        assert!(
            run.output.contains(&format!("events; {} at", profile.name)),
            "{}",
            run.output
        );
        assert_eq!(
            run.frame_hash.as_deref(),
            Some(host.frame_hash.as_str()),
            "{} at {now}:\n{}",
            profile.name,
            run.output
        );
        let stack = render_stack(&run.output);
        assert!(
            stack > 500 && stack <= 8 * 1024,
            "render stack {stack} bytes"
        );
    }
}

/// The `render stack N bytes` the firmware measured by stack painting.
fn render_stack(output: &str) -> usize {
    output
        .split("render stack ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("firmware reports its stack use")
}

#[test]
fn the_boards_uart_is_reachable_from_the_host() {
    use std::io::Read;
    if !qemu_available() {
        return;
    }
    let (bundle, _) = demo_bundle("qemu-uart");
    // A free port on loopback (released again for QEMU to take).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run =
        std::thread::spawn(move || xtask::qemu_with_uart(&bundle, "2026-03-05T09:00", Some(port)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            Err(e) => panic!("QEMU's UART server did not come up: {e}"),
        }
    };
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut got = String::new();
    let _ = stream.read_to_string(&mut got);
    let run = run.join().unwrap().unwrap();
    assert!(
        got.contains("anslag-qemu sequence 1 frame-sha256 "),
        "UART said: {got:?}"
    );
    assert!(
        got.contains(run.frame_hash.as_deref().unwrap()),
        "UART said: {got:?}"
    );
}

/// The sync end to end on the firmware: `anslag push`'s host code sends a signed, deflated
/// envelope in 233-byte frames over QEMU's UART0 into the kiosk firmware, which installs it
/// into its A/B store, boots it from the slot and draws it — the same pixels as the preview.
#[test]
fn firmware_receives_an_update_over_its_uart_and_draws_it() {
    if !qemu_available() {
        return;
    }
    let dir = fresh_dir(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        "qemu-sync",
    );
    let run = |args: &[&str]| Cli::try_parse_from(args).unwrap().command.run().unwrap();
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    run(&["anslag", "demo", "--out-dir", &p("demo")]);
    run(&["anslag", "keygen", "--out", &p("k")]);
    let output = push_into_qemu(&dir, &dir.join("demo/tautas-nams.ansl"), "2026-03-05T09:00");
    assert!(output.contains("activated sequence 1"), "{output}");
}

/// Issue 7's RAM budget, on the firmware itself: receiving and installing the 200-event
/// benchmark listing (a full, zopfli-deflated update in 233-byte frames) takes ≤ 48 KB —
/// protocol state with the 32 KiB inflate window, frame buffers, and the stack it used,
/// measured by stack painting on the Cortex-M3.
#[test]
fn firmware_receives_the_200_event_listing_within_48_kb() {
    if !qemu_available() {
        return;
    }
    let dir = fresh_dir(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        "qemu-sync-200",
    );
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    anslag_tests::run(&["anslag", "keygen", "--out", &p("k")]).unwrap();
    // 70 days from 2026-03-01 hold all 200 events (2026-03-03 to 2026-05-06).
    anslag_tests::build_bench_bundle(&dir, "hall.ansl", 70, 1, Some(&p("k")), None);
    let output = push_into_qemu(&dir, &dir.join("hall.ansl"), "2026-03-05T09:00");
    assert!(output.contains(", 200 events;"), "{output}");
    let ram: usize = output
        .split("receive RAM ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("firmware reports its receive RAM:\n{output}"));
    assert!(ram <= 48_000, "receive RAM {ram} bytes > 48 KB:\n{output}");
    assert!(
        ram > 32 * 1024,
        "receive RAM {ram} bytes: less than the inflate window?"
    );
}

/// Pushes `bundle_path`, signed with `dir/k`, into a QEMU kiosk pinned to `dir/k.pub` that
/// renders at `now`; checks that it activated and drew the preview's pixels. Returns what the
/// firmware printed.
fn push_into_qemu(dir: &std::path::Path, bundle_path: &std::path::Path, now: &str) -> String {
    use anslag_cli::cmd::push::{seal_for, Signed};
    use anslag_cli::link::{self, KnownBundles};
    use anslag_core::sync::{HostConfig, Outcome};
    let bytes = std::fs::read(bundle_path).unwrap();
    let bundle = Bundle::parse(&bytes).unwrap();
    let now = anslag_cli::cmd::preview::parse_now(&bundle, now).unwrap();
    let public: [u8; 32] = anslag_cli::cmd::keygen::read_key(&dir.join("k.pub")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let board = bundle.header().board.to_owned();
    let kiosk = xtask::QemuKiosk::start(&public, &board, now, port).unwrap();
    let signed = Signed::load(bundle_path, Some(&dir.join("k"))).unwrap();
    let known = KnownBundles::new(dir.join("cache"));
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            let mut stream = loop {
                match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(s) => break s,
                    Err(_) if std::time::Instant::now() < deadline => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("QEMU's UART server did not come up: {e}"),
                }
            };
            link::push(
                &mut stream,
                HostConfig {
                    max_frame: 233,
                    hello_timeout_ms: 60_000,
                    ..HostConfig::default()
                },
                |peer| Ok(seal_for(&signed, peer, &known, None, false)),
                |_| {},
            )
            .await
        });
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            kiosk.kill();
            panic!("push into QEMU failed: {e:#}");
        }
    };
    let sequence = bundle.header().sequence;
    assert_eq!(report.outcome, Outcome::Activated { sequence });
    assert_eq!(report.peer.as_ref().unwrap().frame, 233);
    let firmware = kiosk.wait().unwrap();
    assert!(
        firmware
            .output
            .contains(&format!("activated sequence {sequence}")),
        "{}",
        firmware.output
    );
    // The same pixels as the host preview of the bundle it received.
    let preview = anslag_cli::cmd::preview::render_screen(
        &bundle,
        now,
        &anslag_kiosk::profile::EPD_7IN5,
        &anslag_kiosk::render::Options::default(),
    )
    .unwrap();
    assert_eq!(
        firmware.frame_hash.as_deref(),
        Some(preview.frame_hash.as_str()),
        "{}",
        firmware.output
    );
    eprintln!("{}", firmware.output);
    firmware.output
}

/// The demo's bundle, made afresh in a directory of its own: its path and bytes.
fn demo_bundle(name: &str) -> (std::path::PathBuf, Vec<u8>) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let cli = Cli::try_parse_from(["anslag", "demo", "--out-dir", dir.to_str().unwrap()]).unwrap();
    cli.command.run().unwrap();
    let bundle = dir.join("tautas-nams.ansl");
    let bytes = std::fs::read(&bundle).unwrap();
    (bundle, bytes)
}

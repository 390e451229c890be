//! Sync end to end: `anslag push` into `anslag kiosk-sim` over real TCP on 127.0.0.1 and over a
//! real pseudo-terminal, with the file-backed flash checked afterwards.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anslag_cli::cmd::push::{seal_for, Signed};
use anslag_cli::link::{self, flash::FileFlash, KnownBundles};
use anslag_core::bundle::Bundle;
use anslag_core::store::Store;
use anslag_core::sync::{HostConfig, Outcome};
use anslag_tests::{build_bench_bundle, free_port, run, workspace};

fn setup(name: &str) -> PathBuf {
    workspace(Path::new(env!("CARGO_TARGET_TMPDIR")), name)
}

fn as_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Starts `anslag kiosk-sim` in a thread; it ends after `activations`.
fn kiosk_sim(
    dir: &Path,
    link: &[&str],
    activations: u32,
) -> std::thread::JoinHandle<Result<(), String>> {
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let mut args: Vec<String> = ["anslag", "kiosk-sim", "--key"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend([
        p("k.pub"),
        "--board".into(),
        "hall".into(),
        "--flash".into(),
        p("board.img"),
        "--png".into(),
        p("board.png"),
        "--now".into(),
        "2026-03-05T09:00".into(),
        "--exit-after".into(),
        activations.to_string(),
    ]);
    args.extend(link.iter().map(|s| s.to_string()));
    std::thread::spawn(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&refs)
    })
}

/// `anslag push` with retries while the simulator starts listening.
fn push(args: &[&str]) -> Result<(), String> {
    let start = Instant::now();
    loop {
        match run(args) {
            Err(e) if e.contains("cannot connect") && start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

/// The simulator writes its PNG right after answering Done: wait for it (or for it to change).
fn wait_for_png(dir: &Path, old: Option<&[u8]>) -> Vec<u8> {
    let start = Instant::now();
    loop {
        if let Ok(png) = std::fs::read(dir.join("board.png")) {
            if png.starts_with(b"\x89PNG")
                && png.ends_with(b"IEND\xaeB`\x82")
                && Some(&png[..]) != old
            {
                return png;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no new board.png"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The bundle the board's flash image holds, as a fresh boot would find it.
fn installed(dir: &Path) -> Vec<u8> {
    let flash = FileFlash::open(&dir.join("board.img"), 512 * 1024).unwrap();
    let mut store = Store::mount(flash).unwrap();
    let a = *store.active().unwrap();
    let mut bytes = vec![0u8; a.len as usize];
    store.read_active(0, &mut bytes).unwrap();
    bytes
}

#[test]
fn push_over_tcp_full_then_delta_then_refusals() {
    let dir = setup("sync-tcp");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let addr = format!("127.0.0.1:{}", free_port());
    let sim = kiosk_sim(&dir, &["--listen", &addr], 2);
    let cache = p("cache");
    let push_args = |file: &str| {
        vec![
            "anslag".to_string(),
            "push".into(),
            p(file),
            "--tcp".into(),
            addr.clone(),
            "--cache-dir".into(),
            cache.clone(),
            "--timeout".into(),
            "5".into(),
        ]
    };
    push(&as_refs(&push_args("v1.ansl"))).unwrap();
    assert_eq!(installed(&dir), std::fs::read(p("v1.ansl")).unwrap());
    let png1 = wait_for_png(&dir, None);
    assert!(png1.starts_with(b"\x89PNG"));

    // The cache remembers v1 for board "hall", so the next push is a delta: check with the
    // same host code the CLI runs, over a real TCP connection.
    let signed = Signed::load(&dir.join("v2.ansl"), None).unwrap();
    let known = KnownBundles::new(dir.join("cache"));
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            link::push(
                &mut stream,
                HostConfig::default(),
                |peer| Ok(seal_for(&signed, peer, &known, None, false)),
                |_| {},
            )
            .await
            .unwrap()
        });
    assert_eq!(report.outcome, Outcome::Activated { sequence: 11 });
    assert!(report.delta, "a delta against the remembered v1");
    assert!(
        report.progress.wire_bytes < 1000,
        "delta sent {} bytes",
        report.progress.wire_bytes
    );
    assert_eq!(installed(&dir), std::fs::read(p("v2.ansl")).unwrap());
    wait_for_png(&dir, Some(&png1));
    sim.join().unwrap().unwrap();

    // A second simulator on the same flash boots v2; refusals keep it.
    let sim = kiosk_sim(&dir, &["--listen", &addr], 1);
    let err = push(&as_refs(&push_args("v1.ansl"))).unwrap_err();
    assert!(
        err.contains("refused the update") && err.contains("not newer"),
        "{err}"
    );
    // Signed with another key: refused by the kiosk, not by push.
    build_bench_bundle(&dir, "v3.ansl", 32, 12, None, None);
    let mut wrong_key = push_args("v3.ansl");
    wrong_key.extend(["--key".into(), p("other")]);
    let err = push(&as_refs(&wrong_key)).unwrap_err();
    assert!(err.contains("signature does not verify"), "{err}");
    // Unsigned (no .sig, no --key): push says so before connecting.
    let err = push(&as_refs(&push_args("v3.ansl"))).unwrap_err();
    assert!(err.contains("is not signed"), "{err}");
    assert_eq!(installed(&dir), std::fs::read(p("v2.ansl")).unwrap());
    // The genuine v3 (signed now with the right key) ends the simulator.
    let mut good = push_args("v3.ansl");
    good.extend(["--key".into(), p("k")]);
    push(&as_refs(&good)).unwrap();
    sim.join().unwrap().unwrap();
    let v3_bytes = installed(&dir);
    assert_eq!(Bundle::parse(&v3_bytes).unwrap().header().sequence, 12);
}

#[test]
fn push_over_a_pseudo_terminal() {
    let dir = setup("sync-pty");
    let pty = nix::pty::openpty(None, None).unwrap();
    let slave_path = nix::unistd::ttyname(&pty.slave).unwrap();
    // The simulated kiosk opens the terminal side like a USB-serial adapter.
    let sim = kiosk_sim(&dir, &["--serial", slave_path.to_str().unwrap()], 1);
    // The host drives the other side with the same code `anslag push --serial` runs, in
    // 233-byte frames as a radio link would need.
    let signed = Signed::load(&dir.join("v1.ansl"), None).unwrap();
    let known = KnownBundles::new(dir.join("cache"));
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let master = std::fs::File::from(pty.master);
            let mut master = tokio::fs::File::from_std(master);
            link::push(
                &mut master,
                HostConfig {
                    max_frame: 233,
                    ..HostConfig::default()
                },
                |peer| Ok(seal_for(&signed, peer, &known, None, false)),
                |_| {},
            )
            .await
            .unwrap()
        });
    assert_eq!(report.outcome, Outcome::Activated { sequence: 10 });
    assert_eq!(report.peer.unwrap().frame, 233);
    sim.join().unwrap().unwrap();
    assert_eq!(installed(&dir), std::fs::read(dir.join("v1.ansl")).unwrap());
    drop(pty.slave);
}

#[test]
fn push_to_a_usb_stick_directory_installs_from_the_file() {
    let dir = setup("sync-dir");
    let stick = dir.join("stick");
    run(&[
        "anslag",
        "push",
        dir.join("v1.ansl").to_str().unwrap(),
        "--dir",
        stick.to_str().unwrap(),
    ])
    .unwrap();
    let envelope = std::fs::read(stick.join("hall.anslw")).unwrap();
    // The kiosk reads it with the firmware's install path, into a flash store.
    let public: [u8; 32] = anslag_cli::cmd::keygen::read_key(&dir.join("k.pub")).unwrap();
    let flash = FileFlash::open(&dir.join("stick.img"), 512 * 1024).unwrap();
    let mut store = Store::mount(flash).unwrap();
    let mut receiver = Box::new(anslag_core::wire::Receiver::new());
    let mut buf = [0u8; 256];
    let seq = anslag_kiosk::receive::install(
        &mut &envelope[..],
        &public,
        &mut store,
        &mut receiver,
        &mut buf,
    )
    .unwrap();
    assert_eq!(seq, 10);
}

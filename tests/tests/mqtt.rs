//! Fleets over MQTT with a real mosquitto broker on 127.0.0.1: `anslag push --mqtt` publishes
//! retained signed envelopes, `anslag kiosk-sim --mqtt` subscribes and installs them through the
//! kiosk code — a board that connects later still gets the newest bundle, and the next update
//! arrives as a delta.
//!
//! Needs `mosquitto` (`.ci/run` installs it). In CI (`CI=true`) its absence fails the test;
//! elsewhere the test is skipped with a loud message.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anslag_cli::link::flash::FileFlash;
use anslag_core::store::Store;
use anslag_tests::{build_bench_bundle, free_port, fresh_dir, run, run_owned, sync_in, workspace};

fn mosquitto() -> Option<PathBuf> {
    let found = [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    if found.is_none() {
        let why = "mosquitto is needed (apt-get install mosquitto)";
        assert!(std::env::var("CI").is_err(), "CI: {why}");
        eprintln!("\n*** SKIPPED: MQTT test: {why} ***\n");
    }
    found
}

/// A mosquitto on a free loopback port, stopped when dropped.
struct Broker {
    child: Child,
    port: u16,
}

impl Broker {
    fn start(bin: &Path, dir: &Path) -> Broker {
        Broker::with_config(bin, dir, "allow_anonymous true\n")
    }

    /// A broker with extra configuration lines after its loopback listener.
    fn with_config(bin: &Path, dir: &Path, extra: &str) -> Broker {
        let port = free_port();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\npersistence false\n{extra}"),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "mosquitto did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker { child, port }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed_sequence(dir: &Path) -> Option<u64> {
    let flash = FileFlash::open(&dir.join("board.img"), 512 * 1024).ok()?;
    let store = Store::mount(flash).ok()?;
    store.active().map(|a| a.sequence)
}

fn kiosk_sim(dir: &Path, url: &str) -> std::thread::JoinHandle<Result<(), String>> {
    kiosk_sim_for(dir, url, 1)
}

fn kiosk_sim_for(dir: &Path, url: &str, n: u32) -> std::thread::JoinHandle<Result<(), String>> {
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let args: Vec<String> = vec![
        "anslag".into(),
        "kiosk-sim".into(),
        "--mqtt".into(),
        url.into(),
        "--key".into(),
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
        n.to_string(),
    ];
    std::thread::spawn(move || run_owned(&args))
}

fn wait(handle: std::thread::JoinHandle<Result<(), String>>) {
    let start = Instant::now();
    while !handle.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the kiosk never activated"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    handle.join().unwrap().unwrap();
}

#[test]
fn retained_bundles_and_deltas_reach_a_subscribed_kiosk() {
    let Some(bin) = mosquitto() else { return };
    let dir = workspace(Path::new(env!("CARGO_TARGET_TMPDIR")), "mqtt");
    let broker = Broker::start(&bin, &dir);
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let url = format!("mqtt://127.0.0.1:{}/anslag-test", broker.port);

    // Published before the board is online: the retained message waits for it.
    run(&["anslag", "push", &p("v1.ansl"), "--mqtt", &url]).unwrap();
    wait(kiosk_sim(&dir, &url));
    assert_eq!(installed_sequence(&dir), Some(10));

    // The board online; the next bundle goes out in full and as a delta against v1. The
    // retained v1 it gets again on subscribing is refused as a replay and ignored.
    let sim = kiosk_sim(&dir, &url);
    std::thread::sleep(Duration::from_millis(300));
    run(&[
        "anslag",
        "push",
        &p("v2.ansl"),
        "--mqtt",
        &url,
        "--base",
        &p("v1.ansl"),
    ])
    .unwrap();
    wait(sim);
    assert_eq!(installed_sequence(&dir), Some(11));
    assert!(dir.join("board.png").is_file());
}

/// TLS with the broker's own CA, and a password file: the URL carries both.
#[test]
fn tls_and_passwords() {
    let Some(bin) = mosquitto() else { return };
    let dir = fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "mqtt-tls");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let sh = |script: &str| {
        let ok = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script}");
    };
    // A CA, and a certificate for localhost signed by it.
    sh(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout ca.key -out ca.pem -days 2 -subj /CN=anslag-test-ca",
    );
    sh(
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout server.key -out server.csr -subj /CN=localhost",
    );
    sh("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf \
        && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out server.pem -days 2 -extfile ext.cnf");
    sh("touch passwd && mosquitto_passwd -b passwd hall 's3cret'");
    // mosquitto started as root drops to its own user: let it read the test's files.
    sh("chmod 644 passwd server.key ca.pem server.pem");
    let broker = Broker::with_config(
        &bin,
        &dir,
        &format!(
            "allow_anonymous false\npassword_file {}\ncafile {}\ncertfile {}\nkeyfile {}\n",
            p("passwd"),
            p("ca.pem"),
            p("server.pem"),
            p("server.key")
        ),
    );
    run(&["anslag", "keygen", "--out", &p("k")]).unwrap();
    let feed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/bench/listing-20.ics")
        .to_string_lossy()
        .into_owned();
    let (k, o) = (p("k"), p("v1.ansl"));
    run(&[
        "anslag",
        "build",
        &feed,
        "--tz",
        "Europe/Riga",
        "--board",
        "hall",
        "--sequence",
        "5",
        "--key",
        &k,
        "-o",
        &o,
    ])
    .unwrap();
    let url = |user: &str| {
        format!(
            "mqtts://{user}@localhost:{}/secure?ca={}",
            broker.port,
            p("ca.pem")
        )
    };
    let err = run(&[
        "anslag",
        "push",
        &o,
        "--mqtt",
        &url("hall:wrong"),
        "--timeout",
        "3",
    ])
    .unwrap_err();
    assert!(
        err.contains("Connection refused") && err.contains("NotAuthorized"),
        "{err}"
    );
    run(&["anslag", "push", &o, "--mqtt", &url("hall:s3cret")]).unwrap();
    wait(kiosk_sim(&dir, &url("hall:s3cret")));
    assert_eq!(installed_sequence(&dir), Some(5));
}

/// `anslag sync` to a board on MQTT, three times with a change each time: each publish clears
/// the delta retained before, so the broker keeps only the full bundle and the newest delta —
/// a board that connects later is not handed every delta ever published.
#[test]
fn sync_leaves_only_the_current_delta_retained() {
    let Some(bin) = mosquitto() else { return };
    let dir = fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "mqtt-sync");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    run(&["anslag", "keygen", "--out", &p("k")]).unwrap();
    let broker = Broker::start(&bin, &dir);
    let url = format!("mqtt://127.0.0.1:{}/fleet", broker.port);
    std::fs::write(
        dir.join("anslag.toml"),
        format!(
            "[centre]\nname = \"Hall\"\ntimezone = \"Europe/Riga\"\n[signing]\nkey = \"k\"\n\
             [[feed]]\nsource = \"events.csv\"\n\
             [[board]]\nname = \"hall\"\ntransport = \"{url}\"\n"
        ),
    )
    .unwrap();
    // Enough events (from tomorrow on: sync builds from today) for a delta to be worth it.
    let day = |n: u64| {
        (chrono::Utc::now().date_naive() + chrono::Days::new(1 + n % 10))
            .format("%d.%m.%Y")
            .to_string()
    };
    let mut csv = String::from("Datum;Zeit;Titel;Ort;Beschreibung;Kategorie\n");
    for n in 0..60 {
        csv.push_str(&format!("{};18:00;Event {n};Hall;;\n", day(n)));
    }
    for pass in 0..3 {
        csv.push_str(&format!("{};20:00;Added {pass};Hall;;\n", day(pass)));
        std::fs::write(dir.join("events.csv"), &csv).unwrap();
        sync_in(&dir, &[]).unwrap();
    }
    // What a board subscribing now receives.
    let retained = retained_topics(&url, "hall");
    let delta = std::fs::read_to_string(dir.join("cache/sync/hall.mqtt-delta")).unwrap();
    assert_eq!(
        retained,
        ["fleet/hall/bundle", delta.trim()],
        "only the full bundle and the newest delta stay retained"
    );
    assert!(delta.starts_with("fleet/hall/delta/"), "{delta}");
}

/// `anslag push --mqtt`, three bundles in a row, each a delta against the one before: like
/// `sync`, each push clears the delta it left retained last time (recorded in its cache), so
/// the broker keeps only the full bundle and the newest delta.
#[test]
fn push_leaves_only_the_current_delta_retained() {
    let Some(bin) = mosquitto() else { return };
    let dir = workspace(Path::new(env!("CARGO_TARGET_TMPDIR")), "mqtt-push");
    let broker = Broker::start(&bin, &dir);
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let url = format!("mqtt://127.0.0.1:{}/pushed", broker.port);
    build_bench_bundle(&dir, "v3.ansl", 32, 12, Some(&p("k")), Some("v2.ansl"));
    let cache = p("cache");
    let push = |file: &str, base: Option<&str>| {
        let (file, base) = (p(file), base.map(p));
        let mut args = vec![
            "anslag",
            "push",
            &file,
            "--mqtt",
            &url,
            "--cache-dir",
            &cache,
        ];
        if let Some(b) = &base {
            args.extend(["--base", b.as_str()]);
        }
        run(&args).unwrap();
    };
    push("v1.ansl", None);
    push("v2.ansl", Some("v1.ansl"));
    push("v3.ansl", Some("v2.ansl"));
    let retained = retained_topics(&url, "hall");
    let delta = std::fs::read_to_string(dir.join("cache/sync/hall.mqtt-delta")).unwrap();
    assert!(delta.starts_with("pushed/hall/delta/"), "{delta}");
    assert_eq!(
        retained,
        ["pushed/hall/bundle", delta.trim()],
        "only the full bundle and the newest delta stay retained"
    );
}

/// The topics with a retained message for `board`: what a board subscribing now receives.
fn retained_topics(url: &str, board: &str) -> Vec<String> {
    let mqtt = anslag_cli::link::mqtt::parse_url(url).unwrap();
    let mut retained = Vec::new();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let collect = anslag_cli::link::mqtt::subscribe(&mqtt, board, |topic, payload| {
                if !payload.is_empty() {
                    retained.push(topic.to_string());
                }
                true
            });
            let _ = tokio::time::timeout(Duration::from_secs(2), collect).await;
        });
    retained.sort();
    retained
}

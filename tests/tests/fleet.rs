//! `anslag sync` over a small fleet: two simulated kiosks on 127.0.0.1 (one with a category
//! filter) and a USB-stick directory, from an `anslag.toml`; then nothing to do; then a changed
//! spreadsheet row reaches exactly the boards that show it.

use std::path::Path;

use anslag_cli::link::flash::FileFlash;
use anslag_core::bundle::Bundle;
use anslag_core::store::Store;
use anslag_tests::{free_port, fresh_dir, run, run_owned, sync_in};

fn kiosk_sim(
    dir: &Path,
    board: &str,
    port: u16,
    activations: u32,
) -> std::thread::JoinHandle<Result<(), String>> {
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let args: Vec<String> = [
        "anslag".into(),
        "kiosk-sim".into(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
        "--key".into(),
        p("k.pub"),
        "--board".into(),
        board.into(),
        "--flash".into(),
        p(&format!("{board}.img")),
        "--png".into(),
        p(&format!("{board}.png")),
        "--now".into(),
        "2026-03-05T09:00".into(),
        "--exit-after".into(),
        activations.to_string(),
    ]
    .into();
    std::thread::spawn(move || run_owned(&args))
}

/// Titles in the bundle a board's flash image holds.
fn titles(dir: &Path, board: &str) -> (u64, Vec<String>) {
    let flash = FileFlash::open(&dir.join(format!("{board}.img")), 512 * 1024).unwrap();
    let mut store = Store::mount(flash).unwrap();
    let a = *store.active().unwrap();
    let mut bytes = vec![0u8; a.len as usize];
    store.read_active(0, &mut bytes).unwrap();
    let b = Bundle::parse(&bytes).unwrap();
    (
        b.header().sequence,
        b.events().map(|e| e.title().to_string()).collect(),
    )
}

#[test]
fn sync_builds_filters_and_pushes_only_what_changed() {
    // The example feeds are for March 2026: sync as on 2026-03-05 07:00 UTC. (This file is its
    // own test binary, so the variable touches no other test.)
    std::env::set_var("SOURCE_DATE_EPOCH", "1772694000");
    let dir = fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "fleet");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    for (name, text) in anslag_cli::cmd::demo::EXAMPLE_FEEDS {
        std::fs::write(dir.join(name), text).unwrap();
    }
    run(&["anslag", "keygen", "--out", &p("k")]).unwrap();
    let (hall, library) = (free_port(), free_port());
    let config = format!(
        r#"[centre]
name = "Ķekavas tautas nams"
language = "lv"
timezone = "Europe/Riga"
days_ahead = 28

[signing]
key = "k"

[[feed]]
source = "tautas-nams.ics"

[[feed]]
source = "wydarzenia.csv"
language = "pl"

[[board]]
name = "hall"
transport = "tcp://127.0.0.1:{hall}"

[[board]]
name = "library"
transport = "tcp://127.0.0.1:{library}"
categories = ["Kultura"]

[[board]]
name = "stick"
transport = "dir://stick"
"#
    );
    std::fs::write(dir.join("anslag.toml"), config).unwrap();
    let sync = |extra: &[&str]| sync_in(&dir, extra);

    // A dry run builds everything and touches no board.
    sync(&["--dry-run"]).unwrap();
    assert!(!dir.join("stick").exists());

    let sims = [
        kiosk_sim(&dir, "hall", hall, 2),
        kiosk_sim(&dir, "library", library, 2),
    ];
    sync(&[]).unwrap();
    let (hall_seq, hall_titles) = titles(&dir, "hall");
    let (_, library_titles) = titles(&dir, "library");
    assert!(
        hall_titles.iter().any(|t| t.starts_with("Jauktā kora")),
        "{hall_titles:?}"
    );
    assert!(
        hall_titles.iter().any(|t| t.contains("Łódź–Gdańsk")),
        "{hall_titles:?}"
    );
    // The library shows the spreadsheet's "Kultura" rows only.
    assert!(!library_titles.is_empty());
    assert!(
        library_titles.iter().any(|t| t.contains("Łódź–Gdańsk")),
        "{library_titles:?}"
    );
    assert!(
        !library_titles.iter().any(|t| t.starts_with("Jauktā kora")),
        "{library_titles:?}"
    );
    assert!(library_titles.len() < hall_titles.len());
    assert!(dir.join("stick/stick.anslw").is_file());

    // Nothing changed: nothing is sent (the simulators would count an activation).
    sync(&[]).unwrap();
    assert_eq!(titles(&dir, "hall").0, hall_seq);

    // A new "Kultura" row: both kiosks get it, as a delta against what they hold.
    let csv = dir.join("wydarzenia.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push_str("20.03.2026;18:00;Wieczór poezji;Biblioteka gminna;;Kultura\n");
    std::fs::write(&csv, text).unwrap();
    std::env::set_var("SOURCE_DATE_EPOCH", "1772697600");
    sync(&[]).unwrap();
    for s in sims {
        s.join().unwrap().unwrap();
    }
    let (seq, hall_titles) = titles(&dir, "hall");
    assert!(seq > hall_seq);
    assert!(hall_titles.iter().any(|t| t == "Wieczór poezji"));
    assert!(titles(&dir, "library")
        .1
        .iter()
        .any(|t| t == "Wieczór poezji"));
}

#[test]
fn init_writes_a_template_that_dry_runs_and_refuses_to_overwrite() {
    let dir = fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "fleet-init");
    let cfg = dir.join("anslag.toml").to_string_lossy().into_owned();
    run(&["anslag", "init", "--config", &cfg]).unwrap();
    let err = run(&["anslag", "init", "--config", &cfg]).unwrap_err();
    assert!(err.contains("exists already"), "{err}");
    // The template's key does not exist here: the error names the config and the key.
    let err = run(&["anslag", "sync", "--config", &cfg, "--dry-run"]).unwrap_err();
    assert!(
        err.contains("anslag.toml") && err.contains("[signing] key"),
        "{err}"
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fleet-man");
    let _ = std::fs::remove_dir_all(&dir);
    run(&["anslag", "man", "--dir", dir.to_str().unwrap()]).unwrap();
    let page = std::fs::read_to_string(dir.join("anslag-sync.1")).unwrap();
    assert!(page.contains("dry\\-run"), "{page}");
    assert!(dir.join("anslag.1").is_file() && dir.join("anslag-push.1").is_file());
}

/// A board that cannot be reached fails the sync (exit status 1, named in the error) after
/// its retries; the others are updated all the same.
#[test]
fn an_unreachable_board_fails_the_sync_but_not_the_others() {
    std::env::set_var("SOURCE_DATE_EPOCH", "1772694000");
    let dir = fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "fleet-unreachable");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let (name, text) = anslag_cli::cmd::demo::EXAMPLE_FEEDS[0];
    std::fs::write(dir.join(name), text).unwrap();
    run(&["anslag", "keygen", "--out", &p("k")]).unwrap();
    let (hall, gone) = (free_port(), free_port());
    std::fs::write(
        dir.join("anslag.toml"),
        format!(
            "[centre]\nname = \"Hall\"\ntimezone = \"Europe/Riga\"\ndays_ahead = 28\n\
             [signing]\nkey = \"k\"\n[[feed]]\nsource = \"{name}\"\n\
             [[board]]\nname = \"hall\"\ntransport = \"tcp://127.0.0.1:{hall}\"\n\
             [[board]]\nname = \"gone\"\ntransport = \"tcp://127.0.0.1:{gone}\"\n"
        ),
    )
    .unwrap();
    let sim = kiosk_sim(&dir, "hall", hall, 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let err = run(&[
        "anslag",
        "sync",
        "--config",
        &p("anslag.toml"),
        "--cache-dir",
        &p("cache"),
        "--timeout",
        "2",
    ])
    .unwrap_err();
    assert!(err.contains("not updated: gone"), "{err}");
    // The summary and the error name the board's line in the config.
    let line = config_line(&dir, &format!("127.0.0.1:{gone}"));
    assert!(
        err.contains(&format!(
            "anslag.toml:{line}: board 'gone': cannot connect to 127.0.0.1:{gone}"
        )),
        "{err}"
    );
    sim.join().unwrap().unwrap();

    // A port that cannot be is found by a dry run, with its line.
    let text = std::fs::read_to_string(dir.join("anslag.toml")).unwrap();
    std::fs::write(
        dir.join("anslag.toml"),
        text.replace(&format!(":{gone}"), ":99999"),
    )
    .unwrap();
    let err = sync_in(&dir, &["--dry-run"]).unwrap_err();
    assert!(
        err.contains(&format!("anslag.toml:{line}: `tcp://127.0.0.1:99999`")),
        "{err}"
    );
    assert!(!titles(&dir, "hall").1.is_empty());
}

/// A fleet workspace `name`: the example feeds, a key pair `k`, and `anslag.toml` made of
/// `config` (its `[centre]` and `[signing]` are added in front).
fn fleet_dir(name: &str, config: &str) -> std::path::PathBuf {
    let dir = fresh_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), name);
    for (name, text) in anslag_cli::cmd::demo::EXAMPLE_FEEDS {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let k = dir.join("k").to_string_lossy().into_owned();
    run(&["anslag", "keygen", "--out", &k]).unwrap();
    write_config(&dir, config);
    dir
}

fn write_config(dir: &Path, config: &str) {
    let head = "[centre]\nname = \"Hall\"\ntimezone = \"Europe/Riga\"\ndays_ahead = 28\n\
                [signing]\nkey = \"k\"\n";
    std::fs::write(dir.join("anslag.toml"), format!("{head}{config}")).unwrap();
}

/// 1-based line of anslag.toml holding `needle`.
fn config_line(dir: &Path, needle: &str) -> usize {
    std::fs::read_to_string(dir.join("anslag.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

fn wait_for(handle: std::thread::JoinHandle<Result<(), String>>, what: &str) {
    let start = std::time::Instant::now();
    while !handle.is_finished() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    handle.join().unwrap().unwrap();
}

/// A feed that cannot be read and has no last good copy never blanks a board: the boards
/// that show it keep their last listing (and fail the sync, naming the feed's line); the
/// board that never showed it is updated.
#[test]
fn a_lost_feed_keeps_the_boards_that_show_it_on_their_last_listing() {
    std::env::set_var("SOURCE_DATE_EPOCH", "1772694000");
    let dir = fleet_dir(
        "fleet-lost-feed",
        "[[feed]]\nsource = \"tautas-nams.ics\"\n\
         [[feed]]\nsource = \"wydarzenia.csv\"\nlanguage = \"pl\"\n\
         [[board]]\nname = \"hall\"\ntransport = \"dir://stick\"\n\
         [[board]]\nname = \"polish\"\ntransport = \"dir://stick\"\nlanguages = [\"pl\"]\n",
    );
    sync_in(&dir, &[]).unwrap();
    let hall = std::fs::read(dir.join("stick/hall.anslw")).unwrap();
    let polish = std::fs::read(dir.join("stick/polish.anslw")).unwrap();

    // The calendar is renamed, and the cache has no copy of it either.
    std::fs::rename(dir.join("tautas-nams.ics"), dir.join("renamed.ics")).unwrap();
    for e in std::fs::read_dir(dir.join("cache")).unwrap() {
        let path = e.unwrap().path();
        if path.is_file() {
            std::fs::remove_file(path).unwrap();
        }
    }
    // A new spreadsheet row: the board without the calendar gets it.
    let csv = dir.join("wydarzenia.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push_str("20.03.2026;18:00;Wieczór poezji;Biblioteka gminna;;Kultura\n");
    std::fs::write(&csv, &text).unwrap();
    std::env::set_var("SOURCE_DATE_EPOCH", "1772697600");
    let err = sync_in(&dir, &[]).unwrap_err();
    let line = config_line(&dir, "source = \"tautas-nams.ics\"");
    assert!(err.contains("not updated: hall —"), "{err}");
    assert!(
        err.contains(&format!("anslag.toml:{line}: feed 'tautas-nams.ics'"))
            && err.contains("no last good copy")
            && err.contains("keeps its last listing"),
        "{err}"
    );
    assert!(!err.contains("polish"), "{err}");
    assert_eq!(std::fs::read(dir.join("stick/hall.anslw")).unwrap(), hall);
    assert_ne!(
        std::fs::read(dir.join("stick/polish.anslw")).unwrap(),
        polish
    );

    // A spreadsheet that no longer reads at all: its last good copy stands in (with a
    // warning), so nothing changes on the boards…
    std::fs::rename(dir.join("renamed.ics"), dir.join("tautas-nams.ics")).unwrap();
    sync_in(&dir, &[]).unwrap();
    let hall = std::fs::read(dir.join("stick/hall.anslw")).unwrap();
    let polish = std::fs::read(dir.join("stick/polish.anslw")).unwrap();
    std::fs::write(&csv, "title,when\nfoo,bar\n").unwrap();
    sync_in(&dir, &[]).unwrap();
    assert_eq!(std::fs::read(dir.join("stick/hall.anslw")).unwrap(), hall);
    assert_eq!(
        std::fs::read(dir.join("stick/polish.anslw")).unwrap(),
        polish
    );
    // …and without a good copy it is lost too: both boards keep their listings.
    for e in std::fs::read_dir(dir.join("cache")).unwrap() {
        let path = e.unwrap().path();
        if path.is_file() {
            std::fs::remove_file(path).unwrap();
        }
    }
    let err = sync_in(&dir, &[]).unwrap_err();
    let line = config_line(&dir, "source = \"wydarzenia.csv\"");
    assert!(
        err.contains("not updated: hall, polish")
            && err.contains(&format!("anslag.toml:{line}: feed 'wydarzenia.csv'")),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("stick/hall.anslw")).unwrap(), hall);
    assert_eq!(
        std::fs::read(dir.join("stick/polish.anslw")).unwrap(),
        polish
    );
}

/// A kiosk that lost its flash gets its listing again although nothing changed (a board that
/// answers is always asked); `--full` sends to every board, a USB stick included.
#[test]
fn a_board_with_a_fresh_flash_gets_its_listing_again() {
    std::env::set_var("SOURCE_DATE_EPOCH", "1772694000");
    let port = free_port();
    let dir = fleet_dir(
        "fleet-fresh-flash",
        &format!(
            "[[feed]]\nsource = \"tautas-nams.ics\"\n\
             [[board]]\nname = \"hall\"\ntransport = \"tcp://127.0.0.1:{port}\"\n\
             [[board]]\nname = \"stick\"\ntransport = \"dir://stick\"\n"
        ),
    );
    let sim = kiosk_sim(&dir, "hall", port, 1);
    sync_in(&dir, &[]).unwrap();
    wait_for(sim, "the first sync did not reach the kiosk");
    let (seq, listing) = titles(&dir, "hall");

    // The board's flash is replaced: the next sync, with nothing changed, installs it again.
    std::fs::remove_file(dir.join("hall.img")).unwrap();
    let sim = kiosk_sim(&dir, "hall", port, 1);
    sync_in(&dir, &[]).unwrap();
    wait_for(sim, "the kiosk with a fresh flash never got its listing");
    assert_eq!(titles(&dir, "hall"), (seq, listing.clone()));

    // A kiosk that has it: asked, up to date, nothing sent; the stick is left alone.
    std::fs::remove_file(dir.join("stick/stick.anslw")).unwrap();
    let sim = kiosk_sim(&dir, "hall", port, 1);
    sync_in(&dir, &[]).unwrap();
    assert!(!dir.join("stick/stick.anslw").exists());
    // --full: both are sent again.
    sync_in(&dir, &["--full"]).unwrap();
    wait_for(sim, "--full did not reach the kiosk");
    assert!(titles(&dir, "hall").0 > seq);
    assert!(dir.join("stick/stick.anslw").is_file());
}

/// `--watch` reports a failing pass (a typo saved in the config) and keeps going, reading the
/// config again each pass.
#[test]
fn watch_survives_a_failing_pass() {
    std::env::set_var("SOURCE_DATE_EPOCH", "1772694000");
    let good = "[[feed]]\nsource = \"tautas-nams.ics\"\n\
                [[board]]\nname = \"stick\"\ntransport = \"dir://stick\"\n";
    let dir = fleet_dir("fleet-watch", &good.replace("source", "sorce"));
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let args: Vec<String> = [
        "anslag",
        "sync",
        "--config",
        &p("anslag.toml"),
        "--cache-dir",
        &p("cache"),
        "--watch",
        "1s",
        "--passes",
        "4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let watcher = std::thread::spawn(move || run_owned(&args));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !watcher.is_finished(),
        "the watcher stopped at the first failing pass"
    );
    assert!(!dir.join("stick/stick.anslw").exists());
    write_config(&dir, good);
    watcher.join().unwrap().unwrap();
    assert!(dir.join("stick/stick.anslw").is_file());
}

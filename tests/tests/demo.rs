//! The README's first command, end to end: example feeds → bundle → kiosk, in-process.

use anslag_cli::cli::Cli;
use anslag_core::bundle::Bundle;
use clap::Parser;

fn run(args: &[&str]) -> Result<(), String> {
    let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    cli.command.run().map_err(|e| format!("{e:#}"))
}

#[test]
fn demo_builds_the_example_listing() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo");
    let _ = std::fs::remove_dir_all(&dir);
    run(&["anslag", "demo", "--out-dir", dir.to_str().unwrap()]).unwrap();

    let bytes = std::fs::read(dir.join("tautas-nams.ansl")).unwrap();
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!(b.header().centre, "Ķekavas tautas nams");
    let titles: Vec<String> = b.events().map(|e| e.title().to_string()).collect();
    // One of each kind of feed made it, in every language of the examples.
    for want in [
        "Jauktā kora „Ķekava“ mēģinājums",   // iCalendar, weekly RRULE
        "Stammtisch der Partnergemeinden",   // RSS, date in the post's prose
        "Erste-Hilfe-Kurs",                  // CSV, d.m.yy
        "Кіновечір для всієї родини",        // Cyrillic
        "Spotkanie koła gospodyń wiejskich", // Polish, CSV
    ] {
        assert!(
            titles.iter().any(|t| t == want),
            "{want} missing from {titles:?}"
        );
    }
    // The weekly choir: the EXDATE on 17 March removed one, the override moved another.
    let choir: Vec<String> = b
        .events()
        .filter(|e| e.title().to_string().starts_with("Jauktā kora"))
        .map(|e| e.start().to_string())
        .collect();
    assert_eq!(
        choir,
        ["2026-03-03T18:30", "2026-03-10T19:00", "2026-03-24T18:30"]
    );
    // The cancelled walk is kept and flagged.
    assert!(b
        .events()
        .any(|e| e.is_cancelled() && e.title() == "Kvällsvandring längs ån"));
    // The board's pictures, drawn from what the simulated kiosk flash holds.
    for (f, w, h) in [("board.png", 800u32, 480u32), ("board-lcd.png", 320, 240)] {
        let png = std::fs::read(dir.join(f)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{f}");
        let (pw, ph) = (
            u32::from_be_bytes(png[16..20].try_into().unwrap()),
            u32::from_be_bytes(png[20..24].try_into().unwrap()),
        );
        assert_eq!((pw, ph), (w, h), "{f}");
    }
    // Feeds written for the user to look at.
    for f in ["tautas-nams.ics", "news.xml", "wydarzenia.csv"] {
        assert!(dir.join("feeds").join(f).is_file(), "{f}");
    }
}

//! Throughput of the CSV, feed and text-date parsers on generated inputs. Ignored by default;
//! run in release mode:
//!
//! ```text
//! cargo test -p anslag-cli --release --test feeds_bench -- --ignored --nocapture
//! ```

use std::time::Instant;

use anslag_cli::feeds::csv::parse_csv;
use anslag_cli::feeds::feed::parse_feed;
use anslag_cli::feeds::textdate::find_dates;
use anslag_cli::feeds::Window;
use chrono::NaiveDate;

fn report(what: &str, bytes: usize, items: usize, secs: f64) {
    println!(
        "{what}: {items} items, {:.1} MB in {:.1} ms = {:.0} MB/s, {:.0} items/s",
        bytes as f64 / 1e6,
        secs * 1e3,
        bytes as f64 / 1e6 / secs,
        items as f64 / secs
    );
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, f64) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let r = f();
        best = best.min(t0.elapsed().as_secs_f64());
        out = Some(r);
    }
    (out.expect("runs > 0"), best)
}

#[test]
#[ignore = "benchmark; run with --release --ignored --nocapture"]
fn throughput() {
    let window = Window {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
        tz: chrono_tz::Europe::Riga,
    };

    let rows = 100_000;
    let mut csv = String::from("Datums;Laiks;Beigas;Nosaukums;Vieta;Apraksts\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "{:02}.{:02}.2026;{}:30;{}:00;Pasākums {i};Tautas nams;\"Apraksts ar; semikolu un \"\"pēdiņām\"\"\"\n",
            i % 28 + 1,
            i % 12 + 1,
            10 + i % 8,
            19 + i % 4
        ));
    }
    let (parsed, secs) = best_of(5, || parse_csv(&csv, "bench.csv", &window));
    assert_eq!(parsed.occurrences.len(), rows);
    report("csv", csv.len(), rows, secs);

    let items = 10_000;
    let mut rss = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Bench</title>");
    for i in 0..items {
        rss.push_str(&format!(
            "<item><title>Ziņa {i}</title><link>https://example.org/p/{i}</link><guid>p{i}</guid>\
             <pubDate>Mon, 01 Jun 2026 08:00:00 +0300</pubDate><description>&lt;p&gt;Talka notiks \
             2026. gada 14. jūnijā plkst. 10.00 &amp;amp; visi ir aicināti. Lorem ipsum dolor sit \
             amet, consectetur adipiscing elit.&lt;/p&gt;</description></item>"
        ));
    }
    rss.push_str("</channel></rss>");
    let (entries, secs) = best_of(5, || parse_feed(rss.as_bytes(), "bench.xml").expect("feed"));
    assert_eq!(entries.len(), items);
    report("rss", rss.len(), items, secs);

    let published = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let texts: Vec<String> = entries.iter().filter_map(|e| e.summary.clone()).collect();
    let total: usize = texts.iter().map(String::len).sum();
    let (found, secs) = best_of(5, || {
        texts
            .iter()
            .map(|t| find_dates(t, published).len())
            .sum::<usize>()
    });
    assert_eq!(found, items);
    report("textdate", total, items, secs);
}

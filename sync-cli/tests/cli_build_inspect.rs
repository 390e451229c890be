//! `anslag build` and `anslag inspect` end to end, through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn anslag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anslag"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1774000000")
        // `expand` and `build` keep copies of what they read: not in the user's cache.
        .env("ANSLAG_CACHE_DIR", tmp("cache"))
        .output()
        .expect("runs anslag")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_build_inspect");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn build(out: &Path) -> Output {
    anslag(&[
        "build",
        &data("foundation.ics"),
        "--tz",
        "Europe/Riga",
        "--from",
        "2026-03-27",
        "--days",
        "7",
        "--board",
        "hall-door",
        "--centre",
        "Ķekavas tautas nams",
        "--lang",
        "lv",
        "--sequence",
        "5",
        "--out",
        out.to_str().unwrap(),
    ])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn build_then_inspect_matches_golden_report() {
    let out = tmp("hall.ansl");
    let o = build(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("4 events"), "{}", stderr(&o));

    let o = anslag(&["inspect", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = String::from_utf8(o.stdout)
        .unwrap()
        .replace(out.to_str().unwrap(), "hall.ansl");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/inspect-foundation.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &report).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 creates it)");
    assert_eq!(
        report,
        want,
        "inspect report differs from {}",
        golden.display()
    );
}

#[test]
fn inspect_json_has_the_documented_shape_and_wall_clock_times() {
    let out = tmp("json.ansl");
    assert!(build(&out).status.success());
    let o = anslag(&["inspect", "--json", out.to_str().unwrap()]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["event_count"], 4);
    assert_eq!(v["header"]["board"], "hall-door");
    assert_eq!(v["header"]["sequence"], 5);
    assert_eq!(v["header"]["valid_from"], "2026-03-27");
    let e = &v["events"];
    assert_eq!(e[0]["title"], "Kora mēģinājums");
    assert_eq!(e[0]["place"], "Tautas nams „Ķekava“, Rīgas iela 22");
    assert_eq!(
        (e[0]["start"].as_str(), e[0]["end"].as_str()),
        (Some("2026-03-27T18:00"), Some("2026-03-27T19:30"))
    );
    assert_eq!(e[1]["all_day"], true);
    assert_eq!(e[1]["end"], "2026-03-30T00:00");
    // 05:00Z on the day DST starts is 08:00 EEST in Riga.
    assert_eq!(e[2]["start"], "2026-03-29T08:00");
    assert_eq!(e[2]["cancelled"], true);
    assert_eq!(e[3]["floating"], true);
    assert_eq!(e[3]["start"], "2026-03-30T17:00");
}

#[test]
fn builds_are_reproducible() {
    let (a, b) = (tmp("a.ansl"), tmp("b.ansl"));
    assert!(build(&a).status.success());
    assert!(build(&b).status.success());
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn damaged_bundles_are_refused_with_the_reason() {
    let good = tmp("good.ansl");
    assert!(build(&good).status.success());
    let bytes = std::fs::read(&good).unwrap();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "truncated.ansl",
            bytes[..bytes.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "flipped.ansl",
            {
                let mut b = bytes.clone();
                let m = b.len() / 2;
                b[m] ^= 1;
                b
            },
            "CRC mismatch",
        ),
        ("text.ansl", b"BEGIN:VCALENDAR\r\n".to_vec(), "bad magic"),
    ];
    for (name, content, reason) in cases {
        let path = tmp(name);
        std::fs::write(&path, content).unwrap();
        let o = anslag(&["inspect", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = stderr(&o);
        assert!(err.contains(name) && err.contains(reason), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn failed_build_keeps_the_last_good_bundle() {
    let out = tmp("keep.ansl");
    assert!(build(&out).status.success());
    let before = std::fs::read(&out).unwrap();
    let o = anslag(&[
        "build",
        "/nonexistent/feed.ics",
        "--tz",
        "Europe/Riga",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/feed.ics"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

#[test]
fn unknown_time_zone_is_explained() {
    let o = anslag(&[
        "build",
        &data("foundation.ics"),
        "--tz",
        "Europe/Atlantis",
        "--out",
        "x.ansl",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown time zone `Europe/Atlantis`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn signed_builds_verify_only_with_the_matching_key() {
    let dir = tmp("keys");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (key, other) = (dir.join("hall-key"), dir.join("other-key"));
    for k in [&key, &other] {
        let o = anslag(&["keygen", "--out", k.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // Keys are not overwritten by accident.
    assert_eq!(
        anslag(&["keygen", "--out", key.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    let out = dir.join("signed.ansl");
    let o = anslag(&[
        "build",
        &data("foundation.ics"),
        "--tz",
        "Europe/Riga",
        "--from",
        "2026-03-27",
        "--key",
        key.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pubkey = |k: &Path| format!("{}.pub", k.display());
    let good = anslag(&["inspect", out.to_str().unwrap(), "--key", &pubkey(&key)]);
    assert!(
        good.status.success() && stderr(&good).contains("signature: good"),
        "{}",
        stderr(&good)
    );
    let bad = anslag(&["inspect", out.to_str().unwrap(), "--key", &pubkey(&other)]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("signature check"), "{}", stderr(&bad));
    // The secret never ends up in the bundle, the signature file or the output.
    let secret_hex = std::fs::read_to_string(&key).unwrap();
    let secret_hex = secret_hex.lines().last().unwrap();
    let bundle = std::fs::read(&out).unwrap();
    let secret: Vec<u8> = (0..64)
        .map(|i| u8::from_str_radix(&secret_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(!bundle.windows(32).any(|w| w == &secret[..32]));
    assert!(!std::fs::read_to_string(dir.join("signed.ansl.sig"))
        .unwrap()
        .contains(secret_hex));
    assert!(!stderr(&o).contains(secret_hex));
}

/// Serves `body` over HTTP on 127.0.0.1 for `requests` requests, then stops.
fn serve(body: Vec<u8>, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events.ics", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (url, handle)
}

#[test]
fn builds_from_urls_and_falls_back_to_the_last_good_copy() {
    let cache = tmp("url-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let body = std::fs::read(data("foundation.ics")).unwrap();
    let (url, server) = serve(body, 1);
    let out = tmp("url.ansl");
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_anslag"))
            .args([
                "build",
                url,
                &data("foundation.ics"),
                "--tz",
                "Europe/Riga",
                "--from",
                "2026-03-27",
            ])
            .args(["--out", out.to_str().unwrap()])
            .env("ANSLAG_CACHE_DIR", &cache)
            .env("SOURCE_DATE_EPOCH", "1774000000")
            .output()
            .unwrap()
    };
    let first = run(&url);
    assert!(first.status.success(), "{}", stderr(&first));
    server.join().unwrap();
    // The same events from the URL and the file appear once (same UID and start).
    assert!(stderr(&first).contains("4 events"), "{}", stderr(&first));
    // The server is gone now: the build still succeeds, loudly, from the cached copy.
    let second = run(&url);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("WARNING") && stderr(&second).contains("last good copy"),
        "{}",
        stderr(&second)
    );
    assert!(stderr(&second).contains("4 events"));
}

#[test]
fn expand_prints_feed_entries_and_spreadsheet_rows() {
    let example = |f: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/feeds")
            .join(f)
            .display()
            .to_string()
    };
    let o = anslag(&[
        "expand",
        &example("news.xml"),
        &example("wydarzenia.csv"),
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-01",
        "--tz",
        "Europe/Riga",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Feed entries print their keys in the schema's order (issue 4), not alphabetically.
    let post = stdout.lines().nth(4).unwrap();
    let keys = ["id", "title", "link", "published", "updated", "summary"];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| post.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{post}");
    assert!(post.starts_with("{\"id\":"), "{post}");
    // Four spreadsheet rows in the calendar schema first, then three posts in the feed schema.
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["summary"], "Spotkanie koła gospodyń wiejskich");
    assert_eq!(lines[0]["start"], "2026-03-06T10:00:00");
    assert_eq!(lines[1]["all_day"], true);
    assert_eq!(lines[4]["title"], "Stammtisch der Partnergemeinden");
    assert_eq!(lines[4]["published"], "2026-03-02T08:00:00Z");
    assert!(lines[4]["summary"]
        .as_str()
        .unwrap()
        .starts_with("Am 12. März um 18 Uhr"));
}

/// Serves one response per request, in order, on 127.0.0.1 (`(content type, body)`, all 200).
fn serve_each(responses: Vec<(&'static str, Vec<u8>)>) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events.ics", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        // Responses first: zipping the other way round would wait for one more connection.
        for ((content_type, body), stream) in responses.into_iter().zip(listener.incoming()) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (url, handle)
}

/// `anslag build FEEDS --from 2026-03-27 --days 7` with its own cache directory.
fn build_with_cache(feeds: &[&str], cache: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anslag"))
        .arg("build")
        .args(feeds)
        .args(["--tz", "Europe/Riga", "--from", "2026-03-27", "--days", "7"])
        .args(["--out", out.to_str().unwrap()])
        .env("ANSLAG_CACHE_DIR", cache)
        .env("SOURCE_DATE_EPOCH", "1774000000")
        .output()
        .unwrap()
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = tmp(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A hosting's "Maintenance" page answered with 200 used to replace the good copy in the cache
/// (its first byte `<` made it "a feed"), and the build failed or published nothing.
#[test]
fn a_maintenance_page_with_status_200_does_not_replace_the_last_good_copy() {
    let dir = fresh_dir("maintenance");
    let cal = std::fs::read(data("foundation.ics")).unwrap();
    let page = b"<!DOCTYPE html>\n<html><body><h1>Maintenance</h1></body></html>\n".to_vec();
    let (url, server) = serve_each(vec![
        ("text/calendar", cal),
        ("text/html", page.clone()),
        ("text/html", page),
    ]);
    let out = dir.join("hall.ansl");
    let first = build_with_cache(&[&url], &dir.join("cache"), &out);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("4 events"), "{}", stderr(&first));
    for _ in 0..2 {
        let again = build_with_cache(&[&url], &dir.join("cache"), &out);
        let err = stderr(&again);
        assert!(again.status.success(), "{err}");
        assert!(err.contains("4 events"), "{err}");
        assert!(
            err.contains(&format!(
                "WARNING: feed {url} failed (not a usable copy: an HTML page"
            )),
            "{err}"
        );
        // Once, not nested: "WARNING: URL: WARNING: feed URL failed …".
        assert_eq!(err.matches("WARNING").count(), 1, "{err}");
    }
    server.join().unwrap();
}

#[test]
fn a_local_calendar_truncated_to_0_bytes_keeps_the_last_good_copy() {
    let dir = fresh_dir("truncated");
    let feed = dir.join("events.ics");
    std::fs::copy(data("foundation.ics"), &feed).unwrap();
    let out = dir.join("hall.ansl");
    let feed = feed.to_str().unwrap();
    let first = build_with_cache(&[feed], &dir.join("cache"), &out);
    assert!(stderr(&first).contains("4 events"), "{}", stderr(&first));
    std::fs::File::create(feed).unwrap();
    let again = build_with_cache(&[feed], &dir.join("cache"), &out);
    let err = stderr(&again);
    assert!(again.status.success(), "{err}");
    assert!(err.contains("4 events"), "{err}");
    assert!(
        err.contains(&format!(
            "WARNING: feed {feed} failed (not a usable copy: the file is empty)"
        )),
        "{err}"
    );
}

/// One unreadable feed used to abort the whole build; now it is named, left out, and the good
/// feed's events are still published (exit status 0, see `FeedFailure` for the policy).
#[test]
fn a_broken_feed_is_reported_and_the_good_feeds_are_still_built() {
    let dir = fresh_dir("one-broken");
    let broken = dir.join("news.xml");
    // What a CMS writes when the feed plugin crashed.
    std::fs::write(
        &broken,
        "<html><body>Fatal error: feed plugin</body></html>",
    )
    .unwrap();
    let unknown = dir.join("notes.bin");
    std::fs::write(&unknown, "hello").unwrap();
    let out = dir.join("hall.ansl");
    let (broken, unknown) = (broken.to_str().unwrap(), unknown.to_str().unwrap());
    let o = build_with_cache(
        &[&data("foundation.ics"), broken, unknown],
        &dir.join("cache"),
        &out,
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("4 events"), "{err}");
    assert!(
        err.contains(&format!(
            "ERROR: feed {broken} could not be read (not a usable copy: "
        )),
        "{err}"
    );
    assert!(
        err.lines().last().unwrap().starts_with(&format!(
            "WARNING: 2 of 3 feeds could not be read and are not in this listing: {broken}, {unknown}"
        )),
        "{err}"
    );
    let inspect = anslag(&["inspect", out.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(report["events"].as_array().unwrap().len(), 4, "{report}");

    // With no readable feed at all nothing is written: the board keeps what it has.
    let before = std::fs::read(&out).unwrap();
    let o = build_with_cache(&[broken, unknown], &dir.join("cache"), &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no feed could be read"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

/// Two events without UID at the same time are two events (they used to be merged as
/// "duplicates" with equal, empty UIDs).
#[test]
fn events_without_uid_are_not_merged() {
    let dir = fresh_dir("no-uid");
    let feed = dir.join("hand-written.ics");
    std::fs::write(
        &feed,
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260328T180000\r\nSUMMARY:Koris\r\n\
         END:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20260328T180000\r\nSUMMARY:Deju pulciņš\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let out = dir.join("hall.ansl");
    let o = build_with_cache(&[feed.to_str().unwrap()], &dir.join("cache"), &out);
    assert!(stderr(&o).contains("2 events"), "{}", stderr(&o));
}

/// `anslag build --ignore-x-wr-timezone` reads a Google calendar RFC-strictly, as `anslag
/// expand --ignore-x-wr-timezone` does: its floating times stay board time.
#[test]
fn build_can_ignore_x_wr_timezone_like_expand() {
    let dir = fresh_dir("x-wr");
    let feed = dir.join("google.ics");
    std::fs::write(
        &feed,
        "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:America/New_York\r\nBEGIN:VEVENT\r\nUID:g@x\r\n\
         DTSTART:20260328T100000\r\nSUMMARY:Call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let feed = feed.to_str().unwrap();
    let start = |extra: &[&str]| {
        let out = dir.join("x.ansl");
        let o = Command::new(env!("CARGO_BIN_EXE_anslag"))
            .args(["build", feed, "--tz", "Europe/Riga", "--from", "2026-03-27"])
            .args(["--out", out.to_str().unwrap()])
            .args(extra)
            .env("ANSLAG_CACHE_DIR", dir.join("cache"))
            .env("SOURCE_DATE_EPOCH", "1774000000")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let o = anslag(&["inspect", "--json", out.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["events"][0]["start"].as_str().unwrap().to_owned()
    };
    // 10:00 in New York (EDT, UTC-4) is 16:00 in Riga (EET, UTC+2) on 28 March 2026.
    assert_eq!(start(&[]), "2026-03-28T16:00");
    assert_eq!(start(&["--ignore-x-wr-timezone"]), "2026-03-28T10:00");
    let expand = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_anslag"))
            .args(["expand", feed, "--tz", "Europe/Riga"])
            .args(["--from", "2026-03-27", "--to", "2026-03-30"])
            .args(extra)
            .env("ANSLAG_CACHE_DIR", dir.join("cache"))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["start"].as_str().unwrap().to_owned()
    };
    assert_eq!(expand(&[]), "2026-03-28T16:00:00");
    assert_eq!(expand(&["--ignore-x-wr-timezone"]), "2026-03-28T10:00:00");
}

/// `anslag expand` reads URLs with the same fetcher as `build`: cache, validation and
/// last-good fallback included. An unreadable feed is named, the others are printed, and the
/// exit status is 1 (the output is incomplete).
#[test]
fn expand_reads_urls_like_build_and_reports_a_broken_feed() {
    let dir = fresh_dir("expand-url");
    let cal = std::fs::read(data("foundation.ics")).unwrap();
    let (url, server) = serve_each(vec![
        ("text/calendar", cal),
        (
            "text/html",
            b"<html><body>Maintenance</body></html>".to_vec(),
        ),
    ]);
    let broken = dir.join("news.xml");
    std::fs::write(&broken, "<html><body>Fatal error</body></html>").unwrap();
    let expand = |feeds: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_anslag"))
            .arg("expand")
            .args(feeds)
            .args([
                "--from",
                "2026-03-27",
                "--to",
                "2026-04-03",
                "--tz",
                "Europe/Riga",
            ])
            .env("ANSLAG_CACHE_DIR", dir.join("cache"))
            .output()
            .unwrap()
    };
    let summaries = |o: &Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["summary"].to_string())
            .collect()
    };
    let first = expand(&[&url]);
    assert!(first.status.success(), "{}", stderr(&first));
    let want = summaries(&first);
    assert_eq!(want.len(), 4, "{want:?}");
    assert!(want[0].contains("Kora mēģinājums"), "{want:?}");

    // The server now answers with a maintenance page: the last good copy is used, loudly.
    let broken = broken.to_str().unwrap();
    let second = expand(&[&url, broken]);
    let err = stderr(&second);
    assert_eq!(summaries(&second), want, "{err}");
    assert!(
        err.contains(&format!(
            "WARNING: feed {url} failed (not a usable copy: an HTML page"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("ERROR: feed {broken} could not be read")),
        "{err}"
    );
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "1 of 2 feeds could not be read and are not in the output: {broken}"
        )),
        "{err}"
    );
    server.join().unwrap();
}

//! Fetching against a real HTTP server on 127.0.0.1 started inside each test: ETag and
//! Last-Modified revalidation, redirects, timeouts, error statuses, validation, and the
//! last-good fallback.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anslag_cli::feeds::fetch::{FetchError, Fetcher, Origin, Validator};

/// What the test server answers: status line + headers + body, or "hang" to never answer.
type Handler = Box<dyn Fn(usize, &str) -> Option<String> + Send>;

struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

/// A one-connection-at-a-time HTTP/1.1 server; `handler(n, request)` gets the request number
/// and its head. `None` means: read the request, then hang without answering.
fn serve(handler: Handler) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let head = read_head(&stream);
            log.lock().expect("lock").push(head.clone());
            match handler(n, &head) {
                Some(resp) => {
                    let mut s = stream;
                    let _ = s.write_all(resp.as_bytes());
                }
                None => {
                    // Hold the connection open, answer nothing.
                    thread::spawn(move || {
                        thread::sleep(Duration::from_secs(5));
                        drop(stream);
                    });
                }
            }
        }
    });
    Server { base, requests }
}

fn read_head(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    head
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}

fn has_header(head: &str, name: &str, value: &str) -> bool {
    head.lines().any(|l| {
        l.split_once(':')
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case(name) && v.trim() == value)
    })
}

#[test]
fn etag_revalidation_serves_304_from_cache() {
    let server = serve(Box::new(|_, head| {
        if has_header(head, "if-none-match", "\"v1\"") {
            Some(response("304 Not Modified", &[("ETag", "\"v1\"")], ""))
        } else {
            Some(response(
                "200 OK",
                &[("ETag", "\"v1\""), ("Content-Type", "text/calendar")],
                "BEGIN:VCALENDAR",
            ))
        }
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path());
    let url = format!("{}/cal.ics", server.base);
    let first = f.fetch(&url).expect("first");
    assert_eq!(first.origin, Origin::Network);
    assert_eq!(first.bytes, b"BEGIN:VCALENDAR");
    assert_eq!(first.content_type.as_deref(), Some("text/calendar"));
    let second = f.fetch(&url).expect("second");
    assert_eq!(second.origin, Origin::NotModified);
    assert_eq!(second.bytes, b"BEGIN:VCALENDAR");
    assert!(!second.from_cache_fallback);
    let reqs = server.requests.lock().expect("lock");
    assert_eq!(reqs.len(), 2);
    assert!(has_header(&reqs[1], "if-none-match", "\"v1\""));
}

#[test]
fn last_modified_revalidation() {
    const LM: &str = "Mon, 01 Jun 2026 08:00:00 GMT";
    let server = serve(Box::new(|_, head| {
        if has_header(head, "if-modified-since", LM) {
            Some(response("304 Not Modified", &[], ""))
        } else {
            Some(response("200 OK", &[("Last-Modified", LM)], "<rss/>"))
        }
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path());
    let url = format!("{}/feed", server.base);
    assert_eq!(f.fetch(&url).expect("first").origin, Origin::Network);
    let again = f.fetch(&url).expect("second");
    assert_eq!(again.origin, Origin::NotModified);
    assert_eq!(again.bytes, b"<rss/>");
}

#[test]
fn redirects_are_followed() {
    let server = serve(Box::new(|_, head| {
        if head.starts_with("GET /old ") {
            Some(response(
                "301 Moved Permanently",
                &[("Location", "/new")],
                "",
            ))
        } else if head.starts_with("GET /new ") {
            Some(response("200 OK", &[], "moved here"))
        } else {
            Some(response("404 Not Found", &[], ""))
        }
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let got = Fetcher::new(cache.path())
        .fetch(&format!("{}/old", server.base))
        .expect("fetch");
    assert_eq!(got.bytes, b"moved here");
}

#[test]
fn redirect_loop_is_an_error() {
    let server = serve(Box::new(|_, _| {
        Some(response("302 Found", &[("Location", "/loop")], ""))
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let err = Fetcher::new(cache.path())
        .with_max_redirects(3)
        .fetch(&format!("{}/loop", server.base));
    assert!(err.is_err());
}

#[test]
fn server_error_falls_back_to_last_good_copy_loudly() {
    let server = serve(Box::new(|n, _| {
        if n == 0 {
            Some(response("200 OK", &[], "good calendar"))
        } else {
            Some(response("500 Internal Server Error", &[], "oops"))
        }
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path());
    let url = format!("{}/cal.ics", server.base);
    f.fetch(&url).expect("first");
    let got = f.fetch(&url).expect("fallback");
    assert!(got.from_cache_fallback);
    assert_eq!(got.origin, Origin::LastGood);
    assert_eq!(got.bytes, b"good calendar");
    let warning = got.warning.expect("warning");
    assert!(warning.starts_with("WARNING: feed"), "{warning}");
    assert!(warning.contains("500"), "{warning}");
}

#[test]
fn error_without_cache_is_an_error() {
    let server = serve(Box::new(|_, _| Some(response("404 Not Found", &[], ""))));
    let cache = tempfile::tempdir().expect("tempdir");
    match Fetcher::new(cache.path()).fetch(&format!("{}/missing", server.base)) {
        Err(FetchError::Status { status: 404, .. }) => {}
        other => panic!("expected a 404 error, got {other:?}"),
    }
}

#[test]
fn timeout_falls_back_and_is_quick() {
    let server = serve(Box::new(|n, _| {
        (n == 0).then(|| response("200 OK", &[], "v1"))
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path()).with_timeout(Duration::from_millis(500));
    let url = format!("{}/slow", server.base);
    f.fetch(&url).expect("first");
    let t0 = Instant::now();
    let got = f.fetch(&url).expect("fallback");
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "took {:?}",
        t0.elapsed()
    );
    assert!(got.from_cache_fallback);
    assert_eq!(got.bytes, b"v1");
}

const GOOD_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:k@x\r\n\
    DTSTART:20260305T180000\r\nSUMMARY:Koris\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// The validator `anslag build`, `expand` and `sync` use.
fn real_check(source: &str) -> Box<Validator<'_>> {
    Box::new(move |new, last_good| {
        anslag_cli::feeds::check::check(source, new, last_good)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

#[test]
fn rejected_bytes_do_not_replace_the_good_copy() {
    // A calendar, then the hosting's "Maintenance" page with status 200, then a calendar cut
    // short, then an empty calendar frame (where there were events): none is a good copy.
    let server = serve(Box::new(|n, _| {
        Some(match n {
            0 => response("200 OK", &[], GOOD_ICS),
            1 => response(
                "200 OK",
                &[("Content-Type", "text/html")],
                "<!DOCTYPE html>\n<html><body><h1>Maintenance</h1></body></html>",
            ),
            2 => response("200 OK", &[], &GOOD_ICS[..60]),
            _ => response("200 OK", &[], "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
        })
    }));
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path());
    let url = format!("{}/cal.ics", server.base);
    let check = real_check(&url);
    let first = f.fetch_validated(&url, &check).expect("first");
    assert!(!first.from_cache_fallback);
    for why in [
        "an HTML page",
        "cut short",
        "no events at all, where the last good copy had 1",
    ] {
        let got = f.fetch_validated(&url, &check).expect("fallback");
        assert!(got.from_cache_fallback, "{why}");
        // And the cache still holds the good copy for the next failure.
        assert_eq!(got.bytes, GOOD_ICS.as_bytes(), "{why}");
        let warning = got.warning.expect("warning");
        assert!(
            warning.starts_with(&format!("WARNING: feed {url} failed (not a usable copy: ")),
            "{warning}"
        );
        assert!(warning.contains(why), "{warning}");
        // The feed is named once, not nested ("URL: WARNING: feed URL ...").
        assert_eq!(warning.matches(&url).count(), 1, "{warning}");
    }
}

#[test]
fn a_local_file_truncated_to_nothing_keeps_the_good_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.ics");
    std::fs::write(&path, GOOD_ICS).expect("write");
    let f = Fetcher::new(dir.path().join("cache"));
    let p = path.to_str().expect("utf-8 path");
    let check = real_check(p);
    assert_eq!(
        f.fetch_validated(p, &check).expect("file").origin,
        Origin::File
    );
    // A copy to a USB stick that was pulled out too early.
    std::fs::File::create(&path).expect("truncate");
    let got = f.fetch_validated(p, &check).expect("fallback");
    assert!(got.from_cache_fallback);
    assert_eq!(got.bytes, GOOD_ICS.as_bytes());
    assert!(got.warning.expect("warning").contains("the file is empty"));
    // Without a good copy it is an error that says why.
    match Fetcher::new(dir.path().join("other-cache")).fetch_validated(p, &check) {
        Err(e @ FetchError::Invalid { .. }) => {
            assert!(e.to_string().contains("the file is empty"), "{e}")
        }
        other => panic!("expected an invalid-copy error, got {other:?}"),
    }
}

#[test]
fn oversized_body_is_refused() {
    let big = "x".repeat(10_000);
    let server = serve(Box::new(move |_, _| Some(response("200 OK", &[], &big))));
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path()).with_max_bytes(1_000);
    assert!(f.fetch(&format!("{}/big", server.base)).is_err());
}

#[test]
fn connection_refused_without_cache_is_an_error() {
    // Bind, learn a free port, close it: connecting there is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let cache = tempfile::tempdir().expect("tempdir");
    let f = Fetcher::new(cache.path());
    let url = format!("http://127.0.0.1:{port}/cal.ics");
    assert!(matches!(f.fetch(&url), Err(FetchError::Transport { .. })));
}

#[test]
fn local_files_keep_a_last_good_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.csv");
    std::fs::write(&path, "date;title\n2026-06-06;Talka\n").expect("write");
    let f = Fetcher::new(dir.path().join("cache"));
    let p = path.to_str().expect("utf-8 path");
    assert_eq!(f.fetch(p).expect("file").origin, Origin::File);
    std::fs::remove_file(&path).expect("rm");
    let got = f.fetch(p).expect("fallback");
    assert!(got.from_cache_fallback);
    assert_eq!(got.bytes, b"date;title\n2026-06-06;Talka\n");
    assert!(Fetcher::new(dir.path().join("other-cache"))
        .fetch(p)
        .is_err());
}

/// A local calendar read on every run is kept once: an unchanged copy is not written again
/// (the file stays as it was), a changed one replaces it.
#[test]
fn an_unchanged_local_file_is_not_copied_again() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("events.ics");
    std::fs::write(&p, "BEGIN:VCALENDAR\nEND:VCALENDAR\n").unwrap();
    let f = Fetcher::new(dir.path().join("cache"));
    let p = p.to_str().unwrap();
    f.fetch(p).unwrap();
    let bodies = || -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(dir.path().join("cache"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "body"))
            .map(|p| {
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                (p, t)
            })
            .collect();
        v.sort();
        v
    };
    let first = bodies();
    assert_eq!(first.len(), 1);
    std::thread::sleep(Duration::from_millis(20));
    f.fetch(p).unwrap();
    assert_eq!(bodies(), first, "rewritten although unchanged");
    std::fs::write(p, "BEGIN:VCALENDAR\nX-WR-CALNAME:Zāle\nEND:VCALENDAR\n").unwrap();
    f.fetch(p).unwrap();
    assert_ne!(bodies(), first, "a changed file must replace the copy");
    let body = std::fs::read(&bodies()[0].0).unwrap();
    assert!(String::from_utf8(body).unwrap().contains("Zāle"));
}

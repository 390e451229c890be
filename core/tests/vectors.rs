//! Golden test vectors: `vectors/NAME.ansl` (bundle bytes) and `vectors/NAME.json` (its dump).
//!
//! Checked both ways: the listing below encodes to exactly the committed bytes, the committed
//! bytes decode to exactly the committed JSON, and the JSON alone re-encodes to the same
//! bytes (so the dump holds everything a bundle says). Regenerate after a deliberate format
//! change with `UPDATE_VECTORS=1 cargo test -p anslag-core --test vectors`, and say why in
//! the commit and in docs/FORMAT.md.

use std::path::PathBuf;

use anslag_core::bundle::{self, Bundle, EventSpec, Header, Listing, OffsetChange};
use anslag_core::time::{Date, DateTime};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn encode(listing: &Listing<'_>) -> Vec<u8> {
    let mut buf = vec![0; bundle::encoded_len_upper_bound(listing)];
    let len = bundle::encode(listing, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

fn at(y: i16, mo: u8, d: u8, h: u16, mi: u16) -> DateTime {
    DateTime::new(Date::new(y, mo, d).unwrap(), h * 60 + mi).unwrap()
}

const EET_EEST: [OffsetChange; 2] = [
    // 2026-03-21T22:00Z (local midnight starting the window), then the spring change.
    OffsetChange {
        from_utc_minute: 29_571_720,
        offset_minutes: 120,
    },
    OffsetChange {
        from_utc_minute: 29_579_100,
        offset_minutes: 180,
    },
];

fn header(days: u16) -> Header<'static> {
    Header {
        sequence: 42,
        created_at: 1_774_130_400,
        valid_from: Date::new(2026, 3, 22).unwrap(),
        valid_days: days,
        refresh_minutes: 360,
        flags: 0,
        board: "hall-door",
        centre: "Ķekavas tautas nams",
        language: "lv",
    }
}

/// The committed vectors, by name.
fn vectors() -> Vec<(&'static str, Listing<'static>)> {
    let minimal: &'static [EventSpec<'static>] = Box::leak(Box::new([EventSpec {
        start: at(2026, 3, 23, 18, 0),
        duration_minutes: 90,
        title: "Koris",
        place: "Zāle",
        language: "lv",
        ..EventSpec::default()
    }]));
    let multilingual: &'static [EventSpec<'static>] = Box::leak(Box::new([
        EventSpec {
            start: at(2026, 3, 22, 0, 0),
            duration_minutes: 2 * 1440,
            all_day: true,
            title: "Lieldienu tirdziņš",
            place: "Tautas nams „Ķekava“, Rīgas iela 22",
            description: "Ieeja brīva. Lūdzam ņemt līdzi savu maisiņu.",
            category: "Tirgus",
            link: "https://kekava.example/notikumi/tirdzins-1",
            language: "lv",
            ..EventSpec::default()
        },
        EventSpec {
            start: at(2026, 3, 28, 19, 30),
            duration_minutes: 150,
            title: "Frühlingskonzert des Männerchors",
            place: "Dorfgemeinschaftshaus",
            description: "Eintritt frei. Ieeja brīva. ",
            category: "Musik",
            link: "https://kekava.example/notikumi/konzert-2",
            language: "de",
            ..EventSpec::default()
        },
        EventSpec {
            // 02:30 does not exist on 2026-03-29 in Riga: builders shift it, the bundle just
            // stores what it is given.
            start: at(2026, 3, 29, 4, 0),
            duration_minutes: 60,
            cancelled: true,
            title: "Påskvandring i gryningen",
            place: "Kvarnen",
            description: "Vid regn flyttar vi in i stora salen.\nTa med kaffe!",
            language: "sv",
            ..EventSpec::default()
        },
        EventSpec {
            start: at(2026, 3, 30, 18, 0),
            duration_minutes: 0,
            floating: true,
            date_from_text: true,
            title: "Spotkanie koła gospodyń – Łódź, Gdańsk",
            language: "pl",
            ..EventSpec::default()
        },
        EventSpec {
            start: at(2026, 4, 2, 17, 0),
            duration_minutes: 120,
            title: "Кіновечір для всієї родини",
            place: "Tautas nams „Ķekava“, Rīgas iela 22",
            language: "uk",
            ..EventSpec::default()
        },
    ]));
    vec![
        (
            "minimal",
            Listing {
                header: header(3),
                offsets: &EET_EEST[..1],
                events: minimal,
            },
        ),
        (
            "multilingual",
            Listing {
                header: header(14),
                offsets: &EET_EEST,
                events: multilingual,
            },
        ),
        (
            "empty",
            Listing {
                header: header(1),
                offsets: &EET_EEST[..1],
                events: &[],
            },
        ),
    ]
}

/// Rebuilds the listing from a JSON dump alone.
fn encode_from_json(v: &Value) -> Vec<u8> {
    let h = &v["header"];
    let s = |x: &Value| x.as_str().unwrap().to_string();
    let (board, centre, language) = (s(&h["board"]), s(&h["centre"]), s(&h["language"]));
    let offsets: Vec<OffsetChange> = serde_json::from_value(h["utc_offsets"].clone()).unwrap();
    let owned: Vec<(DateTime, u32, [bool; 4], [String; 6])> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let start: DateTime = serde_json::from_value(e["start"].clone()).unwrap();
            let end: DateTime = serde_json::from_value(e["end"].clone()).unwrap();
            let b = |k: &str| e[k].as_bool().unwrap();
            (
                start,
                (end.to_minutes() - start.to_minutes()) as u32,
                [
                    b("all_day"),
                    b("cancelled"),
                    b("floating"),
                    b("date_from_text"),
                ],
                [
                    "title",
                    "place",
                    "description",
                    "category",
                    "link",
                    "language",
                ]
                .map(|k| s(&e[k])),
            )
        })
        .collect();
    let events: Vec<EventSpec<'_>> = owned
        .iter()
        .map(|(start, duration, f, t)| EventSpec {
            start: *start,
            duration_minutes: *duration,
            all_day: f[0],
            cancelled: f[1],
            floating: f[2],
            date_from_text: f[3],
            title: &t[0],
            place: &t[1],
            description: &t[2],
            category: &t[3],
            link: &t[4],
            language: &t[5],
        })
        .collect();
    let listing = Listing {
        header: Header {
            sequence: h["sequence"].as_u64().unwrap(),
            created_at: h["created_at"].as_i64().unwrap(),
            valid_from: serde_json::from_value(h["valid_from"].clone()).unwrap(),
            valid_days: h["valid_days"].as_u64().unwrap() as u16,
            refresh_minutes: h["refresh_minutes"].as_u64().unwrap() as u32,
            flags: h["flags"].as_u64().unwrap() as u32,
            board: &board,
            centre: &centre,
            language: &language,
        },
        offsets: &offsets,
        events: &events,
    };
    encode(&listing)
}

#[test]
fn golden_vectors_both_ways() {
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    for (name, listing) in vectors() {
        let bytes = encode(&listing);
        let dump = serde_json::to_value(Bundle::parse(&bytes).unwrap()).unwrap();
        let (bin_path, json_path) = (
            dir().join(format!("{name}.ansl")),
            dir().join(format!("{name}.json")),
        );
        if update {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&bin_path, &bytes).unwrap();
            std::fs::write(
                &json_path,
                serde_json::to_string_pretty(&dump).unwrap() + "\n",
            )
            .unwrap();
        }
        let committed = std::fs::read(&bin_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_VECTORS=1 to create)",
                bin_path.display()
            )
        });
        let committed_json: Value =
            serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
        assert!(
            bytes == committed,
            "{name}: the encoder no longer writes the committed bytes; a format change needs a version decision (docs/FORMAT.md)"
        );
        let decoded = serde_json::to_value(Bundle::parse(&committed).unwrap()).unwrap();
        assert_eq!(
            decoded, committed_json,
            "{name}: committed bytes decode differently"
        );
        assert_eq!(
            encode_from_json(&committed_json),
            committed,
            "{name}: JSON does not rebuild the bytes"
        );
    }
}

/// The worked example in docs/FORMAT.md shows these bytes; keep them in sync.
#[test]
fn minimal_vector_layout_matches_the_spec() {
    let bytes = std::fs::read(dir().join("minimal.ansl")).unwrap();
    assert_eq!(&bytes[..4], b"ANSL");
    assert_eq!((bytes[4], bytes[5]), (1, 0));
    let total = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    assert_eq!(total, bytes.len());
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes[..total - 4]);
    assert_eq!(crc.to_le_bytes(), bytes[total - 4..]);
    assert_eq!(
        crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(b"123456789"),
        0xCBF4_3926
    );
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMAT.md")).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let doc_hex: String = doc
        .split("<!-- minimal.ansl -->")
        .nth(1)
        .expect("FORMAT.md has the minimal.ansl dump")
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .flat_map(|l| {
            l.split('|')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(doc_hex, hex, "docs/FORMAT.md worked example is stale");
}

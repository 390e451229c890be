//! Bundle format: round trips, determinism, every decoder error, and robustness against
//! arbitrary and mutated bytes.

use anslag_core::bundle::{
    self, layout, Bundle, EncodeError, Error, EventSpec, Header, Listing, OffsetChange,
};
use anslag_core::time::{Date, DateTime};
use proptest::prelude::*;

fn encode(listing: &Listing<'_>) -> Vec<u8> {
    let mut buf = vec![0; bundle::encoded_len_upper_bound(listing)];
    let len = bundle::encode(listing, &mut buf).expect("encodes");
    buf.truncate(len);
    buf
}

fn crc32(bytes: &[u8]) -> u32 {
    crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(bytes)
}

/// Recomputes the trailer so mutations reach the structural checks behind the CRC.
fn fix_crc(bytes: &mut [u8]) {
    if bytes.len() >= 16 {
        let at = bytes.len() - 4;
        let crc = crc32(&bytes[..at]);
        bytes[at..].copy_from_slice(&crc.to_le_bytes());
    }
}

fn day(y: i16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

fn at(d: Date, h: u16, m: u16) -> DateTime {
    DateTime::new(d, h * 60 + m).unwrap()
}

const RIGA_2026: [OffsetChange; 2] = [
    OffsetChange {
        from_utc_minute: 29_492_640,
        offset_minutes: 120,
    }, // 2026-01-28T00:00Z
    OffsetChange {
        from_utc_minute: 29_579_100,
        offset_minutes: 180,
    }, // 2026-03-29T01:00Z
];

fn sample_events() -> Vec<EventSpec<'static>> {
    let d = day(2026, 3, 27);
    vec![
        EventSpec {
            start: at(d, 18, 0),
            duration_minutes: 120,
            title: "Kora mēģinājums",
            place: "Tautas nams „Ķekava“, Rīgas iela 22",
            description: "Ieeja brīva. Lūdzam pieteikties.",
            category: "Mūzika",
            link: "https://kekava.lv/notikumi/kora-megin-1",
            language: "lv",
            ..EventSpec::default()
        },
        EventSpec {
            start: at(d.add_days(1), 0, 0),
            duration_minutes: 1440,
            all_day: true,
            title: "Flohmarkt",
            place: "Dorfplatz",
            description: "Eintritt frei. Bei Regen im Saal.",
            language: "de",
            ..EventSpec::default()
        },
        EventSpec {
            start: at(d.add_days(2), 3, 30),
            duration_minutes: 60,
            cancelled: true,
            floating: true,
            title: "Nattvandring",
            description: "Ieeja brīva. Samling vid kvarnen.",
            link: "https://kekava.lv/notikumi/nakts-2",
            language: "sv",
            ..EventSpec::default()
        },
        EventSpec {
            start: at(d.add_days(3), 10, 0),
            duration_minutes: 0,
            date_from_text: true,
            title: "Кіновечір",
            language: "uk",
            ..EventSpec::default()
        },
    ]
}

fn sample_listing(events: &[EventSpec<'static>]) -> Listing<'static> {
    let events: &'static [EventSpec<'static>] = Vec::leak(events.to_vec());
    Listing {
        header: Header {
            sequence: 7,
            created_at: 1_774_600_000,
            valid_from: day(2026, 3, 27),
            valid_days: 14,
            refresh_minutes: 360,
            flags: 0,
            board: "hall-door",
            centre: "Ķekavas tautas nams",
            language: "lv",
        },
        offsets: &RIGA_2026,
        events,
    }
}

fn assert_same(listing: &Listing<'_>, b: &Bundle<'_>) {
    assert_eq!(b.header(), listing.header);
    assert_eq!(b.utc_offsets().collect::<Vec<_>>(), listing.offsets);
    assert_eq!(b.len(), listing.events.len());
    for (i, (want, got)) in listing.events.iter().zip(b.events()).enumerate() {
        assert_eq!(got.start(), want.start, "event {i}");
        assert_eq!(got.duration_minutes(), want.duration_minutes, "event {i}");
        assert_eq!(
            (
                got.is_all_day(),
                got.is_cancelled(),
                got.is_floating(),
                got.is_date_from_text()
            ),
            (
                want.all_day,
                want.cancelled,
                want.floating,
                want.date_from_text
            ),
            "event {i}"
        );
        assert_eq!(got.title().to_string(), want.title);
        assert_eq!(got.place().to_string(), want.place);
        assert_eq!(got.description().to_string(), want.description);
        assert_eq!(got.category().to_string(), want.category);
        assert_eq!(got.link().to_string(), want.link);
        assert_eq!(got.language().to_string(), want.language);
        assert!(got.title().eq_str(want.title));
    }
}

#[test]
fn round_trip_sample() {
    let events = sample_events();
    let listing = sample_listing(&events);
    let bytes = encode(&listing);
    let b = Bundle::parse(&bytes).unwrap();
    assert_same(&listing, &b);
    // Shared sentences and link prefixes are stored once.
    let blob = String::from_utf8_lossy(&bytes);
    assert_eq!(blob.matches("Ieeja brīva. ").count(), 1);
    assert_eq!(blob.matches("https://kekava.lv/notikumi/").count(), 1);
    assert!(b.event(4).is_none());
    assert_eq!(b.events().next_back().unwrap().title(), "Кіновечір");
}

#[test]
fn encoding_is_deterministic_and_buffer_size_is_checked() {
    let events = sample_events();
    let listing = sample_listing(&events);
    assert_eq!(encode(&listing), encode(&listing));
    let needed = bundle::encoded_len_upper_bound(&listing);
    let mut small = vec![0; needed - 1];
    assert_eq!(
        bundle::encode(&listing, &mut small),
        Err(EncodeError::BufferTooSmall { needed })
    );
}

#[cfg(feature = "alloc")]
#[test]
fn encode_to_vec_sorts_into_canonical_order() {
    let events = sample_events();
    let mut shuffled = events.clone();
    shuffled.reverse();
    let a = bundle::encode_to_vec(&sample_listing(&events)).unwrap();
    let b = bundle::encode_to_vec(&sample_listing(&shuffled)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn encoder_refuses_bad_listings() {
    let mut events = sample_events();
    events.swap(0, 1);
    let l = sample_listing(&events);
    assert_eq!(
        bundle::encode(&l, &mut [0; 4096]),
        Err(EncodeError::EventsNotSorted { index: 1 })
    );

    let events = sample_events();
    let mut l = sample_listing(&events);
    l.offsets = &[];
    assert_eq!(
        bundle::encode(&l, &mut [0; 4096]),
        Err(EncodeError::BadOffsetTable)
    );
    let mut l = sample_listing(&events);
    l.header.valid_days = 0;
    assert_eq!(
        bundle::encode(&l, &mut [0; 4096]),
        Err(EncodeError::BadWindow)
    );
    let far = [EventSpec {
        start: at(day(9000, 1, 1), 0, 0),
        ..EventSpec::default()
    }];
    let l = sample_listing(&far);
    assert_eq!(
        bundle::encode(&l, &mut [0; 4096]),
        Err(EncodeError::EventOutOfRange { index: 0 })
    );
}

#[test]
fn local_time_follows_the_offset_table_across_dst() {
    let events = sample_events();
    let bytes = encode(&sample_listing(&events));
    let b = Bundle::parse(&bytes).unwrap();
    // 2026-03-29 00:59Z is 02:59 EET; a minute later clocks jump to 04:00 EEST.
    let before = 29_579_099 * 60;
    assert_eq!(b.local_time(before).to_string(), "2026-03-29T02:59");
    assert_eq!(b.local_time(before + 60).to_string(), "2026-03-29T04:00");
    // Before the table's first entry its offset still applies.
    assert_eq!(b.utc_offset_minutes(0), 120);
}

#[test]
fn day_index_skips_ended_events() {
    let events = sample_events();
    let bytes = encode(&sample_listing(&events));
    let b = Bundle::parse(&bytes).unwrap();
    let titles = |d: Date| {
        b.events_from(d)
            .map(|e| e.title().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(day(2026, 3, 1)).len(), 4);
    assert_eq!(titles(day(2026, 3, 28))[0], "Flohmarkt");
    assert_eq!(titles(day(2026, 3, 29))[0], "Nattvandring");
    assert_eq!(titles(day(2026, 3, 30)), ["Кіновечір"]);
    assert_eq!(titles(day(2026, 3, 31)), Vec::<String>::new());
    assert_eq!(titles(day(2027, 1, 1)), Vec::<String>::new());
}

#[test]
fn empty_listing() {
    let listing = sample_listing(&[]);
    let bytes = encode(&listing);
    let b = Bundle::parse(&bytes).unwrap();
    assert!(b.is_empty());
    assert_eq!(b.events_from(day(2026, 3, 28)).count(), 0);
}

#[test]
fn specific_errors() {
    let events = sample_events();
    let good = encode(&sample_listing(&events));
    assert_eq!(Bundle::parse(&good[..10]).unwrap_err(), Error::Truncated);
    assert_eq!(
        Bundle::parse(&good[..good.len() - 1]).unwrap_err(),
        Error::Truncated
    );
    let mut long = good.clone();
    long.push(0);
    assert_eq!(Bundle::parse(&long).unwrap_err(), Error::TrailingBytes);
    assert_eq!(Bundle::parse_prefix(&long).unwrap().1, good.len());

    let mut m = good.clone();
    m[0] = b'X';
    assert_eq!(Bundle::parse(&m).unwrap_err(), Error::BadMagic);
    let mut m = good.clone();
    m[4] = 2;
    assert_eq!(
        Bundle::parse(&m).unwrap_err(),
        Error::UnsupportedVersion { major: 2 }
    );
    let mut m = good.clone();
    let mid = m.len() / 2;
    m[mid] ^= 0x40;
    assert!(matches!(
        Bundle::parse(&m).unwrap_err(),
        Error::CrcMismatch { .. }
    ));
    // Invalid UTF-8 inside the string blob, behind a valid CRC.
    let mut m = good.clone();
    let pos = m.windows(5).position(|w| w == b"Flohm").unwrap();
    m[pos] = 0xFF;
    fix_crc(&mut m);
    assert_eq!(Bundle::parse(&m).unwrap_err(), Error::BadUtf8);
}

/// Re-encodes the header of `good` with `edit` applied, moving the body along.
fn with_header(good: &[u8], edit: impl FnOnce(&mut serde_json::Value), extra: &[u8]) -> Vec<u8> {
    // A mirror of the wire header (postcard writes String and &str alike).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct H {
        sequence: u64,
        created_at: i64,
        valid_from: i32,
        valid_days: u16,
        refresh_minutes: u32,
        flags: u32,
        board: String,
        centre: String,
        language: String,
        event_record_len: u8,
        sections: Vec<layout::SectionEntry>,
    }
    let hl = u16::from_le_bytes([good[6], good[7]]) as usize;
    let h: H = postcard::from_bytes(&good[12..12 + hl]).unwrap();
    let mut v = serde_json::to_value(&h).unwrap();
    edit(&mut v);
    let h2: H = serde_json::from_value(v).unwrap();
    let mut header = postcard::to_allocvec(&h2).unwrap();
    header.extend_from_slice(extra);
    let body = &good[12 + hl..good.len() - 4];
    let mut out = good[..12].to_vec();
    out[6..8].copy_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    let total = out.len() + 4;
    out[8..12].copy_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    fix_crc(&mut out);
    out
}

#[test]
fn forward_compatibility_and_header_checks() {
    let events = sample_events();
    let good = encode(&sample_listing(&events));
    // A later minor: extra header fields after the v1 ones, an unknown section, a new minor.
    let mut newer = with_header(
        &good,
        |v| {
            let sections = v["sections"].as_array_mut().unwrap();
            let end: u64 = sections
                .iter()
                .map(|s| s["offset"].as_u64().unwrap() + s["len"].as_u64().unwrap())
                .max()
                .unwrap();
            sections.push(serde_json::json!({"kind": 99, "offset": end, "len": 0}));
        },
        &[1, 2, 3],
    );
    newer[5] = 7;
    fix_crc(&mut newer);
    let b = Bundle::parse(&newer).expect("v1.7 with unknown parts is readable");
    assert_eq!(b.version(), (1, 7));
    assert_eq!(b.len(), 4);

    let required = with_header(&good, |v| v["flags"] = 0x0001_0000.into(), &[]);
    assert_eq!(
        Bundle::parse(&required).unwrap_err(),
        Error::UnsupportedFeature { flags: 0x0001_0000 }
    );
    let ignorable = with_header(&good, |v| v["flags"] = 0x0000_0001.into(), &[]);
    assert!(Bundle::parse(&ignorable).is_ok());
    let no_days = with_header(&good, |v| v["valid_days"] = 0.into(), &[]);
    assert_eq!(
        Bundle::parse(&no_days).unwrap_err(),
        Error::BadHeaderField("valid_days")
    );
    let short_records = with_header(&good, |v| v["event_record_len"] = 20.into(), &[]);
    assert_eq!(
        Bundle::parse(&short_records).unwrap_err(),
        Error::BadHeaderField("event_record_len")
    );
    let dropped = with_header(
        &good,
        |v| {
            v["sections"].as_array_mut().unwrap().remove(0);
        },
        &[],
    );
    assert_eq!(
        Bundle::parse(&dropped).unwrap_err(),
        Error::MissingSection(layout::SectionKind::Offsets)
    );
    let outside = with_header(&good, |v| v["sections"][6]["len"] = 100_000.into(), &[]);
    assert_eq!(
        Bundle::parse(&outside).unwrap_err(),
        Error::BadSection(layout::SectionKind::Strings)
    );
    let overlapping = with_header(&good, |v| v["sections"][1]["offset"] = 0.into(), &[]);
    assert_eq!(
        Bundle::parse(&overlapping).unwrap_err(),
        Error::BadSection(layout::SectionKind::Days)
    );
}

#[test]
fn structural_checks_behind_a_valid_crc() {
    let events = sample_events();
    let good = encode(&sample_listing(&events));
    let b = Bundle::parse(&good).unwrap();
    let rec0 = {
        // The first event record: locate by its start delta (18:00 on day 0 = 1080).
        good.windows(8)
            .position(|w| w == [0x38, 4, 0, 0, 120, 0, 0, 0])
            .unwrap()
    };
    assert_eq!(b.event(0).unwrap().start_minutes() % 1440, 1080);
    // Second event now starts before the first.
    let mut m = good.clone();
    m[rec0 + 21..rec0 + 25].copy_from_slice(&0i32.to_le_bytes());
    fix_crc(&mut m);
    assert_eq!(
        Bundle::parse(&m).unwrap_err(),
        Error::EventsNotSorted { index: 1 }
    );
    // A text reference beyond the text table.
    let mut m = good.clone();
    m[rec0 + 9..rec0 + 11].copy_from_slice(&999u16.to_le_bytes());
    fix_crc(&mut m);
    assert_eq!(
        Bundle::parse(&m).unwrap_err(),
        Error::BadOffset(layout::SectionKind::Events)
    );
    // A longer first event changes which event the day index must point at.
    let mut m = good.clone();
    m[rec0 + 4..rec0 + 8].copy_from_slice(&(10 * 1440u32).to_le_bytes());
    fix_crc(&mut m);
    assert!(matches!(
        Bundle::parse(&m).unwrap_err(),
        Error::BadDayIndex { .. }
    ));
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("Ieeja brīva. ".to_string()),
        Just("https://example.lv/notikumi/x".to_string()),
        "[a-zA-Zāčēģīķļņšūžåäöüßąćęłńóśźżõ .!?\n/Ѐ-ӿ]{0,40}",
        any::<String>(),
    ]
}

#[derive(Debug, Clone)]
struct OwnedEvent {
    start: i64,
    duration: u32,
    flags: [bool; 4],
    texts: [String; 6],
}

fn event_strategy() -> impl Strategy<Value = OwnedEvent> {
    (
        -3000i64..60 * 1440,
        prop_oneof![Just(0u32), 0u32..3000, any::<u32>()],
        any::<[bool; 4]>(),
        [
            text_strategy(),
            text_strategy(),
            text_strategy(),
            text_strategy(),
            text_strategy(),
            text_strategy(),
        ],
    )
        .prop_map(|(start, duration, flags, texts)| OwnedEvent {
            start,
            duration,
            flags,
            texts,
        })
}

fn listing_from(events: &mut [OwnedEvent], days: u16) -> (Vec<EventSpec<'_>>, Header<'static>) {
    events.sort_by_key(|e| e.start);
    let from = day(2026, 3, 1);
    let base = i64::from(from.to_days()) * 1440;
    let specs = events
        .iter()
        .map(|e| EventSpec {
            start: DateTime::from_minutes(base + e.start),
            duration_minutes: e.duration,
            all_day: e.flags[0],
            cancelled: e.flags[1],
            floating: e.flags[2],
            date_from_text: e.flags[3],
            title: &e.texts[0],
            place: &e.texts[1],
            description: &e.texts[2],
            category: &e.texts[3],
            link: &e.texts[4],
            language: &e.texts[5],
        })
        .collect();
    let header = Header {
        valid_from: from,
        valid_days: days,
        board: "b",
        ..Header::default()
    };
    (specs, header)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_listings_round_trip(mut events in prop::collection::vec(event_strategy(), 0..40), days in 1u16..90) {
        let (specs, header) = listing_from(&mut events, days);
        let listing = Listing { header, offsets: &RIGA_2026, events: &specs };
        let bytes = encode(&listing);
        let b = Bundle::parse(&bytes).unwrap();
        assert_same(&listing, &b);
        // The day index agrees with a scan for every day.
        for d in 0..i32::from(days) {
            let date = header.valid_from.add_days(d);
            let t = i64::from(date.to_days()) * 1440;
            let first = b.events_from(date).next_index();
            let scan = b.events().position(|e| e.end_minutes().max(e.start_minutes() + 1) > t).unwrap_or(b.len());
            prop_assert_eq!(first, scan);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Bundle::parse(&bytes);
        let mut with_magic = b"ANSL\x01\x00".to_vec();
        with_magic.extend_from_slice(&bytes);
        fix_crc(&mut with_magic);
        if let Ok(b) = Bundle::parse(&with_magic) { exercise(&b); }
    }

    #[test]
    fn mutated_bundles_never_panic(
        mut events in prop::collection::vec(event_strategy(), 0..8),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (specs, header) = listing_from(&mut events, 10);
        let mut bytes = encode(&Listing { header, offsets: &RIGA_2026, events: &specs });
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= v;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = Bundle::parse(&bytes);
        fix_crc(&mut bytes);
        if let Ok(b) = Bundle::parse(&bytes) { exercise(&b); }
    }
}

/// Full envelopes carry a bundle as patch ops that re-encode its tables (`wire::seal::pack`):
/// whatever the listing, and for bundles mutated into other valid ones, the kiosk writes back
/// exactly the signed bytes, in any split.
#[cfg(feature = "alloc")]
mod packing {
    use super::*;
    use anslag_core::wire::seal::{apply, pack, seal, MemoryTarget};

    fn through_a_kiosk(bytes: &[u8], chunk: usize) -> Vec<u8> {
        let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([9; 32]));
        let envelope = seal(bytes, 7, None, Some(&kp.sk));
        let mut target = MemoryTarget::default();
        apply(&envelope, &kp.pk, &mut target, chunk).expect("the kiosk takes it");
        target.active.expect("activated").0
    }

    proptest! {
        // Each case seals with zopfli twice: fewer cases than the decoder tests, same reach.
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_listings_pack_losslessly(
            mut events in prop::collection::vec(event_strategy(), 0..40),
            days in 1u16..90,
            chunk in 1usize..700,
        ) {
            let (specs, header) = listing_from(&mut events, days);
            let bytes = encode(&Listing { header, offsets: &RIGA_2026, events: &specs });
            prop_assert_eq!(through_a_kiosk(&bytes, chunk), bytes);
        }

        #[test]
        fn mutated_bundles_pack_losslessly(
            mut events in prop::collection::vec(event_strategy(), 0..8),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        ) {
            let (specs, header) = listing_from(&mut events, 10);
            let mut bytes = encode(&Listing { header, offsets: &RIGA_2026, events: &specs });
            for (i, v) in flips {
                let i = i.index(bytes.len());
                bytes[i] ^= v;
            }
            fix_crc(&mut bytes);
            // Valid or not, the packed form is lossless (invalid bytes travel as one insert).
            prop_assert_eq!(through_a_kiosk(&bytes, 61), bytes.clone());
            let _ = pack(&bytes);
        }
    }

    #[test]
    fn packing_shrinks_a_real_listing_by_a_fifth() {
        let mut events: Vec<OwnedEvent> = (0..150)
            .map(|i| OwnedEvent {
                start: i64::from(i) * 631 % (60 * 1440),
                duration: [90, 120, 60][i as usize % 3],
                flags: [false, i % 17 == 0, false, false],
                texts: [
                    format!("Pasākums nr. {i}: koris un deja"),
                    ["Zāle", "Bibliotēka", "Parks"][i as usize % 3].to_string(),
                    ["Ieeja brīva. ", "Ieeja brīva. Lūdzam pieteikties. ", ""][i as usize % 3]
                        .to_string(),
                    ["Kultūra", "Sports"][i as usize % 2].to_string(),
                    format!("https://example.lv/notikumi/pasakums-{i}"),
                    "lv".to_string(),
                ],
            })
            .collect();
        let (specs, header) = listing_from(&mut events, 60);
        let bytes = encode(&Listing {
            header,
            offsets: &RIGA_2026,
            events: &specs,
        });
        let deflate = |b: &[u8]| anslag_core::wire::seal::deflate(b).len();
        let (plain, packed) = (deflate(&bytes), deflate(&pack(&bytes)));
        assert!(
            packed * 5 <= plain * 4,
            "packed {packed} vs plain {plain} deflated bytes"
        );
    }
}

/// Touches every accessor, as a kiosk would.
fn exercise(b: &Bundle<'_>) {
    let _ = (
        b.header(),
        b.utc_offsets().count(),
        b.local_time(1_780_000_000),
    );
    for e in b.events() {
        let _ = (e.start(), e.end(), e.flags());
        for t in [
            e.title(),
            e.place(),
            e.description(),
            e.category(),
            e.link(),
            e.language(),
        ] {
            let _ = (t.to_string(), t.len(), t.is_empty());
        }
    }
    let h = b.header();
    let _ = b.events_from(h.valid_from.add_days(3)).count();
    let _ = serde_json::to_string(b).unwrap();
    reencodes_to_same_content(b);
}

/// Whatever the decoder accepts, the encoder can write again with the same content (the same
/// differential check the fuzz target runs).
fn reencodes_to_same_content(b: &Bundle<'_>) {
    let owned: Vec<_> = b.events().map(|e| e.to_owned_event()).collect();
    let events: Vec<EventSpec<'_>> = owned.iter().map(|e| e.spec()).collect();
    let offsets: Vec<_> = b.utc_offsets().collect();
    let again = encode(&Listing {
        header: b.header(),
        offsets: &offsets,
        events: &events,
    });
    let b2 = Bundle::parse(&again).unwrap();
    let dump = |b: &Bundle<'_>| serde_json::to_value(b).unwrap()["events"].clone();
    assert_eq!(dump(b), dump(&b2));
    assert_eq!(b.header(), b2.header());
}

fn encode_with_base(listing: &Listing<'_>, base: &[u8]) -> Vec<u8> {
    let base = Bundle::parse(base).unwrap();
    let mut buf = vec![0; bundle::encoded_len_upper_bound_with_base(listing, Some(&base))];
    let len = bundle::encode_with_base(listing, Some(&base), &mut buf).unwrap();
    buf.truncate(len);
    buf
}

#[test]
fn encoding_against_a_base_keeps_unchanged_records_identical() {
    let events = sample_events();
    let base = encode(&sample_listing(&events));
    let mut changed = events.clone();
    changed[0].title = "Kora mēģinājums (pārcelts)";
    let next = encode_with_base(&sample_listing(&changed), &base);
    let b = Bundle::parse(&next).unwrap();
    assert_same(&sample_listing(&changed), &b);
    // The records of the untouched events are byte-identical to the base's.
    let rec = |bytes: &[u8], i: usize| {
        let b = Bundle::parse(bytes).unwrap();
        let e = b.event(i).unwrap();
        (e.start(), e.title().to_string(), e.place().to_string())
    };
    for i in 1..events.len() {
        assert_eq!(rec(&base, i), rec(&next, i));
    }
    let base_b = Bundle::parse(&base).unwrap();
    let count_same = |a: &Bundle<'_>, b: &Bundle<'_>| {
        a.events()
            .zip(b.events())
            .filter(|(x, y)| {
                x.start() == y.start() && x.title().to_string() == y.title().to_string()
            })
            .count()
    };
    assert_eq!(count_same(&base_b, &b), events.len() - 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn any_listing_encoded_against_any_base_round_trips(
        mut a in prop::collection::vec(event_strategy(), 0..20),
        mut b in prop::collection::vec(event_strategy(), 0..20),
    ) {
        let (specs_a, header_a) = listing_from(&mut a, 30);
        let base = encode(&Listing { header: header_a, offsets: &RIGA_2026, events: &specs_a });
        let (specs_b, header_b) = listing_from(&mut b, 30);
        let listing = Listing { header: header_b, offsets: &RIGA_2026, events: &specs_b };
        let next = encode_with_base(&listing, &base);
        assert_same(&listing, &Bundle::parse(&next).unwrap());
    }
}

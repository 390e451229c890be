//! Feeds arbitrary bytes to `Bundle::parse`; whatever it accepts must be fully readable and
//! must re-encode to a bundle with the same content (a differential check of both halves).
#![no_main]

use anslag_core::bundle::{self, Bundle, EventSpec, Listing};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Half the inputs get a valid CRC so the fuzzer explores the structure behind it.
    let mut fixed;
    let input = if data.first().is_some_and(|b| b & 1 == 1) && data.len() >= 16 {
        fixed = data[1..].to_vec();
        let at = fixed.len() - 4;
        let crc = crc32(&fixed[..at]);
        fixed[at..].copy_from_slice(&crc.to_le_bytes());
        &fixed[..]
    } else {
        data
    };
    let Ok(b) = Bundle::parse(input) else { return };
    let owned: Vec<_> = b.events().map(|e| e.to_owned_event()).collect();
    let events: Vec<EventSpec<'_>> = owned.iter().map(|e| e.spec()).collect();
    let offsets: Vec<_> = b.utc_offsets().collect();
    let listing = Listing {
        header: b.header(),
        offsets: &offsets,
        events: &events,
    };
    let again = bundle::encode_to_vec(&listing).expect("a parsed bundle re-encodes");
    let b2 = Bundle::parse(&again).expect("re-encoded bundle parses");
    assert_eq!(
        serde_json_like(&b),
        serde_json_like(&b2),
        "re-encoding changed the content"
    );
});

/// Content as comparable text; events as a sorted multiset, because the encoder puts events
/// that start together in canonical order, not necessarily the input's.
fn serde_json_like(b: &Bundle<'_>) -> String {
    let mut lines: Vec<String> = b
        .events()
        .map(|e| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}",
                e.start(),
                e.duration_minutes(),
                e.flags() & 0x0f,
                e.title(),
                e.place(),
                e.description(),
                e.category(),
                e.link(),
                e.language()
            )
        })
        .collect();
    lines.sort();
    format!(
        "{:?}|{:?}|{}",
        b.header(),
        b.utc_offsets().collect::<Vec<_>>(),
        lines.join("\n")
    )
}

fn crc32(bytes: &[u8]) -> u32 {
    // CRC-32/ISO-HDLC, bitwise: the fuzz crate avoids extra dependencies.
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

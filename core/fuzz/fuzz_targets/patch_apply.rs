//! Any payload as (possibly deflated) patch ops: a delta against a small base, or a full
//! update's ops (bit 1 of the first byte): applying it returns a result, never panics, never
//! writes past the announced length.
#![no_main]

use anslag_core::wire::seal::MemoryTarget;
use anslag_core::wire::{Compression, Crc, Header, Receiver, VERSION};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, payload)) = data.split_first() else {
        return;
    };
    let base = b"a small base bundle with some text in it, and a trailer".to_vec();
    let crc = anslag_core::wire::bundle_crc(&base);
    let mut target = MemoryTarget {
        active: Some((base, 1)),
        pending: Vec::new(),
    };
    let header = Header {
        version: VERSION,
        sequence: 2,
        bundle_len: u32::from(flags) * 4,
        bundle_crc: Crc::of(0),
        base: (flags & 2 == 0).then_some(Crc::of(crc)),
        compression: if flags & 1 == 1 { Compression::Deflate } else { Compression::None },
        payload_len: payload.len() as u32,
        signature: [[7; 32]; 2],
    };
    let mut rx = Box::new(Receiver::new());
    if rx.begin(&header, &mut target).is_ok() {
        for piece in payload.chunks(usize::from(flags % 31) + 1) {
            if rx.feed(piece, &mut target).is_err() {
                break;
            }
        }
        assert!(target.pending.len() <= header.bundle_len as usize);
    }
});

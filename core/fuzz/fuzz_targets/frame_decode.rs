//! Any bytes from a link: the frame reader and decoder return a result, never panic.
#![no_main]

use anslag_core::sync::frame::{self, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut whole = data.to_vec();
    let _ = frame::decode(&mut whole);
    let mut reader = Reader::<256>::new();
    let mut at = 0;
    while at < data.len() {
        let (taken, complete) = reader.push(&data[at..]);
        at += taken;
        if complete {
            let _ = frame::decode(reader.frame());
        }
    }
});

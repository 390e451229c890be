//! Any bytes as an envelope header: decoding returns a result and, when it decodes, the
//! prechecks and a receiver refuse or accept without panicking.
#![no_main]

use anslag_core::wire::seal::MemoryTarget;
use anslag_core::wire::{Header, Receiver};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, rest)) = Header::decode(data) {
        let mut target = MemoryTarget::default();
        let mut rx = Box::new(Receiver::new());
        if rx.begin(&header, &mut target).is_ok() {
            let _ = rx.feed(rest, &mut target);
            let _ = rx.finish(&[1; 32], &mut target);
        }
    }
});

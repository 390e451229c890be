//! Any bytes as a raw deflate stream, fed in pieces: the kiosk's own inflater never panics and
//! agrees with miniz_oxide (the long-tested reference) on what the stream holds — both refuse
//! it, or both give the same bytes.
#![no_main]

use anslag_core::wire::Inflater;
use libfuzzer_sys::fuzz_target;
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let mut ours = Vec::new();
    let mut inflater = Box::new(Inflater::new());
    let mut ok = true;
    let pieces: Vec<&[u8]> = stream.chunks(usize::from(split) + 1).collect();
    let n = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        let fed = inflater.feed(piece, i + 1 == n, |bytes| {
            ours.extend_from_slice(bytes);
            Ok(())
        });
        if fed.is_err() {
            ok = false;
            break;
        }
    }
    ok &= inflater.is_done();

    let mut out = vec![0; 1 << 22];
    let mut state = Box::new(DecompressorOxide::new());
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, consumed, written) = decompress(&mut state, stream, &mut out, 0, flags);
    if status == TINFLStatus::HasMoreOutput {
        return; // larger than the reference's buffer: nothing to compare
    }
    let theirs = (status == TINFLStatus::Done && consumed == stream.len()).then(|| &out[..written]);
    assert_eq!(ok.then_some(&ours[..]), theirs);
});

//! Divan benchmark of bundle decoding against its peers, per event, on the shared benchmark
//! listings (`cargo bench -p anslag-cli --bench format`). `anslag bench format` prints the
//! same comparison as a table with sizes; BENCHMARKS.md records both.

use std::path::PathBuf;

use anslag_cli::cmd::bench::{encodings, touch_anslag, touch_json, touch_postcard, Encodings};
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

const SIZES: [usize; 3] = [20, 200, 2000];

fn load(n: usize) -> Encodings {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../shared/bench/listing-{n}.ics"));
    encodings(&path, chrono_tz::Europe::Riga).expect("benchmark feeds in ../shared/bench")
}

#[divan::bench(args = SIZES)]
fn anslag(bencher: Bencher, n: usize) {
    let e = load(n);
    bencher
        .counter(divan::counter::ItemsCount::new(e.events))
        .bench(|| touch_anslag(black_box(&e.anslag)));
}

#[divan::bench(args = SIZES)]
fn postcard_zero_copy(bencher: Bencher, n: usize) {
    let e = load(n);
    bencher
        .counter(divan::counter::ItemsCount::new(e.events))
        .bench(|| touch_postcard(black_box(&e.postcard)));
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn serde_json(bencher: Bencher, n: usize) {
    let e = load(n);
    bencher
        .counter(divan::counter::ItemsCount::new(e.events))
        .bench(|| touch_json(black_box(&e.json)));
}

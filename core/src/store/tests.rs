//! Store tests on the mock NOR flash, including a power cut at every byte of an update.

use super::mock_flash::MockFlash;
use super::*;
use crate::bundle::{self, EventSpec, Header, Listing, OffsetChange};
use crate::time::{Date, DateTime};
use std::vec::Vec;

type Flash = MockFlash<8192, 256, 4>;

/// A real bundle whose size grows with `n` (and whose content differs by `n`).
pub(crate) fn bundle_bytes(n: usize, sequence: u64) -> Vec<u8> {
    let titles: Vec<std::string::String> = (0..n).map(|i| std::format!("Pasākums {i}")).collect();
    let d = Date::new(2026, 3, 2).unwrap();
    let events: Vec<EventSpec<'_>> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| EventSpec {
            start: DateTime::new(d.add_days(i as i32 % 7), 600).unwrap(),
            title: t,
            ..EventSpec::default()
        })
        .collect();
    let mut events = events;
    events.sort_by_key(|e| e.start);
    let listing = Listing {
        header: Header {
            sequence,
            valid_from: d,
            valid_days: 7,
            board: "b",
            ..Header::default()
        },
        offsets: &[OffsetChange {
            from_utc_minute: 0,
            offset_minutes: 120,
        }],
        events: &events,
    };
    let mut buf = std::vec![0; bundle::encoded_len_upper_bound(&listing)];
    let len = bundle::encode(&listing, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

fn install<F: NorFlash>(
    store: &mut Store<F>,
    bytes: &[u8],
    sequence: u64,
    chunk: usize,
) -> Result<Active, Error<F::Error>> {
    store.begin(bytes.len() as u32)?;
    for (i, part) in bytes.chunks(chunk).enumerate() {
        store.write((i * chunk) as u32, part)?;
    }
    store.finish(sequence)
}

fn active_bytes<F: NorFlash>(store: &mut Store<F>) -> Option<Vec<u8>> {
    let len = store.active()?.len as usize;
    let mut out = std::vec![0; len];
    store.read_active(0, &mut out).ok()?;
    Some(out)
}

#[test]
fn install_update_and_remount() {
    let mut store = Store::mount(Flash::new()).unwrap();
    assert!(store.active().is_none());
    let (b1, b2) = (bundle_bytes(3, 1), bundle_bytes(9, 2));
    let a1 = install(&mut store, &b1, 1, 7).unwrap();
    assert_eq!((a1.slot, a1.sequence, a1.generation), (0, 1, 1));
    let a2 = install(&mut store, &b2, 2, 64).unwrap();
    assert_eq!((a2.slot, a2.generation), (1, 2));
    let mut again = Store::mount(store.into_inner()).unwrap();
    assert_eq!(again.active().copied(), Some(a2));
    assert_eq!(active_bytes(&mut again).unwrap(), b2);
    // A third update reuses slot 0 and the older superblock block.
    let b3 = bundle_bytes(5, 3);
    let a3 = install(&mut again, &b3, 3, 1).unwrap();
    assert_eq!(a3.slot, 0);
    let mut again = Store::mount(again.into_inner()).unwrap();
    assert_eq!(active_bytes(&mut again).unwrap(), b3);
}

#[test]
fn refuses_stale_corrupt_out_of_order_and_oversized_updates() {
    let mut store = Store::mount(Flash::new()).unwrap();
    let b1 = bundle_bytes(3, 5);
    install(&mut store, &b1, 5, 16).unwrap();
    assert_eq!(
        install(&mut store, &bundle_bytes(4, 5), 5, 16),
        Err(Error::Stale { active: 5 })
    );
    let mut bad = bundle_bytes(4, 6);
    let mid = bad.len() / 2;
    bad[mid] ^= 0x10;
    assert_eq!(install(&mut store, &bad, 6, 16), Err(Error::Corrupted));
    store.begin(100).unwrap();
    assert_eq!(store.write(4, &[0; 4]), Err(Error::OutOfOrder));
    assert_eq!(store.finish(9), Err(Error::OutOfOrder));
    assert!(matches!(store.begin(100_000), Err(Error::TooLarge { .. })));
    // Through all that, the first bundle stayed active, also after a reboot.
    let mut again = Store::mount(store.into_inner()).unwrap();
    assert_eq!(active_bytes(&mut again).unwrap(), b1);
}

/// A starting flash, the bundle it holds (if any), the update and its sequence.
type Case<'a, const W: usize> = (
    MockFlash<8192, 256, W>,
    Option<&'a Vec<u8>>,
    &'a Vec<u8>,
    u64,
);

/// Cuts power after every possible number of bytes erased or written during an update, for
/// several starting states and write sizes, and checks that every reboot finds the complete
/// old bundle or the complete new one.
fn sweep<const W: usize>() -> (usize, usize, usize) {
    let (b1, b2, b3) = (bundle_bytes(6, 1), bundle_bytes(14, 2), bundle_bytes(10, 3));
    let (mut trials, mut old, mut new) = (0, 0, 0);
    // Starting states: empty; one bundle; two bundles (both superblock blocks used).
    let mut base_one = Store::mount(MockFlash::<8192, 256, W>::new()).unwrap();
    install(&mut base_one, &b1, 1, 33).unwrap();
    let base_one = base_one.into_inner();
    let mut base_two = Store::mount(base_one.clone()).unwrap();
    install(&mut base_two, &b2, 2, 33).unwrap();
    let base_two = base_two.into_inner();
    let cases: [Case<'_, W>; 3] = [
        (MockFlash::new(), None, &b1, 1),
        (base_one, Some(&b1), &b2, 2),
        (base_two, Some(&b2), &b3, 3),
    ];
    for (base, before, after, seq) in cases {
        // How many bytes does an uncut update touch?
        let mut probe = base.clone();
        probe.bytes_touched = 0;
        let mut s = Store::mount(probe).unwrap();
        install(&mut s, after, seq, 29).unwrap();
        let total = s.into_inner().bytes_touched;
        for cut in 0..=total + 1 {
            let mut flash = base.clone();
            flash.bytes_until_shutoff = Some(cut);
            if let Ok(mut s) = Store::mount(flash.clone()) {
                let _ = install(&mut s, after, seq, 29);
                flash = s.into_inner();
            }
            flash.power_on();
            let mut booted = Store::mount(flash).unwrap();
            let got = active_bytes(&mut booted);
            trials += 1;
            if got.as_ref() == Some(after) {
                new += 1;
            } else {
                assert_eq!(
                    got.as_ref(),
                    before,
                    "cut after {cut} of {total} bytes (seq {seq}): neither old nor new"
                );
                old += 1;
            }
        }
    }
    (trials, old, new)
}

#[test]
fn power_cut_at_every_byte_of_an_update() {
    for (w, (trials, old, new)) in [(1, sweep::<1>()), (4, sweep::<4>()), (16, sweep::<16>())] {
        std::println!("write size {w}: {trials} power cuts, {old} booted the old bundle, {new} the new one, 0 anything else");
        assert!(trials > 3000 && old > 0 && new > 0);
    }
}

#[test]
fn active_location_points_at_the_bundle_in_flash() {
    let mut flash = Flash::new();
    let b = bundle_bytes(3, 1);
    let mut store = Store::mount(&mut flash).unwrap();
    assert_eq!(store.active_location(), None);
    store.begin(b.len() as u32).unwrap();
    store.write(0, &b).unwrap();
    store.finish(1).unwrap();
    let (off, len) = store.active_location().unwrap();
    assert_eq!(len as usize, b.len());
    // The store's borrow of the flash ends with its last use above.
    let at = off as usize;
    assert_eq!(&flash.contents()[at..at + b.len()], &b[..]);
}

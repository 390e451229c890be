//! Envelope tests: round trips in every mode and split, and every way an update must be refused.

use super::seal::{apply, diff, pack, seal, seal_with, MemoryTarget, Options};
use super::*;
use crate::checksum::crc32;
use crate::store::tests::bundle_bytes;
use proptest::prelude::*;
use std::vec::Vec;

fn keys(seed: u8) -> ([u8; 64], [u8; 32]) {
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([seed; 32]));
    (*kp.sk, *kp.pk)
}

/// A body with its CRC-32 trailer, as every bundle ends.
fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// What a kiosk does with an envelope, in pieces of `chunk` bytes, with `base` active.
fn kiosk(
    envelope: &[u8],
    base: Option<(&[u8], u64)>,
    public: &[u8; 32],
    chunk: usize,
) -> Result<Vec<u8>, Error> {
    let mut target = MemoryTarget {
        active: base.map(|(b, s)| (b.to_vec(), s)),
        pending: Vec::new(),
    };
    apply(envelope, public, &mut target, chunk)?;
    Ok(target.active.unwrap().0)
}

/// Rewrites an envelope's header and payload.
fn edit(bytes: &[u8], f: impl FnOnce(&mut Header, &mut Vec<u8>, &mut Vec<u8>)) -> Vec<u8> {
    let (header, payload) = Header::decode_envelope(bytes).unwrap();
    let (mut payload, mut sig) = (payload.to_vec(), header.signature_bytes().to_vec());
    let mut h = header;
    f(&mut h, &mut payload, &mut sig);
    h.signature = Header::signature_field(&sig.try_into().unwrap());
    let mut out = postcard::to_allocvec(&h).unwrap();
    out.extend_from_slice(&payload);
    out
}

#[test]
fn full_and_delta_round_trip_in_any_split() {
    let (sk, pk) = keys(1);
    let (a, b) = (bundle_bytes(200, 1), bundle_bytes(201, 2));
    let full = seal(&b, 2, None, Some(&sk));
    let (h, _) = Header::decode(&full).unwrap();
    assert_eq!(h.compression, Compression::Deflate);
    assert!(full.len() < b.len() / 2, "{} of {}", full.len(), b.len());
    let delta = seal(&b, 2, Some(&a), Some(&sk));
    let (h, _) = Header::decode(&delta).unwrap();
    assert_eq!(h.base, Some(Crc::of(bundle_crc(&a))));
    assert!(delta.len() < full.len());
    for chunk in [1, 7, 64, 233, 100_000] {
        assert_eq!(
            kiosk(&full, Some((&a, 1)), &pk, chunk).unwrap(),
            b,
            "{chunk}"
        );
        assert_eq!(kiosk(&full, None, &pk, chunk).unwrap(), b, "{chunk}");
        assert_eq!(
            kiosk(&delta, Some((&a, 1)), &pk, chunk).unwrap(),
            b,
            "{chunk}"
        );
    }
    let plain = seal_with(
        &b,
        2,
        Some(&a),
        &Options {
            no_compression: true,
            force_full: true,
            secret_key: Some(&sk),
            signature: None,
        },
    );
    let (h, payload) = Header::decode_envelope(&plain).unwrap();
    assert_eq!(
        (h.compression, h.base, payload),
        (Compression::None, None, &pack(&b)[..])
    );
    assert_eq!(kiosk(&plain, None, &pk, 100).unwrap(), b);
}

#[test]
fn a_shifted_index_table_costs_one_op() {
    // A day index (u16 per day) whose entries after day 10 all grew by one: an event inserted.
    let table = |shift_from: usize, by: u16| -> Vec<u8> {
        (0..60u16)
            .flat_map(|d| (d * 3 + if usize::from(d) >= shift_from { by } else { 0 }).to_le_bytes())
            .collect()
    };
    let base = with_crc(
        [
            b"HEADER-unchanged-part".as_slice(),
            &table(99, 0),
            b"events",
        ]
        .concat(),
    );
    let new = with_crc(
        [
            b"HEADER-unchanged-part".as_slice(),
            &table(10, 1),
            b"events!",
        ]
        .concat(),
    );
    let patch = diff(&base, &new);
    assert!(
        patch.len() < 40,
        "patch of {} bytes: {patch:02x?}",
        patch.len()
    );
    assert!(patch.contains(&2), "uses the add op");
    let (sk, pk) = keys(9);
    let env = seal_with(
        &new,
        2,
        Some(&base),
        &Options {
            no_compression: true,
            secret_key: Some(&sk),
            ..Options::default()
        },
    );
    assert!(Header::decode(&env).unwrap().0.base.is_some());
    for chunk in [1, 3, 64] {
        assert_eq!(kiosk(&env, Some((&base, 1)), &pk, chunk).unwrap(), new);
    }
}

#[test]
fn the_header_fits_one_radio_packet() {
    let (sk, _) = keys(1);
    let (a, b) = (bundle_bytes(20, 1), bundle_bytes(21, 2));
    let delta = seal(&b, u64::MAX, Some(&a), Some(&sk));
    let (_, payload) = Header::decode(&delta).unwrap();
    let header_len = delta.len() - payload.len();
    assert!(header_len <= MAX_HEADER_LEN, "{header_len}");
    assert!(header_len <= 110, "{header_len}");
}

#[test]
fn refusals_name_their_reason() {
    let (sk, pk) = keys(1);
    let (_, other_pk) = keys(2);
    let (a, b) = (bundle_bytes(50, 1), bundle_bytes(51, 5));
    let full = seal(&b, 5, None, Some(&sk));
    let plain = seal_with(
        &b,
        5,
        None,
        &Options {
            no_compression: true,
            secret_key: Some(&sk),
            ..Options::default()
        },
    );
    let delta = seal(&b, 5, Some(&a), Some(&sk));

    let tampered = edit(&plain, |_, p, _| p[10] ^= 1);
    assert_eq!(kiosk(&tampered, None, &pk, 64), Err(Error::TamperedPayload));
    let tampered_deflate = edit(&full, |_, p, _| {
        let mid = p.len() / 2;
        p[mid] ^= 1;
    });
    assert!(matches!(
        kiosk(&tampered_deflate, None, &pk, 64),
        Err(Error::TamperedPayload | Error::BadCompression)
    ));
    let tampered_sig = edit(&full, |_, _, s| s[0] ^= 1);
    assert_eq!(
        kiosk(&tampered_sig, None, &pk, 64),
        Err(Error::BadSignature)
    );
    assert_eq!(kiosk(&full, None, &other_pk, 64), Err(Error::BadSignature));
    assert_eq!(
        kiosk(&seal(&b, 5, None, None), None, &pk, 64),
        Err(Error::Unsigned)
    );
    assert_eq!(
        kiosk(&full, Some((&a, 5)), &pk, 64),
        Err(Error::Replayed { active: 5 })
    );
    assert_eq!(
        kiosk(&full, Some((&a, 9)), &pk, 64),
        Err(Error::Replayed { active: 9 })
    );
    let other_base = bundle_bytes(50, 4);
    assert_eq!(
        kiosk(&delta, Some((&other_base, 1)), &pk, 64),
        Err(Error::WrongBase)
    );
    assert_eq!(kiosk(&delta, None, &pk, 64), Err(Error::WrongBase));
    // A forged sequence: the signature no longer covers it.
    let bumped = edit(&full, |h, _, _| h.sequence = 99);
    assert_eq!(kiosk(&bumped, None, &pk, 64), Err(Error::BadSignature));
    for cut in 0..full.len() {
        assert!(
            Header::decode_envelope(&full[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
    let mut next = full.clone();
    next[0] = VERSION + 1;
    assert_eq!(
        Header::decode(&next),
        Err(Error::UnsupportedVersion(VERSION + 1))
    );
    let mut bad = Receiver::new();
    let mut target = MemoryTarget::default();
    assert_eq!(bad.feed(&[1, 2, 3], &mut target), Err(Error::Truncated));
}

#[test]
fn inflate_window_is_the_kiosks_whole_cost() {
    let size = core::mem::size_of::<Receiver>();
    assert!(size < 34 * 1024, "Receiver is {size} bytes");
}

proptest! {
    #[test]
    fn diff_then_apply_reproduces_the_new_bundle(
        base in prop::collection::vec(any::<u8>(), 0..400),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..20), 0usize..20), 0..5),
        chunk in 1usize..300,
    ) {
        let mut new = base.clone();
        for (at, insert, remove) in edits {
            let i = at.index(new.len() + 1);
            let end = (i + remove).min(new.len());
            new.splice(i..end, insert);
        }
        let (base, new) = (with_crc(base), with_crc(new));
        let (sk, pk) = keys(3);
        let env = seal_with(&new, 2, Some(&base), &Options {
            force_full: false, no_compression: chunk % 2 == 0, secret_key: Some(&sk), signature: None,
        });
        prop_assert_eq!(kiosk(&env, Some((&base, 1)), &pk, chunk).unwrap(), new.clone());
        let _ = diff(&base, &new);
    }

    /// Any change to a sealed envelope is refused or yields exactly the signed bundle.
    #[test]
    fn mutated_envelopes_never_activate_anything_else(at in any::<prop::sample::Index>(), xor in 1u8..=255, chunk in 1usize..500) {
        let (sk, pk) = keys(4);
        let (a, b) = (bundle_bytes(12, 1), bundle_bytes(13, 2));
        for env in [seal(&b, 2, None, Some(&sk)), seal(&b, 2, Some(&a), Some(&sk))] {
            let mut env = env;
            let i = at.index(env.len());
            env[i] ^= xor;
            if let Ok(result) = kiosk(&env, Some((&a, 1)), &pk, chunk) {
                prop_assert_eq!(result, b.clone());
            }
        }
    }

    /// Verification (salty) and signing (ed25519-compact) are different crates: they agree on
    /// genuine signatures and on every single-bit change of key, signature or bundle.
    #[test]
    fn salty_verifies_exactly_what_ed25519_compact_signs(seed in 1u8..=255, seq in any::<u64>(),
            bundle in prop::collection::vec(any::<u8>(), 0..200), flip in any::<prop::sample::Index>(), which in 0u8..3) {
        let (sk, pk) = keys(seed);
        let sig = sign(&bundle, seq, &sk).unwrap();
        prop_assert_eq!(verify(&bundle, seq, &sig, &pk), Ok(()));
        let (mut b, mut s, mut k) = (bundle.clone(), sig, pk);
        match which {
            0 if !b.is_empty() => { let i = flip.index(b.len()); b[i] ^= 1; }
            1 => { let i = flip.index(64); s[i] ^= 1; }
            _ => { let i = flip.index(32); k[i] ^= 1; }
        }
        let len = b.len() as u32;
        let theirs = ed25519_compact::PublicKey::new(k)
            .verify(signing_message(seq, len, &bundle_hash(&b)), &ed25519_compact::Signature::new(s))
            .is_ok();
        let ours = verify(&b, seq, &s, &k).is_ok();
        prop_assert_eq!(ours, theirs);
    }

    /// The fuzz target `patch_apply` as a property: any payload as (deflated) patch ops, for a
    /// delta or a full update.
    #[test]
    fn arbitrary_patches_never_panic_or_overrun(flags in any::<u8>(), payload in prop::collection::vec(any::<u8>(), 0..400)) {
        let base = with_crc(b"a small base bundle with some text in it".to_vec());
        let mut target = MemoryTarget { active: Some((base.clone(), 1)), pending: Vec::new() };
        let header = Header {
            version: VERSION,
            sequence: 2,
            bundle_len: u32::from(flags) * 4,
            bundle_crc: Crc::of(0),
            base: (flags & 2 == 0).then_some(Crc::of(bundle_crc(&base))),
            compression: if flags & 1 == 1 { Compression::Deflate } else { Compression::None },
            payload_len: payload.len() as u32,
            signature: [[7; 32]; 2],
        };
        let mut rx = std::boxed::Box::new(Receiver::new());
        rx.begin(&header, &mut target).unwrap();
        for piece in payload.chunks(usize::from(flags % 31) + 1) {
            if rx.feed(piece, &mut target).is_err() {
                break;
            }
        }
        prop_assert!(target.pending.len() <= header.bundle_len as usize);
        prop_assert!(rx.finish(&[1; 32], &mut target).is_err());
    }

    #[test]
    fn arbitrary_envelopes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), base in prop::collection::vec(any::<u8>(), 0..64)) {
        let (_, pk) = keys(1);
        let _ = kiosk(&bytes, Some((&base, 1)), &pk, 17);
        let mut with_version = bytes.clone();
        if let Some(b) = with_version.first_mut() { *b = VERSION; }
        let _ = kiosk(&with_version, Some((&base, 1)), &pk, 17);
    }
}

/// The patch ops of docs/PROTOCOL.md, byte for byte: what each writes.
#[test]
fn every_patch_op_writes_what_the_protocol_says() {
    use super::patch::{Decoder, Sink};
    struct Out<'a>(Vec<u8>, &'a [u8]);
    impl Sink for Out<'_> {
        fn copy(&mut self, offset: u32, len: u32, add: u16) -> Result<(), Error> {
            let src = &self.1[offset as usize..(offset + len) as usize];
            for pair in src.chunks(2) {
                if add == 0 || pair.len() < 2 {
                    self.0.extend_from_slice(pair);
                } else {
                    let v = u16::from_le_bytes([pair[0], pair[1]]).wrapping_add(add);
                    self.0.extend_from_slice(&v.to_le_bytes());
                }
            }
            Ok(())
        }
        fn output(&mut self, bytes: &[u8]) -> Result<(), Error> {
            self.0.extend_from_slice(bytes);
            Ok(())
        }
    }
    let base = [10u8, 0, 20, 0, 30, 0, 0xAA];
    let run = |ops: &[u8], with_base: bool| -> Result<Vec<u8>, Error> {
        let mut out = Out(Vec::new(), &base);
        let mut d = Decoder::default();
        // Byte by byte: no op may depend on how the payload was split.
        for b in ops {
            d.feed(core::slice::from_ref(b), with_base, &mut out)?;
        }
        assert!(d.is_idle(), "ops left unfinished");
        Ok(out.0)
    };
    let cases: &[(&[u8], &[u8])] = &[
        // COPY offset 6, len 1
        (&[0, 6, 1], &[0xAA]),
        // INSERT 2 bytes
        (&[1, 2, b'h', b'i'], b"hi"),
        // ADD16 offset 0, 3 values, +1 (zigzag 2)
        (&[2, 0, 3, 2], &[11, 0, 21, 0, 31, 0]),
        // SUMS16: 3 values 5, 5+0, 5+300 (300 = ac 02)
        (&[3, 3, 5, 0, 0xAC, 0x02], &[5, 0, 5, 0, 0x31, 0x01]),
        // SUMS32: 2 values 0, 70000 (= f0 a2 04)
        (
            &[4, 2, 0, 0xF0, 0xA2, 0x04],
            &[0, 0, 0, 0, 0x70, 0x11, 0x01, 0],
        ),
        // IDS from next = 4: new (4), new (5), id 1 (code 2), new (6), id 9 (code 10), new (10)
        (
            &[5, 6, 4, 0, 0, 2, 0, 10, 0],
            &[4, 0, 5, 0, 1, 0, 6, 0, 9, 0, 10, 0],
        ),
        // EVENTS, 2 records from next = 1: start 600 (zigzag 1200 = b0 09), 90 min, flags 2,
        // title new (1), place new (2), four empty (code 1); then start 600 - 60 (zigzag 119),
        // 0 min, flags 0, title new (3), place 2 (code 3), empty ×4.
        (
            &[
                6, 2, 1, 0xB0, 0x09, 90, 2, 0, 0, 1, 1, 1, 1, 0x77, 0, 0, 0, 3, 1, 1, 1, 1,
            ],
            &[
                0x58, 0x02, 0, 0, 90, 0, 0, 0, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
                0x1C, 0x02, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        ),
    ];
    for (ops, expected) in cases {
        assert_eq!(run(ops, true).as_deref(), Ok(*expected), "ops {ops:?}");
    }
    // Without a base (a full envelope), COPY and ADD16 are refused; so are unknown ops,
    // overlong varints and ids beyond u16.
    assert_eq!(run(&[0, 6, 1], false), Err(Error::BadPatch));
    assert_eq!(run(&[2, 0, 3, 2], false), Err(Error::BadPatch));
    assert_eq!(run(&[7], true), Err(Error::BadPatch));
    assert_eq!(
        run(&[1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], true),
        Err(Error::BadPatch)
    );
    assert_eq!(
        run(&[5, 1, 0, 0x82, 0x80, 0x04], true),
        Err(Error::BadPatch)
    );
    assert_eq!(
        run(&[6, 1, 1, 0, 0, 0x80, 0x02], true),
        Err(Error::BadPatch)
    );
}

/// Packing is what brings a full update under the wire budget; it must never cost bytes.
#[test]
fn a_packed_full_envelope_is_smaller_than_the_plain_bundle_deflated() {
    let (sk, _) = keys(1);
    for n in [1, 20, 200] {
        let b = bundle_bytes(n, 3);
        let full = seal(&b, 3, None, Some(&sk));
        let (h, payload) = Header::decode_envelope(&full).unwrap();
        assert_eq!(h.compression, Compression::Deflate);
        let plain = seal::deflate_fast(&b).len();
        // A lone event travels as one INSERT (its 3-byte op is the only cost); from a few
        // events on, the packed tables save at least a tenth.
        let limit = if n == 1 { plain + 3 } else { plain * 9 / 10 };
        assert!(
            payload.len() <= limit,
            "N={n}: {} vs {plain}",
            payload.len()
        );
    }
}

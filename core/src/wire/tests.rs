//! Envelope tests: round trips in both modes, and every way an update must be refused.

use super::seal::{diff, seal};
use super::*;
use proptest::prelude::*;
use std::vec::Vec;

fn keys(seed: u8) -> ([u8; 64], [u8; 32]) {
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([seed; 32]));
    (*kp.sk, *kp.pk)
}

/// What a kiosk does with an envelope: authenticate, stream the result, check it.
fn apply(
    envelope: &[u8],
    base: Option<&[u8]>,
    public: &[u8; 32],
    active_seq: Option<u64>,
) -> Result<Vec<u8>, Error> {
    let env = Envelope::decode(envelope)?;
    env.authenticate(public, active_seq)?;
    let base_hash = base.map(bundle_hash);
    let mut applier = env.applier(base_hash.as_ref())?;
    let mut out = Vec::new();
    while let Some(piece) = applier.next_piece()? {
        let bytes = match piece {
            Piece::Bytes(b) => b,
            Piece::Copy { offset, len } => base
                .and_then(|b| b.get(offset as usize..(offset as usize).checked_add(len as usize)?))
                .ok_or(Error::BadPatch)?,
        };
        applier.hash(bytes);
        out.extend_from_slice(bytes);
    }
    applier.finish()?;
    Ok(out)
}

fn bundle(n: usize, changed: Option<usize>) -> Vec<u8> {
    // A realistic bundle body: repeated records with one of them different.
    let mut b = Vec::new();
    for i in 0..n {
        let title = if Some(i) == changed {
            "Koris — ATCELTS".to_string()
        } else {
            std::format!("Koris {i}")
        };
        b.extend_from_slice(
            std::format!(
                "{i:05}|2026-03-{:02}|{title}|Tautas nams, lielā zāle|",
                i % 28 + 1
            )
            .as_bytes(),
        );
    }
    b
}

fn reenvelope(
    bytes: &[u8],
    edit: impl FnOnce(&mut Envelope<'_>, &mut Vec<u8>, &mut Vec<u8>),
) -> Vec<u8> {
    let env = Envelope::decode(bytes).unwrap();
    let (mut payload, mut sig) = (env.payload.to_vec(), env.signature.to_vec());
    let mut e = env;
    edit(&mut e, &mut payload, &mut sig);
    e.payload = &payload;
    e.signature = &sig;
    postcard::to_allocvec(&e).unwrap()
}

#[test]
fn full_and_delta_round_trip() {
    let (sk, pk) = keys(1);
    let (a, b) = (bundle(200, None), bundle(200, Some(57)));
    let full = seal(&b, 2, None, Some(&sk));
    assert_eq!(apply(&full, None, &pk, Some(1)).unwrap(), b);
    let delta = seal(&b, 2, Some(&a), Some(&sk));
    assert!(matches!(
        Envelope::decode(&delta).unwrap().mode,
        Mode::Delta { .. }
    ));
    assert!(
        delta.len() < 200,
        "one changed record costs {} bytes on the wire",
        delta.len()
    );
    assert_eq!(apply(&delta, Some(&a), &pk, Some(1)).unwrap(), b);
}

#[test]
fn refusals_name_their_reason() {
    let (sk, pk) = keys(1);
    let (_, other_pk) = keys(2);
    let (a, b) = (bundle(50, None), bundle(50, Some(3)));
    let full = seal(&b, 5, None, Some(&sk));
    let delta = seal(&b, 5, Some(&a), Some(&sk));

    let tampered = reenvelope(&full, |_, p, _| p[10] ^= 1);
    assert_eq!(
        apply(&tampered, None, &pk, None),
        Err(Error::TamperedPayload)
    );
    let tampered_sig = reenvelope(&full, |_, _, s| s[0] ^= 1);
    assert_eq!(
        apply(&tampered_sig, None, &pk, None),
        Err(Error::BadSignature)
    );
    assert_eq!(
        apply(&full, None, &other_pk, None),
        Err(Error::BadSignature)
    );
    let unsigned = seal(&b, 5, None, None);
    assert_eq!(apply(&unsigned, None, &pk, None), Err(Error::Unsigned));
    assert_eq!(
        apply(&full, None, &pk, Some(5)),
        Err(Error::Replayed { active: 5 })
    );
    assert_eq!(
        apply(&full, None, &pk, Some(9)),
        Err(Error::Replayed { active: 9 })
    );
    let other_base = bundle(50, Some(4));
    assert_eq!(
        apply(&delta, Some(&other_base), &pk, None),
        Err(Error::WrongBase)
    );
    assert_eq!(apply(&delta, None, &pk, None), Err(Error::WrongBase));
    // A re-signed envelope with a forged sequence still fails: the key is not the signer's.
    let bumped = reenvelope(&full, |e, _, _| e.sequence = 99);
    assert_eq!(apply(&bumped, None, &pk, None), Err(Error::BadSignature));
    for cut in 0..full.len() {
        assert!(
            Envelope::decode(&full[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
    let v2 = reenvelope(&full, |e, _, _| e.version = 2);
    assert_eq!(Envelope::decode(&v2), Err(Error::UnsupportedVersion(2)));
}

proptest! {
    #[test]
    fn diff_then_apply_reproduces_the_new_bundle(
        base in prop::collection::vec(any::<u8>(), 0..400),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..20), 0usize..20), 0..5),
    ) {
        let mut new = base.clone();
        for (at, insert, remove) in edits {
            let i = at.index(new.len() + 1);
            let end = (i + remove).min(new.len());
            new.splice(i..end, insert);
        }
        let (sk, pk) = keys(3);
        let env = seal(&new, 1, Some(&base), Some(&sk));
        prop_assert_eq!(apply(&env, Some(&base), &pk, None).unwrap(), new.clone());
        // The patch alone, too.
        let _ = diff(&base, &new);
    }

    #[test]
    fn arbitrary_envelopes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), base in prop::collection::vec(any::<u8>(), 0..64)) {
        let (_, pk) = keys(1);
        let _ = apply(&bytes, Some(&base), &pk, None);
        if let Ok(env) = Envelope::decode(&bytes) {
            // Walk the payload as a kiosk would, without the signature check.
            if let Ok(mut a) = env.applier(Some(&bundle_hash(&base))).or_else(|_| env.applier(None)) {
                while let Ok(Some(_)) = a.next_piece() {}
            }
        }
    }
}

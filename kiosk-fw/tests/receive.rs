//! Installing a signed bundle from a byte stream into a (mock) NOR flash store.

use anslag_core::bundle::{self, EventSpec, Header, Listing, OffsetChange};
use anslag_core::store::{mock_flash::MockFlash, Store};
use anslag_core::time::{Date, DateTime};
use anslag_core::wire;
use anslag_kiosk::receive::{install, Announced, InstallError};

type Flash = MockFlash<16384, 512, 4>;

fn bundle(title: &str, sequence: u64) -> Vec<u8> {
    let d = Date::new(2026, 3, 5).unwrap();
    let events = [EventSpec {
        start: DateTime::new(d, 1080).unwrap(),
        duration_minutes: 60,
        title,
        ..EventSpec::default()
    }];
    bundle::encode_to_vec(&Listing {
        header: Header {
            sequence,
            valid_from: d,
            valid_days: 7,
            board: "hall",
            ..Header::default()
        },
        offsets: &[OffsetChange {
            from_utc_minute: 0,
            offset_minutes: 120,
        }],
        events: &events,
    })
    .unwrap()
}

fn keys(seed: u8) -> ([u8; 64], [u8; 32]) {
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([seed; 32]));
    (*kp.sk, *kp.pk)
}

#[test]
fn signed_bundle_installs_and_everything_else_is_refused() {
    let (sk, pk) = keys(1);
    let (other_sk, _) = keys(2);
    let mut flash = Flash::new();
    let mut store = Store::mount(&mut flash).unwrap();
    let mut buf = [0u8; 64];

    let b1 = bundle("Koris", 1);
    let sig = wire::sign(&b1, 1, &sk).unwrap();
    let ann = Announced {
        len: b1.len() as u32,
        sequence: 1,
        signature: &sig,
    };
    let active = install(&mut &b1[..], &ann, &pk, &mut store, &mut buf).unwrap();
    assert_eq!(active.sequence, 1);

    let b2 = bundle("Koris (atcelts)", 2);
    let good = wire::sign(&b2, 2, &sk).unwrap();
    let wrong_key = wire::sign(&b2, 2, &other_sk).unwrap();
    let ann = |signature: &'static [u8]| Announced {
        len: b2.len() as u32,
        sequence: 2,
        signature,
    };
    let leak = |s: [u8; 64]| -> &'static [u8] { Box::leak(Box::new(s)) };
    // Wrong key, unsigned, tampered bytes, stream cut short: all refused, bundle 1 stays.
    let cases: Vec<(Vec<u8>, Announced<'static>)> = vec![
        (b2.clone(), ann(leak(wrong_key))),
        (b2.clone(), ann(&[])),
        (
            {
                let mut t = b2.clone();
                t[20] ^= 1;
                t
            },
            ann(leak(good)),
        ),
        (b2[..b2.len() - 10].to_vec(), ann(leak(good))),
    ];
    for (bytes, a) in &cases {
        let r = install(&mut &bytes[..], a, &pk, &mut store, &mut buf);
        assert!(
            matches!(r, Err(InstallError::Signature(_) | InstallError::Read(_))),
            "{r:?}"
        );
        assert_eq!(store.active().unwrap().sequence, 1);
    }
    // A replay of bundle 1 is refused before the flash is touched.
    let sig1 = wire::sign(&b1, 1, &sk).unwrap();
    let r = install(
        &mut &b1[..],
        &Announced {
            len: b1.len() as u32,
            sequence: 1,
            signature: &sig1,
        },
        &pk,
        &mut store,
        &mut buf,
    );
    assert!(
        matches!(
            r,
            Err(InstallError::Signature(wire::Error::Replayed { active: 1 }))
        ),
        "{r:?}"
    );
    // The genuine update goes in.
    assert_eq!(
        install(&mut &b2[..], &ann(leak(good)), &pk, &mut store, &mut buf)
            .unwrap()
            .sequence,
        2
    );
    // Reboot: mount the same flash afresh (the old store's borrow ends with its last use).
    let mut again = Store::mount(&mut flash).unwrap();
    let mut back = vec![0u8; b2.len()];
    again.read_active(0, &mut back).unwrap();
    assert_eq!(back, b2);
}

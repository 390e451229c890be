//! Installing envelopes from a byte stream (a USB stick file, a raw cable) into a mock NOR
//! flash store: full, deflated, delta; and everything that must be refused.

use anslag_core::bundle::{self, EventSpec, Header, Listing, OffsetChange};
use anslag_core::store::{mock_flash::MockFlash, Store};
use anslag_core::time::{Date, DateTime};
use anslag_core::wire::{self, seal, Receiver};
use anslag_kiosk::receive::{install, InstallError};

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

/// A reader that hands out at most 5 bytes per call, like a slow cable.
struct Trickle<'a>(&'a [u8]);

impl embedded_io::ErrorType for Trickle<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.0.len()).min(5);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn signed_envelopes_install_and_everything_else_is_refused() {
    let (sk, pk) = keys(1);
    let (other_sk, _) = keys(2);
    let mut flash = Flash::new();
    let mut store = Store::mount(&mut flash).unwrap();
    let mut receiver = Box::new(Receiver::new());
    let mut buf = [0u8; 64];

    let b1 = bundle("Koris", 1);
    let e1 = seal::seal(&b1, 1, None, Some(&sk));
    let seq = install(&mut Trickle(&e1), &pk, &mut store, &mut receiver, &mut buf).unwrap();
    assert_eq!(seq, 1);

    let b2 = bundle("Koris (atcelts)", 2);
    let good = seal::seal(&b2, 2, Some(&b1), Some(&sk));
    assert!(
        wire::Header::decode(&good).unwrap().0.base.is_some(),
        "a delta"
    );
    let plain = seal::seal_with(
        &b2,
        2,
        None,
        &seal::Options {
            no_compression: true,
            secret_key: Some(&sk),
            ..Default::default()
        },
    );
    let tampered = {
        let mut t = plain.clone();
        let at = t.len() - 20;
        t[at] ^= 1;
        t
    };
    // Wrong key, unsigned, tampered bytes, stream cut short, replay: refused, bundle 1 stays.
    let cases: Vec<(&str, Vec<u8>, Option<wire::Error>)> = vec![
        (
            "wrong key",
            seal::seal(&b2, 2, None, Some(&other_sk)),
            Some(wire::Error::BadSignature),
        ),
        (
            "unsigned",
            seal::seal(&b2, 2, None, None),
            Some(wire::Error::Unsigned),
        ),
        ("tampered", tampered, Some(wire::Error::TamperedPayload)),
        ("cut short", good[..good.len() - 3].to_vec(), None),
        (
            "replay",
            seal::seal(&bundle("Koris!", 1), 1, None, Some(&sk)),
            Some(wire::Error::Replayed { active: 1 }),
        ),
    ];
    for (what, bytes, reason) in &cases {
        let r = install(&mut &bytes[..], &pk, &mut store, &mut receiver, &mut buf);
        match (reason, &r) {
            (Some(want), Err(InstallError::Refused(got))) => assert_eq!(want, got, "{what}"),
            (None, Err(InstallError::Read(_))) => {}
            _ => panic!("{what}: {r:?}"),
        }
        assert_eq!(store.active().unwrap().sequence, 1, "{what}");
    }
    // The genuine delta goes in.
    assert_eq!(
        install(
            &mut Trickle(&good),
            &pk,
            &mut store,
            &mut receiver,
            &mut buf
        )
        .unwrap(),
        2
    );
    // Reboot: mount the same flash afresh (the old store's borrow ends with its last use).
    let mut again = Store::mount(&mut flash).unwrap();
    let mut back = vec![0u8; b2.len()];
    again.read_active(0, &mut back).unwrap();
    assert_eq!(back, b2);
}

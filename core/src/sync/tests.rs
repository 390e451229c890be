//! Protocol tests: the real host and kiosk machines over a simulated link that drops,
//! duplicates, corrupts and truncates frames (seeded, so every failure replays), into a real
//! store on the NOR-rule mock flash.

use super::frame::{self, Reader};
use super::*;
use crate::store::mock_flash::MockFlash;
use crate::store::tests::bundle_bytes;
use crate::store::Store;
use crate::wire::seal::seal;
use crate::wire::Target;
use proptest::prelude::*;
use std::vec::Vec;

type Flash = MockFlash<{ 64 * 1024 }, 4096, 4>;

fn keys(seed: u8) -> ([u8; 64], [u8; 32]) {
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([seed; 32]));
    (*kp.sk, *kp.pk)
}

/// splitmix64: a tiny seeded generator, so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Faults injected, per kind.
#[derive(Debug, Default, Clone, Copy)]
struct Faults {
    dropped: u32,
    duplicated: u32,
    corrupted: u32,
    truncated: u32,
}

/// One direction of a link: frames in, bytes out, with faults at `percent`.
struct Lossy<'r> {
    rng: &'r mut Rng,
    percent: u64,
    faults: Faults,
}

impl Lossy<'_> {
    fn send(&mut self, frame: &[u8], wire: &mut Vec<u8>) {
        if self.rng.below(100) >= self.percent {
            wire.extend_from_slice(frame);
            return;
        }
        match self.rng.below(4) {
            0 => self.faults.dropped += 1,
            1 => {
                self.faults.duplicated += 1;
                wire.extend_from_slice(frame);
                wire.extend_from_slice(frame);
            }
            2 => {
                self.faults.corrupted += 1;
                let mut f = frame.to_vec();
                let at = self.rng.below(f.len() as u64) as usize;
                f[at] ^= 1 << self.rng.below(8);
                wire.extend_from_slice(&f);
            }
            _ => {
                self.faults.truncated += 1;
                let cut = self.rng.below(frame.len() as u64) as usize;
                wire.extend_from_slice(&frame[..cut]);
            }
        }
    }
}

struct Board {
    store: Store<Flash>,
    kiosk: Kiosk<'static>,
    /// The last clock the host sent.
    clock: Option<i64>,
}

impl Board {
    fn new(public: [u8; 32], max_frame: u16) -> Board {
        Board {
            store: Store::mount(Flash::new()).unwrap(),
            kiosk: Kiosk::new("hall", public, max_frame, 4),
            clock: None,
        }
    }
    fn active_bytes(&mut self) -> Option<Vec<u8>> {
        let a = *self.store.active()?;
        let mut buf = std::vec![0u8; a.len as usize];
        self.store.read_active(0, &mut buf).unwrap();
        Some(buf)
    }
}

/// Runs one link session: returns the outcome (None: the link died after `die_after` frames).
fn session(
    board: &mut Board,
    envelope: &[u8],
    config: HostConfig,
    percent: u64,
    rng: &mut Rng,
    die_after: Option<usize>,
    faults: &mut Faults,
) -> (Option<Outcome>, Progress) {
    let capacity = board.store.slot_capacity();
    let mut now = 0u64;
    let mut host = Host::new(config, now);
    let mut to_kiosk: Vec<u8> = Vec::new();
    let mut to_host: Vec<u8> = Vec::new();
    let (mut kiosk_rx, mut host_rx) = (Reader::<4096>::new(), Reader::<4096>::new());
    let mut frames = 0usize;
    let mut heard_host = false;
    let mut next_hello = 0u64;
    let mut buf = [0u8; MAX_FRAME];
    let mut scratch = [0u8; MAX_FRAME];
    for _ in 0..200_000 {
        if let Some(o) = host.outcome() {
            return (Some(o), host.progress());
        }
        // The kiosk repeats its Hello every second until it hears from the host.
        if !heard_host && now >= next_hello {
            let hello = board.kiosk.hello(&board.store, capacity);
            let n = frame::encode(&hello, &mut scratch, &mut buf).unwrap();
            Lossy {
                rng,
                percent,
                faults: *faults,
            }
            .send_into(&buf[..n], &mut to_host, faults);
            next_hello = now + 1000;
        }
        if host.wants_envelope() {
            host.offer(envelope, now).unwrap();
        }
        let mut sent = false;
        while let Some(n) = host.poll_transmit(now, &mut buf) {
            frames += 1;
            if die_after.is_some_and(|d| frames > d) {
                return (None, host.progress());
            }
            Lossy {
                rng,
                percent,
                faults: *faults,
            }
            .send_into(&buf[..n], &mut to_kiosk, faults);
            sent = true;
        }
        // Kiosk side.
        let mut at = 0;
        while at < to_kiosk.len() {
            let (taken, complete) = kiosk_rx.push(&to_kiosk[at..]);
            at += taken;
            if !complete {
                continue;
            }
            let Ok(msg) = frame::decode(kiosk_rx.frame()) else {
                continue;
            };
            heard_host = true;
            let (reply, event) = board.kiosk.handle(&msg, &mut board.store);
            if let Some(KioskEvent::Clock { unix_seconds }) = event {
                board.clock = Some(unix_seconds);
            }
            if let Some(reply) = reply {
                let n = frame::encode(&reply, &mut scratch, &mut buf).unwrap();
                Lossy {
                    rng,
                    percent,
                    faults: *faults,
                }
                .send_into(&buf[..n], &mut to_host, faults);
            }
        }
        to_kiosk.clear();
        // Host side.
        let mut at = 0;
        let got = !to_host.is_empty();
        while at < to_host.len() {
            let (taken, complete) = host_rx.push(&to_host[at..]);
            at += taken;
            if complete {
                host.receive(host_rx.frame(), now);
            }
        }
        to_host.clear();
        if !sent && !got {
            // Idle: jump to the next timer.
            let wake = host.poll_at().unwrap_or(now + 1).min(if heard_host {
                u64::MAX
            } else {
                next_hello
            });
            now = wake.max(now + 1);
        } else {
            now += 1;
        }
    }
    panic!("session did not end");
}

impl Lossy<'_> {
    /// Sends and adds this send's faults to `total`.
    fn send_into(mut self, frame: &[u8], wire: &mut Vec<u8>, total: &mut Faults) {
        self.faults = Faults::default();
        self.send(frame, wire);
        total.dropped += self.faults.dropped;
        total.duplicated += self.faults.duplicated;
        total.corrupted += self.faults.corrupted;
        total.truncated += self.faults.truncated;
    }
}

/// Pushes until activated, re-establishing the link after a timeout (at most 10 sessions).
fn push_until_done(
    board: &mut Board,
    envelope: &[u8],
    config: HostConfig,
    percent: u64,
    seed: u64,
    faults: &mut Faults,
) -> (Outcome, u32) {
    let mut rng = Rng(seed);
    for sessions in 1..=10 {
        let (outcome, _) = session(board, envelope, config, percent, &mut rng, None, faults);
        match outcome {
            Some(Outcome::TimedOut | Outcome::NoHello) | None => continue,
            Some(o) => return (o, sessions),
        }
    }
    panic!("seed {seed}: no outcome after 10 sessions at {percent}%");
}

fn config(frame: u16) -> HostConfig {
    HostConfig {
        max_frame: frame,
        window: 4,
        hello_timeout_ms: 3_000,
        retry_timeout_ms: 200,
        max_retries: 6,
        wall_clock: Some(WALL_CLOCK),
    }
}

/// The host's clock in these tests.
const WALL_CLOCK: i64 = 1_795_400_000;

#[test]
fn frames_round_trip_and_reject_damage() {
    let msg = Message::Data {
        transfer: 7,
        offset: 1234,
        bytes: &[0, 1, 2, 0, 0, 255, 0],
    };
    let (mut scratch, mut out) = ([0u8; 64], [0u8; 64]);
    let n = frame::encode(&msg, &mut scratch, &mut out).unwrap();
    assert_eq!(out[n - 1], 0);
    assert!(!out[..n - 1].contains(&0), "COBS leaves no zero inside");
    assert_eq!(frame::decode(&mut out[..n - 1].to_vec()).unwrap(), msg);
    // Every single-bit flip is caught.
    for i in 0..n - 1 {
        for bit in 0..8 {
            let mut f = out[..n - 1].to_vec();
            f[i] ^= 1 << bit;
            if f.contains(&0) {
                continue; // the link layer would split it here
            }
            assert!(
                frame::decode(&mut f).is_err(),
                "flip {i}/{bit} went unnoticed"
            );
        }
    }
    let (mut small_scratch, mut small) = ([0u8; 8], [0u8; 8]);
    assert_eq!(
        frame::encode(&msg, &mut small_scratch, &mut small),
        Err(frame::FrameError::TooLarge)
    );
}

#[test]
fn reader_splits_frames_and_drops_oversized_ones() {
    let mut r = Reader::<8>::new();
    let stream = [1u8, 2, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0, 3, 0];
    let mut frames = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let (n, complete) = r.push(&stream[at..]);
        at += n;
        if complete {
            frames.push(r.frame().to_vec());
        }
    }
    assert_eq!(frames, [std::vec![1u8, 2], std::vec![3]]);
}

#[test]
fn data_fits_the_smallest_frame() {
    let bytes = [0u8; 512];
    for frame_len in [MIN_FRAME, 256, 1024, MAX_FRAME] {
        let n = data_capacity(frame_len);
        assert!(n > frame_len * 9 / 10 - 20, "{frame_len}: only {n}");
        let msg = Message::Data {
            transfer: u32::MAX,
            offset: u32::MAX,
            bytes: &bytes[..n.min(512)],
        };
        let (mut scratch, mut out) = ([0u8; MAX_FRAME + 64], [0u8; MAX_FRAME + 64]);
        let len = frame::encode(&msg, &mut scratch, &mut out).unwrap();
        assert!(len <= frame_len, "{frame_len}: frame of {len}");
    }
}

#[test]
fn clean_link_full_then_delta() {
    let (sk, pk) = keys(1);
    let (v1, v2) = (bundle_bytes(60, 1), bundle_bytes(61, 2));
    let mut board = Board::new(pk, 1024);
    let mut faults = Faults::default();
    let env1 = seal(&v1, 1, None, Some(&sk));
    let (o, _) = push_until_done(&mut board, &env1, config(1024), 0, 1, &mut faults);
    assert_eq!(o, Outcome::Activated { sequence: 1 });
    assert_eq!(board.active_bytes().unwrap(), v1);
    assert_eq!(board.clock, Some(WALL_CLOCK), "the host's clock arrived");
    let env2 = seal(&v2, 2, Some(&v1), Some(&sk));
    assert!(crate::wire::Header::decode(&env2).unwrap().0.base.is_some());
    let (o, _) = push_until_done(&mut board, &env2, config(1024), 0, 1, &mut faults);
    assert_eq!(o, Outcome::Activated { sequence: 2 });
    assert_eq!(board.active_bytes().unwrap(), v2);
    // Pushing the same bundle again sends nothing.
    let (o, _) = push_until_done(&mut board, &env2, config(1024), 0, 1, &mut faults);
    assert_eq!(o, Outcome::UpToDate);
}

/// The fault matrix: 1–20 % dropped, duplicated, corrupted and truncated frames, in
/// both directions, 233-byte and 1 KiB frames, full and delta: every transfer ends activated
/// with exactly the signed bytes.
#[test]
fn faulty_links_complete_or_resume_and_never_activate_garbage() {
    let (sk, pk) = keys(2);
    // Uncompressed, so the full transfer spans many frames (≈ 60 of 233 bytes).
    let (v1, v2) = (bundle_bytes(600, 1), bundle_bytes(601, 2));
    let full = crate::wire::seal::seal_with(
        &v1,
        1,
        None,
        &crate::wire::seal::Options {
            no_compression: true,
            secret_key: Some(&sk),
            ..Default::default()
        },
    );
    let delta = seal(&v2, 2, Some(&v1), Some(&sk));
    let mut faults = Faults::default();
    let (mut trials, mut resumed_sessions) = (0u32, 0u32);
    for percent in [1u64, 2, 5, 10, 20] {
        for frame_len in [MIN_FRAME as u16, 1024] {
            for seed in 0..16u64 {
                let seed = seed * 1000 + percent * 10 + u64::from(frame_len);
                let mut board = Board::new(pk, frame_len);
                let (o, sessions) = push_until_done(
                    &mut board,
                    &full,
                    config(frame_len),
                    percent,
                    seed,
                    &mut faults,
                );
                assert_eq!(o, Outcome::Activated { sequence: 1 }, "seed {seed}");
                assert_eq!(board.active_bytes().unwrap(), v1, "seed {seed}");
                let (o, more) = push_until_done(
                    &mut board,
                    &delta,
                    config(frame_len),
                    percent,
                    seed + 1,
                    &mut faults,
                );
                assert_eq!(o, Outcome::Activated { sequence: 2 }, "seed {seed}");
                assert_eq!(board.active_bytes().unwrap(), v2, "seed {seed}");
                trials += 2;
                resumed_sessions += sessions + more - 2;
            }
        }
    }
    std::println!(
        "{trials} transfers, {resumed_sessions} resumed sessions, faults injected: {faults:?}"
    );
    assert_eq!(trials, 320);
    assert!(
        faults.dropped > 300 && faults.duplicated > 300,
        "{faults:?}"
    );
    assert!(
        faults.corrupted > 300 && faults.truncated > 300,
        "{faults:?}"
    );
}

#[test]
fn a_link_that_dies_mid_transfer_resumes_where_it_stopped() {
    let (sk, pk) = keys(3);
    let v1 = bundle_bytes(120, 1);
    let env = crate::wire::seal::seal_with(
        &v1,
        1,
        None,
        &crate::wire::seal::Options {
            no_compression: true,
            secret_key: Some(&sk),
            ..Default::default()
        },
    );
    let mut board = Board::new(pk, MIN_FRAME as u16);
    let mut rng = Rng(9);
    let mut faults = Faults::default();
    let (outcome, first) = session(
        &mut board,
        &env,
        config(MIN_FRAME as u16),
        0,
        &mut rng,
        Some(12),
        &mut faults,
    );
    assert_eq!(outcome, None, "the link died");
    assert!(first.acked > 0 && first.acked < first.total);
    assert!(board.store.active().is_none(), "nothing activated");
    let (outcome, second) = session(
        &mut board,
        &env,
        config(MIN_FRAME as u16),
        0,
        &mut rng,
        None,
        &mut faults,
    );
    assert_eq!(outcome, Some(Outcome::Activated { sequence: 1 }));
    assert!(second.resumed);
    assert_eq!(board.active_bytes().unwrap(), v1);
    // The second session sent only what the first had not delivered (plus a frame in flight).
    let chunk = data_capacity(MIN_FRAME) as u64;
    let payload = u64::from(second.total);
    assert!(
        second.wire_bytes < (payload - u64::from(first.acked)) + 8 * chunk,
        "{second:?} after {first:?}"
    );
}

fn refused(env: &[u8], board: &mut Board) -> Outcome {
    let mut faults = Faults::default();
    push_until_done(board, env, config(1024), 0, 5, &mut faults).0
}

#[test]
fn refusals_arrive_with_their_reason_and_keep_the_old_bundle() {
    let (sk, pk) = keys(4);
    let (other_sk, _) = keys(5);
    let (v1, v2) = (bundle_bytes(30, 1), bundle_bytes(31, 2));
    let mut board = Board::new(pk, 1024);
    assert_eq!(
        refused(&seal(&v1, 1, None, Some(&sk)), &mut board),
        Outcome::Activated { sequence: 1 }
    );
    use crate::wire::Error as E;
    let cases: [(&str, Vec<u8>, E); 5] = [
        ("unsigned", seal(&v2, 2, None, None), E::Unsigned),
        (
            "wrong key",
            seal(&v2, 2, None, Some(&other_sk)),
            E::BadSignature,
        ),
        (
            "replayed",
            seal(&bundle_bytes(29, 1), 1, None, Some(&sk)),
            E::Replayed { active: 1 },
        ),
        (
            "wrong base",
            seal(&v2, 2, Some(&bundle_bytes(30, 9)), Some(&sk)),
            E::WrongBase,
        ),
        (
            "tampered payload",
            {
                let mut e = seal(&v2, 2, None, Some(&sk));
                let last = e.len() - 10;
                e[last] ^= 0x40;
                e
            },
            E::TamperedPayload,
        ),
    ];
    for (what, env, reason) in cases {
        let outcome = refused(&env, &mut board);
        // A flipped byte inside deflate data may also fail to inflate: both are refusals.
        let ok = outcome == Outcome::Rejected(reason)
            || (what == "tampered payload" && outcome == Outcome::Rejected(E::BadCompression));
        assert!(ok, "{what}: {outcome:?}");
        assert_eq!(board.active_bytes().unwrap(), v1, "{what}: old bundle kept");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever bytes arrive, decoding a frame returns a result and never panics.
    #[test]
    fn frame_decode_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = frame::decode(&mut bytes);
    }

    /// Any message survives encode → decode.
    #[test]
    fn messages_round_trip(transfer in any::<u32>(), offset in any::<u32>(),
                           bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let msg = Message::Data { transfer, offset, bytes: &bytes };
        let (mut scratch, mut out) = ([0u8; 512], [0u8; 512]);
        let n = frame::encode(&msg, &mut scratch, &mut out).unwrap();
        let mut f = out[..n - 1].to_vec();
        prop_assert_eq!(frame::decode(&mut f).unwrap(), msg);
    }

    /// A kiosk fed arbitrary messages keeps its active bundle and never panics.
    #[test]
    fn kiosk_survives_arbitrary_messages(
        ops in proptest::collection::vec((0u8..4, any::<u32>(), proptest::collection::vec(any::<u8>(), 0..64)), 0..40)
    ) {
        let (sk, pk) = keys(6);
        let v1 = bundle_bytes(5, 1);
        let mut board = Board::new(pk, 1024);
        let env = seal(&v1, 1, None, Some(&sk));
        let mut faults = Faults::default();
        push_until_done(&mut board, &env, config(1024), 0, 1, &mut faults);
        for (kind, n, bytes) in &ops {
            let msg = match kind {
                0 => Message::Offer { transfer: *n, header: bytes },
                1 => Message::Data { transfer: *n, offset: *n % 8, bytes },
                2 => Message::Commit { transfer: *n },
                _ => Message::Ack { transfer: *n, offset: *n },
            };
            let _ = board.kiosk.handle(&msg, &mut board.store);
        }
        prop_assert_eq!(board.active_bytes().unwrap(), v1);
        prop_assert_eq!(board.store.active().map(|a| a.sequence), Some(1));
        let _ = Target::active(&board.store);
    }
}

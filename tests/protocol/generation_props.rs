//! Properties of whole ceremonies through the generator (combination itself is covered by
//! tests/protocol/combine_props.rs): any threshold-sized subset of shares, in any order and any encoding,
//! completes; fewer shares plus a wrong one are refused by the key check, which clears progress
//! and keeps the attempt.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use base64::Engine as _;
use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use recovery_token::audit::AuditEventKind;
use recovery_token::tokens::decode_token;
use recovery_token::wire::UpdateRequest;
use recovery_token::{
    Encoding, Error, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy,
};
use support::{ScriptedRng, hex, reference_split};

/// A key of `len` bytes and `n` shares of threshold `t` (at x = 1..=n), independent of the crate.
fn shares(seed: u64, len: usize, t: usize, n: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut rng = ScriptedRng::seeded(seed);
    let key: Vec<u8> = (0..len)
        .map(|i| (seed >> (i % 8)) as u8 ^ i as u8)
        .collect();
    if t == 1 {
        return (key.clone(), vec![key]);
    }
    let xs: Vec<u8> = (1..=n as u8).collect();
    let s = reference_split(&key, t, &xs, &mut rng);
    (key, s)
}

fn request(share: &[u8], nonce: &str, base64: bool) -> UpdateRequest {
    let key = if base64 {
        base64::engine::general_purpose::STANDARD.encode(share)
    } else {
        hex(share)
    };
    UpdateRequest {
        key: key.into(),
        nonce: nonce.to_owned(),
    }
}

/// (threshold, share count, a threshold-sized subset in a random order, key length, seed).
/// Threshold 1 has one "share": the key itself.
fn ceremony() -> impl proptest::strategy::Strategy<Value = (usize, usize, Vec<usize>, usize, u64)> {
    (1..=6usize, 0..=4usize, 16..=32usize, any::<u64>()).prop_flat_map(|(t, extra, len, seed)| {
        let n = if t == 1 { 1 } else { t + extra };
        let subset = proptest::sample::subsequence((0..n).collect::<Vec<_>>(), t).prop_shuffle();
        (Just(t), Just(n), subset, Just(len), Just(seed))
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_threshold_sized_subset_in_any_order_completes(
        (t, n, order, len, seed) in ceremony(),
        encodings in proptest::collection::vec(any::<bool>(), 6),
    ) {
        let (key, all) = shares(seed, len, t, n);
        let mut g = RecoveryTokenGenerator::new(GeneratorConfig::new(t).unwrap());
        let mut host = ExpectedKey::new(&key);
        let mut rng = ScriptedRng::seeded(!seed);
        let now = std::time::Instant::now();
        let s = g.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng).unwrap();
        let mut last = None;
        for (k, &i) in order.iter().enumerate() {
            let r = request(&all[i], &s.nonce, encodings[k]);
            let st = g.update(Strategy::Recovery, &r, now, &mut host, &mut rng).unwrap();
            prop_assert_eq!(st.progress, k + 1);
            last = Some(st);
        }
        let done = last.unwrap();
        prop_assert!(done.complete);
        let token = decode_token(&done.encoded_token, s.otp.expose_secret(), s.otp.len()).unwrap();
        prop_assert!(g.recovery_token().verify(token.expose_secret()));
        prop_assert!(!g.status(Strategy::Recovery, now).started);
    }

    #[test]
    fn fewer_shares_plus_a_wrong_one_fail_the_check_clear_progress_and_keep_the_attempt(
        (t, n, order, len, seed) in ceremony().prop_filter("t > 1", |c| c.0 > 1),
        wrong_byte in 0..32usize,
        flip in 1..=255u8,
    ) {
        let (key, all) = shares(seed, len, t, n);
        let mut g = RecoveryTokenGenerator::new(GeneratorConfig::new(t).unwrap());
        let mut host = ExpectedKey::new(&key);
        let mut rng = ScriptedRng::seeded(!seed);
        let now = std::time::Instant::now();
        let s = g.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng).unwrap();
        // t - 1 right shares, then the last one with one y byte changed (its x kept).
        for &i in &order[..t - 1] {
            g.update(Strategy::Recovery, &request(&all[i], &s.nonce, false), now, &mut host, &mut rng)
                .unwrap();
        }
        let mut wrong = all[order[t - 1]].clone();
        let y = wrong_byte % (wrong.len() - 1);
        wrong[y] ^= flip;
        while g.poll_event().is_some() {}
        let err = g
            .update(Strategy::Recovery, &request(&wrong, &s.nonce, true), now, &mut host, &mut rng)
            .unwrap_err();
        prop_assert!(matches!(err, Error::KeyCheckFailed { .. }), "{:?}", err);
        let st = g.status(Strategy::Recovery, now);
        prop_assert!(st.started);
        prop_assert_eq!(st.nonce, s.nonce.clone());
        prop_assert_eq!(st.progress, 0);
        let kinds: Vec<_> = std::iter::from_fn(|| g.poll_event()).map(|e| (e.kind, e.progress)).collect();
        prop_assert_eq!(&kinds[1..], &[
            (AuditEventKind::Combined, 0),
            (AuditEventKind::KeyCheckFailed, 0),
        ]);
        // The same attempt then completes with the right shares, all of them accepted afresh.
        let mut last = None;
        for &i in &order {
            last = Some(
                g.update(Strategy::Recovery, &request(&all[i], &s.nonce, false), now, &mut host, &mut rng)
                    .unwrap(),
            );
        }
        prop_assert!(last.unwrap().complete);
    }
}

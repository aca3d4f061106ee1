//! Share checks without an oracle (README "Threat model"): no early refusal depends on
//! who came first or answers a question about the shares already held; a share of the wrong
//! length is refused on its own merits once the host declares its key length.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::shares::CombineError;
use recovery_token::{ConfigError, Error, GeneratorConfig, Strategy};
use support::Fixture;

const R: Strategy = Strategy::Recovery;

/// Probes an attacker who read the nonce from the status could send: garbage of several lengths,
/// garbage at every x a holder might have, a genuine share's bytes at another x.
fn probes(f: &Fixture) -> Vec<Vec<u8>> {
    let mut probes = vec![vec![0x41; 16], vec![0x42; 17], vec![0x43; 32]];
    for x in [1u8, 2, 3, 200] {
        let mut garbage = vec![0x5a; 33];
        garbage[32] = x;
        probes.push(garbage);
    }
    let mut moved = f.share(0);
    moved[32] = 77;
    probes.push(moved);
    probes
}

/// Submits `probe` to an attempt holding `held` of the genuine shares; the answer's kind
/// (accepted, or the exact error).
fn answer(config: &GeneratorConfig, held: &[usize], probe: &[u8]) -> Result<(), Error> {
    let mut f = Fixture::with_config(config.clone());
    let s = f.start(R);
    for &i in held {
        f.update(R, &f.share(i), &s.nonce).unwrap();
    }
    let before = f.status(R).progress;
    let result = f.update(R, probe, &s.nonce).map(|_| ());
    if result.is_err() {
        assert_eq!(f.status(R).progress, before, "a refusal changes nothing");
    }
    result
}

#[test]
fn no_answer_depends_on_the_shares_already_held() {
    let configs = [
        GeneratorConfig::new(5).unwrap(),
        GeneratorConfig::builder(5)
            .with_key_length(32)
            .build()
            .unwrap(),
    ];
    for config in &configs {
        let f = Fixture::with_config(config.clone());
        for probe in probes(&f) {
            let empty = answer(config, &[], &probe);
            for held in [&[0][..], &[0, 1], &[2, 0, 1]] {
                assert_eq!(
                    answer(config, held, &probe),
                    empty,
                    "probe of {} bytes with x={} against held {held:?}",
                    probe.len(),
                    probe[probe.len() - 1]
                );
            }
        }
    }
}

#[test]
fn a_garbage_share_sent_first_does_not_lock_out_the_genuine_ones() {
    // Today's main: every genuine 33-byte share after it failed "belongs to another key set".
    let mut f = Fixture::new(3);
    let s = f.start(R);
    assert_eq!(f.update(R, &[0x41; 16], &s.nonce).unwrap().progress, 1);
    assert_eq!(f.update(R, &f.share(0), &s.nonce).unwrap().progress, 2);
    // Without a declared key length the garbage fails the combine, as in Vault...
    assert_eq!(
        f.update(R, &f.share(1), &s.nonce),
        Err(Error::Combine(CombineError::LengthMismatch))
    );

    // ...with one, it is refused on its own merits, first or not, and the ceremony completes.
    let config = GeneratorConfig::builder(3)
        .with_key_length(32)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    let refusal = f.update(R, &[0x41; 16], &s.nonce).unwrap_err();
    assert_eq!(refusal, Error::KeyTooShort { min: 33 });
    assert_eq!(f.update(R, &f.share(0), &s.nonce).unwrap().progress, 1);
    assert_eq!(f.update(R, &[0x41; 16], &s.nonce), Err(refusal));
    assert_eq!(f.update(R, &f.share(1), &s.nonce).unwrap().progress, 2);
    assert!(f.update(R, &f.share(2), &s.nonce).unwrap().complete);
}

#[test]
fn a_share_at_a_held_x_is_held_not_refused_so_no_holder_is_locked_out() {
    // Today's main answered ShareIndexConflict: "a held share has this x", and the honest holder
    // whose share has that x could never submit after a squatter.
    let mut f = Fixture::new(3);
    let s = f.start(R);
    let mut squatter = vec![0x5a; 33];
    squatter[32] = f.share(1)[32];
    f.update(R, &squatter, &s.nonce).unwrap();
    assert_eq!(f.update(R, &f.share(1), &s.nonce).unwrap().progress, 2);
    // The conflict fails the combine at the threshold, as in Vault; the attempt stays.
    assert_eq!(
        f.update(R, &f.share(2), &s.nonce),
        Err(Error::Combine(CombineError::DuplicatePart))
    );
    assert_eq!((f.status(R).started, f.status(R).progress), (true, 0));
}

#[test]
fn no_error_text_states_a_held_length_or_index() {
    let config = GeneratorConfig::builder(4)
        .with_key_length(32)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    for probe in probes(&f) {
        if let Err(e) = f.update(R, &probe, &s.nonce) {
            let text = e.to_string();
            assert!(
                !text.contains("already") || e == Error::DuplicateShare,
                "{text}"
            );
            assert!(!text.contains("another key set"), "{text}");
        }
    }
}

#[test]
fn the_declared_key_length_fixes_the_share_length() {
    for bad in [0, 15, 33, 64] {
        assert_eq!(
            GeneratorConfig::builder(3).with_key_length(bad).build(),
            Err(ConfigError::KeyLength(bad))
        );
    }
    let c = GeneratorConfig::builder(3)
        .with_key_length(16)
        .build()
        .unwrap();
    assert_eq!((c.key_length(), c.share_lengths()), (Some(16), &(17..=17)));
    // Threshold 1: the share is the key itself.
    let b = GeneratorConfig::builder(1).with_key_length(24);
    let c = b.clone().build().unwrap();
    assert_eq!(c.share_lengths(), &(24..=24));
    // A later explicit range replaces it.
    let c = b.with_share_lengths(16..=33).build().unwrap();
    assert_eq!((c.key_length(), c.share_lengths()), (None, &(16..=33)));
    assert_eq!(GeneratorConfig::new(3).unwrap().key_length(), None);
}

#[test]
fn threshold_one_with_a_declared_key_length_takes_only_the_key() {
    let config = GeneratorConfig::builder(1)
        .with_key_length(32)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    let mut longer = f.key.clone();
    longer.extend([1, 2]);
    // 34 bytes in hex: not 32, so read as base64 (51 bytes).
    assert_eq!(
        f.update(R, &longer, &s.nonce),
        Err(Error::KeyTooLong { max: 32 })
    );
    assert_eq!(f.status(R).progress, 0);
    let key = f.key.clone();
    assert!(f.update(R, &key, &s.nonce).unwrap().complete);
}

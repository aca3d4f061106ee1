//! docs/PROTOCOL.md section 7: Vault's share layout and combination, against an independent
//! reference.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::Strategy;
use recovery_token::shares::{CombineError, KeyShare, combine, combine_slices};
use support::{Fixture, ScriptedRng, TestHost, reference_combine, reference_split, unhex};

fn shares_of(hexes: &[&str]) -> Vec<KeyShare> {
    hexes
        .iter()
        .map(|h| KeyShare::from_bytes(&unhex(h), &(1..=64)).unwrap())
        .collect()
}

#[test]
fn worked_example_any_three_of_five_give_test_and_two_give_a_wrong_key() {
    let all = [
        "7061777801",
        "6279695c02",
        "667d6d5003",
        "200d0fe404",
        "d4ea103dff",
    ];
    for a in 0..5 {
        for b in 0..5 {
            for c in 0..5 {
                if a == b || b == c || a == c {
                    continue;
                }
                let s = shares_of(&[all[a], all[b], all[c]]);
                assert_eq!(&*combine(&s).unwrap(), b"test");
            }
        }
    }
    let two = shares_of(&all[..2]);
    assert_eq!(&*combine(&two).unwrap(), &unhex("7e697d64")[..]);
}

#[test]
fn worked_example_threshold_two_thirty_two_byte_key() {
    let s = [
        "eeffccddaabb88996677445522330011e5f4c7d6a1b083926d7c4f5e29380b1a10",
        "c7e685a443620120d4f596b750711233e1c0a38265442706f2d3b0917657341520",
    ];
    let key: Vec<u8> = (0..32).collect();
    assert_eq!(&*combine(&shares_of(&s)).unwrap(), &key[..]);
    // The same share in base64, as `vault operator init` prints it.
    let b64 = KeyShare::parse(
        "7v/M3aq7iJlmd0RVIjMAEeX0x9ahsIOSbXxPXik4CxoQ",
        &KeyShare::DEFAULT_LENGTHS,
    )
    .unwrap();
    assert_eq!(b64.expose_secret(), &unhex(s[0])[..]);
    assert_eq!(b64.x(), 0x10);
}

#[test]
fn worked_example_through_the_generator() {
    let mut f = Fixture::new(2);
    f.host = TestHost::new(&(0..32).collect::<Vec<u8>>()).refusing();
    let s = f.start(Strategy::Recovery);
    f.update(
        Strategy::Recovery,
        &unhex("c7e685a443620120d4f596b750711233e1c0a38265442706f2d3b0917657341520"),
        &s.nonce,
    )
    .unwrap();
    let done = f
        .update(
            Strategy::Recovery,
            &unhex("eeffccddaabb88996677445522330011e5f4c7d6a1b083926d7c4f5e29380b1a10"),
            &s.nonce,
        )
        .unwrap();
    assert!(done.complete);
}

#[test]
fn shares_from_an_independent_split_combine_for_every_threshold_and_subset() {
    let mut rng = ScriptedRng::seeded(2024);
    for t in [2usize, 3, 5, 10, 33, 255] {
        for key_len in [16usize, 32] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + t) as u8).collect();
            let n = (t + 3).min(255);
            let xs: Vec<u8> = (1..=255u8).rev().step_by(1).take(n).collect();
            let all = reference_split(&key, t, &xs, &mut rng);
            // A rotating window of t shares, in reversed order.
            for start in [0usize, n - t] {
                let mut subset: Vec<Vec<u8>> = all[start..start + t].to_vec();
                subset.reverse();
                let ks: Vec<KeyShare> = subset
                    .iter()
                    .map(|s| KeyShare::from_bytes(s, &(1..=64)).unwrap())
                    .collect();
                assert_eq!(&*combine(&ks).unwrap(), &key[..], "t={t} len={key_len}");
            }
        }
    }
}

#[test]
fn fewer_than_threshold_shares_combine_without_error_to_the_reference_wrong_key() {
    let mut rng = ScriptedRng::seeded(7);
    let key = [0x42u8; 32];
    let all = reference_split(&key, 4, &[1, 2, 3, 4, 5], &mut rng);
    let three = &all[..3];
    let got = combine_slices(three.iter().map(Vec::as_slice)).unwrap();
    assert_eq!(&*got, &reference_combine(three)[..]);
    assert_ne!(&*got, &key[..]);
}

#[test]
fn combine_errors_in_vaults_order() {
    assert_eq!(
        combine_slices([&[1u8, 2][..]]),
        Err(CombineError::TooFewParts)
    );
    assert_eq!(
        combine_slices(Vec::<&[u8]>::new()),
        Err(CombineError::TooFewParts)
    );
    // Too short is reported before the length mismatch.
    assert_eq!(
        combine_slices([&[1u8][..], &[1u8, 2, 3][..]]),
        Err(CombineError::PartTooShort)
    );
    // Length mismatch before duplicates.
    assert_eq!(
        combine_slices([&[1u8, 2][..], &[1u8, 2][..], &[5u8, 6, 2][..]]),
        Err(CombineError::LengthMismatch)
    );
    assert_eq!(
        combine_slices([&[1u8, 2][..], &[9u8, 2][..]]),
        Err(CombineError::DuplicatePart)
    );
}

#[test]
fn vault_layout_and_vsss_layout_convert_both_ways_and_vsss_shares_combine() {
    let mut rng = rand::rng();
    let key = [9u8; 32];
    let vsss = vsss_rs::Gf256::split_bytes(3, 5, key, &mut rng).unwrap();
    let ours: Vec<KeyShare> = vsss
        .iter()
        .map(|s| KeyShare::from_vsss_layout(s, &KeyShare::DEFAULT_LENGTHS).unwrap())
        .collect();
    for (v, o) in vsss.iter().zip(&ours) {
        assert_eq!(o.x(), v[0]);
        assert_eq!(&o.expose_secret()[..32], &v[1..]);
        assert_eq!(&**o.to_vsss_layout(), &v[..]);
    }
    // Checked against the independent reference, not against vsss-rs itself.
    let vault: Vec<Vec<u8>> = ours.iter().map(|s| s.expose_secret().to_vec()).collect();
    assert_eq!(reference_combine(&vault[1..4]), key.to_vec());
    assert_eq!(&*combine(&ours[1..4]).unwrap(), &key[..]);
}

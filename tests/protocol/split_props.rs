//! `KeyShare::split` (vsss-rs underneath) against three independent combiners: the crate's own
//! `combine`, vsss-rs's `Gf256::combine_bytes` on the shares moved back to its layout, and the
//! textbook Lagrange interpolation of `tests/support` (plain bit-by-bit GF(2^8) multiply). Plus
//! Vault's rules for the x coordinates, threshold 1, and the refusals (PROTOCOL.md section 7).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use recovery_token::shares::{KeyShare, SplitError, combine};
use vsss_rs::Gf256;

use crate::support;
use support::reference_combine as textbook_combine;

/// A threshold in 2..=255 (small ones weighted up), a key of 1 to 64 bytes, how many shares are
/// made (threshold to threshold + 4, at most 255) and a seed.
fn params() -> impl Strategy<Value = (usize, Vec<u8>, usize, u64)> {
    (
        prop_oneof![2usize..=10, 2usize..=255],
        proptest::collection::vec(any::<u8>(), 1..=64),
        0usize..=4,
        any::<u64>(),
    )
        .prop_map(|(t, key, extra, seed)| (t, key, (t + extra).min(255), seed))
}

fn bytes(shares: &[KeyShare]) -> Vec<Vec<u8>> {
    shares.iter().map(|s| s.expose_secret().to_vec()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any `threshold` of the shares, in any order, give the key back to all three combiners; the
    /// shares are one byte longer than the key and their x coordinates distinct and non-zero.
    #[test]
    fn any_threshold_subset_recombines_the_key((threshold, key, n, seed) in params()) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut shares = KeyShare::split(&key, threshold, n, &mut rng).unwrap();
        prop_assert_eq!(shares.len(), n);
        let mut xs: Vec<u8> = shares.iter().map(KeyShare::x).collect();
        prop_assert!(shares.iter().all(|s| s.len() == key.len() + 1));
        prop_assert!(xs.iter().all(|x| *x != 0));
        xs.sort_unstable();
        xs.dedup();
        prop_assert_eq!(xs.len(), n);

        shares.shuffle(&mut rng);
        let take = rng.random_range(threshold..=n);
        let subset = &shares[..take];
        prop_assert_eq!(&*combine(subset).unwrap(), &key[..]);
        prop_assert_eq!(textbook_combine(&bytes(subset)), key.clone());
        let vsss: Vec<Vec<u8>> = subset.iter().map(|s| s.to_vsss_layout().to_vec()).collect();
        prop_assert_eq!(Gf256::combine_bytes(&vsss).unwrap(), key);
    }

    /// Fewer than `threshold` shares (two or more) combine to something else: the polynomial has
    /// degree threshold - 1. (A 16-byte key collides by chance with probability 2^-128.)
    #[test]
    fn fewer_than_threshold_shares_do_not_give_the_key(
        threshold in 3usize..=12,
        key in proptest::collection::vec(any::<u8>(), 16..=33),
        seed in any::<u64>(),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let shares = KeyShare::split(&key, threshold, threshold + 2, &mut rng).unwrap();
        let take = rng.random_range(2..threshold);
        let subset = &shares[..take];
        prop_assert_ne!(&*combine(subset).unwrap(), &key[..]);
        prop_assert_ne!(textbook_combine(&bytes(subset)), key);
    }
}

#[test]
fn threshold_one_is_the_key_itself() {
    let key: Vec<u8> = (0..32).collect();
    let shares = KeyShare::split(&key, 1, 1, &mut rand::rng()).unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].expose_secret(), &key[..]);
}

#[test]
fn refusals_carry_vaults_texts_in_vaults_order() {
    let key = [7u8; 32];
    let mut rng = rand::rng();
    let cases = [
        (
            0,
            0,
            &key[..],
            SplitError::NoShares,
            "shares must be at least one",
        ),
        (
            0,
            3,
            &key[..],
            SplitError::NoThreshold,
            "threshold must be at least one",
        ),
        (
            1,
            2,
            &key[..],
            SplitError::ThresholdOneWithManyShares,
            "threshold must be greater than one for multiple shares",
        ),
        (1, 256, &key[..], SplitError::ThresholdOneWithManyShares, ""),
        (
            2,
            256,
            &key[..],
            SplitError::TooManyShares,
            "shares must be less than 256",
        ),
        (256, 256, &key[..], SplitError::TooManyShares, ""),
        (
            256,
            255,
            &key[..],
            SplitError::ThresholdTooLarge,
            "threshold must be less than 256",
        ),
        (
            4,
            3,
            &key[..],
            SplitError::ThresholdAboveShares,
            "threshold cannot be larger than shares",
        ),
        (
            3,
            5,
            &[][..],
            SplitError::EmptyKey,
            "cannot split an empty secret",
        ),
        (1, 1, &[][..], SplitError::EmptyKey, ""),
    ];
    for (threshold, shares, key, err, text) in cases {
        let e = KeyShare::split(key, threshold, shares, &mut rng).unwrap_err();
        assert_eq!(e, err, "threshold {threshold}, shares {shares}");
        if !text.is_empty() {
            assert_eq!(e.to_string(), text);
        }
    }
}

#[test]
fn all_255_shares_use_every_x_once() {
    let shares = KeyShare::split(&[1, 2, 3], 2, 255, &mut rand::rng()).unwrap();
    let mut xs: Vec<u8> = shares.iter().map(KeyShare::x).collect();
    xs.sort_unstable();
    assert_eq!(xs, (1..=255).collect::<Vec<u8>>());
    // Any two of them recombine (the x coordinates include 255 and its neighbours).
    assert_eq!(&*combine(&shares[253..]).unwrap(), &[1, 2, 3]);
}

#[test]
fn x_coordinates_are_drawn_uniformly_as_a_random_permutation() {
    // Vault takes the first `shares` entries of a random permutation of 1..=255. Over 3000
    // splits of 5 shares every x should show up about 59 times in all and about 12 times in each
    // position; sequential x (1..=5, vsss-rs's default) or a biased draw would not.
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut counts = [[0u32; 256]; 5];
    for _ in 0..3000 {
        let shares = KeyShare::split(&[0x42], 2, 5, &mut rng).unwrap();
        for (pos, s) in shares.iter().enumerate() {
            counts[pos][usize::from(s.x())] += 1;
        }
    }
    let total: Vec<u32> = (1..256)
        .map(|x| counts.iter().map(|c| c[x]).sum())
        .collect();
    assert!(total.iter().all(|&c| (25..=100).contains(&c)), "{total:?}");
    for per_position in &counts {
        assert_eq!(per_position[0], 0);
        assert!(
            per_position[1..].iter().all(|&c| c <= 40),
            "{per_position:?}"
        );
    }
}

#[test]
fn shares_of_a_vault_sized_key_fit_the_default_lengths_and_parse_back() {
    let key = [0xa5u8; 32];
    let shares = KeyShare::split(&key, 3, 5, &mut rand::rng()).unwrap();
    for s in &shares {
        let hex = support::hex(s.expose_secret());
        assert_eq!(
            &KeyShare::parse(&hex, &KeyShare::DEFAULT_LENGTHS).unwrap(),
            s
        );
    }
    assert_eq!(&*combine(&shares[1..4]).unwrap(), &key);
}

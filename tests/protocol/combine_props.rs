//! Property tests of the crate's lane combine against two independent references: vsss-rs's
//! `Gf256::combine_bytes` (a real peer) and a textbook Lagrange interpolation (`tests/support`) with a
//! plain bit-by-bit GF(2^8) multiply.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use recovery_token::shares::{KeyShare, combine, combine_slices};
use vsss_rs::Gf256;

use crate::support;
use support::reference_combine as textbook_combine;

/// `limit` vsss-rs shares of `key` at threshold `threshold`, then `take` of them in a random
/// order: vsss-rs's layout (identifier first) and Vault's.
fn split(
    key: &[u8],
    threshold: usize,
    limit: usize,
    take: usize,
    seed: u64,
) -> (Vec<Vec<u8>>, Vec<KeyShare>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut vsss = Gf256::split_bytes(threshold, limit, key, &mut rng).unwrap();
    vsss.shuffle(&mut rng);
    vsss.truncate(take);
    let vault = vsss
        .iter()
        .map(|s| KeyShare::from_vsss_layout(s, &(2..=65)).unwrap())
        .collect();
    (vsss, vault)
}

/// A threshold in 2..=255 (small ones weighted up: they are the common case), a key of 1 to 64
/// bytes, how many shares exist and how many are combined.
fn threshold_and_key() -> impl Strategy<Value = (usize, Vec<u8>, usize, usize, u64)> {
    (
        prop_oneof![2usize..=10, 2usize..=255],
        proptest::collection::vec(any::<u8>(), 1..=64),
        0usize..=4,
        any::<u64>(),
    )
        .prop_flat_map(|(t, key, extra, seed)| {
            let limit = (t + extra).min(255);
            (Just(t), Just(key), Just(limit), t..=limit, Just(seed))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// At or above the threshold, any subset in any order gives back the key, exactly as
    /// vsss-rs combines the same shares.
    #[test]
    fn threshold_or_more_shares_give_the_key_as_vsss_rs_does(
        (threshold, key, limit, take, seed) in threshold_and_key()
    ) {
        let (vsss, vault) = split(&key, threshold, limit, take, seed);
        let ours = combine(&vault).unwrap();
        prop_assert_eq!(&*ours, &Gf256::combine_bytes(&vsss).unwrap()[..]);
        prop_assert_eq!(&*ours, &key[..]);
    }

    /// Below the threshold the result is the interpolation of the shares given (not the key):
    /// equal to the textbook Lagrange formula and to vsss-rs on the same shares.
    #[test]
    fn fewer_shares_interpolate_exactly_as_the_textbook_formula(
        (threshold, key, limit, _take, seed) in threshold_and_key(),
        fewer in 2usize..=254,
    ) {
        prop_assume!(threshold > 2);
        let take = 2 + fewer % (threshold - 2);
        prop_assert!(take < threshold);
        let (vsss, vault) = split(&key, threshold, limit, take, seed);
        let ours = combine(&vault).unwrap();
        let layouts: Vec<Vec<u8>> = vault.iter().map(|s| s.expose_secret().to_vec()).collect();
        prop_assert_eq!(&*ours, &textbook_combine(&layouts)[..]);
        prop_assert_eq!(&*ours, &Gf256::combine_bytes(&vsss).unwrap()[..]);
    }

    /// Arbitrary points, x = 0 included (Vault accepts it; vsss-rs does not), arbitrary y bytes
    /// and share lengths beyond one 32-byte block: the textbook formula.
    #[test]
    fn any_distinct_points_interpolate_as_the_textbook_formula(
        count in 2usize..=256,
        len in 2usize..=80,
        seed in any::<u64>(),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut xs: Vec<u8> = (0..=255u8).collect();
        xs.shuffle(&mut rng);
        let shares: Vec<Vec<u8>> = xs[..count]
            .iter()
            .map(|x| {
                let mut s: Vec<u8> = (0..len - 1).map(|_| rng.random::<u8>()).collect();
                s.push(*x);
                s
            })
            .collect();
        let ours = combine_slices(shares.iter().map(Vec::as_slice)).unwrap();
        prop_assert_eq!(&*ours, &textbook_combine(&shares)[..]);
    }
}

//! Inputs the fuzzers (fuzz/) found, kept as regression tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use recovery_token::shares::{KeyShare, ShareError};

/// share_parse: a range admitting zero bytes let `"\n"` (base64 of nothing, newlines skipped)
/// parse to an empty share, which has no x coordinate. A share always has at least one byte.
#[test]
fn a_share_is_never_empty_even_when_the_range_admits_zero() {
    assert_eq!(
        KeyShare::parse("\n", &(0..=9216)),
        Err(ShareError::TooShort { min: 1 })
    );
    assert_eq!(
        KeyShare::from_bytes(&[], &(0..=33)),
        Err(ShareError::TooShort { min: 1 })
    );
    assert_eq!(
        KeyShare::from_vsss_layout(&[], &(0..=33)),
        Err(ShareError::TooShort { min: 1 })
    );
    // One byte is still a share when the range allows it.
    assert_eq!(KeyShare::from_bytes(&[9], &(0..=33)).unwrap().x(), 9);
}

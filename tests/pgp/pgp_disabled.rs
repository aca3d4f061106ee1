//! Without the `pgp` feature a `pgp_key` is refused at start, typed, with nothing changed.
#![cfg(not(feature = "pgp"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Instant;

use recovery_token::wire::StartRequest;
use recovery_token::{Encoding, Error, GeneratorConfig, RecoveryTokenGenerator, Strategy};

#[test]
fn a_pgp_key_is_refused_without_the_pgp_feature() {
    let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    let before = generator.status(Strategy::Recovery, Instant::now());
    // Any non-empty key, valid or not: the build cannot encrypt to it.
    let encoding = Encoding::from(StartRequest::from_json(br#"{"pgp_key":"mQINBGPGP"}"#).unwrap());
    let err = generator
        .start(
            Strategy::Recovery,
            encoding,
            Instant::now(),
            &mut rand::rng(),
        )
        .unwrap_err();
    assert_eq!(err, Error::PgpUnsupported);
    assert_eq!(
        err.to_string(),
        "PGP encoding is not supported by this server"
    );
    assert_eq!(err.http_status(), 400);
    assert_eq!(generator.status(Strategy::Recovery, Instant::now()), before);
    assert!(!before.started);

    // An OTP still wins over a PGP key, as in Vault, so such a start succeeds.
    let otp = "A".repeat(28);
    let body = format!(r#"{{"otp":"{otp}","pgp_key":"mQINBGPGP"}}"#);
    let encoding = Encoding::from(StartRequest::from_json(body.as_bytes()).unwrap());
    let started = generator
        .start(
            Strategy::Recovery,
            encoding,
            Instant::now(),
            &mut rand::rng(),
        )
        .unwrap();
    assert!(started.started);
    assert_eq!(started.pgp_fingerprint, "");
}

//! The OpenBao dialect (docs/PROTOCOL.md section 12): texts observed with the real OpenBao 2.7.2
//! server, and its order of checks where it differs from Vault's. interop/openbao_diff.py compares the
//! example server with the real server live; these tests pin the crate's side.
#![allow(clippy::unwrap_used)]

use crate::support;

use recovery_token::http::Answer;
use recovery_token::tokens::TokenProfile;
use recovery_token::{Dialect, Encoding, Error, GeneratorConfig, Otp, Strategy};
use support::Fixture;

const R: Strategy = Strategy::Recovery;

fn fixture(dialect: Dialect) -> Fixture {
    Fixture::with_config(
        GeneratorConfig::builder(1)
            .with_profile(TokenProfile::OPENBAO)
            .with_dialect(dialect)
            .build()
            .unwrap(),
    )
}

/// Runs a threshold-1 recovery ceremony to completion: recovery is closed afterwards.
fn mint_recovery_token(f: &mut Fixture) {
    let s = f.start(R);
    let key = f.key.clone();
    let done = f.update(R, &key, &s.nonce).unwrap();
    assert!(done.complete);
}

#[test]
fn openbao_refuses_a_recovery_start_after_minting_before_checking_the_otp() {
    let mut f = fixture(Dialect::OpenBao);
    mint_recovery_token(&mut f);
    let err = f
        .generator
        .start(R, Encoding::Otp(Otp::from("x")), f.clock.now(), &mut f.rng)
        .unwrap_err();
    assert_eq!(err, Error::AlreadyUnsealed);
    assert_eq!(
        Answer::error(&err, Dialect::OpenBao).body(),
        "{\"errors\":[\"attempted to generate recovery operation token when already unsealed\"]}\n"
    );
    // A malformed PGP key is not looked at either.
    assert_eq!(
        f.generator.start(
            R,
            Encoding::PgpKey("!!".to_owned()),
            f.clock.now(),
            &mut f.rng
        ),
        Err(Error::AlreadyUnsealed)
    );
}

#[test]
fn vault_checks_the_otp_first_even_after_minting() {
    let mut f = fixture(Dialect::Vault);
    mint_recovery_token(&mut f);
    assert_eq!(
        f.generator
            .start(R, Encoding::Otp(Otp::from("x")), f.clock.now(), &mut f.rng),
        Err(Error::OtpWrongLength)
    );
}

#[test]
fn openbao_checks_the_otp_first_while_recovery_is_open() {
    let mut f = fixture(Dialect::OpenBao);
    let err = f
        .generator
        .start(R, Encoding::Otp(Otp::from("x")), f.clock.now(), &mut f.rng)
        .unwrap_err();
    assert_eq!(err, Error::OtpWrongLength);
    assert_eq!(
        err.message(Dialect::OpenBao),
        "OTP string has incorrect length"
    );
    // The root strategy is not closed by a minted recovery token.
    mint_recovery_token(&mut f);
    assert_eq!(
        f.generator.start(
            Strategy::Root,
            Encoding::Otp(Otp::from("x")),
            f.clock.now(),
            &mut f.rng
        ),
        Err(Error::OtpWrongLength)
    );
}

#[test]
fn openbao_in_progress_text() {
    let mut f = fixture(Dialect::OpenBao);
    f.start(Strategy::Root);
    let err = f
        .generator
        .start(
            Strategy::Root,
            Encoding::GenerateOtp,
            f.clock.now(),
            &mut f.rng,
        )
        .unwrap_err();
    let r = Answer::from_result(&Err(err), Dialect::OpenBao);
    assert_eq!(
        (r.status(), r.body()),
        (
            400,
            "{\"errors\":[\"root generation already in progress for this namespace\"]}\n"
        )
    );
}

//! One test per rule of docs/PROTOCOL.md sections 2 to 4: the state table, start, update.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use std::time::Duration;

use recovery_token::shares::CombineError;
use recovery_token::tokens::{TokenProfile, decode_token};
use recovery_token::wire::{AttemptStatus, UpdateRequest};
use recovery_token::{
    Encoding, Error, GeneratorConfig, KeyAccepted, Otp, RecoveryTokenGenerator, Strategy,
    UpdateOutcome,
};
use support::{Fixture, ScriptedRng, TestHost, req};

const R: Strategy = Strategy::Recovery;

fn otp28() -> Otp {
    Otp::from("0123456789abcdefghijklmnopqr")
}

// ---------------------------------------------------------------- section 2: the state table

#[test]
fn start_refused_for_any_reason_leaves_attempt_and_shares_unchanged() {
    let mut f = Fixture::new(3);
    let started = f.start(R);
    f.update(R, &f.share(0), &started.nonce).unwrap();
    let before = f.status(R);

    let wrong_otp = f.generator.start(
        R,
        Encoding::Otp(Otp::from("short")),
        f.clock.now(),
        &mut f.rng,
    );
    assert_eq!(wrong_otp, Err(Error::OtpWrongLength));
    let busy = f.generator.start(
        Strategy::Root,
        Encoding::GenerateOtp,
        f.clock.now(),
        &mut f.rng,
    );
    assert_eq!(busy, Err(Error::InProgress));
    let bad_pgp = f.generator.start(
        R,
        Encoding::PgpKey("not base64 at all".into()),
        f.clock.now(),
        &mut f.rng,
    );
    assert!(bad_pgp.is_err());
    assert_eq!(f.status(R), before);

    // The held share is still there: two more complete the ceremony.
    f.update(R, &f.share(1), &started.nonce).unwrap();
    let done = f.update(R, &f.share(2), &started.nonce).unwrap();
    assert!(done.complete);
}

#[test]
fn start_accepted_creates_a_new_attempt_with_no_shares() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    assert!(s.started);
    assert_eq!(s.progress, 0);
    assert_eq!(s.required, 3);
    assert!(!s.complete);
    assert_eq!(f.status(R).nonce, s.nonce);
    assert_eq!(f.status(R).progress, 0);
}

#[test]
fn cancel_clears_attempt_and_shares() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.generator.cancel(None, f.clock.now()).unwrap();
    let st = f.status(R);
    assert!(!st.started);
    assert_eq!(st.progress, 0);
    assert_eq!(st.nonce, "");
    // The old nonce is gone: the share cannot be added to it.
    assert_eq!(f.update(R, &f.share(1), &s.nonce), Err(Error::NoAttempt));
    // A new attempt starts from zero.
    let s2 = f.start(R);
    assert_ne!(s2.nonce, s.nonce);
    assert_eq!(s2.progress, 0);
}

#[test]
fn cancel_succeeds_when_nothing_is_in_progress() {
    let mut f = Fixture::new(3);
    assert_eq!(f.generator.cancel(None, f.clock.now()), Ok(()));
    assert_eq!(f.generator.cancel(Some("whatever"), f.clock.now()), Ok(()));
    assert!(!f.status(R).started);
}

#[test]
fn update_refusals_leave_attempt_and_shares_unchanged() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let before = f.status(R);

    // bad length
    assert_eq!(
        f.update(R, &[1u8; 8], &s.nonce),
        Err(Error::KeyTooShort { min: 16 })
    );
    // wrong nonce
    assert!(matches!(
        f.update(R, &f.share(1), "00000000-0000-0000-0000-000000000000"),
        Err(Error::WrongNonce { .. })
    ));
    // wrong strategy
    assert_eq!(
        f.update(Strategy::Root, &f.share(1), &s.nonce),
        Err(Error::WrongStrategy)
    );
    // duplicate share
    assert_eq!(
        f.update(R, &f.share(0), &s.nonce),
        Err(Error::DuplicateShare)
    );
    assert_eq!(f.status(R), before);

    // no attempt
    f.generator.cancel(None, f.clock.now()).unwrap();
    let idle = f.status(R);
    assert_eq!(f.update(R, &f.share(1), &s.nonce), Err(Error::NoAttempt));
    assert_eq!(f.status(R), idle);
}

#[test]
fn update_below_threshold_keeps_the_attempt_and_adds_the_share() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    let a = f.update(R, &f.share(3), &s.nonce).unwrap();
    assert_eq!((a.progress, a.required, a.complete), (1, 3, false));
    let b = f.update(R, &f.share(1), &s.nonce).unwrap();
    assert_eq!((b.progress, b.complete), (2, false));
    assert_eq!(f.status(R).progress, 2);
    assert_eq!(f.status(R).nonce, s.nonce);
}

#[test]
fn failed_combine_clears_the_shares_but_keeps_the_attempt() {
    // Vault's behaviour (and the crate's: refusing early would be an oracle, see tests/protocol/share_sets.rs):
    // two different shares with one x coordinate pass the update checks and fail the combine.
    let config = GeneratorConfig::new(3).unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    let mut impostor = f.share(1);
    impostor[0] ^= 0xff;
    *impostor.last_mut().unwrap() = f.share(0).last().copied().unwrap();
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.update(R, &f.share(1), &s.nonce).unwrap();
    let err = f.update(R, &impostor, &s.nonce).unwrap_err();
    assert_eq!(err, Error::Combine(CombineError::DuplicatePart));
    assert_eq!(
        err.to_string(),
        "failed to compute root key: duplicate part detected"
    );
    assert!(err.cleared_progress());
    let st = f.status(R);
    assert!(st.started);
    assert_eq!(st.progress, 0);
    assert_eq!(st.nonce, s.nonce);
    // The same attempt still completes.
    for i in 0..3 {
        f.update(R, &f.share(i), &s.nonce).unwrap();
    }
    assert!(!f.status(R).started);
}

#[test]
fn failed_combine_of_mixed_lengths_clears_the_shares() {
    // No key length declared (Vault's behaviour): any accepted length is held until the combine.
    let config = GeneratorConfig::new(2).unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let err = f.update(R, &[9u8; 17], &s.nonce).unwrap_err();
    assert_eq!(err, Error::Combine(CombineError::LengthMismatch));
    assert_eq!(f.status(R).progress, 0);
    assert!(f.status(R).started);
}

#[test]
fn failed_key_check_clears_the_shares_but_keeps_the_attempt() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    // Two right shares and one from another key set: combines to a wrong key.
    let mut other = Fixture::new(3);
    other.key[0] ^= 1;
    let foreign =
        support::reference_split(&other.key, 3, &[3], &mut ScriptedRng::seeded(99)).remove(0);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.update(R, &f.share(1), &s.nonce).unwrap();
    let err = f.update(R, &foreign, &s.nonce).unwrap_err();
    assert!(matches!(err, Error::KeyCheckFailed { .. }));
    assert!(
        err.to_string()
            .starts_with("root generation aborted: unable to authenticate")
    );
    let st = f.status(R);
    assert!(st.started);
    assert_eq!(st.progress, 0);
    assert_eq!(st.nonce, s.nonce);
    assert!(!f.generator.recovery_issued());
}

#[test]
fn failed_encoding_revokes_the_token_clears_the_shares_and_keeps_the_attempt() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Root);
    let mut host = TestHost::new(&f.key).minting("hvs.tooshort");
    f.update_with(&mut host, Strategy::Root, 0, &s.nonce)
        .unwrap();
    let err = f
        .update_with(&mut host, Strategy::Root, 1, &s.nonce)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "xor of root token failed: length of byte slices is not equivalent: 28 != 12"
    );
    assert_eq!(host.revoked, vec!["hvs.tooshort".to_owned()]);
    let st = f.status(Strategy::Root);
    assert!(st.started);
    assert_eq!(st.progress, 0);
    assert_eq!(st.nonce, s.nonce);
}

#[test]
fn failed_mint_clears_the_shares_and_keeps_the_attempt() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Root);
    let mut host = TestHost::new(&f.key).refusing();
    f.update_with(&mut host, Strategy::Root, 0, &s.nonce)
        .unwrap();
    let err = f
        .update_with(&mut host, Strategy::Root, 1, &s.nonce)
        .unwrap_err();
    assert!(matches!(err, Error::TokenMint { .. }));
    assert_eq!(
        err.to_string(),
        "unable to create token: this server does not mint root tokens"
    );
    // Asked once (with no lifetime), minted nothing, so nothing to revoke.
    assert_eq!(host.ttls, [None]);
    assert!(host.minted.is_empty() && host.revoked.is_empty());
    assert!(err.cleared_progress());
    assert_eq!(f.status(Strategy::Root).progress, 0);
    assert!(f.status(Strategy::Root).started);
}

#[test]
fn success_clears_the_attempt() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    for i in [4, 0, 2] {
        f.update(R, &f.share(i), &s.nonce).unwrap();
    }
    let st = f.status(R);
    assert!(!st.started);
    assert_eq!((st.nonce.as_str(), st.progress), ("", 0));
    assert_eq!(
        f.update(R, &f.share(1), &s.nonce),
        Err(Error::AlreadyUnsealed)
    );
}

// ---------------------------------------------------------------- section 3: start

#[test]
fn start_checks_inputs_before_server_state_and_slot() {
    let mut f = Fixture::new(1);
    let s = f.start(R);
    // In progress, but the wrong OTP length is reported first.
    assert_eq!(
        f.generator
            .start(R, Encoding::Otp(Otp::from("x")), f.clock.now(), &mut f.rng),
        Err(Error::OtpWrongLength)
    );
    f.update(R, &f.key.clone(), &s.nonce).unwrap();
    // Recovery is closed now: input errors still come first, then "already unsealed".
    assert_eq!(
        f.generator
            .start(R, Encoding::Otp(Otp::from("x")), f.clock.now(), &mut f.rng),
        Err(Error::OtpWrongLength)
    );
    assert_eq!(
        f.generator
            .start(R, Encoding::GenerateOtp, f.clock.now(), &mut f.rng),
        Err(Error::AlreadyUnsealed)
    );
}

#[test]
fn otp_length_must_match_the_profile_and_strategy() {
    let mut f = Fixture::new(2);
    assert_eq!(
        f.generator.start(
            R,
            Encoding::Otp(Otp::from("0123456789abcdefghijklmnop")),
            f.clock.now(),
            &mut f.rng
        ),
        Err(Error::OtpWrongLength)
    );
    let config = GeneratorConfig::builder(2)
        .with_profile(TokenProfile::LEGACY)
        .build()
        .unwrap();
    let mut g = RecoveryTokenGenerator::new(config);
    let mut rng = ScriptedRng::seeded(1);
    let now = std::time::Instant::now();
    assert!(
        g.start(
            R,
            Encoding::Otp(Otp::from("0123456789abcdefghijklmnop")),
            now,
            &mut rng
        )
        .is_ok()
    );
}

#[test]
fn otp_characters_are_never_checked() {
    let mut f = Fixture::new(2);
    let odd = Otp::from("!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    assert!(
        f.generator
            .start(R, Encoding::Otp(odd), f.clock.now(), &mut f.rng)
            .is_ok()
    );
}

#[test]
fn caller_otp_wins_over_pgp_key_and_is_never_echoed() {
    let mut f = Fixture::new(2);
    let body = br#"{"otp":"0123456789abcdefghijklmnopqr","pgp_key":"garbage"}"#;
    let encoding = Encoding::from(recovery_token::wire::StartRequest::from_json(body).unwrap());
    assert_eq!(encoding, Encoding::Otp(otp28()));
    let s = f
        .generator
        .start(R, encoding, f.clock.now(), &mut f.rng)
        .unwrap();
    assert!(s.otp.is_empty());
    assert_eq!(s.pgp_fingerprint, "");
    assert_eq!(s.otp_length, 28);
}

#[test]
fn generated_otp_is_shown_once_in_the_start_answer() {
    let mut f = Fixture::new(2);
    let s = f.start(R);
    assert_eq!(s.otp.len(), 28);
    assert!(
        s.otp
            .expose_secret()
            .bytes()
            .all(|b| recovery_token::tokens::BASE62_ALPHABET.contains(&b))
    );
    assert!(f.status(R).otp.is_empty());
    let a = f.update(R, &f.share(0), &s.nonce).unwrap();
    assert!(a.otp.is_empty());
    let done = f.update(R, &f.share(1), &s.nonce).unwrap();
    assert!(done.otp.is_empty());
    // The shown OTP decodes the token.
    let token = decode_token(&done.encoded_token, s.otp.expose_secret(), 28).unwrap();
    assert!(f.generator.recovery_token().verify(token.expose_secret()));
}

#[test]
fn an_attempt_of_any_strategy_blocks_a_new_start() {
    let mut f = Fixture::new(2);
    f.start(Strategy::Root);
    for strategy in [R, Strategy::Root, Strategy::DrOperation] {
        assert_eq!(
            f.generator
                .start(strategy, Encoding::GenerateOtp, f.clock.now(), &mut f.rng),
            Err(Error::InProgress)
        );
    }
}

#[test]
fn nonce_is_sixteen_host_random_bytes_in_uuid_layout_lowercase() {
    let mut f = Fixture::new(2);
    // One batch of 28 + 28/4 = 35 OTP bytes (Vault's batch size), then the 16 nonce bytes.
    let mut script = vec![0u8; 35];
    script.extend_from_slice(&[
        0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0xFF, 0x67, 0x89, 0x0A, 0xBC, 0xDE, 0xF0, 0x12, 0x34,
        0x56,
    ]);
    let mut rng = ScriptedRng::new(&script);
    let s = f
        .generator
        .start(R, Encoding::GenerateOtp, f.clock.now(), &mut rng)
        .unwrap();
    // No version bits are set (byte 6 stays 0xff), as Vault's nonce.
    assert_eq!(s.nonce, "abcdef01-2345-ff67-890a-bcdef0123456");
    assert_eq!(s.otp.expose_secret(), "A".repeat(28));
}

#[test]
fn recovery_is_refused_after_a_recovery_token_was_minted_but_root_still_works() {
    let mut f = Fixture::new(2);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.update(R, &f.share(1), &s.nonce).unwrap();
    assert!(f.generator.recovery_issued());
    let err = f
        .generator
        .start(R, Encoding::GenerateOtp, f.clock.now(), &mut f.rng)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "attempt to generate recovery token when already unsealed"
    );
    let root = f.start(Strategy::Root);
    assert_eq!(
        f.update(R, &f.share(0), &root.nonce),
        Err(Error::AlreadyUnsealed)
    );
    let mut host = TestHost::new(&f.key).minting(&format!("hvs.{}", "A".repeat(24)));
    for i in 0..2 {
        f.update_with(&mut host, Strategy::Root, i, &root.nonce)
            .unwrap();
    }
    assert!(!f.status(Strategy::Root).started);
}

// ---------------------------------------------------------------- section 4: update

#[test]
fn key_errors_come_before_state_errors() {
    let mut f = Fixture::new(2);
    // No attempt at all, yet the key's faults are reported first (Vault's HTTP layer).
    let bad = UpdateRequest {
        key: "zz".into(),
        nonce: "n".into(),
    };
    assert_eq!(
        f.generator
            .update(R, &bad, f.clock.now(), &mut f.host, &mut f.rng),
        Err(Error::InvalidKeyEncoding)
    );
    assert_eq!(
        f.update(R, &[0u8; 40], "n"),
        Err(Error::KeyTooLong { max: 33 })
    );
    let empty = UpdateRequest {
        key: "".into(),
        nonce: "n".into(),
    };
    assert_eq!(
        f.generator
            .update(R, &empty, f.clock.now(), &mut f.host, &mut f.rng),
        Err(Error::MissingKey)
    );
    assert_eq!(f.update(R, &f.share(0), "n"), Err(Error::NoAttempt));
}

#[test]
fn nonce_is_checked_before_strategy_and_duplicates() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let err = f.update(Strategy::Root, &f.share(0), "wrong").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "incorrect nonce supplied; nonce for this root generation operation is \"{}\"",
            s.nonce
        )
    );
    // Right nonce, wrong strategy, duplicate share: strategy first.
    assert_eq!(
        f.update(Strategy::Root, &f.share(0), &s.nonce),
        Err(Error::WrongStrategy)
    );
    assert_eq!(
        f.update(Strategy::DrOperation, &f.share(0), &s.nonce),
        Err(Error::WrongStrategy)
    );
}

#[test]
fn wrong_nonce_error_can_hide_the_nonce() {
    let config = GeneratorConfig::builder(2)
        .with_disclose_nonce_in_errors(false)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    let err = f.update(R, &f.share(0), "wrong").unwrap_err();
    assert_eq!(err, Error::WrongNonceUndisclosed);
    assert!(!err.to_string().contains(&s.nonce));
}

#[test]
fn the_same_share_given_twice_is_refused_in_hex_or_base64() {
    use base64::Engine as _;
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(2), &s.nonce).unwrap();
    let b64 = UpdateRequest {
        key: base64::engine::general_purpose::STANDARD
            .encode(f.share(2))
            .into(),
        nonce: s.nonce.clone(),
    };
    let err = f
        .generator
        .update(R, &b64, f.clock.now(), &mut f.host, &mut f.rng)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "given key has already been provided during this generation operation"
    );
    assert_eq!(f.status(R).progress, 1);
}

#[test]
fn every_update_answer_carries_the_request_nonce_and_otp_length_zero() {
    let mut f = Fixture::new(2);
    let s = f.start(R);
    let a = f.update(R, &f.share(0), &s.nonce).unwrap();
    assert_eq!(a.nonce, s.nonce);
    assert!(a.started);
    assert_eq!(a.otp_length, 0);
    assert_eq!(a.encoded_token, "");
    let b = f.update(R, &f.share(1), &s.nonce).unwrap();
    assert_eq!((b.progress, b.required, b.complete), (2, 2, true));
    assert_eq!(b.nonce, s.nonce);
    assert_eq!(b.otp_length, 0);
    assert!(!b.encoded_token.is_empty());
    assert_eq!(b.encoded_root_token, "", "recovery answers leave it empty");
}

#[test]
fn root_final_answer_repeats_the_token_in_encoded_root_token() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Root);
    let token = format!("hvs.{}", "q".repeat(24));
    let mut host = TestHost::new(&f.key).minting(&token);
    f.update_with(&mut host, Strategy::Root, 0, &s.nonce)
        .unwrap();
    let done = f
        .update_with(&mut host, Strategy::Root, 1, &s.nonce)
        .unwrap();
    assert_eq!(done.encoded_root_token, done.encoded_token);
    let decoded = decode_token(&done.encoded_token, s.otp.expose_secret(), 28).unwrap();
    assert_eq!(decoded.expose_secret(), token);
    assert!(host.revoked.is_empty());
    // Root completion mints no recovery token.
    assert!(!f.generator.recovery_issued());
}

#[test]
fn dr_operation_answers_leave_encoded_root_token_empty() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::DrOperation);
    let mut host = TestHost::new(&f.key).minting(&format!("hvs.{}", "d".repeat(24)));
    f.update_with(&mut host, Strategy::DrOperation, 0, &s.nonce)
        .unwrap();
    let done = f
        .update_with(&mut host, Strategy::DrOperation, 1, &s.nonce)
        .unwrap();
    assert!(done.complete);
    assert_eq!(done.encoded_root_token, "");
    assert!(!done.encoded_token.is_empty());
}

#[test]
fn threshold_one_uses_the_share_as_the_key() {
    let mut f = Fixture::new(1);
    assert_eq!(f.shares.len(), 1);
    let s = f.start(R);
    let key = f.key.clone();
    let done = f.update(R, &key, &s.nonce).unwrap();
    assert!(done.complete);
    assert_eq!((done.progress, done.required), (1, 1));
    // A wrong single key fails the check.
    let mut g = Fixture::new(1);
    let s = g.start(R);
    let mut wrong = g.key.clone();
    wrong[5] ^= 1;
    assert!(matches!(
        g.update(R, &wrong, &s.nonce),
        Err(Error::KeyCheckFailed { .. })
    ));
}

#[test]
fn threshold_bounds_are_one_to_255() {
    assert!(GeneratorConfig::new(0).is_err());
    assert!(GeneratorConfig::new(1).is_ok());
    assert!(GeneratorConfig::new(255).is_ok());
    assert!(GeneratorConfig::new(256).is_err());
}

#[test]
fn beyond_vault_a_share_of_another_length_is_refused_and_progress_kept() {
    // The host declares its key length: the refusal is on the share's own merits (Vault's text).
    let config = GeneratorConfig::builder(3)
        .with_key_length(32)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    // 16 bytes in hex: not 33 bytes, so Vault's decoder reads the text as base64 (24 bytes).
    let err = f.update(R, &[7u8; 16], &s.nonce).unwrap_err();
    assert_eq!(err, Error::KeyTooShort { min: 33 });
    assert_eq!(
        err.to_string(),
        "invalid key: key is shorter than minimum 33 bytes"
    );
    assert_eq!(f.status(R).progress, 1);
    f.update(R, &f.share(1), &s.nonce).unwrap();
    assert!(f.update(R, &f.share(2), &s.nonce).unwrap().complete);
}

#[test]
fn a_repeated_share_index_is_held_as_vault_does_and_fails_the_combine() {
    // Refusing it early would answer "a held share has this x" and lock the honest holder out
    // (tests/protocol/share_sets.rs); held, it fails the combine as in Vault.
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let mut impostor = f.share(1);
    *impostor.last_mut().unwrap() = f.share(0).last().copied().unwrap();
    assert_eq!(f.update(R, &impostor, &s.nonce).unwrap().progress, 2);
    assert_eq!(
        f.update(R, &f.share(2), &s.nonce),
        Err(Error::Combine(CombineError::DuplicatePart))
    );
    assert_eq!(f.status(R).progress, 0);
    for i in 0..3 {
        f.update(R, &f.share(i), &s.nonce).unwrap();
    }
    assert!(!f.status(R).started);
}

#[test]
fn a_share_at_x_zero_is_accepted_as_vault_does() {
    let mut f = Fixture::new(2);
    let mut rng = ScriptedRng::seeded(5);
    let shares = support::reference_split(&f.key, 2, &[0, 9], &mut rng);
    // The share at x = 0 holds the key itself.
    assert_eq!(&shares[0][..32], &f.key[..]);
    let s = f.start(R);
    f.update(R, &shares[1], &s.nonce).unwrap();
    assert!(f.update(R, &shares[0], &s.nonce).unwrap().complete);
}

#[test]
fn two_step_update_lets_the_host_check_asynchronously() {
    let mut f = Fixture::new(2);
    let s = f.start(R);
    let UpdateOutcome::Progress(p) = f
        .generator
        .submit(R, &req(&f.share(0), &s.nonce), f.clock.now())
        .unwrap()
    else {
        panic!("expected progress");
    };
    assert_eq!(p.progress, 1);
    let UpdateOutcome::KeyReady(pending) = f
        .generator
        .submit(R, &req(&f.share(1), &s.nonce), f.clock.now())
        .unwrap()
    else {
        panic!("expected the combined key");
    };
    assert!(pending.key().ct_eq_bytes(&f.key));
    // While the host checks, the shares are already gone.
    assert_eq!(f.status(R).progress, 0);
    let KeyAccepted::Recovery(step) = pending.accept_key() else {
        panic!("a recovery completion");
    };
    let done = step
        .issue(&mut f.generator, f.clock.now(), &mut f.rng)
        .unwrap();
    assert!(done.complete);
    let token = decode_token(&done.encoded_token, s.otp.expose_secret(), 28).unwrap();
    assert!(f.generator.recovery_token().verify(token.expose_secret()));
}

#[test]
fn a_completion_for_a_cancelled_attempt_is_stale() {
    let mut f = Fixture::new(2);
    let s = f.start(R);
    let _ = f
        .generator
        .submit(R, &req(&f.share(0), &s.nonce), f.clock.now())
        .unwrap();
    let UpdateOutcome::KeyReady(pending) = f
        .generator
        .submit(R, &req(&f.share(1), &s.nonce), f.clock.now())
        .unwrap()
    else {
        panic!("expected the combined key");
    };
    f.generator.cancel(None, f.clock.now()).unwrap();
    f.start(R);
    let KeyAccepted::Recovery(step) = pending.accept_key() else {
        panic!("a recovery completion");
    };
    assert_eq!(
        step.issue(&mut f.generator, f.clock.now(), &mut f.rng),
        Err(Error::StaleCompletion)
    );
    assert!(!f.generator.recovery_issued());
}

#[test]
fn an_expired_attempt_reports_not_started_and_refuses_updates() {
    let config = GeneratorConfig::builder(3)
        .with_attempt_lifetime(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    assert_eq!(
        f.generator.poll_timeout(),
        Some(f.clock.at(Duration::from_secs(60)))
    );
    f.clock.advance(Duration::from_secs(59));
    assert!(f.status(R).started);
    f.clock.advance(Duration::from_secs(1));
    let st = f.status(R);
    assert!(!st.started);
    assert_eq!(st.progress, 0);
    assert_eq!(
        f.update(R, &f.share(1), &s.nonce),
        Err(Error::AttemptExpired)
    );
    // A new attempt can start.
    let s2 = f.start(R);
    assert_ne!(s2.nonce, s.nonce);
}

#[test]
fn nonce_bound_cancel_refuses_a_wrong_nonce_and_keeps_progress() {
    let config = GeneratorConfig::builder(3)
        .with_cancel_requires_nonce(true)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    assert_eq!(
        f.generator.cancel(None, f.clock.now()),
        Err(Error::WrongNonceUndisclosed)
    );
    assert_eq!(
        f.generator.cancel(Some("wrong"), f.clock.now()),
        Err(Error::WrongNonceUndisclosed)
    );
    assert_eq!(f.status(R).progress, 1);
    assert_eq!(f.generator.cancel(Some(&s.nonce), f.clock.now()), Ok(()));
    assert!(!f.status(R).started);
}

#[test]
fn status_reports_threshold_and_profile_otp_length_per_strategy() {
    let config = GeneratorConfig::builder(4)
        .with_profile(TokenProfile::OPENBAO)
        .build()
        .unwrap();
    let g = RecoveryTokenGenerator::new(config);
    let now = std::time::Instant::now();
    let r: AttemptStatus = g.status(R, now);
    assert_eq!((r.required, r.otp_length, r.started), (4, 28, false));
    assert_eq!(g.status(Strategy::Root, now).otp_length, 26);
}

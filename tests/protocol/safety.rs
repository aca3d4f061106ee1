//! The protections Vault lacks (docs/PROTOCOL.md section 10), one test per rule: attempt
//! lifetime, nonce-bound cancel (CVE-2026-5807), errors that do not disclose the nonce, the
//! recovery token holder.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use std::time::Duration;

use recovery_token::audit::AuditEventKind;
use recovery_token::wire::ErrorBody;
use recovery_token::{Dialect, Error, GeneratorConfig, Strategy};
use support::Fixture;

const R: Strategy = Strategy::Recovery;

fn with_lifetime(t: usize, secs: u64) -> Fixture {
    let config = GeneratorConfig::builder(t)
        .with_attempt_lifetime(Duration::from_secs(secs))
        .build()
        .unwrap();
    Fixture::with_config(config)
}

fn drain(f: &mut Fixture) -> Vec<AuditEventKind> {
    f.generator.drain_events().map(|e| e.kind).collect()
}

// ----- attempt lifetime -----

#[test]
fn attempt_lifetime_is_off_by_default_as_in_vault() {
    let mut f = Fixture::new(3);
    assert_eq!(f.generator.config().attempt_lifetime(), None);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    assert_eq!(f.generator.poll_timeout(), None);
    f.clock.advance(Duration::from_secs(10 * 365 * 86_400));
    f.generator.handle_timeout(f.clock.now());
    let st = f.status(R);
    assert!(st.started);
    assert_eq!(st.progress, 1);
    assert!(f.update(R, &f.share(1), &s.nonce).is_ok());
}

#[test]
fn a_zero_attempt_lifetime_is_refused() {
    assert_eq!(
        GeneratorConfig::builder(3)
            .with_attempt_lifetime(Duration::ZERO)
            .build(),
        Err(recovery_token::ConfigError::Lifetime)
    );
}

#[test]
fn an_attempt_expires_exactly_at_poll_timeout() {
    let mut f = with_lifetime(3, 30);
    f.start(R);
    let expiry = f.clock.at(Duration::from_secs(30));
    assert_eq!(f.generator.poll_timeout(), Some(expiry));
    let just_before = expiry - Duration::from_nanos(1);
    assert!(f.generator.status(R, just_before).started);
    assert!(!f.generator.status(R, expiry).started);
}

#[test]
fn an_expired_attempt_has_its_shares_wiped_by_handle_timeout() {
    let mut f = with_lifetime(3, 30);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    f.update(R, &f.share(1), &s.nonce).unwrap();
    drain(&mut f);
    f.clock.advance(Duration::from_secs(30));
    f.generator.handle_timeout(f.clock.now());
    assert_eq!(
        drain(&mut f),
        vec![AuditEventKind::Expired { discarded: 2 }]
    );
    assert_eq!(f.generator.poll_timeout(), None);
    // Nothing of the old attempt survives: a new attempt takes the same shares afresh.
    let s2 = f.start(R);
    assert_eq!(f.update(R, &f.share(0), &s2.nonce).unwrap().progress, 1);
    assert_eq!(f.update(R, &f.share(1), &s2.nonce).unwrap().progress, 2);
}

#[test]
fn the_first_call_after_expiry_wipes_the_attempt_even_if_refused() {
    let mut f = with_lifetime(3, 30);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    drain(&mut f);
    f.clock.advance(Duration::from_secs(31));
    // A start refused for its input still runs the timeout first.
    let bad = recovery_token::Encoding::Otp("short".into());
    assert_eq!(
        f.generator.start(R, bad, f.clock.now(), &mut f.rng),
        Err(Error::OtpWrongLength)
    );
    let kinds = drain(&mut f);
    assert_eq!(kinds[0], AuditEventKind::Expired { discarded: 1 });
}

#[test]
fn an_update_naming_the_expired_attempt_gets_attempt_expired_and_others_no_attempt() {
    let mut f = with_lifetime(2, 30);
    let s = f.start(R);
    f.clock.advance(Duration::from_secs(30));
    let err = f.update(R, &f.share(0), &s.nonce).unwrap_err();
    assert_eq!(err, Error::AttemptExpired);
    assert_eq!(
        err.to_string(),
        "root generation attempt expired; start a new one"
    );
    assert_eq!(
        f.update(R, &f.share(0), "00000000-0000-0000-0000-000000000000"),
        Err(Error::NoAttempt)
    );
}

#[test]
fn a_completion_whose_attempt_expired_meanwhile_is_stale() {
    let mut f = with_lifetime(2, 30);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let r = support::req(&f.share(1), &s.nonce);
    let recovery_token::UpdateOutcome::KeyReady(pending) =
        f.generator.submit(R, &r, f.clock.now()).unwrap()
    else {
        panic!("threshold reached")
    };
    f.clock.advance(Duration::from_secs(30));
    let recovery_token::KeyAccepted::Recovery(step) = pending.accept_key() else {
        panic!("a recovery completion")
    };
    assert_eq!(
        step.issue(&mut f.generator, f.clock.now(), &mut f.rng),
        Err(Error::StaleCompletion)
    );
    assert!(!f.generator.recovery_issued());
}

// ----- nonce-bound cancel (CVE-2026-5807) -----

#[test]
fn by_default_anyone_may_cancel_as_in_vault() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    assert_eq!(f.generator.cancel(None, f.clock.now()), Ok(()));
    assert!(!f.status(R).started);
}

#[test]
fn nonce_bound_cancel_accepts_the_right_nonce_and_wipes_the_shares() {
    let config = GeneratorConfig::builder(3)
        .with_cancel_requires_nonce(true)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    drain(&mut f);
    assert_eq!(f.generator.cancel(Some(&s.nonce), f.clock.now()), Ok(()));
    assert_eq!(
        drain(&mut f),
        vec![AuditEventKind::Cancelled { discarded: 1 }]
    );
    assert_eq!(f.update(R, &f.share(1), &s.nonce), Err(Error::NoAttempt));
}

#[test]
fn a_refused_cancel_never_discloses_the_nonce_even_where_updates_do() {
    let config = GeneratorConfig::builder(3)
        .with_cancel_requires_nonce(true)
        .with_disclose_nonce_in_errors(true)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    let err = f
        .generator
        .cancel(Some("guess"), f.clock.now())
        .unwrap_err();
    assert_eq!(err, Error::WrongNonceUndisclosed);
    assert!(!err.to_string().contains(&s.nonce));
    assert!(!format!("{err:?}").contains(&s.nonce));
    assert!(f.status(R).started);
}

#[test]
fn nonce_bound_cancel_with_nothing_in_progress_succeeds() {
    let config = GeneratorConfig::builder(3)
        .with_cancel_requires_nonce(true)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    assert_eq!(f.generator.cancel(None, f.clock.now()), Ok(()));
    assert_eq!(f.generator.poll_event(), None);
}

// ----- errors that do not disclose the nonce -----

#[test]
fn wrong_nonce_error_discloses_the_nonce_by_default_as_vault_does() {
    let mut f = Fixture::new(3);
    let s = f.start(R);
    let err = f.update(R, &f.share(0), "wrong").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "incorrect nonce supplied; nonce for this root generation operation is \"{}\"",
            s.nonce
        )
    );
}

#[test]
fn undisclosed_wrong_nonce_error_names_no_nonce_and_keeps_state() {
    let config = GeneratorConfig::builder(3)
        .with_disclose_nonce_in_errors(false)
        .build()
        .unwrap();
    let mut f = Fixture::with_config(config);
    let s = f.start(R);
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let err = f.update(R, &f.share(1), "wrong").unwrap_err();
    assert_eq!(err.to_string(), "incorrect nonce supplied");
    assert!(
        !ErrorBody::of(&err, Dialect::Vault)
            .to_json()
            .contains(&s.nonce)
    );
    assert_eq!(f.status(R).progress, 1);
}

// ----- the recovery token holder -----

fn complete_recovery(f: &mut Fixture) -> String {
    let s = f.start(R);
    let otp = s.otp.clone();
    f.update(R, &f.share(0), &s.nonce).unwrap();
    let done = f.update(R, &f.share(1), &s.nonce).unwrap();
    recovery_token::tokens::decode_token(&done.encoded_token, otp.expose_secret(), otp.len())
        .unwrap()
        .expose_secret()
        .to_owned()
}

#[test]
fn the_holder_verifies_only_the_minted_token() {
    let mut f = Fixture::new(2);
    assert!(!f.generator.recovery_token().is_active());
    assert!(!f.generator.recovery_token().verify(""));
    let token = complete_recovery(&mut f);
    let holder = f.generator.recovery_token();
    assert!(holder.is_active());
    assert!(holder.verify(&token));
    assert!(!holder.verify(&token[..token.len() - 1]));
    assert!(!holder.verify(&format!("{token}x")));
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    assert!(!holder.verify(std::str::from_utf8(&flipped).unwrap()));
    assert!(!holder.verify(""));
    assert!(!format!("{holder:?}").contains(&token[4..]));
}

#[test]
fn a_revoked_recovery_token_no_longer_verifies_and_no_new_one_is_minted() {
    let mut f = Fixture::new(2);
    let token = complete_recovery(&mut f);
    f.generator.recovery_token_mut().revoke();
    assert!(!f.generator.recovery_token().is_active());
    assert!(!f.generator.recovery_token().verify(&token));
    assert_eq!(
        f.generator.start(
            R,
            recovery_token::Encoding::GenerateOtp,
            f.clock.now(),
            &mut f.rng
        ),
        Err(Error::AlreadyUnsealed)
    );
}

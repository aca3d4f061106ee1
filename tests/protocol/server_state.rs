//! Server state in Vault's check order (vault/generate_root.go): start checks the
//! inputs, then the server state, then the slot; update the share's decoding and length, then
//! the server state, then the attempt. The recovery strategy (recovery mode, sealed by nature) is
//! never refused as sealed or standby.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::audit::AuditEventKind;
use recovery_token::{Encoding, Error, ErrorKind, Otp, ServerState, Strategy};
use support::Fixture;

const R: Strategy = Strategy::Recovery;
const HOST_MINTED: [Strategy; 2] = [Strategy::Root, Strategy::DrOperation];

fn start(f: &mut Fixture, strategy: Strategy, encoding: Encoding) -> Result<(), Error> {
    f.generator
        .start(strategy, encoding, f.clock.now(), &mut f.rng)
        .map(|_| ())
}

#[test]
fn unsealed_is_the_default_and_nothing_is_refused_for_it() {
    let mut f = Fixture::new(2);
    assert_eq!(f.generator.server_state(), ServerState::Unsealed);
    assert!(start(&mut f, Strategy::Root, Encoding::GenerateOtp).is_ok());
}

#[test]
fn start_checks_inputs_then_server_state_then_the_slot() {
    for strategy in HOST_MINTED {
        for (state, error) in [
            (ServerState::Sealed, Error::Sealed),
            (ServerState::Standby, Error::Standby),
            // An uninitialized Vault is sealed; GenerateRootInit has no "not initialized" check.
            (ServerState::NotInitialized, Error::Sealed),
        ] {
            let mut f = Fixture::new(2);
            let s = f.start(strategy);
            f.update(strategy, &f.share(0), &s.nonce).unwrap();
            f.generator.set_server_state(state);
            // Inputs first: a wrong OTP is answered as such.
            assert_eq!(
                start(&mut f, strategy, Encoding::Otp(Otp::from("short"))),
                Err(Error::OtpWrongLength)
            );
            // Then the server state, before the slot (an attempt is in progress).
            assert_eq!(
                start(&mut f, strategy, Encoding::GenerateOtp),
                Err(error.clone())
            );
            // Nothing changed.
            assert_eq!(f.status(strategy).progress, 1);
            f.generator.set_server_state(ServerState::Unsealed);
            assert_eq!(
                start(&mut f, strategy, Encoding::GenerateOtp),
                Err(Error::InProgress)
            );
        }
    }
}

#[test]
fn update_checks_decoding_and_length_then_server_state_then_the_attempt() {
    for strategy in HOST_MINTED {
        for (state, error) in [
            (ServerState::Sealed, Error::Sealed),
            (ServerState::Standby, Error::Standby),
            (ServerState::NotInitialized, Error::NotInitialized),
        ] {
            let mut f = Fixture::new(3);
            let s = f.start(strategy);
            f.update(strategy, &f.share(0), &s.nonce).unwrap();
            f.generator.set_server_state(state);
            assert_eq!(
                f.update(strategy, &[1u8; 10], &s.nonce),
                Err(Error::KeyTooShort { min: 16 })
            );
            // Before the nonce check and the attempt check.
            assert_eq!(f.update(strategy, &f.share(1), "wrong"), Err(error.clone()));
            assert_eq!(
                f.update(strategy, &f.share(1), &s.nonce),
                Err(error.clone())
            );
            f.generator.cancel(None, f.clock.now()).unwrap();
            assert_eq!(
                f.update(strategy, &f.share(1), &s.nonce),
                Err(error.clone())
            );
            assert_eq!(f.generator.server_state(), state);
        }
    }
}

#[test]
fn the_recovery_strategy_is_never_sealed_or_standby_but_needs_an_initialized_server() {
    for state in [ServerState::Sealed, ServerState::Standby] {
        let mut f = Fixture::new(2);
        f.generator.set_server_state(state);
        let s = f.start(R);
        f.update(R, &f.share(0), &s.nonce).unwrap();
        assert!(f.update(R, &f.share(1), &s.nonce).unwrap().complete);
    }
    let mut f = Fixture::new(2);
    let s = f.start(R);
    f.generator.set_server_state(ServerState::NotInitialized);
    assert_eq!(
        f.update(R, &f.share(0), &s.nonce),
        Err(Error::NotInitialized)
    );
    assert_eq!(f.status(R).progress, 0);
}

#[test]
fn sealed_is_503_and_audited_with_its_kind() {
    let mut f = Fixture::new(2);
    f.generator.set_server_state(ServerState::Sealed);
    let err = start(&mut f, Strategy::Root, Encoding::GenerateOtp).unwrap_err();
    assert_eq!(
        (err.to_string().as_str(), err.http_status()),
        ("Vault is sealed", 503)
    );
    let e = f.generator.poll_event().unwrap();
    assert_eq!(
        e.kind,
        AuditEventKind::StartRefused {
            error: ErrorKind::Sealed
        }
    );
    f.generator.set_server_state(ServerState::Standby);
    let err = start(&mut f, Strategy::Root, Encoding::GenerateOtp).unwrap_err();
    assert_eq!(
        (err.to_string().as_str(), err.http_status()),
        ("Vault is in standby mode", 400)
    );
}

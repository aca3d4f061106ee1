//! No public type that holds a secret prints it: `Debug` of each is checked for the secret's
//! text, its hex and its raw-byte list.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::shares::KeyShare;
use recovery_token::wire::{StartRequest, UpdateRequest};
use recovery_token::{
    CombinedKey, Encoding, ExpectedKey, Otp, SecretString, Strategy, Token, UpdateOutcome,
};
use support::{Fixture, hex, req};

/// Asserts that `debug` shows none of the forms `secret` could take.
fn assert_hidden(debug: &str, secret: &[u8]) {
    let forms = [
        String::from_utf8_lossy(secret).into_owned(),
        hex(secret),
        format!("{secret:?}"),
        format!("{:?}", &secret[..secret.len().min(8)]),
    ];
    for form in forms {
        if form.len() >= 4 {
            assert!(!debug.contains(&form), "{debug} reveals {form}");
        }
    }
    assert!(debug.contains("REDACTED"), "{debug}");
}

#[test]
fn secret_strings_are_redacted() {
    let s = "hvr.SECRETsecretSECRETsecret1";
    assert_hidden(&format!("{:?}", Otp::from(s)), s.as_bytes());
    assert_hidden(&format!("{:?}", Token::from(s)), s.as_bytes());
    assert_hidden(&format!("{:?}", SecretString::from(s)), s.as_bytes());
    assert_hidden(&format!("{:#?}", Encoding::Otp(Otp::from(s))), s.as_bytes());
    let start = StartRequest {
        otp: Otp::from(s),
        pgp_key: String::new(),
        ..StartRequest::default()
    };
    assert_hidden(&format!("{start:?}"), s.as_bytes());
    let holder = StartRequest {
        key: SecretString::from(s),
        ..StartRequest::default()
    };
    assert_hidden(&format!("{holder:?}"), s.as_bytes());
    let cancel = recovery_token::wire::CancelRequest::new(None).with_key(SecretString::from(s));
    assert_hidden(&format!("{cancel:?}"), s.as_bytes());
}

#[test]
fn shares_keys_and_requests_are_redacted() {
    let bytes: Vec<u8> = (100..133).collect();
    let share = KeyShare::from_bytes(&bytes, &KeyShare::DEFAULT_LENGTHS).unwrap();
    assert_hidden(&format!("{share:?}"), &bytes);
    let request = UpdateRequest {
        key: hex(&bytes).into(),
        nonce: "n".into(),
    };
    assert_hidden(&format!("{request:?}"), &bytes);
    assert_hidden(&format!("{:?}", ExpectedKey::new(&bytes)), &bytes);
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Recovery);
    let _ = f.generator.submit(
        Strategy::Recovery,
        &req(&f.share(0), &s.nonce),
        f.clock.now(),
    );
    match f
        .generator
        .submit(
            Strategy::Recovery,
            &req(&f.share(1), &s.nonce),
            f.clock.now(),
        )
        .unwrap()
    {
        UpdateOutcome::KeyReady(p) => {
            assert_hidden(&format!("{p:?}"), &f.key);
            let key: &CombinedKey = p.key();
            assert_hidden(&format!("{key:?}"), key.expose_secret());
        }
        UpdateOutcome::Progress(_) => panic!("threshold reached"),
    }
}

// Secrets are not `Clone`: a copy could outlive every wipe. Checked when this file compiles: an
// inherent constant exists only for `Clone` types and shadows the trait's `false`.
trait NotClone {
    const IS_CLONE: bool = false;
}
impl<T> NotClone for T {}
struct Probe<T>(std::marker::PhantomData<T>);
#[allow(dead_code)]
impl<T: Clone> Probe<T> {
    const IS_CLONE: bool = true;
}
const _: () = assert!(!<Probe<CombinedKey>>::IS_CLONE, "CombinedKey is not Clone");
const _: () = assert!(!<Probe<KeyShare>>::IS_CLONE, "KeyShare is not Clone");
const _: () = assert!(<Probe<String>>::IS_CLONE, "the probe detects a Clone type");

#[test]
fn the_generator_and_its_answers_print_no_share_otp_or_token() {
    let mut f = Fixture::new(3);
    let s = f.start(Strategy::Recovery);
    let otp = s.otp.expose_secret().as_bytes().to_vec();
    assert_hidden(&format!("{s:?}"), &otp);
    f.update(Strategy::Recovery, &f.share(0), &s.nonce).unwrap();
    f.update(Strategy::Recovery, &f.share(1), &s.nonce).unwrap();
    let mid = format!("{:?}", f.generator);
    for i in 0..2 {
        for form in [hex(&f.share(i)), format!("{:?}", &f.share(i)[..8])] {
            assert!(!mid.contains(&form), "{mid}");
        }
    }
    assert!(!mid.contains(std::str::from_utf8(&otp).unwrap()), "{mid}");
    let done = f.update(Strategy::Recovery, &f.share(2), &s.nonce).unwrap();
    let token =
        recovery_token::tokens::decode_token(&done.encoded_token, s.otp.expose_secret(), 28)
            .unwrap();
    let t = token.expose_secret().as_bytes();
    let after = format!("{:?} {:?}", f.generator, f.generator.recovery_token());
    assert!(!after.contains(token.expose_secret()), "{after}");
    assert_hidden(&format!("{token:?}"), t);
}

#[test]
fn errors_carry_no_share_bytes() {
    let mut f = Fixture::new(3);
    let s = f.start(Strategy::Recovery);
    f.update(Strategy::Recovery, &f.share(0), &s.nonce).unwrap();
    let share = f.share(0);
    let errs = [
        f.update(Strategy::Recovery, &share, &s.nonce).unwrap_err(),
        // Too short on its own merits (no check compares it with the held share any more).
        f.update(Strategy::Recovery, &share[..10], &s.nonce)
            .unwrap_err(),
        f.update(Strategy::Root, &share, &s.nonce).unwrap_err(),
    ];
    for e in errs {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&hex(&share)[..16]), "{text}");
    }
}

//! SPEC.md section 6: OTPs, token profiles, the XOR encoding and its worked examples.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::ScriptedRng;
use recovery_token::{
    BASE62_ALPHABET, Otp, Strategy, Token, TokenCodecError, TokenProfile, decode_token,
    encode_legacy_token, encode_token, generate_otp, mint_token,
};

fn enc(token: &str, otp: &str) -> String {
    encode_token(&Token::from(token), &Otp::from(otp)).unwrap()
}

#[test]
fn worked_examples_encode() {
    assert_eq!(
        enc(
            "hvs.ABCDEFGHIJKLMNOPQRSTUVWX",
            "0123456789abcdefghijklmnopqr"
        ),
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg"
    );
    assert_eq!(
        enc(
            "hvr.ABCDEFGHIJKLMNOPQRSTUVWX",
            "0123456789abcdefghijklmnopqr"
        ),
        "WEdAHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg"
    );
    assert_eq!(
        enc("s.ABCDEFGHIJKLMNOPQRSTUVWX", "0123456789abcdefghijklmnop"),
        "Qx9zcXdxc3F/cSgoKCgoKCg4ODg4ODg4OCg"
    );
    assert_eq!(
        encode_legacy_token(
            &Token::from("a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d"),
            "AQIDBAUGBwgJCgsMDQ4PEA=="
        )
        .unwrap(),
        "p7HF1hsZTVOFlwUTJzVDTQ=="
    );
}

#[test]
fn worked_examples_decode() {
    let d = |e: &str, o: &str, l: usize| decode_token(e, o, l).unwrap().expose_secret().to_owned();
    assert_eq!(
        d(
            "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg",
            "0123456789abcdefghijklmnopqr",
            28
        ),
        "hvs.ABCDEFGHIJKLMNOPQRSTUVWX"
    );
    assert_eq!(
        d(
            "WEdAHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg",
            "0123456789abcdefghijklmnopqr",
            28
        ),
        "hvr.ABCDEFGHIJKLMNOPQRSTUVWX"
    );
    assert_eq!(
        d(
            "Qx9zcXdxc3F/cSgoKCgoKCg4ODg4ODg4OCg",
            "0123456789abcdefghijklmnop",
            26
        ),
        "s.ABCDEFGHIJKLMNOPQRSTUVWX"
    );
    assert_eq!(
        d("p7HF1hsZTVOFlwUTJzVDTQ==", "AQIDBAUGBwgJCgsMDQ4PEA==", 0),
        "a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d"
    );
}

#[test]
fn encoding_refuses_mismatched_lengths() {
    let err = encode_token(
        &Token::from("hvs.x"),
        &Otp::from("0123456789abcdefghijklmnopqr"),
    )
    .unwrap_err();
    assert_eq!(err, TokenCodecError::LengthMismatch { otp: 28, token: 5 });
    assert_eq!(
        decode_token("WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg", "short", 5),
        Err(TokenCodecError::LengthMismatch { otp: 5, token: 28 })
    );
    assert_eq!(
        decode_token("not base64!", "0123456789abcdefghijklmnopqr", 28),
        Err(TokenCodecError::EncodedTokenBase64)
    );
    assert_eq!(
        decode_token("p7HF1hsZTVOFlwUTJzVDTQ==", "%%%", 0),
        Err(TokenCodecError::OtpBase64)
    );
}

#[test]
fn base62_maps_by_alphabet_order_and_discards_bytes_from_248() {
    assert_eq!(
        BASE62_ALPHABET,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    );
    // length 8 -> batches of 10 bytes.
    let mut rng = ScriptedRng::new(&[0, 25, 26, 61, 62, 123, 247, 248, 255, 251, 124, 185]);
    let otp = generate_otp(8, &mut rng);
    // 0 A, 25 Z, 26 a, 61 9, 62 A, 123 9, 247 9, (248, 255, 251 discarded), 124 A
    assert_eq!(otp.expose_secret(), "AZa9A99A");
}

#[test]
fn generated_otps_are_uniformish_and_of_the_asked_length() {
    let mut rng = ScriptedRng::seeded(42);
    let mut counts = [0usize; 62];
    for _ in 0..400 {
        let otp = generate_otp(28, &mut rng);
        assert_eq!(otp.len(), 28);
        for b in otp.expose_secret().bytes() {
            counts[BASE62_ALPHABET.iter().position(|a| *a == b).unwrap()] += 1;
        }
    }
    // 11200 draws over 62 symbols: ~180 each; a broken mapping would leave some at 0.
    assert!(counts.iter().all(|&c| c > 100), "{counts:?}");
}

#[test]
fn token_profiles_set_prefix_and_otp_length() {
    let cases = [
        (TokenProfile::VAULT, Strategy::Root, "hvs.", 28),
        (TokenProfile::VAULT, Strategy::Recovery, "hvr.", 28),
        (TokenProfile::VAULT, Strategy::DrOperation, "hvs.", 28),
        (TokenProfile::LEGACY, Strategy::Root, "s.", 26),
        (TokenProfile::LEGACY, Strategy::Recovery, "r.", 26),
        (TokenProfile::OPENBAO, Strategy::Root, "s.", 26),
        (TokenProfile::OPENBAO, Strategy::Recovery, "hvr.", 28),
    ];
    let mut rng = ScriptedRng::seeded(3);
    for (profile, strategy, prefix, len) in cases {
        assert_eq!(profile.prefix(strategy), prefix);
        assert_eq!(profile.otp_length(strategy), len);
        let t = mint_token(profile, strategy, &mut rng);
        assert_eq!(t.len(), len);
        let body = t.expose_secret().strip_prefix(prefix).unwrap();
        assert_eq!(body.len(), 24);
        assert!(body.bytes().all(|b| BASE62_ALPHABET.contains(&b)));
    }
}

#[test]
fn encode_then_decode_recovers_any_token() {
    let mut rng = ScriptedRng::seeded(11);
    for _ in 0..50 {
        let token = mint_token(TokenProfile::VAULT, Strategy::Recovery, &mut rng);
        let otp = generate_otp(28, &mut rng);
        let e = encode_token(&token, &otp).unwrap();
        assert_eq!(decode_token(&e, otp.expose_secret(), 28).unwrap(), token);
    }
}

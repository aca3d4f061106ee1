//! docs/PROTOCOL.md section 6: OTPs, token profiles and formats, the XOR encoding (Vault's
//! `roottoken`) and its worked examples. The texts here are Vault's Go texts (section 6);
//! `tests/wire/codec_bao.rs` checks the decoder's against the real `bao` CLI.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use recovery_token::tokens::{
    BASE62_ALPHABET, TokenCodecError, TokenFormat, TokenProfile, decode_token, encode_for,
    encode_legacy_token, encode_token, generate_otp,
};
use recovery_token::wire::StartRequest;
use recovery_token::{ConfigError, Encoding, Error, GeneratorConfig, Otp, Strategy, Token};
use support::Fixture;
use support::ScriptedRng;

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
fn encode_refuses_empty_inputs_before_comparing_lengths() {
    let otp = Otp::from("0123456789abcdefghijklmnopqr");
    let e = encode_token(&Token::from(""), &otp).unwrap_err();
    assert_eq!(e, TokenCodecError::NoToken);
    assert_eq!(e.to_string(), "no token provided");
    // Both empty: the token is checked first.
    let e = encode_token(&Token::from(""), &Otp::from("")).unwrap_err();
    assert_eq!(e.to_string(), "no token provided");
    let e = encode_token(&Token::from("hvs.x"), &Otp::from("")).unwrap_err();
    assert_eq!(e, TokenCodecError::NoOtp);
    assert_eq!(e.to_string(), "no otp provided");
}

#[test]
fn encode_refuses_mismatched_lengths_with_the_otp_length_first() {
    let err = encode_token(
        &Token::from("hvs.x"),
        &Otp::from("0123456789abcdefghijklmnopqr"),
    )
    .unwrap_err();
    assert_eq!(err, TokenCodecError::XorLength { otp: 28, token: 5 });
    assert_eq!(
        err.to_string(),
        "xor of root token failed: length of byte slices is not equivalent: 28 != 5"
    );
}

#[test]
fn decode_refuses_mismatched_lengths_with_the_decoded_length_first() {
    let err = decode_token("WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg", "short", 5).unwrap_err();
    assert_eq!(
        err,
        TokenCodecError::DecodedLength {
            decoded: 28,
            otp: 5
        }
    );
    assert_eq!(
        err.to_string(),
        "error xoring token: length of byte slices is not equivalent: 28 != 5"
    );
}

#[test]
fn decode_skips_carriage_returns_and_newlines_anywhere() {
    let otp = "0123456789abcdefghijklmnopqr";
    for encoded in [
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg\n",
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg\r\n",
        "WEdBHXV3dXN9\nfyYqKi4uKiom\r\nJjo6Pj46OiYmKg",
        "\nW\rE\ndBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmK\ng",
    ] {
        assert_eq!(
            decode_token(encoded, otp, 28).unwrap().expose_secret(),
            "hvs.ABCDEFGHIJKLMNOPQRSTUVWX",
            "{encoded:?}"
        );
    }
}

#[test]
fn decode_accepts_non_zero_trailing_bits() {
    // The canonical last character is 'g' (..100000); 'h'..'v' differ only in the 4 unused bits.
    for last in ['h', 'p', 'v'] {
        let encoded = format!("WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmK{last}");
        assert_eq!(
            decode_token(&encoded, "0123456789abcdefghijklmnopqr", 28)
                .unwrap()
                .expose_secret(),
            "hvs.ABCDEFGHIJKLMNOPQRSTUVWX"
        );
    }
}

#[test]
fn decode_reports_illegal_base64_at_gos_offset() {
    let otp = "0123456789abcdefghijklmnopqr";
    let cases = [
        // A space is not skipped: its own offset.
        ("WEdBHXV3 dXN9fyYqKi4uKiomJjo6Pj46OiYmKg", 8),
        // Padding is illegal in RawStdEncoding.
        ("WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg==", 38),
        ("not base64!", 3),
        // One character left over: Go reports si - j, newlines included.
        ("W", 0),
        ("WEdB\n\nH", 6),
        // Byte offsets, not characters.
        ("WEdé", 3),
    ];
    for (encoded, offset) in cases {
        let err = decode_token(encoded, otp, 28).unwrap_err();
        assert_eq!(err, TokenCodecError::TokenBase64 { offset }, "{encoded:?}");
        assert_eq!(
            err.to_string(),
            format!("error decoding base64'd token: illegal base64 data at input byte {offset}")
        );
    }
}

#[test]
fn decode_to_bytes_that_are_not_text_is_refused() {
    // The OTP that XORs the encoded token into 0xff bytes.
    let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode([0x80u8; 4]);
    assert_eq!(
        decode_token(&encoded, "\u{7f}\u{7f}\u{7f}\u{7f}", 4),
        Err(TokenCodecError::NotUtf8)
    );
}

#[test]
fn legacy_decode_texts_are_vaults() {
    let token = "p7HF1hsZTVOFlwUTJzVDTQ==";
    let otp = "AQIDBAUGBwgJCgsMDQ4PEA==";
    let cases: [(&str, &str, TokenCodecError, &str); 7] = [
        (
            "p7HF1hsZTVOFlwUTJzVDTQ",
            otp,
            TokenCodecError::LegacyTokenBase64 { offset: 20 },
            "error xoring token: error decoding first base64 value: illegal base64 data at input byte 20",
        ),
        (
            "\n",
            otp,
            TokenCodecError::LegacyTokenEmpty,
            "error xoring token: decoded first base64 value is nil or empty",
        ),
        (
            token,
            "%%%",
            TokenCodecError::LegacyOtpBase64 { offset: 0 },
            "error xoring token: error decoding second base64 value: illegal base64 data at input byte 0",
        ),
        (
            token,
            "\r\n",
            TokenCodecError::LegacyOtpEmpty,
            "error xoring token: decoded second base64 value is nil or empty",
        ),
        (
            token,
            "AQIDBAUGBwg=",
            TokenCodecError::DecodedLength {
                decoded: 16,
                otp: 8,
            },
            "error xoring token: length of byte slices is not equivalent: 16 != 8",
        ),
        (
            "AQIDBAUGBwg=",
            "AQIDBAUGBwg=",
            TokenCodecError::LegacyUuidLength { len: 8 },
            "error formatting base64 token value: wrong length byte slice (8)",
        ),
        (
            "",
            otp,
            TokenCodecError::LegacyTokenEmpty,
            "error xoring token: decoded first base64 value is nil or empty",
        ),
    ];
    for (encoded, otp, err, text) in cases {
        let e = decode_token(encoded, otp, 0).unwrap_err();
        assert_eq!(e, err, "{encoded:?} {otp:?}");
        assert_eq!(e.to_string(), text);
    }
    // Newlines are skipped on the legacy path too.
    assert_eq!(
        decode_token("p7HF1hsZ\r\nTVOFlwUTJzVDTQ==\n", otp, 0)
            .unwrap()
            .expose_secret(),
        "a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d"
    );
}

#[test]
fn legacy_otp_is_padded_base64_of_16_random_bytes() {
    let mut rng = ScriptedRng::new(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    let otp = generate_otp(0, &mut rng);
    assert_eq!(
        otp.expose_secret(),
        STANDARD.encode((0u8..16).collect::<Vec<_>>())
    );
    assert_eq!(otp.len(), 24);
    assert!(otp.expose_secret().ends_with("=="));
    let mut rng = ScriptedRng::seeded(9);
    let a = generate_otp(0, &mut rng);
    let b = generate_otp(0, &mut rng);
    assert_ne!(a, b);
    assert_eq!(STANDARD.decode(a.expose_secret()).unwrap().len(), 16);
}

#[test]
fn legacy_encoder_refuses_what_is_not_a_uuid_or_a_legacy_otp() {
    let otp = "AQIDBAUGBwgJCgsMDQ4PEA==";
    assert_eq!(
        encode_legacy_token(&Token::from("hvs.ABCDEFGHIJKLMNOPQRSTUVWX"), otp),
        Err(TokenCodecError::NotUuid)
    );
    let uuid = Token::from("a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d");
    assert_eq!(
        encode_legacy_token(&uuid, "AQIDBAUGBwg="),
        Err(TokenCodecError::LegacyOtp)
    );
    assert_eq!(
        encode_legacy_token(&uuid, "%%%"),
        Err(TokenCodecError::LegacyOtp)
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
        let t = profile.format(strategy).mint(&mut rng);
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
        let token = TokenProfile::VAULT
            .format(Strategy::Recovery)
            .mint(&mut rng);
        let otp = generate_otp(28, &mut rng);
        let e = encode_token(&token, &otp).unwrap();
        assert_eq!(decode_token(&e, otp.expose_secret(), 28).unwrap(), token);
    }
}

#[test]
fn token_formats_are_validated_when_made() {
    assert_eq!(
        TokenFormat::base62("hvs.", 21),
        Err(ConfigError::TokenLength(25))
    );
    assert_eq!(
        TokenFormat::base62("", 256),
        Err(ConfigError::TokenLength(256))
    );
    assert_eq!(
        TokenFormat::base62("x", 255),
        Err(ConfigError::TokenLength(256))
    );
    assert_eq!(
        TokenFormat::base62("seventeen-chars..", 24),
        Err(ConfigError::TokenPrefix)
    );
    assert_eq!(
        TokenFormat::base62("h s.", 24),
        Err(ConfigError::TokenPrefix)
    );
    assert_eq!(
        TokenFormat::base62("hé.", 24),
        Err(ConfigError::TokenPrefix)
    );
    let f = TokenFormat::base62("sixteen-chars...", 239).unwrap();
    assert_eq!(
        (f.prefix(), f.body_len(), f.token_length()),
        ("sixteen-chars...", 239, 255)
    );
    assert_eq!(f.otp_length(), 255);
    let f = TokenFormat::base62("", 22).unwrap();
    assert_eq!((f.prefix(), f.token_length()), ("", 22));
    assert_eq!(TokenFormat::base62("hvs.", 24), Ok(TokenFormat::VAULT_ROOT));
    assert_eq!(
        TokenFormat::base62("r.", 24),
        Ok(TokenFormat::SERVICE_RECOVERY)
    );
}

#[test]
fn uuid_formats_mint_uuids_with_their_otp_lengths() {
    let mut rng = ScriptedRng::seeded(5);
    let rusty = TokenProfile::new(TokenFormat::UUID, TokenFormat::UUID);
    let legacy = TokenProfile::new(TokenFormat::LEGACY_UUID, TokenFormat::VAULT_RECOVERY);
    assert_eq!(rusty.otp_length(Strategy::Root), 36);
    assert_eq!(rusty.otp_length(Strategy::Recovery), 36);
    assert_eq!(legacy.otp_length(Strategy::Root), 0);
    assert_eq!(legacy.otp_length(Strategy::DrOperation), 0);
    assert_eq!(legacy.otp_length(Strategy::Recovery), 28);
    assert_eq!(rusty.prefix(Strategy::Root), "");
    let mut seen = Vec::new();
    for (profile, strategy) in [(rusty, Strategy::Recovery), (legacy, Strategy::Root)] {
        for _ in 0..20 {
            let t = profile.format(strategy).mint(&mut rng);
            let u = uuid::Uuid::parse_str(t.expose_secret()).unwrap();
            assert_eq!(u.get_version_num(), 4);
            assert_eq!(t.expose_secret(), u.hyphenated().to_string());
            assert!(!seen.contains(&u));
            seen.push(u);
        }
    }
}

#[test]
fn custom_base62_formats_mint_their_prefix_and_length() {
    let mut rng = ScriptedRng::seeded(8);
    let profile = TokenProfile::new(
        TokenFormat::base62("b.", 30).unwrap(),
        TokenFormat::base62("", 22).unwrap(),
    );
    let root = profile.format(Strategy::DrOperation).mint(&mut rng);
    assert_eq!(root.len(), 32);
    assert_eq!(profile.otp_length(Strategy::Root), 32);
    assert!(root.expose_secret().starts_with("b."));
    let rec = profile.format(Strategy::Recovery).mint(&mut rng);
    assert_eq!(rec.len(), 22);
    assert!(
        rec.expose_secret()
            .bytes()
            .all(|b| BASE62_ALPHABET.contains(&b))
    );
}

#[test]
fn encode_for_picks_the_legacy_encoder_for_the_legacy_format_only() {
    let uuid = Token::from("a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d");
    let legacy_otp = Otp::from("AQIDBAUGBwgJCgsMDQ4PEA==");
    assert_eq!(
        encode_for(TokenFormat::LEGACY_UUID, &uuid, &legacy_otp).unwrap(),
        "p7HF1hsZTVOFlwUTJzVDTQ=="
    );
    // The modern encoder refuses the same pair (24 != 36).
    assert_eq!(
        encode_for(TokenFormat::UUID, &uuid, &legacy_otp),
        Err(TokenCodecError::XorLength { otp: 24, token: 36 })
    );
    let otp = Otp::from("0123456789abcdefghijklmnopqr");
    let t = Token::from("hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
    assert_eq!(
        encode_for(TokenFormat::VAULT_ROOT, &t, &otp).unwrap(),
        "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg"
    );
}

/// A whole recovery ceremony under `profile`; the token decoded with the status's `otp_length`.
fn ceremony(profile: TokenProfile) -> (usize, String, Token) {
    let mut f = Fixture::with_config(
        GeneratorConfig::builder(3)
            .with_profile(profile)
            .build()
            .unwrap(),
    );
    let started = f.start(Strategy::Recovery);
    let mut last = None;
    for i in [0, 2, 4] {
        last = Some(
            f.update(Strategy::Recovery, &f.share(i), &started.nonce)
                .unwrap(),
        );
    }
    let done = last.unwrap();
    assert!(done.complete);
    let token = decode_token(
        &done.encoded_token,
        started.otp.expose_secret(),
        started.otp_length,
    )
    .unwrap();
    let held = Token::from(token.expose_secret());
    assert!(f.generator.recovery_token().verify(held.expose_secret()));
    (
        started.otp_length,
        started.otp.expose_secret().to_owned(),
        token,
    )
}

#[test]
fn a_ceremony_mints_and_encodes_uuid_tokens_for_a_uuid_profile() {
    let (otp_length, otp, token) = ceremony(TokenProfile::new(
        TokenFormat::VAULT_ROOT,
        TokenFormat::UUID,
    ));
    assert_eq!(otp_length, 36);
    assert_eq!(otp.len(), 36);
    assert!(uuid::Uuid::parse_str(token.expose_secret()).is_ok());
}

#[test]
fn a_ceremony_runs_the_legacy_scheme_end_to_end() {
    let (otp_length, otp, token) = ceremony(TokenProfile::new(
        TokenFormat::VAULT_ROOT,
        TokenFormat::LEGACY_UUID,
    ));
    // The status says 0; the generated OTP is padded base64 of 16 bytes.
    assert_eq!(otp_length, 0);
    assert_eq!(STANDARD.decode(&otp).unwrap().len(), 16);
    assert_eq!(token.len(), 36);
    assert!(uuid::Uuid::parse_str(token.expose_secret()).is_ok());
}

#[test]
fn the_legacy_format_takes_a_callers_otp_only_as_base64_of_16_bytes() {
    let profile = TokenProfile::new(TokenFormat::VAULT_ROOT, TokenFormat::LEGACY_UUID);
    let mut f = Fixture::with_config(
        GeneratorConfig::builder(3)
            .with_profile(profile)
            .build()
            .unwrap(),
    );
    for otp in [
        "",
        "0123456789abcdefghijklmnopqr",
        "AQIDBAUGBwgJCgsMDQ4PEA",
        "AQIDBAUGBwgJCgsMDQ4P",
        "AQIDBAUGBwgJCgsMDQ4PEBE=",
    ] {
        let r = f.generator.start(
            Strategy::Recovery,
            Encoding::Otp(Otp::from(otp)),
            f.clock.now(),
            &mut f.rng,
        );
        assert_eq!(r.unwrap_err(), Error::OtpWrongLength, "{otp:?}");
        assert!(!f.status(Strategy::Recovery).started);
    }
    let otp = "AQIDBAUGBwgJ\nCgsMDQ4PEA==";
    let encoding = Encoding::from(
        StartRequest::from_json(br#"{"otp":"AQIDBAUGBwgJ\nCgsMDQ4PEA=="}"#).unwrap(),
    );
    let started = f
        .generator
        .start(Strategy::Recovery, encoding, f.clock.now(), &mut f.rng)
        .unwrap();
    assert_eq!(started.otp_length, 0);
    let mut last = None;
    for i in [1, 3, 4] {
        last = Some(
            f.update(Strategy::Recovery, &f.share(i), &started.nonce)
                .unwrap(),
        );
    }
    let done = last.unwrap();
    let token = decode_token(&done.encoded_token, otp, 0).unwrap();
    assert!(f.generator.recovery_token().verify(token.expose_secret()));
}

//! docs/PROTOCOL.md section 5 and the request rules of section 1: the exact JSON text.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::support;

use recovery_token::wire::{AttemptStatus, ErrorBody, StartRequest, UpdateRequest};
use recovery_token::{Dialect, Encoding, Error, GeneratorConfig, RecoveryTokenGenerator, Strategy};
use support::{Fixture, ScriptedRng, req};

#[test]
fn idle_status_is_vaults_example_byte_for_byte() {
    let g = RecoveryTokenGenerator::new(GeneratorConfig::new(3).unwrap());
    let json = g
        .status(Strategy::Recovery, std::time::Instant::now())
        .to_json();
    assert_eq!(
        json,
        r#"{"nonce":"","started":false,"progress":0,"required":3,"complete":false,"encoded_token":"","encoded_root_token":"","pgp_fingerprint":"","otp":"","otp_length":28}"#
    );
}

#[test]
fn start_answer_carries_the_generated_otp_and_otp_length() {
    let mut f = Fixture::new(3);
    let mut script = vec![0u8, 61, 62, 247, 248, 255, 1];
    script.resize(35, 2); // one batch: 28 + 28/4
    script.extend_from_slice(&[0x11; 16]); // the nonce
    let mut rng = ScriptedRng::new(&script);
    let s = f
        .generator
        .start(
            Strategy::Recovery,
            Encoding::GenerateOtp,
            f.clock.now(),
            &mut rng,
        )
        .unwrap();
    // 0 -> A, 61 -> 9, 62 -> A, 247 -> 9, 248 and 255 discarded, 1 -> B, then 2 -> C.
    let otp = format!("A9A9B{}", "C".repeat(23));
    assert_eq!(
        s.to_json(),
        format!(
            r#"{{"nonce":"11111111-1111-1111-1111-111111111111","started":true,"progress":0,"required":3,"complete":false,"encoded_token":"","encoded_root_token":"","pgp_fingerprint":"","otp":"{otp}","otp_length":28}}"#
        )
    );
    // The status right after shows no OTP.
    assert_eq!(
        f.generator
            .status(Strategy::Recovery, f.clock.now())
            .to_json(),
        r#"{"nonce":"11111111-1111-1111-1111-111111111111","started":true,"progress":0,"required":3,"complete":false,"encoded_token":"","encoded_root_token":"","pgp_fingerprint":"","otp":"","otp_length":28}"#
    );
}

#[test]
fn update_answers_have_otp_length_zero_and_the_request_nonce() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Root);
    let a = f
        .generator
        .submit(Strategy::Root, &req(&f.share(0), &s.nonce), f.clock.now())
        .unwrap();
    let recovery_token::UpdateOutcome::Progress(a) = a else {
        panic!("below threshold")
    };
    assert_eq!(
        a.to_json(),
        format!(
            r#"{{"nonce":"{}","started":true,"progress":1,"required":2,"complete":false,"encoded_token":"","encoded_root_token":"","pgp_fingerprint":"","otp":"","otp_length":0}}"#,
            s.nonce
        )
    );
}

#[test]
fn final_recovery_answer_sets_encoded_token_only() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Recovery);
    f.update(Strategy::Recovery, &f.share(0), &s.nonce).unwrap();
    let done = f.update(Strategy::Recovery, &f.share(1), &s.nonce).unwrap();
    // 28 bytes -> 38 base64 characters without padding.
    assert_eq!(done.encoded_token.len(), 38);
    assert!(!done.encoded_token.contains('='));
    assert_eq!(
        done.to_json(),
        format!(
            r#"{{"nonce":"{}","started":true,"progress":2,"required":2,"complete":true,"encoded_token":"{}","encoded_root_token":"","pgp_fingerprint":"","otp":"","otp_length":0}}"#,
            s.nonce, done.encoded_token
        )
    );
}

#[test]
fn status_json_round_trips_through_serde() {
    let mut f = Fixture::new(2);
    let s = f.start(Strategy::Recovery);
    let back: AttemptStatus = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn an_empty_start_body_is_valid() {
    for body in [&b""[..], b"  \n", b"{}", br#"{"otp":null,"pgp_key":null}"#] {
        assert_eq!(
            Encoding::from(StartRequest::from_json(body).unwrap()),
            Encoding::GenerateOtp,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn unknown_fields_are_ignored_and_whitespace_is_not_trimmed() {
    let r = StartRequest::from_json(br#"{"otp":" x ","extra":[1,2],"pgp_key":""}"#).unwrap();
    assert_eq!(r.otp.expose_secret(), " x ");
    let u = UpdateRequest::from_json(br#"{"key":" ab ","nonce":" n ","other":true}"#).unwrap();
    assert_eq!(u.key.expose_secret(), " ab ");
    assert_eq!(u.nonce, " n ");
}

#[test]
fn a_wrong_json_type_is_an_error_that_echoes_no_input() {
    let err = StartRequest::from_json(br#"{"otp":12345678901}"#).unwrap_err();
    assert!(matches!(err, Error::InvalidBody { .. }));
    assert!(!err.to_string().contains("12345678901"));
    assert_eq!(err.http_status(), 400);
    let err = UpdateRequest::from_json(br#"{"key":["secretsecret"]}"#).unwrap_err();
    assert!(!err.to_string().contains("secretsecret"), "{err}");
    let err = UpdateRequest::from_json(br#"{"key":"secretsecret"#).unwrap_err();
    assert!(err.to_string().starts_with("failed to parse JSON input: "));
    assert!(!err.to_string().contains("secretsecret"), "{err}");
}

#[test]
fn an_empty_update_body_is_eof_and_a_missing_key_is_refused() {
    assert_eq!(
        UpdateRequest::from_json(b"").unwrap_err().to_string(),
        "EOF"
    );
    assert_eq!(
        UpdateRequest::from_json(b" \r\n").unwrap_err(),
        Error::EmptyBody
    );
    for body in [
        &br#"{"nonce":"n"}"#[..],
        br#"{"key":"","nonce":"n"}"#,
        br#"{"key":null}"#,
    ] {
        assert_eq!(
            UpdateRequest::from_json(body).unwrap_err().to_string(),
            "'key' must be specified in request body as JSON"
        );
    }
}

#[test]
fn error_body_is_vaults() {
    assert_eq!(
        ErrorBody::of(&Error::NoAttempt, Dialect::Vault).to_json(),
        r#"{"errors":["no root generation in progress"]}"#
    );
    assert_eq!(ErrorBody::default().to_json(), r#"{"errors":[]}"#);
    assert_eq!(recovery_token::wire::CONTENT_TYPE_JSON, "application/json");
}

#[test]
fn json_escapes_html_characters_as_gos_encoder() {
    let err = Error::KeyCheckFailed {
        reason: "a<b>&c\u{2028}".into(),
    };
    assert_eq!(
        ErrorBody::of(&err, Dialect::Vault).to_json(),
        r#"{"errors":["root generation aborted: a\u003cb\u003e\u0026c\u2028"]}"#
    );
    // Parsed back, the text is the original.
    let back: ErrorBody =
        serde_json::from_str(&ErrorBody::of(&err, Dialect::Vault).to_json()).unwrap();
    assert_eq!(back.errors, vec![err.to_string()]);
}

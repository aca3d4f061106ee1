//! `StartRequest::from_json`, `UpdateRequest::from_json` and `CancelRequest::from_http` on
//! arbitrary bodies: no panic; errors are Go's texts, short, and quote a secret by at most one
//! character; a decoded request serializes (`to_json`) to a body that decodes back equal; secrets
//! redacted in `Debug`. And the answer side: any text in an error body or a status string
//! survives Go-style escaping (parses back equal, no raw `<`, `>`, `&`, U+2028, U+2029).
#![no_main]

use libfuzzer_sys::fuzz_target;
use recovery_token::wire::{AttemptStatus, CancelRequest, ErrorBody, StartRequest, UpdateRequest};
use recovery_token::{Dialect, Encoding, Error};

/// The shapes of Go's texts (OpenBao 2.7.2's, see tests/wire/request_decode.rs).
const GO_TEXTS: &[&str] = &[
    "unexpected EOF",
    "invalid character ",
    "invalid escape sequence ",
    "missing value after object key",
    "object member name must be a string",
    "exceeded max depth",
    "json: cannot unmarshal ",
];

fn check_error(e: &Error) {
    if let Error::InvalidBody { reason } = e {
        assert!(
            GO_TEXTS.iter().any(|t| reason.starts_with(t)),
            "not one of Go's texts: {reason}"
        );
        // The longest echo Go's texts carry is a matched field name or a 6-byte escape,
        // quoted: a long reason would mean input leaked into it. Except Go's float64 range
        // error, which quotes the whole number (never a secret: secrets are strings).
        if !reason.ends_with("into Go value of type float64") {
            assert!(reason.len() <= 128, "reason too long: {reason}");
        } else {
            let number = reason
                .trim_start_matches("json: cannot unmarshal number ")
                .trim_end_matches(" into Go value of type float64");
            assert!(
                number.parse::<f64>().is_ok_and(f64::is_infinite),
                "{reason}"
            );
        }
    }
    assert_eq!(e.http_status(), 400);
    // The error body is valid JSON of Vault's shape.
    let body: serde_json::Value =
        serde_json::from_str(&ErrorBody::of(e, Dialect::Vault).to_json()).expect("json");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1));
}

fn check_go_escaping(json: &str) {
    assert!(
        !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']),
        "unescaped HTML-sensitive character: {json}"
    );
}

fuzz_target!(|body: &[u8]| {
    let text = String::from_utf8_lossy(body).into_owned();
    let errors = ErrorBody {
        errors: vec![text.clone()],
    };
    let json = errors.to_json();
    check_go_escaping(&json);
    let back: ErrorBody = serde_json::from_str(&json).expect("error body parses back");
    assert_eq!(back, errors);
    let mut status = AttemptStatus::default();
    status.nonce = text.clone();
    status.pgp_fingerprint = text.clone();
    let json = status.to_json();
    check_go_escaping(&json);
    let back: AttemptStatus = serde_json::from_str(&json).expect("status parses back");
    assert_eq!(back, status);

    match StartRequest::from_json(body) {
        Ok(req) => {
            let otp = req.otp.expose_secret().to_owned();
            let debug = format!("{req:?}");
            if otp.len() >= 12 && !req.pgp_key.contains(&otp) {
                assert!(!debug.contains(&otp), "otp in Debug");
            }
            let json = req.to_json();
            check_go_escaping(&json);
            assert_eq!(json.capacity(), json.len(), "to_json sized exactly");
            assert_eq!(
                StartRequest::from_json(json.as_bytes()).expect("round trip"),
                req
            );
            let otp_empty = otp.is_empty();
            let pgp_empty = req.pgp_key.is_empty();
            match Encoding::from(req) {
                Encoding::Otp(o) => assert!(!otp_empty && o.expose_secret() == otp),
                Encoding::PgpKey(k) => assert!(otp_empty && !k.is_empty()),
                Encoding::GenerateOtp => assert!(otp_empty && pgp_empty),
                _ => unreachable!("no other encoding"),
            }
        }
        Err(e) => check_error(&e),
    }
    match UpdateRequest::from_json(body) {
        Ok(req) => {
            let key = req.key.expose_secret().to_owned();
            assert!(!key.is_empty());
            let debug = format!("{req:?}");
            if key.len() >= 12 && !req.nonce.contains(&key) {
                assert!(!debug.contains(&key), "key in Debug");
            }
            let json = req.to_json();
            check_go_escaping(&json);
            assert_eq!(json.capacity(), json.len(), "to_json sized exactly");
            assert_eq!(
                UpdateRequest::from_json(json.as_bytes()).expect("round trip"),
                req
            );
        }
        Err(e) => check_error(&e),
    }
    // The body as a DELETE body, and its text as a query.
    match CancelRequest::from_http(body, Some(&text)) {
        Ok(c) => assert!(c.nonce().is_none_or(|n| !n.is_empty())),
        Err(e) => check_error(&e),
    }
    // The same decoder decides start and update syntax alike: one refuses as the other does,
    // except for type errors (the struct names differ), the update-only empty/missing key, and
    // invalid `\u` escapes, which are cut inside the secret field only (`otp` is secret for
    // start, `key` for update).
    let s = StartRequest::from_json(body).err();
    let u = UpdateRequest::from_json(body).err();
    if let (Some(Error::InvalidBody { reason: a }), Some(Error::InvalidBody { reason: b })) =
        (&s, &u)
        && !a.starts_with("json: ")
        && !a.starts_with("invalid escape sequence")
    {
        assert_eq!(a, b);
    }
});

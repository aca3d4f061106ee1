//! `StartRequest::from_json` and `UpdateRequest::from_json` on arbitrary bodies: no panic, errors
//! that never quote the body, secrets redacted in `Debug`. And the answer side: any text in an
//! error body or a status string survives Go-style escaping (parses back equal, no raw `<`, `>`,
//! `&`, U+2028, U+2029).
#![no_main]

use libfuzzer_sys::fuzz_target;
use recovery_token::{AttemptStatus, Encoding, Error, ErrorBody, StartRequest, UpdateRequest};

fn check_error(e: &Error) {
    if let Error::InvalidBody { reason } = e {
        // "<kind> at line N column M": never a byte of the input.
        assert!(
            reason
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '),
            "reason quotes input: {reason}"
        );
    }
    assert_eq!(e.http_status(), 400);
    // The error body is valid JSON of Vault's shape.
    let body: serde_json::Value = serde_json::from_str(&e.to_body().to_json()).expect("json");
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
    status.pgp_fingerprint = text;
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
            let otp_empty = otp.is_empty();
            let pgp_empty = req.pgp_key.is_empty();
            match req.into_encoding() {
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
        }
        Err(e) => check_error(&e),
    }
});

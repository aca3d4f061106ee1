//! `StartRequest::from_json` and `UpdateRequest::from_json` on arbitrary bodies: no panic, errors
//! that never quote the body, secrets redacted in `Debug`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recovery_token::{Encoding, Error, StartRequest, UpdateRequest};

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

fuzz_target!(|body: &[u8]| {
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

//! `PgpRecipient::parse` on arbitrary `pgp_key` values: no panic; a key it accepts has a
//! 40-digit lowercase hex fingerprint. The first byte picks the mode: the rest as text (exercises
//! the base64 layer), or base64 of the rest (reaches the OpenPGP packet parser).
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use recovery_token::PgpRecipient;

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let text = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        base64::engine::general_purpose::STANDARD.encode(rest)
    };
    match PgpRecipient::parse(&text) {
        Ok(recipient) => {
            let fp = recipient.fingerprint();
            assert_eq!(fp.len(), 40, "fingerprint length");
            assert!(
                fp.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
        Err(e) => {
            assert_eq!(e.http_status(), 400);
            let _ = e.to_string();
        }
    }
});

//! `KeyShare::parse` on arbitrary strings and accepted-length ranges: no panic, lengths honoured,
//! hex and base64 round trips, nothing secret in `Debug` or in errors.
#![no_main]

use std::ops::RangeInclusive;

use arbitrary::Arbitrary;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use recovery_token::Error;
use recovery_token::shares::{KeyShare, ShareError};

#[derive(Arbitrary, Debug)]
struct Input {
    lo: u16,
    hi: u16,
    key: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn accepted_hex(s: &str, lengths: &RangeInclusive<usize>) -> bool {
    s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit()) && lengths.contains(&(s.len() / 2))
}

fuzz_target!(|input: Input| {
    let lengths = usize::from(input.lo)..=usize::from(input.hi);
    match KeyShare::parse(&input.key, &lengths) {
        Ok(share) => {
            let bytes = share.expose_secret().to_vec();
            assert!(lengths.contains(&bytes.len()), "length outside the range");
            assert_eq!(share.len(), bytes.len());
            assert_eq!(Some(share.x()), bytes.last().copied());
            assert!(format!("{share:?}").starts_with("KeyShare([REDACTED"));
            // Hex of an accepted length is always taken as hex.
            let again = KeyShare::parse(&hex(&bytes), &lengths).expect("hex round trip");
            assert!(again.ct_eq(&share));
            // Padded base64 parses back, unless it also reads as hex of an accepted length.
            let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
            if !accepted_hex(&b64, &lengths) {
                let again = KeyShare::parse(&b64, &lengths).expect("base64 round trip");
                assert!(again.ct_eq(&share));
            }
            // The vsss-rs layout round trip.
            let v = share.to_vsss_layout();
            let back = KeyShare::from_vsss_layout(&v, &lengths).expect("layout round trip");
            assert!(back.ct_eq(&share));
        }
        Err(e) => {
            // Only these, whose texts are fixed or carry the range's bounds: never the input.
            let min = (*lengths.start()).max(1);
            let max = *lengths.end();
            assert!(
                matches!(e, ShareError::MissingKey | ShareError::InvalidEncoding)
                    || e == ShareError::TooShort { min }
                    || e == ShareError::TooLong { max },
                "unexpected error {e:?}"
            );
            assert_eq!(Error::from(e).http_status(), 400);
        }
    }
});

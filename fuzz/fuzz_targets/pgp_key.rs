//! `PgpRecipient::parse` on arbitrary `pgp_key` values: no panic; a key it accepts has a
//! 40-digit lowercase hex fingerprint; text over `MAX_KEY_LEN` is refused as too large whatever
//! it holds. The first byte picks the mode: the rest as text (exercises the size cap and the
//! base64 layer), base64 of the rest (reaches the packet caps and the OpenPGP packet parser), or
//! base64 of a real gpg key followed by the rest (reaches the signature checks and the recipient
//! choice with extra, mutated packets).
//!
//! `fuzz/run.sh` runs it with `-max_len=66000`, so inputs reach the size cap (64 KiB of text;
//! 48 KiB of binary in the base64 modes) and pass it, and with `-timeout=2`: the parse of any
//! input is bounded (milliseconds), so an input taking seconds is a finding.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use recovery_token::Error;
use recovery_token::pgp::{PgpError, PgpRecipient};

/// An Ed25519 key with a Cv25519 subkey made by gpg (see `benches/keys/README.md`).
const GPG_KEY: &str = include_str!("../../benches/keys/cv25519.b64");

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let text = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => STANDARD.encode(rest),
        _ => {
            let mut key = STANDARD.decode(GPG_KEY.trim()).unwrap_or_default();
            key.extend_from_slice(rest);
            STANDARD.encode(key)
        }
    };
    match PgpRecipient::parse(&text) {
        Ok(recipient) => {
            assert!(text.len() <= PgpRecipient::MAX_KEY_LEN);
            let fp = recipient.fingerprint();
            assert_eq!(fp.len(), 40, "fingerprint length");
            assert!(
                fp.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
        Err(e) => {
            if text.len() > PgpRecipient::MAX_KEY_LEN {
                assert_eq!(
                    e,
                    PgpError::TooLarge {
                        max: PgpRecipient::MAX_KEY_LEN
                    }
                );
            }
            assert_eq!(Error::from(e.clone()).http_status(), 400);
            let _ = e.to_string();
        }
    }
});

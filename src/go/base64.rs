//! Go's `encoding/base64`, as Vault's handlers and `roottoken` decode: the standard alphabet,
//! `\r` and `\n` skipped anywhere, non-zero trailing bits accepted.

#[cfg(test)]
use base64::Engine as _;
#[cfg(test)]
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::ct;

/// Go's `base64.StdEncoding`: standard alphabet, padding required, non-zero trailing bits allowed.
/// (The tests' reference: the decoder below is Go's own rules, branch-free.)
#[cfg(test)]
pub(crate) const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard padded base64 as Go's `StdEncoding.DecodeString` does: `\r` and `\n` anywhere
/// are skipped. The result is zeroized on drop. Branch-free in the alphabet characters (see
/// [`go_base64_decode`]): a share goes through here.
///
/// Why not RustCrypto's `base64ct` (constant-time, and used for encoding): it does not do Go's
/// job here. It refuses non-zero unused trailing bits (Go's non-`Strict()` decoders accept them)
/// and knows no `\r`/`\n` skipping anywhere in the input (only fixed-width line wrapping), and
/// neither can be added around it without a branch per character.
pub(crate) fn decode_go_base64(input: &str) -> Option<Zeroizing<Vec<u8>>> {
    go_base64_decode(input.as_bytes(), true).ok()
}

/// The value of a standard base64 character (Go's `decodeMap` for `StdEncoding`) and whether it
/// is one, computed with masks rather than a table lookup or a search, so that nothing depends on
/// which character of a secret (an OTP, a share) is decoded. The validity bit is the only thing a
/// caller may branch on (after declassifying it, [`ct::public_bool`]).
fn std_value_ct(c: u8) -> (u8, bool) {
    // For each range, (lo - 1 - c) & (c - (hi + 1)) is negative exactly when lo <= c <= hi, so
    // `>> 8` gives an all-ones mask there; each range adds its offset to -1 under its mask.
    let c = i16::from(c);
    let in_range = |lo: i16, hi: i16| {
        (lo.wrapping_sub(1).wrapping_sub(c) & c.wrapping_sub(hi.wrapping_add(1))) >> 8
    };
    let mut v: i16 = -1;
    v = v.wrapping_add(in_range(0x41, 0x5a) & c.wrapping_sub(0x41 - 1)); // A-Z: 0..=25
    v = v.wrapping_add(in_range(0x61, 0x7a) & c.wrapping_sub(0x61 - 27)); // a-z: 26..=51
    v = v.wrapping_add(in_range(0x30, 0x39) & c.wrapping_add(52 + 1 - 0x30)); // 0-9: 52..=61
    v = v.wrapping_add(in_range(0x2b, 0x2b) & 63); // '+': 62
    v = v.wrapping_add(in_range(0x2f, 0x2f) & 64); // '/': 63
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let value = (v & 0x3f) as u8;
    (value, v >= 0)
}

/// [`std_value_ct`] as an `Option` (for tests).
#[cfg(test)]
fn std_value(c: u8) -> Option<u8> {
    let (v, ok) = std_value_ct(c);
    ok.then_some(v)
}

/// Go's `(*Encoding).DecodeString` for `StdEncoding` (`padded`) or `RawStdEncoding`, neither of
/// them `Strict()`: its `decodeQuantum`, rule for rule, so that what it accepts, what it returns
/// and the offset of a `CorruptInputError` are Go's.
///
/// - `\r` and `\n` are skipped wherever they are (inside a quantum, between quanta, around
///   padding).
/// - Unused trailing bits of the last quantum are dropped whatever they are.
/// - Unpadded: a final quantum of one character is an error at `si - j` (Go's arithmetic, which
///   counts skipped newlines); `=` is an ordinary illegal byte.
/// - Padded: the input must end in whole quanta; `=` may only end one (after 2 or 3 characters),
///   and anything but newlines after the padding is an error at its offset.
///
/// The result is zeroized on drop. `Err` carries Go's offset.
pub(crate) fn go_base64_decode(src: &[u8], padded: bool) -> Result<Zeroizing<Vec<u8>>, usize> {
    let skip_newlines = |mut si: usize| {
        // Only after the padding: no alphabet character of the value is looked at here.
        while matches!(src.get(si).map(|&c| ct::public_u8(c)), Some(b'\r' | b'\n')) {
            si = si.saturating_add(1);
        }
        si
    };
    // Sized up front (3 bytes per 4 characters at most): growing would reallocate, and every
    // buffer a reallocation frees is freed unzeroized.
    let mut out = Zeroizing::new(Vec::with_capacity(
        (src.len() / 4).saturating_mul(3).saturating_add(3),
    ));
    let mut si = 0usize;
    while si < src.len() {
        let mut dbuf = Zeroizing::new([0u8; 4]);
        let mut dlen = 4usize;
        let mut trailing_garbage = None;
        let mut j = 0usize;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                if j == 0 {
                    return Ok(out);
                }
                if j == 1 || padded {
                    return Err(si.saturating_sub(j));
                }
                dlen = j;
                break;
            };
            si = si.saturating_add(1);
            // Declassified: whether this byte is in the alphabet. An alphabet character's value
            // is never branched on nor used as an index; any other byte (a newline, padding,
            // garbage) is declassified whole, as Go's decoder branches on it (and it is no part
            // of the decoded secret).
            let (v, valid) = std_value_ct(c);
            if ct::public_bool(valid) {
                if let Some(slot) = dbuf.get_mut(j) {
                    *slot = v;
                }
                j = j.saturating_add(1);
                continue;
            }
            let c = ct::public_u8(c);
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if !padded || c != b'=' {
                return Err(si.saturating_sub(1));
            }
            // Padding: the end of the input, give or take newlines.
            match j {
                0 | 1 => return Err(si.saturating_sub(1)),
                2 => {
                    // "==" is expected; the first "=" is consumed.
                    si = skip_newlines(si);
                    match src.get(si).map(|&c| ct::public_u8(c)) {
                        None => return Err(src.len()),
                        Some(b'=') => si = si.saturating_add(1),
                        Some(_) => return Err(si.saturating_sub(1)),
                    }
                }
                _ => {}
            }
            si = skip_newlines(si);
            if si < src.len() {
                trailing_garbage = Some(si);
            }
            dlen = j;
            break;
        }
        let [a, b, c, d] = *dbuf;
        let val = Zeroizing::new(
            (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d),
        );
        let bytes = Zeroizing::new(val.to_be_bytes());
        // dlen is 2, 3 or 4 here: 1, 2 or 3 bytes out.
        if let Some(decoded) = bytes.get(1..dlen) {
            out.extend_from_slice(decoded);
        }
        if let Some(offset) = trailing_garbage {
            return Err(offset);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Result<Vec<u8>, usize> {
        go_base64_decode(s.as_bytes(), false).map(|v| v.to_vec())
    }

    fn std(s: &str) -> Result<Vec<u8>, usize> {
        go_base64_decode(s.as_bytes(), true).map(|v| v.to_vec())
    }

    #[test]
    fn matches_the_base64_crate_on_canonical_input() {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(11))
                .collect();
            assert_eq!(raw(&STANDARD_NO_PAD.encode(&data)), Ok(data.clone()));
            assert_eq!(std(&STANDARD.encode(&data)), Ok(data));
        }
    }

    #[test]
    fn character_values_are_the_standard_alphabets() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for c in 0..=255u8 {
            let expected = alphabet
                .iter()
                .position(|a| *a == c)
                .map(|p| u8::try_from(p).unwrap());
            assert_eq!(std_value(c), expected, "{c:#04x}");
        }
    }

    #[test]
    fn newlines_are_skipped_anywhere() {
        assert_eq!(raw("QU\r\nJD\n"), Ok(b"ABC".to_vec()));
        assert_eq!(raw("\n\rQUJD"), Ok(b"ABC".to_vec()));
        assert_eq!(std("QQ\n=\r\n=\n"), Ok(b"A".to_vec()));
        assert_eq!(std("QUI=\n"), Ok(b"AB".to_vec()));
    }

    #[test]
    fn trailing_bits_are_ignored() {
        // "QR" = 010000 010001: the last 4 bits are not zero.
        assert_eq!(raw("QR"), Ok(b"A".to_vec()));
        assert_eq!(std("QR=="), Ok(b"A".to_vec()));
    }

    #[test]
    fn go_offsets_for_refused_input() {
        // A lone final character: Go's si - j.
        assert_eq!(raw("W"), Err(0));
        assert_eq!(raw("WEdB\n\nH"), Err(6));
        assert_eq!(raw("A\n"), Err(1));
        // An illegal byte: its own offset.
        assert_eq!(raw("WEdBHXV3 dXN9"), Err(8));
        assert_eq!(raw("QUJD=="), Err(4));
        // Padded: a short final quantum is reported at its start.
        assert_eq!(std("QUJDQQ"), Err(4));
        assert_eq!(std("QQ="), Err(3));
        assert_eq!(std("QQ=A"), Err(2));
        assert_eq!(std("Q==="), Err(1));
        assert_eq!(std("=AAA"), Err(0));
        assert_eq!(std("QUI=QUJD"), Err(4));
        assert_eq!(std("QQ==\nx"), Err(5));
    }

    proptest::proptest! {
            /// What Go accepts, and the bytes it returns, are what a strict decoder returns once the
            /// newlines are gone (the offsets are Go's own: `tests/wire/codec_bao.rs` checks them live).
            #[test]
            fn accepts_what_newline_stripped_input_decodes_to(
                chars in proptest::collection::vec(
                    proptest::sample::select(b"AQgw+/9az\r\n=!. ".to_vec()), 0..40)
            ) {
                #[cfg(test)]
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
                let raw_engine = GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    GeneralPurposeConfig::new()
                        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
                        .with_decode_allow_trailing_bits(true),
                );
                let stripped: Vec<u8> =
                    chars.iter().copied().filter(|c| *c != b'\r' && *c != b'\n').collect();
                proptest::prop_assert_eq!(
                    go_base64_decode(&chars, false).ok().map(|v| v.to_vec()),
                    raw_engine.decode(&stripped).ok()
                );
                proptest::prop_assert_eq!(
                    go_base64_decode(&chars, true).ok().map(|v| v.to_vec()),
                    GO_STD_BASE64.decode(&stripped).ok()
                );
            }
        }

    #[test]
    fn empty_and_newline_only_input_decode_to_nothing() {
        assert_eq!(raw(""), Ok(Vec::new()));
        assert_eq!(raw("\r\n"), Ok(Vec::new()));
        assert_eq!(std("\n"), Ok(Vec::new()));
    }
}

//! One-time passwords and the XOR encoding of tokens, exactly as Vault's `sdk/helper/roottoken`
//! (`GenerateOTP`, `EncodeToken`, `DecodeToken`) and its `xor` helper do it (PROTOCOL.md
//! section 6).
//!
//! Everything here handles secrets: the OTP, the token and every intermediate XOR live in
//! zeroizing buffers. Error values carry lengths and byte offsets only, never input.
//!
//! Decoding follows Go's `encoding/base64` decoder rule for rule (see [`go_base64_decode`]): `\r`
//! and `\n` are skipped anywhere, non-zero unused trailing bits are accepted (Go's decoders are not
//! `Strict()`), and a refused input is reported at the byte offset Go reports. Every error text is
//! Go's word for word, except the two that Go cannot produce ([`TokenCodecError::NotUtf8`],
//! because a Go string may hold any bytes, and the legacy encoder's input errors, which Vault only
//! ever ran on values it had made itself).

use base64::Engine as _;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::config::TokenFormat;
use crate::share::GO_STD_BASE64;
use crate::{Otp, Token};

/// Vault's base62 alphabet, in Vault's index order.
pub const BASE62_ALPHABET: &[u8; 62] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Bytes of randomness in a legacy OTP (Vault's `defaultBase64EncodedOTPLength`).
const LEGACY_OTP_BYTES: usize = 16;

/// Draws `len` base62 characters as Vault's `base62.Random` does: random bytes in batches of
/// `len + len / 4`, any byte >= 248 discarded (so that `b % 62` is uniform), the rest mapped to
/// `BASE62_ALPHABET[b % 62]`.
pub(crate) fn random_base62<R: CryptoRng + ?Sized>(len: usize, rng: &mut R) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut buf = Zeroizing::new(vec![0u8; len.saturating_add(len / 4)]);
    while out.len() < len {
        rng.fill_bytes(&mut buf);
        for b in buf.iter() {
            if out.len() == len {
                break;
            }
            if *b < 248 {
                let c = BASE62_ALPHABET
                    .get(usize::from(*b % 62))
                    .copied()
                    .unwrap_or(b'A');
                out.push(char::from(c));
            }
        }
    }
    out
}

/// Generates an OTP from the host's RNG, as Vault's `roottoken.GenerateOTP(otpLength)` does.
///
/// A non-zero `len` (the configured OTP length) gives `len` base62 characters. `len == 0` is
/// Vault's legacy fallback (the `otp_length` of servers before 0.11.2): standard base64 WITH
/// padding of 16 random bytes, 24 characters.
///
/// Secret: the result is an [`Otp`] (zeroized on drop, redacted in `Debug`).
///
/// # Examples
///
/// ```
/// use recovery_token::{BASE62_ALPHABET, generate_otp};
///
/// let otp = generate_otp(28, &mut rand::rng());
/// assert_eq!(otp.len(), 28);
/// assert!(otp.expose_secret().bytes().all(|c| BASE62_ALPHABET.contains(&c)));
///
/// let legacy = generate_otp(0, &mut rand::rng()); // padded base64 of 16 bytes
/// assert_eq!(legacy.len(), 24);
/// assert!(legacy.expose_secret().ends_with("=="));
/// ```
pub fn generate_otp<R: CryptoRng + ?Sized>(len: usize, rng: &mut R) -> Otp {
    if len == 0 {
        let mut raw = Zeroizing::new([0u8; LEGACY_OTP_BYTES]);
        rng.fill_bytes(&mut *raw);
        return Otp::new(GO_STD_BASE64.encode(*raw));
    }
    let mut s = random_base62(len, rng);
    Otp::new(std::mem::take(&mut *s))
}

/// Why encoding or decoding a token failed.
///
/// `Display` gives the text Vault's Go code gives for the same input (its CLI prints it after
/// `Error decoding root token: `). No variant carries secret bytes: only lengths and offsets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenCodecError {
    /// Encoding: the token is empty (Vault's `EncodeToken`).
    #[error("no token provided")]
    NoToken,
    /// Encoding: the OTP is empty (Vault's `EncodeToken`, checked after the token).
    #[error("no otp provided")]
    NoOtp,
    /// Encoding: OTP and token differ in length (Vault's `EncodeToken`: the OTP's length first).
    #[error("xor of root token failed: length of byte slices is not equivalent: {otp} != {token}")]
    XorLength {
        /// OTP length in bytes.
        otp: usize,
        /// Token length in bytes.
        token: usize,
    },
    /// Decoding: the encoded token is not unpadded standard base64 (Go's `RawStdEncoding`).
    #[error("error decoding base64'd token: illegal base64 data at input byte {offset}")]
    TokenBase64 {
        /// Go's `CorruptInputError`: the offset Go reports, counted in the input as given.
        offset: usize,
    },
    /// Decoding: the decoded token and the OTP differ in length. On the legacy path, the decoded
    /// token and the decoded OTP (same text, as both go through Vault's `xor.XORBytes`).
    #[error("error xoring token: length of byte slices is not equivalent: {decoded} != {otp}")]
    DecodedLength {
        /// Length of the decoded token in bytes.
        decoded: usize,
        /// Length of the OTP in bytes (decoded, on the legacy path).
        otp: usize,
    },
    /// Decoding: the XOR is not UTF-8, so it cannot be a token (a wrong OTP). Ours: Go returns
    /// the bytes as a string whatever they are.
    #[error("decoded token is not valid UTF-8")]
    NotUtf8,
    /// Legacy decoding: the encoded token is not padded standard base64 (Go's `StdEncoding`).
    #[error(
        "error xoring token: error decoding first base64 value: illegal base64 data at input byte {offset}"
    )]
    LegacyTokenBase64 {
        /// The offset Go reports.
        offset: usize,
    },
    /// Legacy decoding: the encoded token decodes to nothing.
    #[error("error xoring token: decoded first base64 value is nil or empty")]
    LegacyTokenEmpty,
    /// Legacy decoding: the OTP is not padded standard base64.
    #[error(
        "error xoring token: error decoding second base64 value: illegal base64 data at input byte {offset}"
    )]
    LegacyOtpBase64 {
        /// The offset Go reports.
        offset: usize,
    },
    /// Legacy decoding: the OTP decodes to nothing.
    #[error("error xoring token: decoded second base64 value is nil or empty")]
    LegacyOtpEmpty,
    /// Legacy decoding: the XOR is not 16 bytes, so it is not a UUID (go-uuid's `FormatUUID`).
    #[error("error formatting base64 token value: wrong length byte slice ({len})")]
    LegacyUuidLength {
        /// Length of the XOR in bytes.
        len: usize,
    },
    /// Legacy encoding: the token is not a UUID. Ours (Vault's legacy tokens always were).
    #[error("legacy token is not a UUID")]
    NotUuid,
    /// Legacy encoding: the OTP is not padded base64 of 16 bytes. Ours (Vault generated it).
    #[error("legacy OTP is not padded base64 of 16 bytes")]
    LegacyOtp,
}

/// XOR of two equal-length byte strings (lengths checked by the caller), zeroized on drop.
fn xor(a: &[u8], b: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(a.len()));
    out.extend(a.iter().zip(b).map(|(x, y)| x ^ y));
    out
}

/// XORs the token with the OTP and encodes the result as standard base64 WITHOUT padding:
/// Vault's `roottoken.EncodeToken`, used for every token format but the legacy UUID one.
///
/// Vault's checks in Vault's order: an empty token, an empty OTP, then the lengths.
///
/// # Errors
/// [`TokenCodecError::NoToken`], [`TokenCodecError::NoOtp`], [`TokenCodecError::XorLength`].
///
/// # Examples
///
/// PROTOCOL.md section 6's worked example:
///
/// ```
/// use recovery_token::{Otp, Token, TokenCodecError, encode_token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let token = Token::from("hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
/// let otp = Otp::from("0123456789abcdefghijklmnopqr");
/// assert_eq!(encode_token(&token, &otp)?, "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg");
///
/// let short = Otp::from("0123456789abcdefghijklmnop");
/// let refused = encode_token(&token, &short).unwrap_err();
/// assert_eq!(refused, TokenCodecError::XorLength { otp: 26, token: 28 });
/// # Ok(()) }
/// ```
pub fn encode_token(token: &Token, otp: &Otp) -> Result<String, TokenCodecError> {
    let t = token.expose_secret().as_bytes();
    let o = otp.expose_secret().as_bytes();
    if t.is_empty() {
        return Err(TokenCodecError::NoToken);
    }
    if o.is_empty() {
        return Err(TokenCodecError::NoOtp);
    }
    if t.len() != o.len() {
        return Err(TokenCodecError::XorLength {
            otp: o.len(),
            token: t.len(),
        });
    }
    Ok(base64::engine::general_purpose::STANDARD_NO_PAD.encode(&*xor(o, t)))
}

/// Encodes `token` with `otp` as a server of token format `format` does at completion: the
/// legacy UUID scheme ([`encode_legacy_token`]) when the format is
/// [`TokenFormat::LEGACY_UUID`], [`encode_token`] otherwise.
///
/// # Errors
/// The chosen encoder's [`TokenCodecError`].
///
/// # Examples
///
/// ```
/// use recovery_token::{Otp, Token, TokenFormat, encode_for, encode_legacy_token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let token = Token::from("hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
/// let otp = Otp::from("0123456789abcdefghijklmnopqr");
/// let encoded = encode_for(TokenFormat::VAULT_ROOT, &token, &otp)?;
/// assert_eq!(encoded, "WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg");
///
/// let uuid = Token::from("a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d");
/// let legacy_otp = Otp::from("AQIDBAUGBwgJCgsMDQ4PEA==");
/// let legacy = encode_for(TokenFormat::LEGACY_UUID, &uuid, &legacy_otp)?;
/// assert_eq!(legacy, encode_legacy_token(&uuid, legacy_otp.expose_secret())?);
/// # Ok(()) }
/// ```
pub fn encode_for(
    format: TokenFormat,
    token: &Token,
    otp: &Otp,
) -> Result<String, TokenCodecError> {
    if format.is_legacy() {
        encode_legacy_token(token, otp.expose_secret())
    } else {
        encode_token(token, otp)
    }
}

/// Whether a caller's OTP fits `format` (the start check behind `OTP string is wrong length`): its
/// length is the format's `otp_length`, or, for the legacy UUID format, it is padded base64 of 16
/// bytes as Vault's legacy servers required. Lengths are not secret; the legacy decode takes the
/// same time whatever the OTP's characters.
pub(crate) fn otp_fits(format: TokenFormat, otp: &Otp) -> bool {
    if format.is_legacy() {
        go_base64_decode(otp.expose_secret().as_bytes(), true)
            .is_ok_and(|raw| raw.len() == LEGACY_OTP_BYTES)
    } else {
        otp.len() == format.otp_length()
    }
}

/// Decodes an `encoded_token` with the OTP: Vault's `roottoken.DecodeToken`, which is what
/// `vault operator generate-root -decode=ENC -otp=OTP` (and `bao`'s) runs.
///
/// `otp_length` is the value the status reported: any non-zero value selects the modern scheme
/// (Go's `RawStdEncoding` decode, then XOR with the OTP's bytes); 0 selects the legacy scheme of
/// Vault before 0.11.2 (both values padded base64, XORed, formatted as a lowercase UUID).
///
/// As Go's decoder: `\r` and `\n` anywhere in the encoded text (a token pasted from a terminal)
/// are skipped, non-zero unused trailing bits are ignored, anything else outside the alphabet
/// (a space, `=` on the modern path) is refused at Go's offset. As Vault, the OTP is used as
/// given (not trimmed). The decoded token is zeroized on drop; so is every intermediate buffer.
///
/// # Errors
/// A [`TokenCodecError`] whose text is Go's.
///
/// # Examples
///
/// PROTOCOL.md section 6's worked example, and a token pasted with a line break:
///
/// ```
/// use recovery_token::decode_token;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let otp = "0123456789abcdefghijklmnopqr";
/// let token = decode_token("WEdBHXV3dXN9fyYqKi4uKiomJjo6Pj46OiYmKg", otp, otp.len())?;
/// assert_eq!(token.expose_secret(), "hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
/// let pasted = decode_token("WEdBHXV3dXN9fyYqKi4u\nKiomJjo6Pj46OiYmKg", otp, otp.len())?;
/// assert_eq!(pasted, token);
///
/// let refused = decode_token("WEdB HXV3", otp, otp.len()).unwrap_err();
/// assert_eq!(
///     refused.to_string(),
///     "error decoding base64'd token: illegal base64 data at input byte 4"
/// );
/// # Ok(()) }
/// ```
pub fn decode_token(encoded: &str, otp: &str, otp_length: usize) -> Result<Token, TokenCodecError> {
    if otp_length == 0 {
        return decode_legacy(encoded, otp);
    }
    let bytes = go_base64_decode(encoded.as_bytes(), false)
        .map_err(|offset| TokenCodecError::TokenBase64 { offset })?;
    let o = otp.as_bytes();
    if bytes.len() != o.len() {
        return Err(TokenCodecError::DecodedLength {
            decoded: bytes.len(),
            otp: o.len(),
        });
    }
    let plain = xor(&bytes, o);
    let s = std::str::from_utf8(&plain).map_err(|_| TokenCodecError::NotUtf8)?;
    Ok(Token::new(s.to_owned()))
}

/// Vault's legacy branch: `xor.XORBase64(encoded, otp)` then go-uuid's `FormatUUID`.
fn decode_legacy(encoded: &str, otp: &str) -> Result<Token, TokenCodecError> {
    let e = go_base64_decode(encoded.as_bytes(), true)
        .map_err(|offset| TokenCodecError::LegacyTokenBase64 { offset })?;
    if e.is_empty() {
        return Err(TokenCodecError::LegacyTokenEmpty);
    }
    let o = go_base64_decode(otp.as_bytes(), true)
        .map_err(|offset| TokenCodecError::LegacyOtpBase64 { offset })?;
    if o.is_empty() {
        return Err(TokenCodecError::LegacyOtpEmpty);
    }
    if e.len() != o.len() {
        return Err(TokenCodecError::DecodedLength {
            decoded: e.len(),
            otp: o.len(),
        });
    }
    let raw = xor(&e, &o);
    let bytes = <[u8; 16]>::try_from(raw.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| TokenCodecError::LegacyUuidLength { len: raw.len() })?;
    let mut text = Zeroizing::new([0u8; uuid::fmt::Hyphenated::LENGTH]);
    let s = uuid::Uuid::from_bytes(*bytes)
        .hyphenated()
        .encode_lower(&mut *text);
    Ok(Token::new((*s).to_owned()))
}

/// Encodes a legacy (pre-0.11.2) UUID token with a legacy OTP (padded base64 of 16 bytes, as
/// [`generate_otp`]`(0, ..)` makes): padded base64 of the XOR of the UUID's 16 bytes with the
/// OTP's. What Vault servers before 0.11.2 answered; for hosts that must serve very old clients,
/// and for tests.
///
/// # Errors
/// [`TokenCodecError::NotUuid`] or [`TokenCodecError::LegacyOtp`].
///
/// # Examples
///
/// PROTOCOL.md section 6's legacy worked example (`otp_length` 0 on the wire):
///
/// ```
/// use recovery_token::{Token, decode_token, encode_legacy_token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let token = Token::from("a6b3c6d2-1e1f-4a5b-8c9d-0e1f2a3b4c5d");
/// let otp = "AQIDBAUGBwgJCgsMDQ4PEA==";
/// let encoded = encode_legacy_token(&token, otp)?;
/// assert_eq!(encoded, "p7HF1hsZTVOFlwUTJzVDTQ==");
/// assert_eq!(decode_token(&encoded, otp, 0)?, token);
/// # Ok(()) }
/// ```
pub fn encode_legacy_token(token: &Token, otp: &str) -> Result<String, TokenCodecError> {
    let uuid =
        uuid::Uuid::try_parse(token.expose_secret()).map_err(|_| TokenCodecError::NotUuid)?;
    let o = go_base64_decode(otp.as_bytes(), true).map_err(|_| TokenCodecError::LegacyOtp)?;
    let t = Zeroizing::new(uuid.into_bytes());
    if o.len() != t.len() {
        return Err(TokenCodecError::LegacyOtp);
    }
    Ok(GO_STD_BASE64.encode(&*xor(&*t, &o)))
}

/// The value of a standard base64 character (Go's `decodeMap` for `StdEncoding`), or `None`.
///
/// Computed with masks rather than a table lookup or a search, so the time taken does not depend
/// on which character of a secret (an OTP, a share) is decoded; only whether it is in the
/// alphabet is branched on, as Go's decoder does.
fn std_value(c: u8) -> Option<u8> {
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
    u8::try_from(v).ok()
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
        while matches!(src.get(si), Some(b'\r' | b'\n')) {
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
            if let Some(v) = std_value(c) {
                if let Some(slot) = dbuf.get_mut(j) {
                    *slot = v;
                }
                j = j.saturating_add(1);
                continue;
            }
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
                    match src.get(si) {
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
        /// newlines are gone (the offsets are Go's own: `tests/codec_bao.rs` checks them live).
        #[test]
        fn accepts_what_newline_stripped_input_decodes_to(
            chars in proptest::collection::vec(
                proptest::sample::select(b"AQgw+/9az\r\n=!. ".to_vec()), 0..40)
        ) {
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

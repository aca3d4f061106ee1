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

use base64ct::Encoding as _;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::ct;
use crate::go::base64::go_base64_decode;

use crate::secret::{Otp, Token};
use crate::tokens::TokenFormat;

/// Vault's base62 alphabet, in Vault's index order.
pub const BASE62_ALPHABET: &[u8; 62] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Bytes of randomness in a legacy OTP (Vault's `defaultBase64EncodedOTPLength`).
const LEGACY_OTP_BYTES: usize = 16;

/// Draws `len` base62 characters as Vault's `base62.Random` does: random bytes in batches of
/// `len + len / 4`, any byte >= 248 discarded (so that `b % 62` is uniform), the rest mapped to
/// `BASE62_ALPHABET[b % 62]`.
pub(crate) fn random_base62<R: CryptoRng + ?Sized>(len: usize, rng: &mut R) -> Zeroizing<String> {
    // Bytes, not a `String`: `String::push` branches on the character's UTF-8 length.
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut buf = Zeroizing::new(vec![0u8; len.saturating_add(len / 4)]);
    while out.len() < len {
        rng.fill_bytes(&mut buf);
        for b in buf.iter() {
            if out.len() == len {
                break;
            }
            // Declassified: whether this random byte is discarded (>= 248). It tells nothing about
            // the characters kept: a kept byte is uniform over 0..248 whatever was discarded.
            if ct::public_bool(*b < 248) {
                out.push(base62_char(*b % 62));
            }
        }
    }
    // ASCII by construction; the UTF-8 check's branches are decided by that alone (see
    // `decode_token`). The buffer moves into the string: no copy.
    match String::from_utf8(std::mem::take(&mut *out)) {
        Ok(s) => Zeroizing::new(s),
        Err(e) => {
            // Unreachable (every byte is a base62 character); wipe rather than drop.
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Zeroizing::new(String::new())
        }
    }
}

/// `BASE62_ALPHABET[i]` for `i < 62`, computed with masks rather than indexed, so that the
/// character of a secret (an OTP, a token) is no memory address.
fn base62_char(i: u8) -> u8 {
    // 0..=25: 'A' + i; 26..=51: 'a' + i - 26; 52..=61: '0' + i - 52.
    let lower = ct::range_mask(i, 26, 255);
    let digit = ct::range_mask(i, 52, 255);
    i.wrapping_add(b'A')
        .wrapping_add(lower & (b'a' - 26 - b'A'))
        .wrapping_add(digit & (b'0'.wrapping_sub(52).wrapping_sub(b'a' - 26)))
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
/// use recovery_token::tokens::{BASE62_ALPHABET, generate_otp};
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
        // base64ct: constant time in the bytes (the base64 crate's encoder indexes a table).
        return Otp::new(base64ct::Base64::encode_string(&*raw));
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
/// use recovery_token::{Otp, Token};
/// use recovery_token::tokens::{TokenCodecError, encode_token};
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
    // base64ct: constant time in the bytes (the base64 crate's encoder indexes a table). The
    // result is what the server sends: public from here on.
    let encoded = base64ct::Base64Unpadded::encode_string(&xor(o, t));
    Ok(ct::public_string(encoded))
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
/// use recovery_token::{Otp, Token};
/// use recovery_token::tokens::{TokenFormat, encode_for, encode_legacy_token};
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
/// use recovery_token::tokens::decode_token;
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
    // The UTF-8 check branches on each byte's class. For an ASCII token (every token Vault or
    // this crate mints) its branches are decided by "every byte is ASCII" alone, which the
    // ctgrind check declassifies (ctgrind/declassified.supp, docs/CONSTANT_TIME.md); a non-ASCII
    // result (a wrong OTP, almost always) is branched on byte by byte.
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
/// use recovery_token::Token;
/// use recovery_token::tokens::{decode_token, encode_legacy_token};
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
    Ok(ct::public_string(base64ct::Base64::encode_string(&xor(
        &*t, &o,
    ))))
}

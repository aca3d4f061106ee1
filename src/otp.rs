//! One-time passwords and the XOR encoding of tokens (SPEC section 6).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::share::decode_go_base64;
use crate::{Otp, Token};

/// Vault's base62 alphabet, in Vault's index order.
pub const BASE62_ALPHABET: &[u8; 62] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

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

/// Generates an OTP of `len` base62 characters (the configured OTP length) from the host's RNG.
pub fn generate_otp<R: CryptoRng + ?Sized>(len: usize, rng: &mut R) -> Otp {
    let s = random_base62(len, rng);
    Otp::new(s.as_str().to_owned())
}

/// XOR of two equal-length byte strings (lengths checked by the caller), zeroized on drop.
fn xor(a: &[u8], b: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(a.iter().zip(b).map(|(x, y)| x ^ y).collect())
}

/// Why encoding or decoding a token failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenCodecError {
    /// OTP and token differ in length (Vault's XOR refuses them).
    #[error("length of byte slices is not equivalent: {otp} != {token}")]
    LengthMismatch {
        /// OTP length in bytes.
        otp: usize,
        /// Token (or decoded token) length in bytes.
        token: usize,
    },
    /// The encoded token is not valid base64.
    #[error("error decoding base64'd token: illegal base64 data")]
    EncodedTokenBase64,
    /// Legacy decoding: the OTP is not padded base64 of 16 bytes.
    #[error("error decoding base64'd OTP value: illegal base64 data")]
    OtpBase64,
    /// The decoded token is not UTF-8 (wrong OTP, or not a token).
    #[error("decoded token is not valid UTF-8; wrong OTP?")]
    NotUtf8,
    /// Legacy encoding: the token is not a UUID.
    #[error("legacy token is not a UUID")]
    NotUuid,
}

/// XORs the token with the OTP and encodes the result as standard base64 WITHOUT padding, as
/// Vault does for every profile since 0.11.2.
///
/// # Errors
/// [`TokenCodecError::LengthMismatch`] when the lengths differ.
pub fn encode_token(token: &Token, otp: &Otp) -> Result<String, TokenCodecError> {
    let t = token.expose_secret().as_bytes();
    let o = otp.expose_secret().as_bytes();
    if t.len() != o.len() {
        return Err(TokenCodecError::LengthMismatch {
            otp: o.len(),
            token: t.len(),
        });
    }
    Ok(STANDARD_NO_PAD.encode(&*xor(t, o)))
}

/// Decodes an `encoded_token` with the OTP, as Vault's `operator generate-root -decode` does.
///
/// `otp_length` is the value the status reported: any non-zero value selects the modern scheme
/// (base64 without padding, XOR with the OTP's bytes); 0 selects the legacy scheme of Vault
/// before 0.11.2 (both values padded base64 of 16 bytes; the XOR formatted as a lowercase UUID).
///
/// # Errors
/// A [`TokenCodecError`] naming what did not decode.
pub fn decode_token(encoded: &str, otp: &str, otp_length: usize) -> Result<Token, TokenCodecError> {
    if otp_length == 0 {
        return decode_legacy(encoded, otp);
    }
    let bytes = Zeroizing::new(
        STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|_| TokenCodecError::EncodedTokenBase64)?,
    );
    let o = otp.as_bytes();
    if bytes.len() != o.len() {
        return Err(TokenCodecError::LengthMismatch {
            otp: o.len(),
            token: bytes.len(),
        });
    }
    let plain = xor(&bytes, o);
    let s = std::str::from_utf8(&plain).map_err(|_| TokenCodecError::NotUtf8)?;
    Ok(Token::new(s.to_owned()))
}

fn decode_legacy(encoded: &str, otp: &str) -> Result<Token, TokenCodecError> {
    let e = decode_go_base64(encoded).ok_or(TokenCodecError::EncodedTokenBase64)?;
    let o = decode_go_base64(otp).ok_or(TokenCodecError::OtpBase64)?;
    if e.len() != o.len() {
        return Err(TokenCodecError::LengthMismatch {
            otp: o.len(),
            token: e.len(),
        });
    }
    let raw = xor(&e, &o);
    let uuid = uuid::Uuid::from_slice(&raw).map_err(|_| TokenCodecError::LengthMismatch {
        otp: 16,
        token: raw.len(),
    })?;
    Ok(Token::new(uuid.hyphenated().to_string()))
}

/// Encodes a legacy (pre-0.11.2) UUID token with a base64 OTP of 16 bytes: padded base64 of the
/// XOR. Provided for tests and for hosts that must talk to very old clients.
///
/// # Errors
/// [`TokenCodecError`] when the token is not a UUID or the OTP is not base64 of 16 bytes.
pub fn encode_legacy_token(token: &Token, otp: &str) -> Result<String, TokenCodecError> {
    let uuid =
        uuid::Uuid::try_parse(token.expose_secret()).map_err(|_| TokenCodecError::NotUuid)?;
    let o = decode_go_base64(otp).ok_or(TokenCodecError::OtpBase64)?;
    let t = uuid.as_bytes();
    if o.len() != t.len() {
        return Err(TokenCodecError::LengthMismatch {
            otp: o.len(),
            token: t.len(),
        });
    }
    Ok(crate::share::GO_STD_BASE64.encode(&*xor(t, &o)))
}

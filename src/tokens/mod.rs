//! Tokens, their formats, and the OTP codec (PROTOCOL.md sections 6 and 9).
//!
//! 1. A [`TokenProfile`] says which [`TokenFormat`] each strategy mints (`hvs.`/`hvr.` + 24
//!    base62 characters by default; `s.`/`r.`; UUIDs; Vault's legacy UUID scheme), and so the
//!    OTP length clients must use.
//! 2. Without a caller's OTP the server draws one with [`generate_otp`] (Vault's base62
//!    rule) and shows it once, in the start answer.
//! 3. At completion the token is minted ([`TokenFormat::mint`], or by the host's token
//!    store for root and DR tokens) and XORed with the OTP: [`encode_token`] (or
//!    [`encode_for`], which picks the legacy encoding when the format says so).
//! 4. The key holders decode it with [`decode_token`], exactly as Vault's `roottoken`
//!    decodes (its texts in [`TokenCodecError`]).
//! 5. A minted recovery token stays in the generator's [`RecoveryTokenHolder`], which checks
//!    presented tokens in constant time.

pub(crate) mod codec;
mod format;
mod holder;

pub(crate) use codec::otp_fits;
pub use codec::{
    BASE62_ALPHABET, TokenCodecError, decode_token, encode_for, encode_legacy_token, encode_token,
    generate_otp,
};
pub use format::{TokenFormat, TokenProfile};
pub use holder::RecoveryTokenHolder;

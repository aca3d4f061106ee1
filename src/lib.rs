// The crate docs are their own text (src/lib.md), not the repository README: no repository-only
// instructions, no relative links (they break on docs.rs). The example in it runs as a doctest.
#![doc = include_str!("lib.md")]
// docs.rs builds with `--cfg docsrs`: feature-gated items then carry their feature badge.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
// No panic on any input: beyond `unwrap_used` and `indexing_slicing` (Cargo.toml, every target),
// the library itself denies `expect` (an invariant `expect` carries an `#[allow]` stating it),
// `panic!`, and arithmetic that can overflow. Here rather than in Cargo.toml so that tests,
// benches and examples (and the library's own unit tests) are not held to it.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::arithmetic_side_effects)
)]
// clippy::pedantic, reviewed on the library (its unit tests, like the other targets, are not
// held to it): what it found is fixed, except these, allowed for a reason.
#![cfg_attr(not(test), warn(clippy::pedantic))]
#![allow(
    // Prose names products (OpenBao, GnuPG, RustyVault) and Go identifiers as Vault's own docs
    // do; code is backticked.
    clippy::doc_markdown,
    // A protocol step reads in order in one function (the generator's transitions, the PGP
    // recipient choice); splitting them would scatter Vault's check order.
    clippy::too_many_lines,
    // The Debug impls that omit fields do so on purpose: they redact secrets.
    clippy::missing_fields_in_debug,
    // The configuration's flags mirror Vault's settings one to one.
    clippy::struct_excessive_bools,
    // The field arithmetic keeps the textbook names (a, b, x, y, l).
    clippy::many_single_char_names
)]

// The reference, by concern: the generator, its configuration, errors and secrets at the root
// (every host uses them); shares, tokens, the wire format, audit, PGP, the client side and the
// conformance kit in public modules. Implementation files stay private where a public module
// groups two of them (`shares`: share + combine; `tokens`: codec + token).
pub mod audit;
pub mod client;
mod codec;
mod combine;
mod config;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod error;
mod generator;
#[cfg(feature = "pgp")]
pub mod pgp;
mod secret;
mod share;
mod token;
pub mod wire;

pub mod shares {
    //! Key shares and their Shamir combination (PROTOCOL.md section 7).
    //!
    //! 1. A key holder's share arrives as text: [`KeyShare::parse`] decodes it exactly as
    //!    Vault's HTTP layer does (hex first, kept only at an accepted length, then standard
    //!    padded base64) and checks its length.
    //! 2. A Vault share is the y bytes followed by one byte holding x; vsss-rs puts x first
    //!    ([`KeyShare::to_vsss_layout`] / [`KeyShare::from_vsss_layout`] move the byte).
    //! 3. At the threshold the generator combines the shares with [`combine`]: Lagrange
    //!    interpolation at zero over GF(2^8), constant-time in the share bytes, every temporary
    //!    zeroized, with Vault's errors ([`CombineError`]) in Vault's order.
    //! 4. A host that initialises (or a test) splits a key with [`KeyShare::split`] into shares
    //!    in Vault's layout, with random distinct non-zero x coordinates.
    //!
    //! Every share is secret: zeroized on drop, redacted in `Debug`, compared in constant time.
    pub use crate::combine::{combine, combine_slices};
    #[doc(no_inline)]
    pub use crate::error::CombineError;
    pub use crate::share::{KeyShare, SplitError};
}

pub mod tokens {
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
    pub use crate::codec::{
        BASE62_ALPHABET, TokenCodecError, decode_token, encode_for, encode_legacy_token,
        encode_token, generate_otp,
    };
    pub use crate::config::{TokenFormat, TokenProfile};
    pub use crate::token::RecoveryTokenHolder;
}

// The README's Rust examples run as doctests too (not part of the documented API).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// What every host uses, at the root.
pub use config::{
    ConfigError, Dialect, GeneratorConfig, GeneratorConfigBuilder, ServerState, Strategy,
    TokenProfile,
};
pub use error::{CombineError, Error, PgpKeyLimit};
pub use generator::{
    ExpectedKey, Host, IssueHostToken, IssueRecoveryToken, KeyAccepted, PendingCompletion,
    RecoveryTokenGenerator, Unissued, UpdateOutcome,
};
pub use secret::{CombinedKey, Otp, SecretString, Token};
pub use share::KeyShare;
pub use wire::{AttemptStatus, CancelRequest, Encoding, HttpResponse, StartRequest, UpdateRequest};

// Kept at the root so that code written against 0.1's flat layout keeps compiling; documented in
// their modules (`audit`, `shares`, `tokens`, `wire`, `pgp`).
#[doc(hidden)]
pub use audit::{AuditConfig, AuditEvent, AuditEventKind, AuditKey, ErrorKind, ShareId};
#[doc(hidden)]
pub use codec::{
    BASE62_ALPHABET, TokenCodecError, decode_token, encode_for, encode_legacy_token, encode_token,
    generate_otp,
};
#[doc(hidden)]
pub use combine::{combine, combine_slices};
#[doc(hidden)]
pub use config::TokenFormat;
#[cfg(feature = "pgp")]
#[doc(hidden)]
pub use pgp::PgpRecipient;
#[doc(hidden)]
pub use share::SplitError;
#[doc(hidden)]
pub use token::RecoveryTokenHolder;
#[doc(hidden)]
pub use wire::{CONTENT_TYPE_JSON, ErrorBody};

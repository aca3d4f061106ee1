#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// No panic on any input: beyond `unwrap_used` and `indexing_slicing` (Cargo.toml, every target),
// the library itself denies `expect` (an invariant `expect` carries an `#[allow]` stating it),
// `panic!`, and arithmetic that can overflow. Here rather than in Cargo.toml so that tests,
// benches and examples (and the library's own unit tests) are not held to it.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::arithmetic_side_effects)
)]

mod audit;
mod combine;
mod config;
mod error;
mod generator;
mod otp;
#[cfg(feature = "pgp")]
mod pgp;
mod secret;
mod share;
mod token;
mod wire;

pub use audit::{AuditConfig, AuditEvent, AuditEventKind, AuditKey, ErrorKind, ShareId};
pub use combine::{combine, combine_slices};
pub use config::{ConfigError, GeneratorConfig, Strategy, TokenProfile};
pub use error::{CombineError, Error};
pub use generator::{ExpectedKey, Host, PendingCompletion, RecoveryTokenGenerator, UpdateOutcome};
pub use otp::{
    BASE62_ALPHABET, TokenCodecError, decode_token, encode_legacy_token, encode_token, generate_otp,
};
#[cfg(feature = "pgp")]
pub use pgp::PgpRecipient;
pub use secret::{CombinedKey, Otp, SecretString, Token};
pub use share::KeyShare;
pub use token::{RecoveryTokenHolder, mint_token};
pub use wire::{
    AttemptStatus, CONTENT_TYPE_JSON, CancelRequest, Encoding, ErrorBody, HttpResponse,
    StartRequest, UpdateRequest,
};

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

mod audit;
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
mod pgp;
mod secret;
mod share;
mod token;
mod wire;

// The README's Rust examples run as doctests too (not part of the documented API).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use audit::{AuditConfig, AuditEvent, AuditEventKind, AuditKey, ErrorKind, ShareId};
pub use codec::{
    BASE62_ALPHABET, TokenCodecError, decode_token, encode_for, encode_legacy_token, encode_token,
    generate_otp,
};
pub use combine::{combine, combine_slices};
pub use config::{
    ConfigError, Dialect, GeneratorConfig, GeneratorConfigBuilder, ServerState, Strategy,
    TokenFormat, TokenProfile,
};
pub use error::{CombineError, Error, PgpKeyLimit};
pub use generator::{
    ExpectedKey, Host, IssueHostToken, IssueRecoveryToken, KeyAccepted, PendingCompletion,
    RecoveryTokenGenerator, Unissued, UpdateOutcome,
};
#[cfg(feature = "pgp")]
pub use pgp::PgpRecipient;
pub use secret::{CombinedKey, Otp, SecretString, Token};
pub use share::{KeyShare, SplitError};
pub use token::RecoveryTokenHolder;
pub use wire::{
    AttemptStatus, CONTENT_TYPE_JSON, CancelRequest, Encoding, ErrorBody, HttpResponse,
    StartRequest, UpdateRequest,
};

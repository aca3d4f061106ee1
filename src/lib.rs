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

// The reference, by concern. At the root: the generator, its configuration, its errors, the
// secrets it hands out and the words every layer uses (each item has this one path). In public
// modules: shares, tokens, the wire format, audit, PGP, the client side and the conformance kit.
// Private modules are implementation: `go` (everything Go-compatible), `vocabulary`.
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod adapter;
pub mod audit;
pub mod client;
mod config;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod ct;
mod error;
mod generator;
mod go;
pub mod http;
pub mod pgp;
mod secret;
pub mod shares;
pub mod tokens;
mod vocabulary;
pub mod wire;

// The README's Rust examples run as doctests too (not part of the documented API).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use config::{GeneratorConfig, GeneratorConfigBuilder};
pub use error::{ConfigError, Error, ErrorKind};
pub use generator::{
    Encoding, ExpectedKey, Host, HostReason, IssueHostToken, IssueRecoveryToken, KeyAccepted,
    PendingCompletion, RecoveryTokenGenerator, Unissued, UpdateOutcome,
};
pub use secret::{CombinedKey, Otp, SecretString, Token};
pub use vocabulary::{Dialect, ServerState, Strategy};

/// The ctgrind check's hook (ctgrind/, docs/CONSTANT_TIME.md): only under
/// `--cfg recovery_token_ctgrind`, never in a normal build.
#[cfg(recovery_token_ctgrind)]
#[doc(hidden)]
pub mod __ctgrind {
    pub use crate::ct::set_declassify_hook;
}

//! PGP encoding of the token (feature `pgp`): the bounded cost of parsing hostile keys, every
//! `encoded_token` decrypted by real GnuPG, and the typed refusal without the feature.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

#[cfg(feature = "pgp")]
mod pgp_forge;

mod pgp_bounds;
mod pgp_disabled;
mod pgp_gpg;

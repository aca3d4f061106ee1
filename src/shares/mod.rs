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
//!    in Vault's layout, with random distinct non-zero x coordinates;
//!    [`KeyShare::split_with_registry`] also makes the public [`ShareRegistry`] that recognises
//!    each share on its own.
//!
//! Every share is secret: zeroized on drop, redacted in `Debug`, compared in constant time.

mod combine;
mod registry;
mod share;

pub use combine::{CombineError, combine, combine_slices};
pub use registry::{RegistryError, RegistryParseError, ShareRegistry};
pub use share::{KeyShare, ShareError, SplitError};

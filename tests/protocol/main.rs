//! The protocol itself, sans IO: the state machine of docs/PROTOCOL.md sections 2 to 4, shares
//! (layout, split, combine, share sets, the registry), whole ceremonies (properties and a
//! reference model), the typed completion, audit events, server state, the protections Vault
//! lacks, secrets kept out of `Debug`, error texts, and OTP / token encoding.
//!
//! One test binary over the shared harness of `tests/support`; each module is one area.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

mod audit;
mod combine_props;
mod completion;
mod errors;
mod generation_props;
mod model;
mod otp_encoding;
mod registry;
mod safety;
mod secrets;
mod server_state;
mod shamir;
mod share_sets;
mod split_props;
mod state_machine;

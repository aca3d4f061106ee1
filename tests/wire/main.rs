//! The wire: request bodies decoded as Go's `encoding/json` decodes them, the exact JSON texts,
//! the OpenBao dialect's texts, the client-side token codec against the real `bao` CLI, and the
//! inputs the fuzzers found.
//!
//! One test binary over the shared harness of `tests/support`; each module is one area.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

mod codec_bao;
mod dialect;
mod fuzz_regressions;
mod request_decode;
mod wire_json;

//! Everything over HTTP: the HTTP face in process, the tokio/hyper adapter, the client, the
//! conformance kit, the example server and the operator tool as real binaries on loopback, and
//! the async host example.
//!
//! One test binary over the shared harness of `tests/support`; each module is one area.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

mod example_server;

mod adapter;
mod async_host;
mod client;
mod conformance;
mod face;
mod operator_tool;
mod server;

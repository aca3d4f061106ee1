//! Everything Go-compatible, in one place: Vault and OpenBao are Go programs, and clients see
//! Go's behaviour and Go's texts. Request bodies are decoded as `encoding/json` decodes them
//! ([`json`]), base64 as `encoding/base64` does ([`base64`]), media types (a PATCH's
//! `Content-Type`) as `mime.ParseMediaType` does ([`mime`]), durations as `time.ParseDuration`
//! does ([`duration`]).
//!
//! Our own code rather than a crate's: no Rust JSON or base64 crate reproduces Go's accepted
//! inputs, its error texts and offsets, and also keeps every secret byte in a zeroizing buffer
//! of exactly its size (PROTOCOL.md section 11).

pub(crate) mod base64;
pub(crate) mod duration;
pub(crate) mod form;
pub(crate) mod json;
pub(crate) mod mime;

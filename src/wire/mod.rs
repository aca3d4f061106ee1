//! What travels over HTTP: the request bodies and Vault's JSON answers (PROTOCOL.md sections 1,
//! 5 and 11).
//!
//! 1. A body arrives, whatever its `Content-Type`: [`StartRequest::from_json`],
//!    [`UpdateRequest::from_json`] and [`CancelRequest::from_http`] decode it as Go's
//!    `encoding/json` decodes it (case-insensitive names, the last repeated field wins, Go's
//!    error texts), unescaping shares and OTPs only into zeroizing buffers.
//! 2. `Encoding::from(request)` turns a start body into the [`crate::Encoding`] the generator
//!    takes (Vault's rule: an OTP wins over a PGP key; neither means a generated OTP).
//! 3. The generator answers with an [`AttemptStatus`] or an [`crate::Error`]; the HTTP face's
//!    [`crate::http::Answer`] turns either into the status code, `Content-Type` and body, byte
//!    for byte ([`ErrorBody`] is `{"errors":[..]}`), in the configured dialect's words.

mod request;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::go::json::{go_string_len, push_go_string, push_go_string_secret};
use crate::secret::Otp;
use crate::vocabulary::Dialect;

pub(crate) use request::DecodeTokenRequest;
pub use request::{CancelRequest, StartRequest, UpdateRequest};

/// The answer of every status, start and update call: Vault's `GenerateRootStatusResponse`.
///
/// Serializes to Vault's ten keys in Vault's order, none omitted:
/// `nonce, started, progress, required, complete, encoded_token, encoded_root_token,
/// pgp_fingerprint, otp, otp_length`. Which values each operation sets is Vault's
/// (PROTOCOL.md section 5); the generator fills them, hosts only serialize.
///
/// `otp` holds the server-generated OTP only in the start answer that generated it; it is an
/// [`Otp`] (zeroized, redacted in `Debug`).
///
/// `#[non_exhaustive]`: Vault's status has grown fields over its versions and may again; outside
/// the crate, build one from [`AttemptStatus::default`] and set its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AttemptStatus {
    /// The attempt's nonce (`""` when none); in update answers, the nonce from the request.
    pub nonce: String,
    /// Whether an attempt exists (update answers: always true).
    pub started: bool,
    /// Shares held; the final update answer shows `progress == required`.
    pub progress: usize,
    /// The threshold.
    pub required: usize,
    /// Status and start: false; update: `progress == required`.
    pub complete: bool,
    /// The encoded token, set only in the final update answer.
    pub encoded_token: String,
    /// The same value on the root-token strategy only; `""` otherwise.
    pub encoded_root_token: String,
    /// The PGP key's fingerprint (40 lowercase hex digits), or `""`.
    pub pgp_fingerprint: String,
    /// The server-generated OTP, only in the start answer that generated it.
    #[serde(serialize_with = "serialize_otp")]
    pub otp: Otp,
    /// The OTP length clients must use (status and start answers); 0 in update answers.
    pub otp_length: usize,
}

impl AttemptStatus {
    /// The JSON text Vault would send, byte for byte, without the trailing newline Go's encoder
    /// appends ([`crate::http::Answer`] adds it). Strings are escaped as Go's `encoding/json` does:
    /// `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes.
    #[must_use]
    pub fn to_json(&self) -> String {
        use std::fmt::Write as _;
        let public = [
            &self.nonce,
            &self.encoded_token,
            &self.encoded_root_token,
            &self.pgp_fingerprint,
        ];
        // Sized up front so that it never reallocates (a reallocation would free an unwiped
        // copy of the OTP): every OTP byte takes at most 6 bytes escaped; 256 covers the keys,
        // numbers and punctuation.
        let strings = public
            .iter()
            .map(|s| go_string_len(s))
            .fold(0, usize::saturating_add);
        let otp = self.otp.len().saturating_mul(6).saturating_add(2);
        let mut out = String::with_capacity(strings.saturating_add(otp).saturating_add(256));
        let [nonce, encoded_token, encoded_root_token, pgp_fingerprint] = public;
        out.push_str("{\"nonce\":");
        push_go_string(&mut out, nonce);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            ",\"started\":{},\"progress\":{},\"required\":{},\"complete\":{},\"encoded_token\":",
            self.started, self.progress, self.required, self.complete
        );
        push_go_string(&mut out, encoded_token);
        out.push_str(",\"encoded_root_token\":");
        push_go_string(&mut out, encoded_root_token);
        out.push_str(",\"pgp_fingerprint\":");
        push_go_string(&mut out, pgp_fingerprint);
        out.push_str(",\"otp\":");
        push_go_string_secret(&mut out, self.otp.expose_secret());
        let _ = write!(out, ",\"otp_length\":{}}}", self.otp_length);
        out
    }
}

/// [`Otp`] has no `Serialize` (a secret is not printed by accident); the status answer, whose
/// job is to carry the generated OTP once, writes it explicitly.
fn serialize_otp<S: serde::Serializer>(otp: &Otp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(otp.expose_secret())
}

/// Vault's error body: `{"errors":["<message>"]}` (empty list for 405s and 404s).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The messages.
    pub errors: Vec<String>,
}

impl ErrorBody {
    /// The body `dialect`'s server sends for `error`: `{"errors":["<message>"]}`, with
    /// [`Error::message`]'s text.
    ///
    /// ```
    /// use recovery_token::wire::ErrorBody;
    /// use recovery_token::{Dialect, Error};
    ///
    /// let body = ErrorBody::of(&Error::InProgress, Dialect::OpenBao);
    /// assert_eq!(
    ///     body.to_json(),
    ///     r#"{"errors":["root generation already in progress for this namespace"]}"#
    /// );
    /// ```
    #[must_use]
    pub fn of(error: &Error, dialect: Dialect) -> Self {
        Self {
            errors: vec![error.message(dialect)],
        }
    }

    /// The JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        go_json(
            self,
            self.errors
                .iter()
                .fold(0usize, |a, e| a.saturating_add(e.len()).saturating_add(3)),
        )
    }
}

/// The `Content-Type` of every JSON answer, exactly (hvac parses error bodies only with it).
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// serde_json's compact text with Go's HTML-safe escapes. The escaped characters can only occur
/// inside JSON strings, so replacing them in the whole text is exact.
fn go_json<T: Serialize>(value: &T, strings_len: usize) -> String {
    // Sized so that neither buffer ever reallocates: a reallocation would free a copy of the
    // text (which can hold the generated OTP) without wiping it. Every string byte takes at
    // most 6 bytes escaped (`\u00XX`); 256 covers the keys, numbers and punctuation.
    let capacity = strings_len.saturating_mul(6).saturating_add(256);
    let mut buf = Vec::with_capacity(capacity);
    // Serializing plain strings, integers and booleans into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut buf, value);
    let mut text = Zeroizing::new(String::from_utf8(buf).unwrap_or_default());
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return std::mem::take(&mut *text);
    }
    let mut out = String::with_capacity(capacity);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{AttemptStatus, go_json};
    use crate::secret::Otp;

    proptest::proptest! {
        /// The hand-written answer (which writes the OTP without branching on it) is serde's
        /// text with Go's escapes, byte for byte, whatever the strings hold.
        #[test]
        fn to_json_is_serdes_text_with_gos_escapes(
            strings in proptest::array::uniform5(".{0,12}"),
            numbers in proptest::array::uniform4(0usize..1 << 40),
            flags in proptest::array::uniform2(proptest::bool::ANY),
        ) {
            let [nonce, encoded_token, encoded_root_token, pgp_fingerprint, otp] = strings;
            let [progress, required, otp_length, _] = numbers;
            let [started, complete] = flags;
            let status = AttemptStatus {
                nonce,
                started,
                progress,
                required,
                complete,
                encoded_token,
                encoded_root_token,
                pgp_fingerprint,
                otp: Otp::new(otp),
                otp_length,
            };
            proptest::prop_assert_eq!(status.to_json(), go_json(&status, 1024));
        }
    }
}

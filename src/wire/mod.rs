//! What travels over HTTP: the request bodies and Vault's JSON answers (PROTOCOL.md sections 1,
//! 5 and 11).
//!
//! 1. A body arrives, whatever its `Content-Type`: [`StartRequest::from_json`],
//!    [`UpdateRequest::from_json`] and [`CancelRequest::from_http`] decode it as Go's
//!    `encoding/json` decodes it (case-insensitive names, the last repeated field wins, Go's
//!    error texts), unescaping shares and OTPs only into zeroizing buffers.
//! 2. [`StartRequest::into_encoding`] turns a start body into the [`Encoding`] the generator
//!    takes (Vault's rule: an OTP wins over a PGP key; neither means a generated OTP).
//! 3. The generator answers with an [`AttemptStatus`] or an [`crate::Error`];
//!    [`HttpResponse`] turns either into Vault's status code, `Content-Type` and body, byte for
//!    byte ([`ErrorBody`] is `{"errors":[..]}`), in Vault's or OpenBao's words.

mod request;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::secret::Otp;
use crate::vocabulary::Dialect;

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
    /// appends ([`HttpResponse`] adds it). Strings are escaped as Go's `encoding/json` does:
    /// `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes.
    #[must_use]
    pub fn to_json(&self) -> String {
        go_json(
            self,
            [
                self.nonce.len(),
                self.encoded_token.len(),
                self.encoded_root_token.len(),
                self.pgp_fingerprint.len(),
                self.otp.len(),
            ]
            .iter()
            .fold(0usize, |a, b| a.saturating_add(*b)),
        )
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

/// One HTTP answer in Vault's shape, ready for any transport: the status code, the
/// `Content-Type` and the body, as Vault's `respondOk` / `respondError` write them.
///
/// - a status, start or update answer: 200 and the status JSON;
/// - an error: [`Error::http_status`] and `{"errors":["<message>"]}`;
/// - a cancel: 204 and no body;
/// - a method the endpoint does not take: 405 and `{"errors":[]}`.
///
/// Every answer, 204 included, carries `Content-Type: application/json` exactly (Vault sets it
/// before writing any status). JSON bodies end with one `\n`, as Go's `json.Encoder` writes
/// them; clients ignore it.
///
/// The body of a start answer can hold the server-generated OTP: it is zeroized on drop and
/// redacted in `Debug`. (The copy a transport makes to send it is the transport's.)
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{Error, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// use recovery_token::wire::{CONTENT_TYPE_JSON, HttpResponse};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
/// let ok = HttpResponse::ok(&generator.status(Strategy::Recovery, Instant::now()));
/// assert_eq!((ok.status(), ok.content_type()), (200, CONTENT_TYPE_JSON));
/// assert!(ok.body().contains(r#""required":3"#) && ok.body().ends_with('\n'));
///
/// let refused = HttpResponse::error(&Error::InProgress);
/// assert_eq!(refused.status(), 400);
/// assert_eq!(refused.body(), "{\"errors\":[\"root generation already in progress\"]}\n");
///
/// let sealed = HttpResponse::from_result(&Err(Error::Sealed));
/// assert_eq!(sealed.status(), 503);
/// assert_eq!(HttpResponse::from_cancel(&Ok(())).status(), 204);
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    status: u16,
    body: Zeroizing<String>,
}

impl HttpResponse {
    fn json(status: u16, mut json: String) -> Self {
        json.push('\n');
        Self {
            status,
            body: Zeroizing::new(json),
        }
    }

    /// 200 with the status JSON: the answer of status, start and update.
    #[must_use]
    pub fn ok(status: &AttemptStatus) -> Self {
        Self::json(200, status.to_json())
    }

    /// Vault's answer to an error: its status code and `{"errors":["<message>"]}`.
    #[must_use]
    pub fn error(error: &Error) -> Self {
        Self::json(
            error.http_status(),
            ErrorBody::of(error, Dialect::Vault).to_json(),
        )
    }

    /// [`HttpResponse::error`] with `dialect`'s text ([`Error::message`]); the status code is
    /// the same in every dialect.
    #[must_use]
    pub fn error_in(error: &Error, dialect: Dialect) -> Self {
        Self::json(error.http_status(), ErrorBody::of(error, dialect).to_json())
    }

    /// [`HttpResponse::ok`] or [`HttpResponse::error`].
    #[must_use]
    pub fn from_result(result: &Result<AttemptStatus, Error>) -> Self {
        Self::from_result_in(result, Dialect::Vault)
    }

    /// [`HttpResponse::ok`] or [`HttpResponse::error_in`].
    #[must_use]
    pub fn from_result_in(result: &Result<AttemptStatus, Error>, dialect: Dialect) -> Self {
        match result {
            Ok(status) => Self::ok(status),
            Err(error) => Self::error_in(error, dialect),
        }
    }

    /// The answer to a cancel: 204 and no body, or the error.
    #[must_use]
    pub fn from_cancel(result: &Result<(), Error>) -> Self {
        Self::from_cancel_in(result, Dialect::Vault)
    }

    /// [`HttpResponse::from_cancel`] with `dialect`'s error texts.
    #[must_use]
    pub fn from_cancel_in(result: &Result<(), Error>, dialect: Dialect) -> Self {
        match result {
            Ok(()) => Self {
                status: 204,
                body: Zeroizing::new(String::new()),
            },
            Err(error) => Self::error_in(error, dialect),
        }
    }

    /// An error status with a list of messages, e.g. 405 with `{"errors":[]}` for a method the
    /// endpoint does not take, 404 with `{"errors":[]}` for an unknown path, or 403 with
    /// `{"errors":["permission denied"]}`.
    #[must_use]
    pub fn with_errors(status: u16, errors: &[&str]) -> Self {
        let body = ErrorBody {
            errors: errors.iter().map(|e| (*e).to_owned()).collect(),
        };
        Self::json(status, body.to_json())
    }

    /// 405 with `{"errors":[]}`: Vault's answer to a method an endpoint does not take.
    #[must_use]
    pub fn method_not_allowed() -> Self {
        Self::with_errors(405, &[])
    }

    /// The HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Content-Type` to send: always [`CONTENT_TYPE_JSON`].
    #[must_use]
    pub fn content_type(&self) -> &'static str {
        CONTENT_TYPE_JSON
    }

    /// The body; empty for 204. Can hold a generated OTP: handle it as a secret.
    #[must_use]
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body, owned, for a transport that takes ownership (no copy): still a [`Zeroizing`]
    /// string, because a start answer's body holds the generated OTP, so it is wiped when the
    /// transport drops it. `Zeroizing<String>` is `AsRef<[u8]>`, e.g. for
    /// `bytes::Bytes::from_owner`. Taking the `String` out of it gives up the wipe.
    #[must_use]
    pub fn into_body(self) -> Zeroizing<String> {
        self.body
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field(
                "body",
                &format_args!("[REDACTED; {} bytes]", self.body.len()),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_is_200_with_the_status_json_and_a_newline() {
        let status = AttemptStatus {
            required: 3,
            otp_length: 28,
            ..AttemptStatus::default()
        };
        let r = HttpResponse::ok(&status);
        assert_eq!(r.status(), 200);
        assert_eq!(r.content_type(), "application/json");
        assert_eq!(
            r.body(),
            "{\"nonce\":\"\",\"started\":false,\"progress\":0,\"required\":3,\"complete\":false,\
             \"encoded_token\":\"\",\"encoded_root_token\":\"\",\"pgp_fingerprint\":\"\",\"otp\":\"\",\
             \"otp_length\":28}\n"
        );
        let body = r.body().to_owned();
        assert_eq!(*r.into_body(), body);
    }

    #[test]
    fn errors_carry_vault_texts_and_codes() {
        let r = HttpResponse::error(&Error::InProgress);
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.body(),
            "{\"errors\":[\"root generation already in progress\"]}\n"
        );
        let r = HttpResponse::from_result(&Err(Error::Sealed));
        assert_eq!(r.status(), 503);
        assert_eq!(r.body(), "{\"errors\":[\"Vault is sealed\"]}\n");
    }

    #[test]
    fn openbao_dialect_answers_carry_openbao_texts_with_the_same_codes() {
        for (error, vault, bao) in [
            (
                Error::OtpWrongLength,
                "OTP string is wrong length",
                "OTP string has incorrect length",
            ),
            (
                Error::InProgress,
                "root generation already in progress",
                "root generation already in progress for this namespace",
            ),
            (
                Error::AlreadyUnsealed,
                "attempt to generate recovery token when already unsealed",
                "attempted to generate recovery operation token when already unsealed",
            ),
            (
                Error::EmptyBody,
                "EOF",
                "'key' must be specified in request body as JSON",
            ),
            (
                Error::InvalidBody {
                    reason: "unexpected EOF".to_owned(),
                },
                "failed to parse JSON input: unexpected EOF",
                "failed to decode JSON input: unexpected EOF",
            ),
            (
                Error::NoAttempt,
                "no root generation in progress",
                "no root generation in progress",
            ),
        ] {
            let v = HttpResponse::error_in(&error, Dialect::Vault);
            assert_eq!(v, HttpResponse::error(&error));
            assert_eq!(v.body(), format!("{{\"errors\":[\"{vault}\"]}}\n"));
            let b = HttpResponse::from_result_in(&Err(error.clone()), Dialect::OpenBao);
            assert_eq!(
                (b.status(), b.body()),
                (400, format!("{{\"errors\":[\"{bao}\"]}}\n").as_str())
            );
            let c = HttpResponse::from_cancel_in(&Err(error.clone()), Dialect::OpenBao);
            assert_eq!(c, b);
        }
        let sealed = HttpResponse::error_in(&Error::Sealed, Dialect::OpenBao);
        assert_eq!(sealed.status(), 503);
        let ok = HttpResponse::from_cancel_in(&Ok(()), Dialect::OpenBao);
        assert_eq!((ok.status(), ok.body()), (204, ""));
    }

    #[test]
    fn cancel_is_204_without_body() {
        let r = HttpResponse::from_cancel(&Ok(()));
        assert_eq!((r.status(), r.body()), (204, ""));
        assert_eq!(r.content_type(), "application/json");
        let r = HttpResponse::from_cancel(&Err(Error::WrongNonceUndisclosed));
        assert_eq!(r.status(), 400);
        assert_eq!(r.body(), "{\"errors\":[\"incorrect nonce supplied\"]}\n");
    }

    #[test]
    fn other_methods_get_405_with_an_empty_error_list() {
        let r = HttpResponse::method_not_allowed();
        assert_eq!((r.status(), r.body()), (405, "{\"errors\":[]}\n"));
        let r = HttpResponse::with_errors(403, &["permission denied"]);
        assert_eq!(
            (r.status(), r.body()),
            (403, "{\"errors\":[\"permission denied\"]}\n")
        );
    }

    #[test]
    fn debug_does_not_show_a_generated_otp() {
        let status = AttemptStatus {
            otp: Otp::new("SECRETOTPSECRETOTPSECRETOTP1".to_owned()),
            ..AttemptStatus::default()
        };
        let r = HttpResponse::ok(&status);
        assert!(r.body().contains("SECRETOTP"));
        assert!(!format!("{r:?}").contains("SECRETOTP"));
    }
}

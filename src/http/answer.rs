//! The face's answer: status, `Content-Type`, a zeroizing body, and whether to close.

use std::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::vocabulary::Dialect;
use crate::wire::{AttemptStatus, CONTENT_TYPE_JSON, ErrorBody};

/// One HTTP answer, ready for any transport: the status code, the `Content-Type`, the body, and
/// whether the connection must be closed after it.
///
/// - a status, start or update answer: 200 and the status JSON (in OpenBao's envelope on
///   `sys/generate-root-token/*`);
/// - an error: its status code and `{"errors":["<message>"]}` in the dialect's words;
/// - a cancel: 204 and no body;
/// - a method an endpoint does not take: 405 and `{"errors":[]}`.
///
/// Every answer of an endpoint, 204 included, carries `Content-Type: application/json` exactly
/// (Vault and OpenBao set it before writing any status); only Go's router's own answers differ
/// (a 307 to the clean path with [`Answer::location`], the plain-text 404 page). JSON bodies end
/// with one `\n`, as Go's `json.Encoder` writes them.
///
/// The body of a start answer holds the server-generated OTP, and a final answer the encoded
/// token: the body is zeroized on drop and redacted in `Debug`. (The copy a transport makes to
/// send it is the transport's; [`Answer::into_body`] hands over the buffer itself.)
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::http::Answer;
/// use recovery_token::{Dialect, Error, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
/// let ok = Answer::ok(&generator.status(Strategy::Recovery, Instant::now()));
/// assert_eq!((ok.status(), ok.content_type()), (200, Some("application/json")));
/// assert!(ok.body().contains(r#""required":3"#) && ok.body().ends_with('\n'));
///
/// let refused = Answer::from_result(&Err(Error::InProgress), Dialect::OpenBao);
/// assert_eq!(refused.status(), 400);
/// assert_eq!(
///     refused.body(),
///     "{\"errors\":[\"root generation already in progress for this namespace\"]}\n"
/// );
/// assert_eq!(Answer::from_cancel(&Ok(()), Dialect::Vault).status(), 204);
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct Answer {
    status: u16,
    content_type: Option<&'static str>,
    location: Option<String>,
    body: Zeroizing<String>,
    close: bool,
}

impl Answer {
    fn json(status: u16, mut json: String) -> Self {
        json.push('\n');
        Self {
            status,
            content_type: Some(CONTENT_TYPE_JSON),
            location: None,
            body: Zeroizing::new(json),
            close: false,
        }
    }

    /// 200 with the status JSON: the answer of status, start and update on the plain
    /// endpoints (Vault's ten keys).
    pub fn ok(status: &AttemptStatus) -> Self {
        Self::json(200, status.to_json())
    }

    /// An error: its status code ([`Error::http_status`]) and `{"errors":["<message>"]}` in
    /// `dialect`'s words ([`Error::message`]).
    pub fn error(error: &Error, dialect: Dialect) -> Self {
        Self::json(error.http_status(), ErrorBody::of(error, dialect).to_json())
    }

    /// [`Answer::ok`] or [`Answer::error`].
    pub fn from_result(result: &Result<AttemptStatus, Error>, dialect: Dialect) -> Self {
        match result {
            Ok(status) => Self::ok(status),
            Err(error) => Self::error(error, dialect),
        }
    }

    /// The answer to a cancel: 204 and no body, or the error.
    pub fn from_cancel(result: &Result<(), Error>, dialect: Dialect) -> Self {
        match result {
            Ok(()) => Self::no_content(),
            Err(error) => Self::error(error, dialect),
        }
    }

    /// 204 and no body.
    pub(crate) fn no_content() -> Self {
        Self {
            status: 204,
            content_type: Some(CONTENT_TYPE_JSON),
            location: None,
            body: Zeroizing::new(String::new()),
            close: false,
        }
    }

    /// Go's `http.Redirect` with 307, as Go's router answers a path that is not clean
    /// (`//`, `.`, `..`): `Location`, and for GET an HTML body
    /// (`text/html; charset=utf-8`, also on HEAD, without the body), else no body and no type.
    pub(crate) fn redirect(method: &str, location: String) -> Self {
        let (content_type, body) = match method {
            "GET" => {
                let mut b =
                    String::with_capacity(location.len().saturating_mul(2).saturating_add(40));
                b.push_str("<a href=\"");
                for c in location.chars() {
                    match c {
                        '&' => b.push_str("&amp;"),
                        '<' => b.push_str("&lt;"),
                        '>' => b.push_str("&gt;"),
                        '"' => b.push_str("&#34;"),
                        '\'' => b.push_str("&#39;"),
                        c => b.push(c),
                    }
                }
                b.push_str("\">Temporary Redirect</a>.\n\n");
                (Some(HTML), b)
            }
            "HEAD" => (Some(HTML), String::new()),
            _ => (None, String::new()),
        };
        Self {
            status: 307,
            content_type,
            location: Some(location),
            body: Zeroizing::new(body),
            close: false,
        }
    }

    /// Go's `http.NotFound`: 404 `404 page not found` as plain text (OpenBao 2.7.2 for `/`).
    pub(crate) fn page_not_found() -> Self {
        Self {
            status: 404,
            content_type: Some("text/plain; charset=utf-8"),
            location: None,
            body: Zeroizing::new("404 page not found\n".to_owned()),
            close: false,
        }
    }

    /// An error status with a list of messages, e.g. 405 with `{"errors":[]}` for a method the
    /// endpoint does not take, 404 with `{"errors":[]}` for an unknown path, or 403 with
    /// `{"errors":["permission denied"]}`.
    pub fn with_errors(status: u16, errors: &[&str]) -> Self {
        let body = ErrorBody {
            errors: errors.iter().map(|e| (*e).to_owned()).collect(),
        };
        Self::json(status, body.to_json())
    }

    /// 405 with `{"errors":[]}`: the answer to a method an endpoint does not take.
    pub fn method_not_allowed() -> Self {
        Self::with_errors(405, &[])
    }

    /// The same answer, telling the transport to close the connection after it (the rest of
    /// the request may be unread).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }

    /// The HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Content-Type` to send: [`CONTENT_TYPE_JSON`] for every answer of an endpoint
    /// (204 included); Go's router's own types for its redirects and its plain 404 page. `None`:
    /// send no `Content-Type` (a redirect of a method other than GET and HEAD).
    #[must_use]
    pub fn content_type(&self) -> Option<&'static str> {
        self.content_type
    }

    /// The `Location` header to send (a 307 redirect to the clean path), if any.
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Whether the transport must close the connection after this answer (`Connection: close`).
    #[must_use]
    pub fn close(&self) -> bool {
        self.close
    }

    /// The body; empty for 204. Can hold a generated OTP or an encoded token: handle it as a
    /// secret.
    #[must_use]
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body, owned, for a transport that takes ownership (no copy): still a [`Zeroizing`]
    /// string, wiped when the transport drops it. `Zeroizing<String>` is `AsRef<[u8]>`, e.g.
    /// for `bytes::Bytes::from_owner`.
    #[must_use]
    pub fn into_body(self) -> Zeroizing<String> {
        self.body
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field(
                "body",
                &format_args!("[REDACTED; {} bytes]", self.body.len()),
            )
            .field("close", &self.close)
            .finish()
    }
}

/// Go's `text/html` type for redirect bodies.
const HTML: &str = "text/html; charset=utf-8";

/// One value inside `data`.
pub(crate) enum Value<'a> {
    Str(&'a str),
    /// A secret string (an OTP, a decoded token): written without branching on its bytes.
    Secret(&'a str),
    Bool(bool),
    Int(usize),
}

/// A request id as OpenBao prints it: 16 random bytes in the UUID layout.
fn request_id<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// OpenBao's logical-response envelope: `request_id`, `lease_id`,
/// `renewable`, `lease_duration`, `data` (its keys as given: the caller sorts them), `wrap_info`,
/// `warnings`, `auth`; 200.
///
/// `warning`: the one text of `warnings` (OpenBao's `unrecognized parameters`), else `null`.
pub(crate) fn envelope<R: CryptoRng + ?Sized>(
    data: &[(&str, Value<'_>)],
    warning: Option<&str>,
    rng: &mut R,
) -> Answer {
    let strings: usize = data
        .iter()
        .map(|(k, v)| {
            k.len().saturating_add(match v {
                Value::Str(s) | Value::Secret(s) => s.len().saturating_mul(6),
                Value::Bool(_) | Value::Int(_) => 24,
            })
        })
        .fold(0usize, usize::saturating_add);
    // Sized up front so that it never reallocates (it can hold an OTP or a token).
    let warned = warning.map_or(0, |w| w.len().saturating_mul(6).saturating_add(4));
    let mut out = String::with_capacity(strings.saturating_add(warned).saturating_add(256));
    out.push_str("{\"request_id\":");
    crate::go::json::push_go_string(&mut out, &request_id(rng));
    out.push_str(",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,\"data\":{");
    for (i, (key, value)) in data.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::go::json::push_go_string(&mut out, key);
        out.push(':');
        match value {
            Value::Str(s) => crate::go::json::push_go_string(&mut out, s),
            Value::Secret(s) => crate::go::json::push_go_string_secret(&mut out, s),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(n) => out.push_str(&n.to_string()),
        }
    }
    out.push_str("},\"wrap_info\":null,\"warnings\":");
    match warning {
        Some(w) => {
            out.push('[');
            crate::go::json::push_go_string(&mut out, w);
            out.push(']');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"auth\":null}");
    Answer::json(200, out)
}

/// OpenBao's multi-error text (`github.com/hashicorp/go-multierror` with one error), as its
/// logical endpoints answer a refused update with 500.
pub(crate) fn multierror(status: u16, text: &str) -> Answer {
    let mut one = String::with_capacity(text.len().saturating_add(24));
    one.push_str("1 error occurred:\n\t* ");
    one.push_str(text);
    one.push_str("\n\n");
    Answer::with_errors(status, &[&one])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_body() {
        let status = AttemptStatus {
            otp: crate::secret::Otp::new("SECRETOTPSECRETOTPSECRETOTP1".to_owned()),
            ..AttemptStatus::default()
        };
        let r = Answer::ok(&status);
        assert!(r.body().contains("SECRETOTP"));
        assert!(!format!("{r:?}").contains("SECRETOTP"));
    }

    #[test]
    fn envelope_in_openbaos_key_order() {
        let a = envelope(
            &[
                ("complete", Value::Bool(false)),
                ("otp", Value::Str("")),
                ("otp_length", Value::Int(26)),
            ],
            None,
            &mut rand::rng(),
        );
        let body = a.body();
        assert!(body.starts_with("{\"request_id\":\""), "{body}");
        assert!(body.ends_with(
            "\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,\"data\":{\"complete\":\
             false,\"otp\":\"\",\"otp_length\":26},\"wrap_info\":null,\"warnings\":null,\"auth\":\
             null}\n"
        ));
    }

    #[test]
    fn multierror_is_openbaos_text() {
        let a = multierror(500, "no root generation in progress");
        assert_eq!(a.status(), 500);
        assert_eq!(
            a.body(),
            "{\"errors\":[\"1 error occurred:\\n\\t* no root generation in progress\\n\\n\"]}\n"
        );
    }
}

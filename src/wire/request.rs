//! The request bodies: start, update and cancel, decoded as Go's `encoding/json` decodes them
//! (`go_decode.rs`), and their explicit serialization for clients.

use zeroize::Zeroizing;

use crate::error::Error;
use crate::go::json::{self as go_decode, Body, Shape, Slot, go_string_len, push_go_string};
use crate::secret::{Otp, SecretString};

fn invalid(reason: String) -> Error {
    Error::InvalidBody { reason }
}

/// A logical endpoint's body (OpenBao): a form's pairs when it is a form
/// ([`crate::go::form::is_form`]; a form Go refuses is [`Error::InvalidBody`] with
/// [`crate::go::form::FORM_ERROR`] as its reason, which the face answers as it stands), else
/// JSON.
/// The names no field has come back too (OpenBao's `unrecognized parameters`).
fn logical(
    body: &[u8],
    shape: Shape,
    content_type: Option<&str>,
) -> Result<(Body, Vec<String>), Error> {
    if crate::go::form::is_form(body, content_type) {
        return crate::go::form::decode(body, shape).map_err(|e| invalid(e.to_owned()));
    }
    go_decode::decode_logical(body, shape, content_type).map_err(invalid)
}

fn plain(slot: Slot) -> String {
    match slot {
        Slot::Plain(s) => s,
        // A secret slot is never asked for as plain text.
        Slot::Unset | Slot::Secret(_) => String::new(),
    }
}

fn secret(slot: Slot) -> Zeroizing<String> {
    match slot {
        Slot::Secret(s) => s,
        // Plain or unset: nothing secret was decoded.
        Slot::Unset | Slot::Plain(_) => Zeroizing::new(String::new()),
    }
}

/// Moves the text out of a zeroizing buffer without copying it (the buffer keeps an empty
/// string).
fn take(mut s: Zeroizing<String>) -> String {
    std::mem::take(&mut *s)
}

/// Writes `{"a":"..","b":"..",...}` into a zeroizing buffer sized up front, so that it never
/// reallocates (a reallocation would free an unwiped copy of a secret).
fn json_fields(fields: &[(&str, &str)]) -> Zeroizing<String> {
    let len = fields
        .iter()
        .map(|(name, value)| {
            // `"` `":` around the name and a `,` or the closing brace: 4 per field, plus the
            // value quoted; the opening brace is the 1 the sum starts from.
            4usize
                .saturating_add(name.len())
                .saturating_add(go_string_len(value))
        })
        .fold(1usize, usize::saturating_add)
        .max(2);
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.push('{');
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        push_go_string(&mut out, value);
    }
    out.push('}');
    out
}

fn two_fields(a: (&str, &str), b: (&str, &str)) -> Zeroizing<String> {
    json_fields(&[a, b])
}

/// The body of a start request (`PUT /sys/generate-recovery-token/attempt`): Vault's
/// `GenerateRootInitRequest`. Every field is optional and an empty body is valid.
///
/// `key` and `ttl` are the crate's own (Vault's clients never send them): a key
/// holder's share for a generator with holders-only start
/// ([`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`]), and the root token's
/// lifetime in Go's duration syntax (`1h30m`), for a host that supports it
/// ([`crate::GeneratorConfigBuilder::with_ttl_supported`]). Pass the whole request to
/// [`crate::RecoveryTokenGenerator::start_request`].
///
/// It has no `Serialize` (the OTP and the key are secrets): [`StartRequest::to_json`] writes it
/// explicitly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartRequest {
    /// A caller-chosen OTP (must have the configured length; its characters are not checked).
    pub otp: Otp,
    /// Standard padded base64 of a binary OpenPGP public key.
    pub pgp_key: String,
    /// A key holder's share (hex or base64), for holders-only start; empty if not sent. Secret:
    /// decoded only into a zeroizing buffer, zeroized on drop, not printed.
    pub key: SecretString,
    /// The root token's lifetime in Go's duration syntax; empty if not sent.
    pub ttl: String,
}

impl StartRequest {
    /// Parses a start body as Vault and OpenBao do, with Go's `encoding/json` rules and texts
    /// (see the crate's `wire::go_decode` module docs): any `Content-Type`; names matched
    /// case-insensitively; the last repeated field wins; unknown fields ignored; an empty (or
    /// all-whitespace) body and a `null` body are an empty request; text after the object is
    /// refused unless it is another valid JSON value. The OTP is unescaped only into a zeroizing
    /// buffer.
    ///
    /// # Errors
    /// [`Error::InvalidBody`] with Go's text, e.g.
    /// `json: cannot unmarshal number into Go struct field GenerateRootInitRequest.otp of type
    /// string` or `invalid character 'o' in literal null (expecting 'u')`.
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_fields(
            go_decode::decode(body, Shape::Start).map_err(invalid)?,
        ))
    }

    /// [`Self::from_json`] for a body whose `Content-Type` the host knows, as OpenBao 2.7.2
    /// answers it (observed): sent with any type but `application/x-www-form-urlencoded`, a
    /// top-level string, number or bool is refused as `json: cannot unmarshal <kind> into Go value
    /// of type map[string]interface {}` (its JSON-limits layer decodes such bodies into a map
    /// first). Every other rule and text is [`Self::from_json`]'s. Vault was not observed; hosts
    /// of the Vault dialect use [`Self::from_json`], and so does OpenBao's recovery mode, which
    /// has no such layer (observed: `"otp"` names `http.GenerateRootInitRequest` there).
    ///
    /// # Errors
    /// As [`Self::from_json`].
    pub fn from_http(body: &[u8], content_type: Option<&str>) -> Result<Self, Error> {
        let fields = go_decode::decode_http(body, Shape::Start, content_type).map_err(invalid)?;
        Ok(Self::from_fields(fields))
    }

    /// A start body as OpenBao's logical endpoint `sys/generate-root-token/attempt` reads it
    /// (observed on 2.7.2): exact names, weak types (`{"otp":5}` is the OTP `5`); with the
    /// names no field has.
    ///
    /// # Errors
    /// [`Error::InvalidBody`] with Go's (or mapstructure's) text.
    pub(crate) fn from_logical(
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<(Self, Vec<String>), Error> {
        let (fields, unknown) = logical(body, Shape::LogicalStart, content_type)?;
        Ok((Self::from_fields(fields), unknown))
    }

    /// OpenBao's generic HTTP layer (observed on 2.7.2): before any token is looked at or any
    /// route is taken, a PUT, POST or PATCH body not sent as a form must be blank or one JSON
    /// object; its fields are the handler's business. (The caller skips form bodies.)
    ///
    /// # Errors
    /// [`Error::InvalidBody`] with Go's text.
    pub(crate) fn check_generic(body: &[u8]) -> Result<(), Error> {
        go_decode::decode_http(body, Shape::Generic, None)
            .map(|_| ())
            .map_err(invalid)
    }

    fn from_fields(fields: Body) -> Self {
        match fields {
            Body::Blank => Self::default(),
            Body::Fields([otp, pgp_key, key, ttl]) => Self {
                otp: Otp::new(take(secret(otp))),
                pgp_key: plain(pgp_key),
                key: SecretString::new(take(secret(key))),
                ttl: plain(ttl),
            },
        }
    }

    /// The body a client sends, `{"otp":"...","pgp_key":"..."}` (the keys in the order Vault's
    /// Go client writes them), then `"key"` and `"ttl"` only when set, Go-escaped, in a
    /// zeroizing buffer sized up front.
    #[must_use]
    pub fn to_json(&self) -> Zeroizing<String> {
        let mut fields = vec![
            ("otp", self.otp.expose_secret()),
            ("pgp_key", self.pgp_key.as_str()),
        ];
        if !self.key.is_empty() {
            fields.push(("key", self.key.expose_secret()));
        }
        if !self.ttl.is_empty() {
            fields.push(("ttl", self.ttl.as_str()));
        }
        json_fields(&fields)
    }
}

/// The body of an update request (`PUT /sys/generate-recovery-token/update`): Vault's
/// `GenerateRootUpdateRequest`.
///
/// It has no `Serialize` (the share is a secret): [`UpdateRequest::to_json`] writes it
/// explicitly, and this does not compile:
///
/// ```compile_fail
/// let request = recovery_token::wire::UpdateRequest::default();
/// let _ = serde_json::to_string(&request); // UpdateRequest: Serialize is not satisfied
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UpdateRequest {
    /// The key share, hex or standard padded base64. Secret: zeroized on drop, not printed.
    pub key: SecretString,
    /// The attempt's nonce.
    pub nonce: String,
}

impl std::fmt::Debug for UpdateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateRequest")
            .field("key", &"[REDACTED]")
            .field("nonce", &self.nonce)
            .finish()
    }
}

impl UpdateRequest {
    /// An update request for `key` (a share, hex or base64) and the attempt's `nonce`.
    #[must_use]
    pub fn new(key: SecretString, nonce: String) -> Self {
        Self { key, nonce }
    }

    /// Parses an update body as Vault and OpenBao do, with Go's `encoding/json` rules and texts
    /// (as [`StartRequest::from_json`]). The share is unescaped only into a zeroizing buffer;
    /// a repeated `key` wipes the earlier value.
    ///
    /// # Errors
    /// [`Error::EmptyBody`] for an empty body (Vault's `EOF`), [`Error::InvalidBody`] with Go's
    /// text, [`Error::MissingKey`] when `key` is missing, `null` or empty (also for a `null`
    /// body).
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        Self::from_fields(go_decode::decode(body, Shape::Update).map_err(invalid)?)
    }

    /// [`Self::from_json`] for a body whose `Content-Type` the host knows, as OpenBao 2.7.2
    /// answers it (see [`StartRequest::from_http`]).
    ///
    /// # Errors
    /// As [`Self::from_json`].
    pub fn from_http(body: &[u8], content_type: Option<&str>) -> Result<Self, Error> {
        let fields = go_decode::decode_http(body, Shape::Update, content_type).map_err(invalid)?;
        Self::from_fields(fields)
    }

    /// The key and the nonce of an update body as OpenBao's logical endpoints read them
    /// (`sys/generate-root-token/update`): decoded as [`Self::from_http`], but a blank body, a
    /// `null` body and missing fields are all empty values; the framework's own checks follow.
    pub(crate) fn fields_http(
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<(SecretString, String, Vec<String>), Error> {
        match logical(body, Shape::LogicalUpdate, content_type)? {
            (Body::Blank, unknown) => Ok((SecretString::default(), String::new(), unknown)),
            (Body::Fields([key, nonce, _, _]), unknown) => {
                Ok((SecretString::new(take(secret(key))), plain(nonce), unknown))
            }
        }
    }

    fn from_fields(fields: Body) -> Result<Self, Error> {
        match fields {
            Body::Blank => Err(Error::EmptyBody),
            Body::Fields([key, nonce, _, _]) => {
                let request = Self {
                    key: SecretString::new(take(secret(key))),
                    nonce: plain(nonce),
                };
                if request.key.is_empty() {
                    return Err(Error::MissingKey);
                }
                Ok(request)
            }
        }
    }

    /// The body a client sends, `{"key":"...","nonce":"..."}` (the keys in the order Vault's Go
    /// client writes them), Go-escaped, in a zeroizing buffer sized up front.
    #[must_use]
    pub fn to_json(&self) -> Zeroizing<String> {
        two_fields(("key", self.key.expose_secret()), ("nonce", &self.nonce))
    }
}

/// The body of `sys/decode-token`: `{"encoded_token": "..", "otp": ".."}`, decoded as OpenBao's
/// logical endpoint reads it (exact names; OpenBao 2.7.2 observed). Both are zeroized on drop.
pub(crate) struct DecodeTokenRequest {
    pub(crate) encoded_token: Zeroizing<String>,
    pub(crate) otp: Zeroizing<String>,
    /// The names no field has (OpenBao's `unrecognized parameters`).
    pub(crate) unknown: Vec<String>,
}

impl DecodeTokenRequest {
    /// # Errors
    /// [`Error::InvalidBody`] with Go's text.
    pub(crate) fn from_http(body: &[u8], content_type: Option<&str>) -> Result<Self, Error> {
        match logical(body, Shape::DecodeToken, content_type)? {
            (Body::Blank, unknown) => Ok(Self {
                encoded_token: Zeroizing::new(String::new()),
                otp: Zeroizing::new(String::new()),
                unknown,
            }),
            (Body::Fields([encoded_token, otp, _, _]), unknown) => Ok(Self {
                encoded_token: secret(encoded_token),
                otp: secret(otp),
                unknown,
            }),
        }
    }
}

/// A cancel request over HTTP (`DELETE /sys/generate-recovery-token/attempt`), for hosts that
/// set [`crate::GeneratorConfig`]'s `cancel_requires_nonce`: the nonce comes from a JSON body
/// `{"nonce":"..."}` (decoded like the other bodies) or from a `?nonce=` query parameter.
///
/// Vault and OpenBao read no cancel body and take no nonce; this is the crate's hardening.
/// A nonce is not secret (the status shows it to anyone).
///
/// A generator with holders-only cancel
/// ([`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`]) also needs a key
/// holder's share: the body's `key` (never the query: a share must not sit in a URL). Pass the
/// whole request to [`crate::RecoveryTokenGenerator::cancel_request`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CancelRequest {
    nonce: Option<String>,
    key: SecretString,
}

impl CancelRequest {
    /// Reads the nonce from a DELETE's `body` and the request's `query` (the text after `?`,
    /// without it).
    ///
    /// - The body: empty, `null`, or a JSON object whose `nonce` (any case) is a string; other
    ///   fields are ignored.
    /// - The query: `&`-separated `name=value` pairs; the first `nonce` is taken, its value
    ///   percent-decoded (`+` is a space). A malformed `%` escape is kept as written: it can
    ///   never equal a nonce (hex digits and dashes), so the cancel is refused as with a wrong
    ///   nonce.
    /// - Both present: the body's non-empty nonce wins (the body is what the request's author
    ///   wrote last; a query can come from a bookmarked or logged URL). An empty body nonce
    ///   falls back to the query.
    ///
    /// - The body's `key` (a string, any case of the name) is a key holder's share, unescaped
    ///   only into a zeroizing buffer.
    ///
    /// # Errors
    /// [`Error::InvalidBody`] when the body is not such JSON (Go's texts, type
    /// `GenerateRootCancelRequest`).
    pub fn from_http(body: &[u8], query: Option<&str>) -> Result<Self, Error> {
        let (from_body, key) = match go_decode::decode(body, Shape::Cancel).map_err(invalid)? {
            Body::Blank => (String::new(), SecretString::default()),
            Body::Fields([nonce, key, _, _]) => {
                (plain(nonce), SecretString::new(take(secret(key))))
            }
        };
        let nonce = if from_body.is_empty() {
            query.and_then(query_nonce)
        } else {
            Some(from_body)
        };
        Ok(Self { nonce, key })
    }

    /// A cancel request carrying `nonce` (a client or a host that read it elsewhere).
    #[must_use]
    pub fn new(nonce: Option<String>) -> Self {
        Self {
            nonce,
            key: SecretString::default(),
        }
    }

    /// The same request carrying a key holder's share (hex or base64), for holders-only cancel.
    #[must_use]
    pub fn with_key(mut self, key: SecretString) -> Self {
        self.key = key;
        self
    }

    /// The key holder's share given (empty if none). Secret.
    #[must_use]
    pub fn key(&self) -> &SecretString {
        &self.key
    }

    /// The body a client sends: `{"nonce":"..."}`, with `"key"` when a share is set, Go-escaped,
    /// in a zeroizing buffer sized up front.
    #[must_use]
    pub fn to_json(&self) -> Zeroizing<String> {
        let nonce = self.nonce.as_deref().unwrap_or_default();
        if self.key.is_empty() {
            json_fields(&[("nonce", nonce)])
        } else {
            json_fields(&[("nonce", nonce), ("key", self.key.expose_secret())])
        }
    }

    /// The nonce given, if any; pass it to [`crate::RecoveryTokenGenerator::cancel`].
    #[must_use]
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }
}

/// The first `nonce=` value of a query string, percent-decoded (`None` if absent or empty).
fn query_nonce(query: &str) -> Option<String> {
    let value = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(name, _)| percent_decode(name).as_deref() == Some("nonce"))
        .map(|(_, value)| value)?;
    let decoded = percent_decode(value).unwrap_or_else(|| value.to_owned());
    (!decoded.is_empty()).then_some(decoded)
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space); `None` for a malformed `%`
/// escape. Invalid UTF-8 after decoding becomes U+FFFD.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |at: usize| b.get(at).and_then(|h| char::from(*h).to_digit(16));
                let hi = hex(i.saturating_add(1))?;
                let lo = hex(i.saturating_add(2))?;
                out.push(u8::try_from(hi.wrapping_shl(4) | lo).ok()?);
                i = i.saturating_add(2);
            }
            c => out.push(c),
        }
        i = i.saturating_add(1);
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

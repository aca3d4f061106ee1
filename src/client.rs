//! The key holders' side of a ceremony, sans-IO: requests as data, answers parsed, and a small
//! client-side state machine ([`Ceremony`]).
//!
//! Nothing here opens a socket. A [`Client`] builds each [`Request`] (method, path, headers, body
//! bytes) for one of the four endpoint families ([`Endpoint`]); the host sends it with any HTTP
//! library and hands the answer back as a [`Response`] (status, `Content-Type`, body), which
//! [`Client::parse_status`] / [`Client::parse_cancel`] turn into an [`AttemptStatus`] or a typed
//! [`ClientError`] carrying the server's texts and status code.
//!
//! ```
//! use std::time::Instant;
//!
//! use recovery_token::client::{Ceremony, Client, Response, Start};
//! use recovery_token::http::Endpoint;
//! use recovery_token::http::{Face, serve};
//! use recovery_token::{ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, SecretString};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The server: the crate's own HTTP face over a generator, threshold 1 (the single share is
//! // the key).
//! let key = [7u8; 16];
//! let mut face = Face::new(RecoveryTokenGenerator::new(GeneratorConfig::new(1)?));
//! let mut host = ExpectedKey::new(&key);
//! let (now, mut rng) = (Instant::now(), rand::rng());
//!
//! // The key holders' side builds requests; any HTTP library would carry them.
//! let mut ceremony = Ceremony::new(Client::new(Endpoint::Recovery));
//! let request = ceremony.start_request(Start::GenerateOtp)?;
//! assert_eq!(request.path, "/v1/sys/generate-recovery-token/attempt");
//! let answer = serve(&mut face, &request.to_face(), now, &mut rng, &mut host, |_| false);
//! ceremony.handle_start(&Response::from_answer(&answer))?;
//!
//! let request = ceremony.update_request(SecretString::from("07".repeat(16)))?;
//! let answer = serve(&mut face, &request.to_face(), now, &mut rng, &mut host, |_| false);
//! ceremony.handle_update(&Response::from_answer(&answer))?;
//!
//! assert!(ceremony.is_complete());
//! assert!(ceremony.token()?.expose_secret().starts_with("hvr."));
//! # Ok(()) }
//! ```

use std::fmt;
use std::fmt::Write as _;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::secret::{Otp, SecretString, Token};
use crate::tokens::{TokenCodecError, decode_token};
use crate::wire::{AttemptStatus, CancelRequest, ErrorBody, StartRequest, UpdateRequest};

use crate::http::{Endpoint, NAMESPACE_HEADER, TOKEN_HEADER};

/// `endpoint`'s base path followed by `leaf` (which may carry a query).
fn path_of(endpoint: Endpoint, leaf: &str) -> String {
    let base = endpoint.base_path();
    let mut p = String::with_capacity(base.len().saturating_add(leaf.len()));
    p.push_str(base);
    p.push_str(leaf);
    p
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
}

impl Method {
    /// The method's name as it goes on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One HTTP request as data, for the host's HTTP library to send to the server's address.
///
/// The body can hold a key share or an OTP and a header can hold a token: both are zeroized on
/// drop and redacted in `Debug`, and there is no `==` (it would not be constant-time). (The
/// copies a transport makes to send them are the transport's.)
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, starting with `/v1/`.
    pub path: String,
    /// Header names and values, in the order to send them.
    pub headers: Vec<(String, Zeroizing<String>)>,
    /// The body; empty when there is none.
    pub body: Zeroizing<Vec<u8>>,
}

impl Request {
    /// This request as the crate's HTTP face takes it ([`crate::http::Face::handle`]), for hosts
    /// and tests that run both sides in one process.
    #[must_use]
    pub fn to_face(&self) -> crate::http::Request<'_> {
        let mut r =
            crate::http::Request::new(self.method.as_str(), &self.path).with_body(&self.body);
        for (name, value) in &self.headers {
            r = r.with_header(name, value);
        }
        r
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &format_args!("{names:?} [values REDACTED]"))
            .field(
                "body",
                &format_args!("[REDACTED; {} bytes]", self.body.len()),
            )
            .finish()
    }
}

/// A server's answer as the host's HTTP library received it.
///
/// The body of a start answer can hold the server-generated OTP: it is zeroized on drop and
/// redacted in `Debug`, and there is no `==` (it would not be constant-time).
#[derive(Clone)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if the answer had one.
    pub content_type: Option<String>,
    /// The body.
    pub body: Zeroizing<Vec<u8>>,
}

impl Response {
    /// An answer from its parts.
    #[must_use]
    pub fn new(status: u16, content_type: Option<String>, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            body: Zeroizing::new(body),
        }
    }

    /// The answer the crate's own HTTP face gave (tests, and hosts that run both sides in one
    /// process).
    #[must_use]
    pub fn from_answer(response: &crate::http::Answer) -> Self {
        let body = response.body().as_bytes();
        let mut copy = Zeroizing::new(Vec::with_capacity(body.len()));
        copy.extend_from_slice(body);
        Self {
            status: response.status(),
            content_type: response.content_type().map(str::to_owned),
            body: copy,
        }
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field(
                "body",
                &format_args!("[REDACTED; {} bytes]", self.body.len()),
            )
            .finish()
    }
}

/// The server refused a request: its HTTP status and its `errors` texts, verbatim (Vault's
/// `{"errors":[...]}`; the list is empty for 404s and 405s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The HTTP status code.
    pub status: u16,
    /// The server's error texts.
    pub errors: Vec<String>,
}

impl ServerError {
    /// Whether any of the server's texts is exactly `text`.
    #[must_use]
    pub fn has_error(&self, text: &str) -> bool {
        self.errors.iter().any(|e| e == text)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server answered {}", self.status)?;
        let mut sep = ": ";
        for e in &self.errors {
            write!(f, "{sep}{e}")?;
            sep = "; ";
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

/// What went wrong on the client's side of a ceremony. No variant carries a share, an OTP or a
/// token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server refused the request (its status and texts).
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The answer should be JSON but its `Content-Type` is something else (or missing): often a
    /// proxy's or a wrong server's page.
    #[error("expected Content-Type application/json, got {content_type:?} (HTTP {status})")]
    ContentType {
        /// The HTTP status code.
        status: u16,
        /// The `Content-Type` received.
        content_type: Option<String>,
    },
    /// The body is not the JSON expected. The reason names the position and the kind of fault,
    /// never the body (it can hold an OTP).
    #[error("malformed answer (HTTP {status}): {reason}")]
    Body {
        /// The HTTP status code.
        status: u16,
        /// What is wrong with the body.
        reason: String,
    },
    /// A success status the operation never answers with (e.g. 200 to a cancel with a body that
    /// is not JSON, or 201).
    #[error("unexpected HTTP status {status}")]
    UnexpectedStatus {
        /// The HTTP status code.
        status: u16,
    },
    /// A share was offered for a nonce that is not this ceremony's: it was not sent.
    #[error(
        "the share is for nonce \"{given}\" but the attempt in progress has nonce \"{expected}\"; not sent"
    )]
    WrongNonce {
        /// The ceremony's nonce.
        expected: String,
        /// The nonce given with the share.
        given: String,
    },
    /// No attempt is in progress in this ceremony (start one, or read the status first).
    #[error("no generation attempt is in progress")]
    NotStarted,
    /// An attempt is already in progress (or complete) in this ceremony.
    #[error("a generation attempt is already in progress")]
    AlreadyStarted,
    /// The token is not ready yet.
    #[error("the token is not ready: the generation is not complete")]
    NotComplete,
    /// The answer contradicts what the ceremony sent or knows (e.g. another nonce, a generated
    /// OTP missing, a complete answer without a token).
    #[error("unexpected answer: {0}")]
    UnexpectedAnswer(&'static str),
    /// The token was encrypted to a PGP key: take [`Ceremony::pgp_message`] instead.
    #[error("the token is encrypted to a PGP key; decrypt the PGP message instead")]
    PgpEncoded,
    /// The token was encoded with an OTP, not encrypted to a PGP key.
    #[error("the token is OTP-encoded, not a PGP message")]
    NotPgp,
    /// The ceremony does not know the OTP the token was encoded with.
    #[error("no OTP known to decode the token")]
    NoOtp,
    /// The encoded token did not decode with the OTP.
    #[error("error decoding the token: {0}")]
    Decode(#[from] TokenCodecError),
    /// The PGP-encrypted token is not valid standard base64.
    #[error("the PGP-encrypted token is not valid base64")]
    PgpMessageBase64,
}

/// Builds the requests of one endpoint family and parses its answers.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    endpoint: Endpoint,
    namespace: Option<String>,
    token: Option<SecretString>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("namespace", &self.namespace)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl Client {
    /// A client for `endpoint`, without token or namespace.
    #[must_use]
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            namespace: None,
            token: None,
        }
    }

    /// Sends `X-Vault-Namespace: namespace` with every request.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sends `X-Vault-Token: token` with every request (needed by [`Endpoint::RootToken`]).
    #[must_use]
    pub fn with_token(mut self, token: SecretString) -> Self {
        self.token = Some(token);
        self
    }

    /// The endpoint family.
    #[must_use]
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    fn request(&self, method: Method, leaf: &str, body: Option<Zeroizing<String>>) -> Request {
        let mut headers = Vec::with_capacity(3);
        if body.is_some() {
            headers.push((
                "Content-Type".to_owned(),
                Zeroizing::new(crate::wire::CONTENT_TYPE_JSON.to_owned()),
            ));
        }
        if let Some(token) = &self.token {
            headers.push((
                TOKEN_HEADER.to_owned(),
                Zeroizing::new(token.expose_secret().to_owned()),
            ));
        }
        if let Some(ns) = &self.namespace {
            headers.push((NAMESPACE_HEADER.to_owned(), Zeroizing::new(ns.clone())));
        }
        let body = body.map_or_else(
            || Zeroizing::new(Vec::new()),
            // Moves the buffer: no copy of the secret is left behind.
            |mut b| Zeroizing::new(std::mem::take(&mut *b).into_bytes()),
        );
        Request {
            method,
            path: path_of(self.endpoint, leaf),
            headers,
            body,
        }
    }

    /// `GET .../attempt`: read the status.
    #[must_use]
    pub fn status_request(&self) -> Request {
        self.request(Method::Get, "attempt", None)
    }

    /// `PUT .../attempt` with `{"otp":"...","pgp_key":"..."}`: start an attempt (Vault's Go
    /// client sends both keys, empty ones as `""`).
    #[must_use]
    pub fn start_request(&self, start: &StartRequest) -> Request {
        self.request(Method::Put, "attempt", Some(start.to_json()))
    }

    /// `PUT .../update` with `{"key":"...","nonce":"..."}`: submit a share.
    #[must_use]
    pub fn update_request(&self, update: &UpdateRequest) -> Request {
        self.request(Method::Put, "update", Some(update.to_json()))
    }

    /// `DELETE .../attempt`: cancel whatever attempt is in progress (Vault's cancel).
    #[must_use]
    pub fn cancel_request(&self) -> Request {
        self.request(Method::Delete, "attempt", None)
    }

    /// `DELETE .../attempt?nonce=...`: a cancel bound to one attempt, for servers that require
    /// the nonce (this crate's `cancel_requires_nonce`); Vault and OpenBao ignore the query.
    #[must_use]
    pub fn cancel_request_for(&self, nonce: &str) -> Request {
        let mut leaf = String::with_capacity(nonce.len().saturating_mul(3).saturating_add(14));
        leaf.push_str("attempt?nonce=");
        for b in nonce.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                leaf.push(char::from(b));
            } else {
                let _ = write!(leaf, "%{b:02X}");
            }
        }
        self.request(Method::Delete, &leaf, None)
    }

    /// `DELETE .../attempt` with the body `{"nonce":"...","key":"..."}`: a key holder's cancel,
    /// for servers with holders-only cancel (this crate's
    /// [`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`]). The share travels in
    /// the body, never in the URL. Vault and OpenBao read no cancel body.
    #[must_use]
    pub fn cancel_request_as_holder(&self, nonce: Option<&str>, key: SecretString) -> Request {
        let body = CancelRequest::new(nonce.map(str::to_owned)).with_key(key);
        self.request(Method::Delete, "attempt", Some(body.to_json()))
    }

    /// Parses the answer to a status, start or update request: 200 with the status JSON, or the
    /// server's error.
    ///
    /// # Errors
    /// [`ClientError::Server`] for an error answer, [`ClientError::ContentType`] when the answer
    /// is not `application/json`, [`ClientError::Body`] when the JSON is not the status (or
    /// error) shape, [`ClientError::UnexpectedStatus`] for another success status.
    pub fn parse_status(&self, response: &Response) -> Result<AttemptStatus, ClientError> {
        parse_status(response)
    }

    /// Parses the answer to a cancel: any 2xx (Vault: 204, no body), or the server's error.
    ///
    /// # Errors
    /// As [`Client::parse_status`] for error answers.
    pub fn parse_cancel(&self, response: &Response) -> Result<(), ClientError> {
        parse_cancel(response)
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case(crate::wire::CONTENT_TYPE_JSON)
    })
}

fn body_error(status: u16, e: &serde_json::Error) -> ClientError {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "not JSON",
        Category::Data => "a field is missing or has the wrong type",
        Category::Eof => "unexpected end of input",
    };
    ClientError::Body {
        status,
        reason: format!("{kind} at line {} column {}", e.line(), e.column()),
    }
}

/// An error answer (any status outside 2xx) as a [`ClientError`].
fn error_answer(response: &Response) -> ClientError {
    let status = response.status;
    if !is_json(response.content_type.as_deref()) {
        return ClientError::ContentType {
            status,
            content_type: response.content_type.clone(),
        };
    }
    match serde_json::from_slice::<ErrorBody>(&response.body) {
        Ok(body) => ClientError::Server(ServerError {
            status,
            errors: body.errors,
        }),
        Err(e) => body_error(status, &e),
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// OpenBao's logical-response envelope around the status ([`Endpoint::RootToken`]).
#[derive(serde::Deserialize)]
struct Envelope {
    data: AttemptStatus,
}

/// Which keys a status answer has, read without copying any value (the body can hold an OTP).
#[derive(serde::Deserialize)]
struct Shape {
    started: Option<serde::de::IgnoredAny>,
    data: Option<serde::de::IgnoredAny>,
}

/// See [`Client::parse_status`].
fn parse_status(response: &Response) -> Result<AttemptStatus, ClientError> {
    let status = response.status;
    if !is_success(status) {
        return Err(error_answer(response));
    }
    if status != 200 {
        return Err(ClientError::UnexpectedStatus { status });
    }
    if !is_json(response.content_type.as_deref()) {
        return Err(ClientError::ContentType {
            status,
            content_type: response.content_type.clone(),
        });
    }
    let body_error = |e: serde_json::Error| body_error(status, &e);
    // Vault sends all ten keys; `AttemptStatus` defaults missing ones, so without this check
    // any JSON object would read as "not started".
    let shape: Shape = serde_json::from_slice(&response.body).map_err(body_error)?;
    match shape {
        Shape {
            started: Some(_), ..
        } => serde_json::from_slice(&response.body).map_err(body_error),
        Shape {
            started: None,
            data: Some(_),
        } => serde_json::from_slice::<Envelope>(&response.body)
            .map(|e| e.data)
            .map_err(body_error),
        Shape {
            started: None,
            data: None,
        } => Err(ClientError::Body {
            status,
            reason: "not a status answer: no \"started\" key".to_owned(),
        }),
    }
}

/// See [`Client::parse_cancel`].
fn parse_cancel(response: &Response) -> Result<(), ClientError> {
    if is_success(response.status) {
        Ok(())
    } else {
        Err(error_answer(response))
    }
}

/// How the minted token should come back: what a ceremony's start request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Start {
    /// The server generates the OTP and returns it once, in the start answer.
    GenerateOtp,
    /// The caller's own OTP (it must have the server's `otp_length`).
    Otp(Otp),
    /// Encrypt the token to this PGP public key: standard padded base64 of the binary key, as
    /// Vault's API takes it.
    PgpKey(String),
}

#[derive(Clone)]
enum Phase {
    /// No attempt known.
    Idle,
    /// A start request was built and its answer is awaited.
    Starting { generate_otp: bool, pgp: bool },
    /// An attempt is in progress.
    InProgress {
        nonce: String,
        progress: usize,
        required: usize,
    },
    /// The final update answer arrived.
    Complete {
        nonce: String,
        required: usize,
        encoded: Zeroizing<String>,
    },
}

/// A client-side ceremony: remembers the attempt's nonce and OTP, refuses to send a share for
/// another nonce, knows when the token is ready and decodes it.
///
/// Drive it with the requests it builds and the answers the server sent:
/// [`Ceremony::start_request`] / [`Ceremony::handle_start`] (or [`Ceremony::handle_status`] to
/// join an attempt someone else started), then [`Ceremony::update_request`] /
/// [`Ceremony::handle_update`] per share, then [`Ceremony::token`] (OTP) or
/// [`Ceremony::pgp_message`] (PGP). A refused call, or an error answer, leaves the ceremony as it
/// was.
///
/// The OTP and the encoded token are zeroized on drop and never printed by `Debug`.
///
/// # Examples
///
/// Three key holders against an in-memory server (the crate's own generator), where a real
/// client would send each [`Request`] over HTTP:
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::client::{Ceremony, Client, Request, Response, Start};
/// use recovery_token::http::Endpoint;
/// use recovery_token::http::{Face, serve};
/// use recovery_token::shares::KeyShare;
/// use recovery_token::{ExpectedKey, GeneratorConfig, RecoveryTokenGenerator};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, key) = (rand::rng(), [7u8; 32]);
/// let shares = KeyShare::split(&key, 3, 5, &mut rng)?;
/// let mut face = Face::new(RecoveryTokenGenerator::new(GeneratorConfig::new(3)?));
/// let mut host = ExpectedKey::new(&key);
/// let mut send = |request: Request| -> Result<Response, Box<dyn std::error::Error>> {
///     let answer = serve(&mut face, &request.to_face(), Instant::now(), &mut rng, &mut host, |_| false);
///     Ok(Response::from_answer(&answer))
/// };
///
/// let mut ceremony = Ceremony::new(Client::new(Endpoint::Recovery));
/// let answer = send(ceremony.start_request(Start::GenerateOtp)?)?;
/// ceremony.handle_start(&answer)?;
/// for share in &shares[1..4] {
///     let hex: String = share.expose_secret().iter().map(|b| format!("{b:02x}")).collect();
///     ceremony.handle_update(&send(ceremony.update_request(hex.into())?)?)?;
/// }
/// assert!(ceremony.is_complete());
/// assert!(ceremony.token()?.expose_secret().starts_with("hvr."));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Ceremony {
    client: Client,
    phase: Phase,
    /// The OTP the token is encoded with: the caller's (remembered once the start is accepted),
    /// the server's generated one, or one given with [`Ceremony::set_otp`].
    otp: Option<Otp>,
    /// The caller's OTP while its start is in flight.
    pending_otp: Option<Otp>,
    otp_length: usize,
    pgp_fingerprint: String,
}

impl fmt::Debug for Ceremony {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match &self.phase {
            Phase::Idle => "idle".to_owned(),
            Phase::Starting { .. } => "starting".to_owned(),
            Phase::InProgress {
                nonce,
                progress,
                required,
            } => format!("in progress, nonce {nonce}, {progress}/{required}"),
            Phase::Complete { nonce, .. } => format!("complete, nonce {nonce}"),
        };
        f.debug_struct("Ceremony")
            .field("client", &self.client)
            .field("phase", &phase)
            .field("otp", &self.otp.as_ref().map(|_| "[REDACTED]"))
            .field("otp_length", &self.otp_length)
            .field("pgp_fingerprint", &self.pgp_fingerprint)
            .finish_non_exhaustive()
    }
}

impl Ceremony {
    /// A ceremony on `client`'s endpoint with no attempt known yet.
    #[must_use]
    pub fn new(client: Client) -> Self {
        Self {
            client,
            phase: Phase::Idle,
            otp: None,
            pending_otp: None,
            otp_length: 0,
            pgp_fingerprint: String::new(),
        }
    }

    /// The client the ceremony builds its requests with.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Gives the ceremony the OTP to decode the token with (the initiator's OTP, when this
    /// ceremony joined the attempt through [`Ceremony::handle_status`]).
    pub fn set_otp(&mut self, otp: Otp) {
        self.otp = Some(otp);
    }

    /// The OTP the token will be decoded with, if known. Handle it as a secret.
    #[must_use]
    pub fn otp(&self) -> Option<&Otp> {
        self.otp.as_ref()
    }

    /// The attempt's nonce, once known.
    #[must_use]
    pub fn nonce(&self) -> Option<&str> {
        match &self.phase {
            Phase::InProgress { nonce, .. } | Phase::Complete { nonce, .. } => Some(nonce),
            Phase::Idle | Phase::Starting { .. } => None,
        }
    }

    /// `(progress, required)` of the attempt, once known.
    #[must_use]
    pub fn progress(&self) -> Option<(usize, usize)> {
        match &self.phase {
            Phase::InProgress {
                progress, required, ..
            } => Some((*progress, *required)),
            Phase::Complete { required, .. } => Some((*required, *required)),
            Phase::Idle | Phase::Starting { .. } => None,
        }
    }

    /// Whether the final answer arrived and the token is ready.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        matches!(self.phase, Phase::Complete { .. })
    }

    /// The encoded token of the final answer (`encoded_token`, or `encoded_root_token` from a
    /// server that sets only that one).
    #[must_use]
    pub fn encoded_token(&self) -> Option<&str> {
        match &self.phase {
            Phase::Complete { encoded, .. } => Some(encoded),
            _ => None,
        }
    }

    /// The fingerprint of the PGP key the token is encrypted to, `""` for OTP encoding.
    #[must_use]
    pub fn pgp_fingerprint(&self) -> &str {
        &self.pgp_fingerprint
    }

    /// The OTP length the server announced (0: Vault's legacy scheme, or not known yet).
    #[must_use]
    pub fn otp_length(&self) -> usize {
        self.otp_length
    }

    /// The status request (reading it does not change the ceremony until
    /// [`Ceremony::handle_status`]).
    #[must_use]
    pub fn status_request(&self) -> Request {
        self.client.status_request()
    }

    /// Takes a status answer: joins the attempt in progress (when none is known), or follows
    /// its progress. An answer showing no attempt forgets an attempt in progress (it was
    /// cancelled, expired or completed elsewhere); a complete ceremony keeps its token, and a
    /// ceremony awaiting its start answer stays as it is.
    ///
    /// # Errors
    /// The parse errors of [`Client::parse_status`]; [`ClientError::UnexpectedAnswer`] when the
    /// server's attempt has another nonce than this ceremony's (the ceremony is unchanged: a
    /// new one is needed to join the other attempt).
    pub fn handle_status(&mut self, response: &Response) -> Result<AttemptStatus, ClientError> {
        let status = parse_status(response)?;
        // Two arms answer `None` for different reasons, and the guarded `Idle` arm must come first.
        #[allow(clippy::match_same_arms)]
        let next = match &self.phase {
            // A start in flight: whose attempt the status shows is not known yet.
            Phase::Complete { .. } | Phase::Starting { .. } => None,
            Phase::Idle if status.started => {
                if status.nonce.is_empty() {
                    return Err(ClientError::UnexpectedAnswer("started without a nonce"));
                }
                Some(Phase::InProgress {
                    nonce: status.nonce.clone(),
                    progress: status.progress,
                    required: status.required,
                })
            }
            Phase::InProgress { nonce, .. } if status.started => {
                if *nonce != status.nonce {
                    return Err(ClientError::UnexpectedAnswer(
                        "another attempt replaced this ceremony's",
                    ));
                }
                Some(Phase::InProgress {
                    nonce: status.nonce.clone(),
                    progress: status.progress,
                    required: status.required,
                })
            }
            Phase::InProgress { .. } => Some(Phase::Idle),
            Phase::Idle => None,
        };
        if let Some(next) = next {
            let joined = matches!(next, Phase::InProgress { .. });
            if joined {
                self.pgp_fingerprint.clone_from(&status.pgp_fingerprint);
                self.otp_length = status.otp_length;
            } else {
                self.otp = None;
                self.pgp_fingerprint.clear();
            }
            self.phase = next;
        }
        Ok(status)
    }

    /// The start request. A caller's OTP is remembered once the server accepts the start.
    ///
    /// # Errors
    /// [`ClientError::AlreadyStarted`] when this ceremony already has an attempt.
    pub fn start_request(&mut self, start: Start) -> Result<Request, ClientError> {
        self.start_request_with(start, SecretString::default(), String::new())
    }

    /// [`Self::start_request`] with the crate's own start fields (empty ones are not
    /// sent): `key`, a key holder's share for servers with holders-only start, and `ttl`, the
    /// root token's lifetime in Go's duration syntax (`1h30m`) for servers that support it.
    /// Vault and OpenBao ignore both.
    ///
    /// # Errors
    /// As [`Self::start_request`].
    pub fn start_request_with(
        &mut self,
        start: Start,
        key: SecretString,
        ttl: String,
    ) -> Result<Request, ClientError> {
        if !matches!(self.phase, Phase::Idle | Phase::Starting { .. }) {
            return Err(ClientError::AlreadyStarted);
        }
        let (mut body, phase, pending) = match start {
            Start::GenerateOtp => (
                StartRequest::default(),
                Phase::Starting {
                    generate_otp: true,
                    pgp: false,
                },
                None,
            ),
            Start::Otp(otp) => (
                StartRequest {
                    otp: otp.clone(),
                    ..StartRequest::default()
                },
                Phase::Starting {
                    generate_otp: false,
                    pgp: false,
                },
                Some(otp),
            ),
            Start::PgpKey(pgp_key) => (
                StartRequest {
                    pgp_key,
                    ..StartRequest::default()
                },
                Phase::Starting {
                    generate_otp: false,
                    pgp: true,
                },
                None,
            ),
        };
        body.key = key;
        body.ttl = ttl;
        let request = self.client.start_request(&body);
        self.phase = phase;
        self.pending_otp = pending;
        Ok(request)
    }

    /// Takes the start answer: remembers the nonce, and the OTP (the server's generated one, or
    /// the caller's).
    ///
    /// # Errors
    /// [`ClientError::NotStarted`] without a start request in flight; the parse errors of
    /// [`Client::parse_status`] (the ceremony stays ready to start again);
    /// [`ClientError::UnexpectedAnswer`] when the answer is not a started attempt, a requested
    /// OTP is missing or has the wrong length, or a PGP start has no fingerprint.
    pub fn handle_start(&mut self, response: &Response) -> Result<AttemptStatus, ClientError> {
        let Phase::Starting { generate_otp, pgp } = self.phase else {
            return Err(ClientError::NotStarted);
        };
        let status = parse_status(response)?;
        if !status.started || status.nonce.is_empty() {
            return Err(ClientError::UnexpectedAnswer(
                "the start answer shows no attempt",
            ));
        }
        let otp = if generate_otp {
            // Vault's legacy scheme (otp_length 0) generates padded base64 of 16 bytes.
            let expected = if status.otp_length == 0 {
                24
            } else {
                status.otp_length
            };
            if status.otp.len() != expected {
                return Err(ClientError::UnexpectedAnswer(
                    "the generated OTP is missing or has the wrong length",
                ));
            }
            Some(status.otp.clone())
        } else if pgp {
            if status.pgp_fingerprint.is_empty() {
                return Err(ClientError::UnexpectedAnswer(
                    "a PGP start answer without a fingerprint",
                ));
            }
            None
        } else {
            self.pending_otp.take()
        };
        self.otp = otp;
        self.pending_otp = None;
        self.otp_length = status.otp_length;
        self.pgp_fingerprint.clone_from(&status.pgp_fingerprint);
        self.phase = Phase::InProgress {
            nonce: status.nonce.clone(),
            progress: status.progress,
            required: status.required,
        };
        Ok(status)
    }

    /// The update request carrying `key` (hex or base64, as the key holder has it) for this
    /// ceremony's attempt.
    ///
    /// # Errors
    /// [`ClientError::NotStarted`] before the attempt is known, [`ClientError::AlreadyStarted`]
    /// once it is complete.
    pub fn update_request(&self, key: SecretString) -> Result<Request, ClientError> {
        let nonce = self.in_progress_nonce()?;
        Ok(self
            .client
            .update_request(&UpdateRequest::new(key, nonce.to_owned())))
    }

    /// The update request carrying `key`, for a key holder who was told the nonce: the share is
    /// not sent unless `nonce` is this ceremony's.
    ///
    /// # Errors
    /// As [`Ceremony::update_request`], and [`ClientError::WrongNonce`] for another nonce.
    pub fn update_request_for(
        &self,
        key: SecretString,
        nonce: &str,
    ) -> Result<Request, ClientError> {
        let expected = self.in_progress_nonce()?;
        if expected != nonce {
            return Err(ClientError::WrongNonce {
                expected: expected.to_owned(),
                given: nonce.to_owned(),
            });
        }
        self.update_request(key)
    }

    fn in_progress_nonce(&self) -> Result<&str, ClientError> {
        match &self.phase {
            Phase::InProgress { nonce, .. } => Ok(nonce),
            Phase::Complete { .. } => Err(ClientError::AlreadyStarted),
            Phase::Idle | Phase::Starting { .. } => Err(ClientError::NotStarted),
        }
    }

    /// Takes an update answer: the new progress, or the final answer with the encoded token.
    ///
    /// # Errors
    /// [`ClientError::NotStarted`] / [`ClientError::AlreadyStarted`] as for the request; the
    /// parse errors of [`Client::parse_status`] (the server's refusal: read the status to see
    /// what it kept); [`ClientError::UnexpectedAnswer`] for an answer about another nonce or a
    /// complete answer without a token.
    pub fn handle_update(&mut self, response: &Response) -> Result<AttemptStatus, ClientError> {
        let nonce = self.in_progress_nonce()?.to_owned();
        let status = parse_status(response)?;
        if status.nonce != nonce {
            return Err(ClientError::UnexpectedAnswer(
                "the update answer is about another nonce",
            ));
        }
        if status.complete {
            let encoded = if status.encoded_token.is_empty() {
                &status.encoded_root_token
            } else {
                &status.encoded_token
            };
            if encoded.is_empty() {
                return Err(ClientError::UnexpectedAnswer(
                    "a complete answer without an encoded token",
                ));
            }
            let mut copy = Zeroizing::new(String::with_capacity(encoded.len()));
            copy.push_str(encoded);
            self.phase = Phase::Complete {
                nonce,
                required: status.required,
                encoded: copy,
            };
        } else {
            self.phase = Phase::InProgress {
                nonce,
                progress: status.progress,
                required: status.required,
            };
        }
        Ok(status)
    }

    /// The cancel request (Vault's: no nonce).
    #[must_use]
    pub fn cancel_request(&self) -> Request {
        self.client.cancel_request()
    }

    /// A key holder's cancel ([`Client::cancel_request_as_holder`]) of this ceremony's attempt
    /// (its nonce, when known), for servers with holders-only cancel.
    #[must_use]
    pub fn cancel_request_as_holder(&self, key: SecretString) -> Request {
        self.client.cancel_request_as_holder(self.nonce(), key)
    }

    /// Takes the cancel answer: on success the ceremony forgets the attempt and the OTP.
    ///
    /// # Errors
    /// The server's refusal, as [`Client::parse_cancel`]; the ceremony is unchanged.
    pub fn handle_cancel(&mut self, response: &Response) -> Result<(), ClientError> {
        parse_cancel(response)?;
        self.phase = Phase::Idle;
        self.otp = None;
        self.pending_otp = None;
        self.pgp_fingerprint.clear();
        Ok(())
    }

    fn encoded(&self) -> Result<&str, ClientError> {
        match &self.phase {
            Phase::Complete { encoded, .. } => Ok(encoded),
            _ => Err(ClientError::NotComplete),
        }
    }

    /// The minted token, decoded with the OTP as Vault's `operator generate-root -decode` does
    /// ([`decode_token`] with the announced `otp_length`).
    ///
    /// # Errors
    /// [`ClientError::NotComplete`], [`ClientError::PgpEncoded`], [`ClientError::NoOtp`], or
    /// [`ClientError::Decode`].
    pub fn token(&self) -> Result<Token, ClientError> {
        let encoded = self.encoded()?;
        if !self.pgp_fingerprint.is_empty() {
            return Err(ClientError::PgpEncoded);
        }
        let otp = self.otp.as_ref().ok_or(ClientError::NoOtp)?;
        Ok(decode_token(encoded, otp.expose_secret(), self.otp_length)?)
    }

    /// The PGP-encrypted token as binary OpenPGP message bytes (the `encoded_token` is standard
    /// base64 of them), for the key holder's `gpg --decrypt`.
    ///
    /// # Errors
    /// [`ClientError::NotComplete`], [`ClientError::NotPgp`], or
    /// [`ClientError::PgpMessageBase64`].
    pub fn pgp_message(&self) -> Result<Vec<u8>, ClientError> {
        let encoded = self.encoded()?;
        if self.pgp_fingerprint.is_empty() {
            return Err(ClientError::NotPgp);
        }
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| ClientError::PgpMessageBase64)
    }
}

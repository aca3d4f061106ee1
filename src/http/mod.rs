//! The sans-IO HTTP face: a request (method, path, three headers, body bytes) in, an
//! [`Answer`] or a typed [`Step`] for the host out (PROTOCOL.md section 1, SPEC section 13).
//!
//! The face owns everything a host could get wrong on the wire: the route table (below;
//! [`Endpoint`], [`Route`], shared with [`crate::client`]) of every endpoint family, Vault's method rules (PATCH's media-type check before
//! routing, every method on `/update` an update, 405 elsewhere), which request decoder runs
//! (from the generator's [`GeneratorConfig`](crate::GeneratorConfig): the dialect and the nonce policy live there and
//! only there), who may call ([`Access`], the host's decision per request in [`Authorize`], with
//! [`CallerTokens`] for a host without a token store),
//! OpenBao's envelope and texts on `sys/generate-root-token/*`, `sys/decode-token`,
//! `sys/raw/*`'s guard, the 413 answer, and one attempt slot per namespace.
//!
//! Two calls carry a request: [`Face::handle`] gives a [`Step`]; a step's methods are the only
//! ways forward, each consuming the step, until the step is [`Step::Answer`]. No step can be
//! skipped or taken twice.
//!
//! # Routes
//!
//! | family | path under `/v1/` | strategy | who may call |
//! |---|---|---|---|
//! | [`Endpoint::Recovery`] | `sys/generate-recovery-token/{attempt,update}` | recovery | anyone |
//! | [`Endpoint::Root`] | `sys/generate-root/{attempt,update}` | root | [`Access`] |
//! | [`Endpoint::DrOperation`] | `sys/replication/dr/secondary/generate-operation-token/{attempt,update}` | DR operation | [`Access`] |
//! | [`Endpoint::RootToken`] | `sys/generate-root-token/{attempt,update}` (OpenBao 2.6+, namespaced) | root | a token, always |
//! | [`Route::DecodeToken`] | `sys/decode-token` | | anyone |
//! | [`Route::Raw`] | `sys/raw/<path>` | | the recovery token |
//!
//! # Dialects
//! The root generator's [`GeneratorConfig::dialect`](crate::GeneratorConfig::dialect) chooses the router:
//! - [`Dialect::Vault`]: Vault 1.x's endpoints and method rules with Vault 2.x's authorization
//!   (SPEC section 13); a path the face does not serve is 404 `{"errors":[]}`; Go's own path
//!   rules (decoded paths, 307 to the clean path) as under OpenBao.
//! - [`Dialect::OpenBao`]: OpenBao 2.7.2's router: 307 to the
//!   clean path, its generic layer before any token is looked at (unknown methods, one JSON
//!   object, namespaces), `sys/generate-root-token/*` in its envelope, `unsupported path` after
//!   the token check; with [`Face::with_recovery_mode`], `bao server -recovery`'s router.
//!
//! Every OpenBao rule and text here was observed on the real OpenBao 2.7.2 and is checked
//! against it in CI (`interop/openbao_diff.py`, strict); PROTOCOL.md section 12 lists where
//! that contradicts SPEC.
//!
//! Where the face knowingly differs from the real servers: Vault 2.x was not observed (no
//! binary), so its unknown paths keep Vault 1.x's 404; an encoded slash (`%2F`) routes nowhere here, where OpenBao's logical router serves
//! `sys/generate-root-token%2Fattempt` and its raw handlers answer `unsupported operation`.
//!
//! ```
//! use std::time::Instant;
//!
//! use recovery_token::http::{Face, Request, Step};
//! use recovery_token::{GeneratorConfig, RecoveryTokenGenerator};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut face = Face::new(RecoveryTokenGenerator::new(GeneratorConfig::new(3)?));
//! let (now, mut rng) = (Instant::now(), rand::rng());
//!
//! let request = Request::new("GET", "/v1/sys/generate-recovery-token/attempt");
//! let answer = loop {
//!     match face.handle(&request, now, &mut rng) {
//!         Step::Answer(answer) => break answer,
//!         // A real host authorizes, parses PGP keys off-thread, checks keys and mints
//!         // tokens here (see `Step`).
//!         _ => unreachable!("a status read needs no step"),
//!     }
//! };
//! assert_eq!(answer.status(), 200);
//! assert!(answer.body().starts_with(r#"{"nonce":"","started":false"#));
//! # Ok(()) }
//! ```

mod answer;
mod callers;
mod routes;
mod steps;

use std::fmt;
use std::time::Instant;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

pub use answer::Answer;
pub use callers::{CallerTokens, Verdict};
pub use routes::{
    API_PREFIX, DECODE_TOKEN_PATH, ENDPOINTS, Endpoint, Leaf, NAMESPACE_HEADER, RAW_PREFIX, Route,
    TOKEN_HEADER,
};
use steps::Next;
pub use steps::{Authorize, Capability, CheckKey, MintToken, ParsePgp, PgpParsed, Revoke, Step};

use crate::error::Error;
use crate::generator::{Host, RecoveryTokenGenerator, UpdateOutcome};
use crate::go::mime;
use crate::vocabulary::{Dialect, ServerState, Strategy};
use crate::wire::{AttemptStatus, CancelRequest, StartRequest, UpdateRequest};
use answer::Value;

/// The request bodies a face reads by default, at most (2 MiB; Vault's `max_request_size`
/// defaults to 32 MiB). A real body is a few hundred bytes, a PGP key a few KB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The media type a PATCH must carry.
const MERGE_PATCH: &str = "application/merge-patch+json";

/// One request, as the transport received it: what the face needs and nothing else.
///
/// Header values are taken as text (a transport converts non-UTF-8 bytes lossily; no such value
/// can be a valid token or media type). The token and the body are secrets: `Debug` redacts
/// them, and the face copies them only into zeroizing buffers.
#[derive(Clone, Copy, Default)]
pub struct Request<'a> {
    /// The method, as sent (`GET`, `PUT`, ...; case-sensitive, as Go's router reads it).
    pub method: &'a str,
    /// The request target: the path with `/v1/`, and the query after `?` if any.
    pub target: &'a str,
    /// `Content-Type`, if sent.
    pub content_type: Option<&'a str>,
    /// `X-Vault-Token`, if sent. Secret.
    pub token: Option<&'a str>,
    /// `X-Vault-Namespace`, if sent.
    pub namespace: Option<&'a str>,
    /// The whole body (empty when there is none). Secret.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// A request without headers or body.
    #[must_use]
    pub fn new(method: &'a str, target: &'a str) -> Self {
        Self {
            method,
            target,
            ..Self::default()
        }
    }

    /// The same request with `body`.
    #[must_use]
    pub fn with_body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The same request with header `name: value` if it is one the face reads
    /// (`Content-Type`, `X-Vault-Token`, `X-Vault-Namespace`; names are case-insensitive); any
    /// other header is ignored. Feed it every header of the request; for a repeated header the
    /// first value counts, as Go's `Header.Get` reads it.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &'a str) -> Self {
        let slot = if name.eq_ignore_ascii_case("content-type") {
            &mut self.content_type
        } else if name.eq_ignore_ascii_case(TOKEN_HEADER) {
            &mut self.token
        } else if name.eq_ignore_ascii_case(NAMESPACE_HEADER) {
            &mut self.namespace
        } else {
            return self;
        };
        if slot.is_none() {
            *slot = Some(value);
        }
        self
    }

    /// The path: the target before any `?`.
    #[must_use]
    pub fn path(&self) -> &'a str {
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// The query: the target after the first `?`, if any.
    #[must_use]
    pub fn query(&self) -> Option<&'a str> {
        self.target.split_once('?').map(|(_, q)| q)
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("content_type", &self.content_type)
            .field("token", &self.token.map(|_| "[REDACTED]"))
            .field("namespace", &self.namespace)
            .field(
                "body",
                &format_args!("[REDACTED; {} bytes]", self.body.len()),
            )
            .finish()
    }
}

/// Who may call the root and DR families without a token: Vault 2.x's
/// `enable_unauthenticated_access` (OpenBao's listener option
/// `disable_unauthed_generate_root_endpoints = false` for `generate-root`).
///
/// The default (`Access::default()`) is what both servers run today: no family is open.
/// Then, in the Vault dialect, `sys/generate-root/*` and the DR endpoints ask the host
/// ([`Step::Authorize`]; a refusal is 403 `permission denied`); in the OpenBao dialect
/// `sys/generate-root/*` answers 405 `unsupported operation`. An open family is served to
/// anyone, as Vault 1.x did. `sys/generate-recovery-token/*` and `sys/decode-token` are always
/// open; OpenBao's `sys/generate-root-token/*` always asks the host.
///
/// # Examples
///
/// ```
/// use recovery_token::http::{Access, Endpoint};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let access = Access::enable_unauthenticated(&["generate-root"])?;
/// assert!(access.is_open(Endpoint::Root) && !access.is_open(Endpoint::DrOperation));
/// assert!(Access::default().is_open(Endpoint::Recovery));
/// assert!(!Access::default().is_open(Endpoint::RootToken));
/// assert!(Access::enable_unauthenticated(&["generate-recovery-token"]).is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Access {
    generate_root: bool,
    generate_operation_token: bool,
}

/// [`Access::enable_unauthenticated`] got a family name it does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown family {0:?} for unauthenticated access (known: generate-root, generate-operation-token)"
)]
pub struct UnknownFamily(pub String);

impl Access {
    /// Opens the families named as in Vault's `enable_unauthenticated_access`:
    /// `generate-root`, `generate-operation-token`.
    ///
    /// # Errors
    /// [`UnknownFamily`] for any other name (Vault's `rekey` included: this crate serves no
    /// rekey).
    pub fn enable_unauthenticated(names: &[&str]) -> Result<Self, UnknownFamily> {
        let mut access = Self::default();
        for name in names {
            match name.trim() {
                "generate-root" => access.generate_root = true,
                "generate-operation-token" => access.generate_operation_token = true,
                other => return Err(UnknownFamily(other.to_owned())),
            }
        }
        Ok(access)
    }

    /// Opens or closes `endpoint` to callers without a token. Only [`Endpoint::Root`] and
    /// [`Endpoint::DrOperation`] have a switch; other families are left as they are.
    #[must_use]
    pub fn with_unauthenticated(mut self, endpoint: Endpoint, open: bool) -> Self {
        match endpoint {
            Endpoint::Root => self.generate_root = open,
            Endpoint::DrOperation => self.generate_operation_token = open,
            Endpoint::Recovery | Endpoint::RootToken => {}
        }
        self
    }

    /// Whether `endpoint` is served without asking the host.
    #[must_use]
    pub fn is_open(self, endpoint: Endpoint) -> bool {
        match endpoint {
            Endpoint::Recovery => true,
            Endpoint::Root => self.generate_root,
            Endpoint::DrOperation => self.generate_operation_token,
            Endpoint::RootToken => false,
        }
    }
}

/// What a request asks for, in the terms a host's policy speaks (see [`Authorize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `GET .../attempt` (Vault's `read`).
    Status,
    /// `PUT`/`POST .../attempt` (`update`).
    Start,
    /// `DELETE .../attempt` (`delete`).
    Cancel,
    /// Any method on `.../update` (`update`).
    Update,
}

/// [`Face::add_namespace`] refused a namespace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NamespaceError {
    /// The name is empty (or only slashes): that is the root namespace, which the face always
    /// serves.
    #[error("the namespace name is empty")]
    Empty,
    /// The face already serves a namespace of that name.
    #[error("the namespace {0:?} is already served")]
    Duplicate(String),
    /// The namespace's generator speaks another dialect than the face's root generator.
    #[error("the namespace {0:?} has another dialect than the root namespace")]
    Dialect(String),
}

/// One attempt slot: the root namespace's, or a namespace's.
#[derive(Debug)]
struct Slot {
    /// `None` for the root namespace; else the canonical path (`ns1/`).
    namespace: Option<String>,
    generator: RecoveryTokenGenerator,
}

/// Which slot, and how to answer: what every step carries. Not secret.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    endpoint: Endpoint,
    operation: Operation,
    dialect: Dialect,
    slot: usize,
    namespace: Option<String>,
    /// The request's parameter names the logical endpoint has no field for: OpenBao's
    /// `unrecognized parameters` warning in a successful answer.
    ignored: Vec<String>,
}

impl Call {
    fn strategy(&self) -> Strategy {
        self.endpoint.strategy()
    }

    /// A status, start or update answer.
    fn status<R: CryptoRng + ?Sized>(&self, s: &AttemptStatus, rng: &mut R) -> Answer {
        if !self.endpoint.enveloped() {
            return Answer::ok(s);
        }
        // OpenBao's logical response, its `data` keys sorted: status and
        // start carry the nonce and the fingerprint only while an attempt is started; update
        // carries the encoded token and no OTP.
        let mut data = Vec::with_capacity(8);
        data.push(("complete", Value::Bool(s.complete)));
        if self.operation == Operation::Update {
            data.push(("encoded_token", Value::Str(&s.encoded_token)));
            data.push(("nonce", Value::Str(&s.nonce)));
            data.push(("pgp_fingerprint", Value::Str(&s.pgp_fingerprint)));
        } else {
            if s.started {
                data.push(("nonce", Value::Str(&s.nonce)));
            }
            data.push(("otp", Value::Secret(s.otp.expose_secret())));
            data.push(("otp_length", Value::Int(s.otp_length)));
            if s.started {
                data.push(("pgp_fingerprint", Value::Str(&s.pgp_fingerprint)));
            }
        }
        data.push(("progress", Value::Int(s.progress)));
        data.push(("required", Value::Int(s.required)));
        data.push(("started", Value::Bool(s.started)));
        let warning = crate::go::form::unrecognized_warning(self.ignored.clone());
        answer::envelope(&data, warning.as_deref(), rng)
    }

    /// A refusal. On OpenBao's logical endpoint a refused update (past the request's own
    /// checks) is 500 with the multi-error text.
    fn error(&self, e: &Error) -> Answer {
        if self.endpoint.enveloped()
            && let Some(answer) = field_validation(e)
        {
            return answer;
        }
        if self.endpoint.enveloped() && self.operation == Operation::Update {
            return match e {
                Error::InvalidBody { .. } => Answer::error(e, self.dialect),
                _ => answer::multierror(500, &e.message(self.dialect)),
            };
        }
        Answer::error(e, self.dialect)
    }

    fn result<R: CryptoRng + ?Sized>(
        &self,
        r: &Result<AttemptStatus, Error>,
        rng: &mut R,
    ) -> Answer {
        match r {
            Ok(s) => self.status(s, rng),
            Err(e) => self.error(e),
        }
    }
}

/// The HTTP face over one attempt slot per namespace.
///
/// Made from the root namespace's [`RecoveryTokenGenerator`] (whose configuration gives the
/// dialect and the nonce policy); [`Face::add_namespace`] adds a namespace's own slot (OpenBao's
/// `sys/generate-root-token/*` selects it by `X-Vault-Namespace`). The face owns the
/// generators: a host keeps the face behind its lock, and takes the lock for
/// [`Face::handle`] and for each step's method, never across its own work (a key check, a
/// token store call, a PGP parse).
pub struct Face {
    slots: Vec<Slot>,
    /// Namespaces that exist but have no keys of their own (OpenBao's non-sealable ones).
    unsealable: Vec<String>,
    access: Access,
    body_limit: usize,
    recovery_mode: bool,
}

impl fmt::Debug for Face {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Face")
            .field("slots", &self.slots)
            .field("unsealable", &self.unsealable)
            .field("access", &self.access)
            .field("body_limit", &self.body_limit)
            .field("recovery_mode", &self.recovery_mode)
            .finish()
    }
}

impl Face {
    /// A face over `generator` (the root namespace's slot), with [`Access::default`] and
    /// [`DEFAULT_BODY_LIMIT`].
    #[must_use]
    pub fn new(generator: RecoveryTokenGenerator) -> Self {
        Self {
            slots: vec![Slot {
                namespace: None,
                generator,
            }],
            unsealable: Vec::new(),
            access: Access::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            recovery_mode: false,
        }
    }

    /// The same face serving recovery mode only (`bao server -recovery`): the recovery
    /// endpoints and `sys/raw`, everything else Go's plain 404 page, no generic layer, no
    /// namespaces. In the Vault dialect it changes nothing yet.
    #[must_use]
    pub fn with_recovery_mode(mut self, recovery_mode: bool) -> Self {
        self.recovery_mode = recovery_mode;
        self
    }

    /// Whether the face serves recovery mode only ([`Face::with_recovery_mode`]).
    #[must_use]
    pub fn recovery_mode(&self) -> bool {
        self.recovery_mode
    }

    /// The same face with `access`.
    #[must_use]
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// The same face, answering bodies over `limit` bytes with 413 ([`Face::payload_too_large`]).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Serves namespace `name` (`ns1`, `ns1/` or `/ns1/`: one namespace) with its own slot, and
    /// gives its canonical name (`ns1/`): the one every step's `namespace()` and
    /// [`Authorize::namespace`] report for it, for the host's key and token stores.
    /// Its generator's token profile should mint the namespace's tokens
    /// ([`crate::tokens::TokenFormat`]); the face only selects the slot.
    ///
    /// # Errors
    /// [`NamespaceError`]: an empty name, one already served, another dialect.
    pub fn add_namespace(
        &mut self,
        name: &str,
        generator: RecoveryTokenGenerator,
    ) -> Result<String, NamespaceError> {
        let canonical = canonical_namespace(name).ok_or(NamespaceError::Empty)?;
        if self.slot_of(&canonical).is_some() || self.unsealable.contains(&canonical) {
            return Err(NamespaceError::Duplicate(canonical));
        }
        if generator.config().dialect() != self.dialect() {
            return Err(NamespaceError::Dialect(canonical));
        }
        self.slots.push(Slot {
            namespace: Some(canonical.clone()),
            generator,
        });
        Ok(canonical)
    }

    /// Serves namespace `name` as one that exists but has no keys of its own (OpenBao's
    /// non-sealable namespaces): `sys/generate-root-token/*` there answers `namespace is not
    /// sealable` (400 for status and start, 500 multi-error for update; cancel 204), after the
    /// token check, whether the header or the path names it; `sys/decode-token` works in it.
    /// Two of OpenBao 2.7.2's quirks there are not copied: its start checks the OTP (33
    /// characters) or parses the PGP key first, and leaves an attempt behind (its next start
    /// answers `root generation already in progress for this namespace` until a cancel).
    ///
    /// # Errors
    /// [`NamespaceError`]: an empty name, one already served.
    pub fn add_unsealable_namespace(&mut self, name: &str) -> Result<(), NamespaceError> {
        let canonical = canonical_namespace(name).ok_or(NamespaceError::Empty)?;
        if self.slot_of(&canonical).is_some() || self.unsealable.contains(&canonical) {
            return Err(NamespaceError::Duplicate(canonical));
        }
        self.unsealable.push(canonical);
        Ok(())
    }

    /// Who may call without a token.
    #[must_use]
    pub fn access(&self) -> Access {
        self.access
    }

    /// The largest body the face accepts; a transport stops reading beyond it and answers
    /// [`Face::payload_too_large`].
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The dialect of every answer: the root generator's ([`GeneratorConfig::dialect`](crate::GeneratorConfig::dialect)).
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.root().config().dialect()
    }

    /// The root namespace's generator.
    #[must_use]
    pub fn root(&self) -> &RecoveryTokenGenerator {
        // `new` makes slot 0 and nothing removes it.
        match self.slots.first() {
            Some(slot) => &slot.generator,
            None => unreachable_root(),
        }
    }

    /// The generator of `namespace` (`None`: the root namespace), if served.
    #[must_use]
    pub fn generator(&self, namespace: Option<&str>) -> Option<&RecoveryTokenGenerator> {
        let index = self.index(namespace)?;
        self.slots.get(index).map(|s| &s.generator)
    }

    /// The generator of `namespace`, mutably (to set its server state, drain its audit events).
    pub fn generator_mut(
        &mut self,
        namespace: Option<&str>,
    ) -> Option<&mut RecoveryTokenGenerator> {
        let index = self.index(namespace)?;
        self.slots.get_mut(index).map(|s| &mut s.generator)
    }

    /// Every slot: its namespace (`None` for the root) and its generator, e.g. to drain audit
    /// events after each call.
    pub fn generators_mut(
        &mut self,
    ) -> impl Iterator<Item = (Option<&str>, &mut RecoveryTokenGenerator)> {
        self.slots
            .iter_mut()
            .map(|s| (s.namespace.as_deref(), &mut s.generator))
    }

    /// When the next attempt of any slot expires.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.generator.poll_timeout())
            .min()
    }

    /// Wipes every expired attempt.
    pub fn handle_timeout(&mut self, now: Instant) {
        for s in &mut self.slots {
            s.generator.handle_timeout(now);
        }
    }

    /// The answer to a body over [`Face::body_limit`], for every method and path (OpenBao
    /// 2.7.2 reads the body before routing): 413 `http: request body too large` (Go's
    /// `http.MaxBytesReader` text, which both servers pass on), and close the connection.
    pub fn payload_too_large(&self) -> Answer {
        Answer::with_errors(413, &["http: request body too large"]).closing()
    }

    fn slot_of(&self, canonical: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.namespace.as_deref() == Some(canonical))
    }

    fn index(&self, namespace: Option<&str>) -> Option<usize> {
        match namespace.and_then(canonical_namespace) {
            None => Some(0),
            Some(c) => self.slot_of(&c),
        }
    }

    pub(crate) fn slot_generator(&mut self, slot: usize) -> Option<&mut RecoveryTokenGenerator> {
        self.slots.get_mut(slot).map(|s| &mut s.generator)
    }

    /// Takes one request: the checks in the real servers' order, up to the first step only the
    /// host can take.
    ///
    /// 1. The body size (413 for any path and method).
    /// 2. OpenBao: a path outside `/v1/` is 404; a path that is not clean (`//`, `.`, `..`) is
    ///    Go's 307 redirect to the clean one; a namespace header on a path only the root
    ///    namespace has (`sys/generate-root`, `sys/generate-recovery-token`, `sys/raw` and below)
    ///    is 400 `operation unavailable in namespaces`.
    /// 3. PATCH's media type (400 with Go's `mime` text, or 415), before any routing; except on
    ///    OpenBao's recovery endpoints, whose handler chain has no such check.
    /// 4. OpenBao's generic layer: a method it does not know is 405 `{"errors":[]}`; a PUT or
    ///    POST form body (Vault's `isForm`) must parse (400 `error parsing form data`), any
    ///    other PUT, POST or PATCH body must be one JSON object (400
    ///    `failed to decode JSON input: ...`), before any token is looked at; a namespace
    ///    leading the path on a root-only path is 400, a namespace must exist (404
    ///    `namespace not found`), and a write to a path ending in `/` is 400.
    /// 5. The route and who may call: an open family goes on; OpenBao's disabled
    ///    `sys/generate-root/*` is 405 `unsupported operation`; anything else asks the host
    ///    ([`Step::Authorize`]) before the body is decoded into a request. A path the face does
    ///    not serve is 404 (Vault dialect: `{"errors":[]}`; OpenBao: after authorization,
    ///    `unsupported path`).
    /// 6. The method, the body (decoded as the dialect's server decodes it), the generator.
    pub fn handle<R: CryptoRng + ?Sized>(
        &mut self,
        request: &Request<'_>,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        if request.body.len() > self.body_limit {
            return Step::Answer(self.payload_too_large());
        }
        match self.dialect() {
            Dialect::OpenBao => self.handle_openbao(request, now, rng),
            _ => self.handle_vault(request, now, rng),
        }
    }

    /// The Vault dialect: Vault 1.x's routes and method rules, Vault 2.x's authorization.
    fn handle_vault<R: CryptoRng + ?Sized>(
        &mut self,
        request: &Request<'_>,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        // Go's `net/http` under Vault's handlers, as under OpenBao's: the
        // decoded path routes, and a path that is not clean is redirected to the clean one.
        let decoded = percent_decode_path(request.path());
        let path: &str = &decoded;
        if path.starts_with(API_PREFIX) && !is_clean(path) {
            return Step::Answer(redirect_to_clean(request, path));
        }
        if request.method == "PATCH"
            && let Err(answer) = check_patch(request.content_type)
        {
            return Step::Answer(answer);
        }
        let (endpoint, leaf) = match Route::of(path) {
            Some(Route::Raw) => return Step::Answer(self.raw(request)),
            Some(Route::Ceremony(endpoint, leaf)) if endpoint != Endpoint::RootToken => {
                (endpoint, leaf)
            }
            Some(Route::DecodeToken) => {
                return Step::Answer(match request.method {
                    "PUT" | "POST" => decode_token(request, Dialect::Vault, rng),
                    _ => Answer::with_errors(405, &["unsupported operation"]),
                });
            }
            // Vault serves no `sys/generate-root-token`.
            _ => return Step::Answer(Answer::with_errors(404, &[])),
        };
        let Some(operation) = plain_operation(leaf, request.method) else {
            return Step::Answer(Answer::method_not_allowed());
        };
        let call = self.call(endpoint, operation, 0, None);
        if self.access.is_open(endpoint) {
            return self.run_request(call, request, now, rng);
        }
        Step::Authorize(Authorize::new(Next::Run(call), request, Dialect::Vault))
    }

    /// The OpenBao dialect, as OpenBao 2.7.2 answers.
    fn handle_openbao<R: CryptoRng + ?Sized>(
        &mut self,
        request: &Request<'_>,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        let dialect = Dialect::OpenBao;
        // Go routes on the decoded path (`%2D` is `-`); an encoded slash stays part
        // of its segment, so it routes nowhere.
        let decoded = percent_decode_path(request.path());
        let path: &str = &decoded;
        if path == "/" {
            return Step::Answer(Answer::page_not_found());
        }
        let Some(rest) = path.strip_prefix(API_PREFIX) else {
            return Step::Answer(Answer::with_errors(404, &[]));
        };
        if !is_clean(path) {
            return Step::Answer(redirect_to_clean(request, path));
        }
        // The paths only the root namespace has refuse a namespace named by the header before
        // any other check but the two above (before PATCH's media type, an
        // unknown method, the body, the namespace's existence, OPTIONS and the token).
        if request.namespace.and_then(canonical_namespace).is_some() && root_only(rest) {
            return Step::Answer(Answer::with_errors(
                400,
                &["operation unavailable in namespaces"],
            ));
        }
        // A namespace may also lead the path (`/v1/ns1/sys/...`), when no header
        // names one.
        let prefixed = if request.namespace.is_none() && Route::of(path).is_none() {
            // Every namespace served, with keys or without.
            let served = self.slots.iter().filter_map(|s| s.namespace.as_deref());
            served
                .chain(self.unsealable.iter().map(String::as_str))
                .find_map(|ns| {
                    let inner = rest.strip_prefix(ns)?;
                    let mut p = String::with_capacity(inner.len().saturating_add(4));
                    p.push_str(API_PREFIX);
                    p.push_str(inner);
                    Some((ns.to_owned(), Route::of(&p)?))
                })
        } else {
            None
        };
        let route = prefixed
            .as_ref()
            .map_or_else(|| Route::of(path), |(_, r)| Some(*r));
        // Recovery mode's chain has no generic layer either: every method on `/update` is an
        // update there, and the handler reads the body itself.
        // A namespace leading the path takes the generic layer's chain even to these routes
        // (e.g. `FOO /v1/ns1/sys/raw/x` is 405, a bad body there Go's JSON text).
        let raw = matches!(route, Some(Route::Raw)) && prefixed.is_none();
        if self.recovery_mode {
            if request.namespace.and_then(canonical_namespace).is_some() {
                return Step::Answer(Answer::with_errors(
                    400,
                    &["operation unavailable in namespaces"],
                ));
            }
            return match route {
                Some(Route::Raw) => Step::Answer(self.raw(request)),
                Some(Route::Ceremony(Endpoint::Recovery, leaf)) => {
                    let Some(operation) = plain_operation(leaf, request.method) else {
                        return Step::Answer(Answer::method_not_allowed());
                    };
                    let call = self.call(Endpoint::Recovery, operation, 0, None);
                    self.run_request(call, request, now, rng)
                }
                _ if rest == "sys/raw" => {
                    Step::Answer(Answer::redirect(request.method, "/v1/sys/raw/".to_owned()))
                }
                _ => Step::Answer(Answer::page_not_found()),
            };
        }
        // Recovery mode's handler chain has no generic PATCH check.
        let recovery =
            matches!(route, Some(Route::Ceremony(Endpoint::Recovery, _))) && prefixed.is_none();
        if request.method == "PATCH"
            && !recovery
            && let Err(answer) = check_patch(request.content_type)
        {
            return Step::Answer(answer);
        }
        if !recovery && !raw && !KNOWN_METHODS.contains(&request.method) {
            return Step::Answer(Answer::method_not_allowed());
        }
        // A PUT or POST body is a form or JSON as Vault's `isForm` decides (the media type and
        // the body's first byte); a form must parse (`error parsing form data`), anything
        // else be one JSON object, before any token is looked at.
        let form = matches!(request.method, "PUT" | "POST")
            && crate::go::form::is_form(request.body, request.content_type);
        if !recovery && !raw && form {
            if let Err(text) = crate::go::form::check(request.body) {
                return Step::Answer(Answer::with_errors(400, &[text]));
            }
        } else if matches!(request.method, "PUT" | "POST" | "PATCH")
            && !recovery
            && !raw
            && let Err(e) = StartRequest::check_generic(request.body)
        {
            return Step::Answer(Answer::error(&e, dialect));
        }
        // A namespace leading the path, on a path only the root namespace has: refused after
        // the body, before the trailing-slash rule (e.g. `/v1/ns1/sys/generate-root`,
        // `/v1/ns1/sys/generate-root/attempt/`).
        if request.namespace.is_none()
            && self.slots.iter().any(|s| {
                s.namespace
                    .as_deref()
                    .and_then(|ns| rest.strip_prefix(ns))
                    .is_some_and(root_only)
            })
        {
            return Step::Answer(Answer::with_errors(
                400,
                &["operation only available in root namespace"],
            ));
        }
        // A namespace named by the header must exist before the trailing-slash rule is applied
        // (e.g. `PUT .../attempt/` in namespace `nope` is 404 `namespace not found`).
        if let Some(ns) = request.namespace.and_then(canonical_namespace)
            && self.slot_of(&ns).is_none()
            && !self.unsealable.contains(&ns)
        {
            return Step::Answer(Answer::with_errors(404, &["namespace not found"]));
        }
        // The logical layer refuses a write to a path ending in `/` before any token check
        // (e.g. PUT and PATCH on `sys/generate-root-token/attempt/`, `sys/generate-root/`).
        if !recovery
            && !raw
            && matches!(request.method, "PUT" | "POST" | "PATCH")
            && rest.ends_with('/')
        {
            return Step::Answer(Answer::with_errors(
                400,
                &["cannot write to a path ending in '/'"],
            ));
        }
        let by_path = prefixed.is_some();
        let namespace = request
            .namespace
            .and_then(canonical_namespace)
            .or_else(|| prefixed.map(|(ns, _)| ns));
        let slot = match &namespace {
            None => 0,
            // The old family, the recovery endpoints and `sys/raw` refuse any namespace before
            // looking it up.
            Some(_)
                if matches!(
                    route,
                    Some(Route::Ceremony(Endpoint::Root | Endpoint::Recovery, _) | Route::Raw)
                ) =>
            {
                // Named by the header, or leading the path: two texts.
                let text = if by_path {
                    "operation only available in root namespace"
                } else {
                    "operation unavailable in namespaces"
                };
                return Step::Answer(Answer::with_errors(400, &[text]));
            }
            Some(ns) => match self.slot_of(ns) {
                Some(slot) => slot,
                None if self.unsealable.iter().any(|u| u == ns) => UNSEALABLE,
                None => {
                    return Step::Answer(Answer::with_errors(404, &["namespace not found"]));
                }
            },
        };
        // A sealed OpenBao answers every operation of these families, and `sys/decode-token`,
        // with 503 `Vault is sealed` before any token is looked at, the disabled
        // `sys/generate-root/*` included (after `bao operator seal`).
        if namespace.is_none()
            && self.root().server_state() == ServerState::Sealed
            && matches!(
                route,
                Some(
                    Route::Ceremony(
                        Endpoint::Root | Endpoint::RootToken | Endpoint::DrOperation,
                        _
                    ) | Route::DecodeToken
                )
            )
        {
            return Step::Answer(Answer::error(&Error::Sealed, dialect));
        }
        let internal_only = || {
            Step::Answer(Answer::with_errors(
                400,
                &["cannot handle internal-only request operation"],
            ))
        };
        match route {
            Some(Route::Raw) => Step::Answer(self.raw(request)),
            Some(Route::DecodeToken) => match request.method {
                "PUT" | "POST" => Step::Answer(decode_token(request, dialect, rng)),
                "OPTIONS" => internal_only(),
                "LIST" => Self::unsupported(request, rest, namespace),
                _ => Step::Answer(Answer::with_errors(405, &["unsupported operation"])),
            },
            Some(Route::Ceremony(Endpoint::RootToken, leaf)) => {
                if request.method == "OPTIONS" {
                    return internal_only();
                }
                let next = match logical_operation(leaf, request.method) {
                    // A namespace without its own keys has no ceremony.
                    Ok(operation) if slot == UNSEALABLE => Next::Answer(match operation {
                        Operation::Cancel => Answer::no_content(),
                        Operation::Update => answer::multierror(500, "namespace is not sealable"),
                        Operation::Status | Operation::Start => {
                            Answer::with_errors(400, &["namespace is not sealable"])
                        }
                    }),
                    Ok(operation) => Next::Run(self.call(
                        Endpoint::RootToken,
                        operation,
                        slot,
                        namespace.clone(),
                    )),
                    Err(answer) => Next::Answer(answer),
                };
                let mut a = Authorize::new(next, request, dialect);
                a.set_namespace(namespace);
                Step::Authorize(a)
            }
            Some(Route::Ceremony(endpoint @ (Endpoint::Recovery | Endpoint::Root), leaf))
                if self.access.is_open(endpoint) =>
            {
                let Some(operation) = plain_operation(leaf, request.method) else {
                    return Step::Answer(Answer::method_not_allowed());
                };
                let call = self.call(endpoint, operation, 0, None);
                self.run_request(call, request, now, rng)
            }
            Some(Route::Ceremony(Endpoint::Root, _)) => match request.method {
                "LIST" => Self::unsupported(request, rest, namespace),
                "OPTIONS" => internal_only(),
                _ => Step::Answer(Answer::with_errors(405, &["unsupported operation"])),
            },
            // OpenBao has no DR replication: its paths are unknown ones.
            Some(Route::Ceremony(..)) | None => {
                if request.method == "OPTIONS" {
                    return internal_only();
                }
                // A served namespace leading the path: the rest is a path in it (e.g.
                // `/v1/ns1/sys/nothing` is `unsupported path`, as `/v1/sys/nothing`).
                let inner = self
                    .slots
                    .iter()
                    .filter_map(|s| s.namespace.as_deref())
                    .chain(self.unsealable.iter().map(String::as_str))
                    .find_map(|ns| rest.strip_prefix(ns))
                    .filter(|_| request.namespace.is_none())
                    .unwrap_or(rest);
                Self::unsupported(request, inner, namespace)
            }
        }
    }

    fn call(
        &self,
        endpoint: Endpoint,
        operation: Operation,
        slot: usize,
        namespace: Option<String>,
    ) -> Call {
        Call {
            endpoint,
            operation,
            dialect: self.dialect(),
            slot,
            namespace,
            ignored: Vec::new(),
        }
    }

    /// A path OpenBao has no handler for: its token is checked first, then 404.
    fn unsupported(request: &Request<'_>, rest: &str, namespace: Option<String>) -> Step {
        let answer = if rest == "sys/generate-root" {
            // The old family's bare path has a handler without operations.
            answer::multierror(405, "unsupported operation")
        } else if rest.starts_with("sys/") {
            answer::multierror(404, "unsupported path")
        } else {
            let text = format!("no handler for route \"{rest}\". route entry not found.");
            Answer::with_errors(404, &[&text])
        };
        let mut a = Authorize::new(Next::Answer(answer), request, Dialect::OpenBao);
        a.set_namespace(namespace);
        Step::Authorize(a)
    }

    fn run_request<R: CryptoRng + ?Sized>(
        &mut self,
        call: Call,
        request: &Request<'_>,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        self.run(
            call,
            request.body,
            request.content_type,
            request.query(),
            now,
            rng,
        )
    }

    /// The ceremony call itself, once the caller may make it.
    pub(crate) fn run<R: CryptoRng + ?Sized>(
        &mut self,
        mut call: Call,
        body: &[u8],
        content_type: Option<&str>,
        query: Option<&str>,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        let Some(generator) = self.slot_generator(call.slot) else {
            return Step::Answer(call.error(&Error::StaleCompletion));
        };
        // A namespace's slot whose generator the host marked sealed: OpenBao answers every
        // operation with 503 `namespace is sealed`, single-line even on update.
        if call.slot != 0 && generator.server_state() == ServerState::Sealed {
            return Step::Answer(Answer::with_errors(503, &["namespace is sealed"]));
        }
        let strategy = call.strategy();
        let config = generator.config();
        match call.operation {
            Operation::Status => {
                // A logical GET reads the query as its data (Go's `URL.Query()`).
                if call.endpoint.enveloped()
                    && let Some(q) = query
                {
                    call.ignored = crate::go::form::names(q.as_bytes())
                        .filter(|n| n != "otp" && n != "pgp_key")
                        .collect();
                }
                Step::Answer(call.status(&generator.status(strategy, now), rng))
            }
            Operation::Start => {
                let parsed = if call.endpoint.enveloped() {
                    StartRequest::from_logical(body, content_type).map(|(r, ignored)| {
                        call.ignored = ignored;
                        r
                    })
                } else {
                    decode_start(body)
                };
                let mut request = match parsed {
                    Ok(r) => r,
                    Err(e) => return Step::Answer(call.error(&e)),
                };
                // The crate's own start fields, moved out (the share is wiped when it drops):
                // a key holder's share (holders-only start) and a token lifetime, both checked
                // by `start_with`.
                let holder = std::mem::take(&mut request.key);
                let ttl = std::mem::take(&mut request.ttl);
                // OpenBao refuses a recovery start once the recovery token was minted before it
                // looks at the OTP or PGP key; the key is parsed before `start`, so
                // the face asks first.
                if config.dialect() == Dialect::OpenBao
                    && strategy == Strategy::Recovery
                    && generator.recovery_issued()
                {
                    return Step::Answer(call.error(&Error::AlreadyUnsealed));
                }
                match crate::generator::Encoding::from(request) {
                    #[cfg(feature = "pgp")]
                    crate::generator::Encoding::PgpKey(key) => {
                        // The holder's share is checked before the key is parsed, so that a
                        // stranger cannot spend the parse's CPU; a refusal goes through
                        // `start_with`, which refuses the same way and records it.
                        if generator.check_holder(Some(&holder)).is_err() {
                            let r = generator.start_with(
                                strategy,
                                crate::generator::Encoding::GenerateOtp,
                                &holder,
                                &ttl,
                                now,
                                rng,
                            );
                            return Step::Answer(call.result(&r, rng));
                        }
                        Step::ParsePgp(ParsePgp::new(call, key, holder, ttl))
                    }
                    encoding => {
                        let r = generator.start_with(strategy, encoding, &holder, &ttl, now, rng);
                        Step::Answer(call.result(&r, rng))
                    }
                }
            }
            Operation::Cancel => {
                // The nonce travels in a `{"nonce":".."}` body or a `?nonce=` query only when
                // the configuration binds cancel to it (Vault's clients send neither).
                // The body (or query) is read only when the configuration needs it: the nonce
                // binding, or a key holder's share (holders-only cancel).
                let r = if config.cancel_requires_nonce() || config.holders_only_start_cancel() {
                    CancelRequest::from_http(body, query)
                        .and_then(|r| generator.cancel_request(&r, now))
                } else {
                    generator.cancel(None, now)
                };
                Step::Answer(match r {
                    Ok(()) => Answer::no_content(),
                    Err(e) => call.error(&e),
                })
            }
            Operation::Update => {
                let request = match decode_update(&call, body, content_type) {
                    Ok((r, ignored)) => {
                        call.ignored = ignored;
                        r
                    }
                    Err(answer) => return Step::Answer(answer),
                };
                // OpenBao's logical endpoint reads the key its own way (hex of any length).
                let submitted = if call.endpoint == Endpoint::RootToken {
                    generator.submit_logical(strategy, &request, now)
                } else {
                    generator.submit(strategy, &request, now)
                };
                match submitted {
                    Ok(UpdateOutcome::Progress(s)) => Step::Answer(call.status(&s, rng)),
                    Ok(UpdateOutcome::KeyReady(pending)) => {
                        Step::CheckKey(CheckKey::new(call, pending))
                    }
                    Err(e) => Step::Answer(call.error(&e)),
                }
            }
        }
    }

    /// `sys/raw/<path>`: 403 `{"errors":[]}` unless `X-Vault-Token` is the minted recovery
    /// token (compared in constant time); with it 404 `{"errors":[]}` (the crate stores
    /// nothing there). Vault dialect: GET only (405 otherwise); OpenBao 2.7.2 answers 403 to
    /// every method in recovery mode.
    fn raw(&self, request: &Request<'_>) -> Answer {
        if request.method != "GET" && self.dialect() != Dialect::OpenBao {
            return Answer::method_not_allowed();
        }
        let presented = request.token.unwrap_or_default();
        if self.root().recovery_token().verify(presented) {
            Answer::with_errors(404, &[])
        } else {
            Answer::with_errors(403, &[])
        }
    }
}

/// `sys/decode-token` (unauthenticated): `{"encoded_token","otp"}` decoded with the OTP's own
/// length, the token in the envelope's `data.token`; OpenBao 2.7.2's texts (Vault's
/// endpoint is the same code): `provided 'encoded_token' or 'otp' is empty`, then the codec's
/// (`error decoding base64'd token: ...`, `error xoring token: ...`).
fn decode_token<R: CryptoRng + ?Sized>(
    request: &Request<'_>,
    dialect: Dialect,
    rng: &mut R,
) -> Answer {
    let parsed =
        match crate::wire::DecodeTokenRequest::from_http(request.body, request.content_type) {
            Ok(p) => p,
            Err(e) => return field_validation(&e).unwrap_or_else(|| Answer::error(&e, dialect)),
        };
    if parsed.encoded_token.is_empty() || parsed.otp.is_empty() {
        return Answer::with_errors(400, &["provided 'encoded_token' or 'otp' is empty"]);
    }
    match crate::tokens::decode_token(&parsed.encoded_token, &parsed.otp, parsed.otp.len()) {
        Ok(token) => {
            let warning = crate::go::form::unrecognized_warning(parsed.unknown);
            answer::envelope(
                &[("token", Value::Secret(token.expose_secret()))],
                warning.as_deref(),
                rng,
            )
        }
        Err(e) => Answer::with_errors(400, &[&e.to_string()]),
    }
}

/// A logical endpoint's field of the wrong kind (an object or an array where a string goes) is
/// mapstructure's text, not a JSON decoding error: 400 `Field validation failed: ...` as it
/// stands.
fn field_validation(e: &Error) -> Option<Answer> {
    match e {
        Error::InvalidBody { reason }
            if reason.starts_with("Field validation failed: ")
                || reason == crate::go::form::FORM_ERROR =>
        {
            Some(Answer::with_errors(400, &[reason]))
        }
        _ => None,
    }
}

/// Whether `rest` (the path under `/v1/`) is one of the paths only OpenBao's root namespace
/// has, by whole segments: `sys/generate-root` and `sys/generate-recovery-token` (and every
/// path under them; `sys/generate-root-token` is another family), `sys/raw`.
fn root_only(rest: &str) -> bool {
    [
        "sys/generate-root",
        "sys/generate-recovery-token",
        "sys/raw",
    ]
    .iter()
    .any(|p| {
        rest.strip_prefix(p)
            .is_some_and(|after| after.is_empty() || after.starts_with('/'))
    })
}

/// The slot index of a namespace without keys ([`Face::add_unsealable_namespace`]): no
/// generator has it.
const UNSEALABLE: usize = usize::MAX;

/// The methods OpenBao's generic HTTP layer knows; any other is 405 `{"errors":[]}` before
/// anything else (`FOO`, `TRACE`, `CONNECT`, a lowercase `get`).
const KNOWN_METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "LIST", "HEAD", "OPTIONS", "PATCH",
];

/// Vault 1.x's switch on the method of the plain endpoints: `/attempt` takes GET, PUT, POST and
/// DELETE (`None`: 405 `{"errors":[]}`); `/update` takes every method.
fn plain_operation(leaf: Leaf, method: &str) -> Option<Operation> {
    match (leaf, method) {
        (Leaf::Update, _) => Some(Operation::Update),
        (Leaf::Attempt, "GET") => Some(Operation::Status),
        (Leaf::Attempt, "PUT" | "POST") => Some(Operation::Start),
        (Leaf::Attempt, "DELETE") => Some(Operation::Cancel),
        (Leaf::Attempt, _) => None,
    }
}

/// OpenBao's logical endpoint (`sys/generate-root-token/*`): the operations each leaf has, and
/// the framework's answers (after authorization) to the others: LIST is 404 `unsupported path`,
/// anything else 405 `unsupported operation`, both multi-error texts.
fn logical_operation(leaf: Leaf, method: &str) -> Result<Operation, Answer> {
    match (leaf, method) {
        (Leaf::Attempt, "GET") => Ok(Operation::Status),
        (Leaf::Attempt, "DELETE") => Ok(Operation::Cancel),
        (Leaf::Attempt, "PUT" | "POST") => Ok(Operation::Start),
        (Leaf::Update, "PUT" | "POST") => Ok(Operation::Update),
        (_, "LIST") => Err(answer::multierror(404, "unsupported path")),
        _ => Err(answer::multierror(405, "unsupported operation")),
    }
}

/// The request path as Go's `URL.Path` holds it: `%XX` escapes decoded, except an encoded `/`
/// (`%2F`), which stays escaped so that it cannot split a segment; a malformed escape is left
/// as written. Borrowed when there is nothing to decode.
fn percent_decode_path(p: &str) -> std::borrow::Cow<'_, str> {
    if !p.contains('%') {
        return std::borrow::Cow::Borrowed(p);
    }
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        let hex = |at: usize| b.get(at).and_then(|h| char::from(*h).to_digit(16));
        if c == b'%'
            && let (Some(hi), Some(lo)) = (hex(i.saturating_add(1)), hex(i.saturating_add(2)))
            && let Ok(byte) = u8::try_from(hi.wrapping_shl(4) | lo)
            && byte != b'/'
        {
            out.push(byte);
            i = i.saturating_add(3);
            continue;
        }
        out.push(c);
        i = i.saturating_add(1);
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Go's 307 to the clean form of `path`, the request's query kept.
fn redirect_to_clean(request: &Request<'_>, path: &str) -> Answer {
    let mut location = clean_path(path);
    if let Some(q) = request.query() {
        location.push('?');
        location.push_str(q);
    }
    Answer::redirect(request.method, location)
}

/// Whether [`clean_path`] leaves `p` as it is: no empty, `.` or `..` segment (but a trailing
/// slash), without allocating.
fn is_clean(p: &str) -> bool {
    let Some(inner) = p.strip_prefix('/') else {
        return false;
    };
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    if inner.is_empty() {
        return p == "/";
    }
    inner.split('/').all(|s| !matches!(s, "" | "." | ".."))
}

/// Go's `cleanPath` (`net/http`): `path.Clean`, keeping a trailing slash.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in p.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::with_capacity(p.len());
    for s in &parts {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() || (p.ends_with('/') && !parts.is_empty()) {
        out.push('/');
    }
    out
}

#[cold]
fn unreachable_root() -> ! {
    #[allow(clippy::panic)] // invariant: `Face::new` makes the root slot and nothing removes it
    {
        panic!("the face always holds the root namespace's slot")
    }
}

/// `ns1`, `/ns1/`, `ns1/` -> `ns1/`; `None` for the root namespace (empty or slashes only).
fn canonical_namespace(name: &str) -> Option<String> {
    let trimmed = name.trim_matches('/');
    if trimmed.is_empty() {
        return None;
    }
    let mut c = String::with_capacity(trimmed.len().saturating_add(1));
    c.push_str(trimmed);
    c.push('/');
    Some(c)
}

/// The generic HTTP layer of Vault and OpenBao, before any routing: a PATCH whose
/// `Content-Type` is not `application/merge-patch+json` is refused, with 400 and Go's `mime`
/// error when the header does not parse (none at all: `mime: no media type`), else 415.
fn check_patch(content_type: Option<&str>) -> Result<(), Answer> {
    match mime::media_type(content_type.unwrap_or_default()) {
        Err(text) => Err(Answer::with_errors(400, &[text])),
        Ok(media) if media == MERGE_PATCH => Ok(()),
        Ok(media) => Err(Answer::with_errors(
            415,
            &[&format!(
                "PATCH requires Content-Type of {MERGE_PATCH}, provided {media}"
            )],
        )),
    }
}

/// A start body of the HTTP handlers' families (recovery, the old root family, DR), decoded as
/// their handler decodes it: Go's JSON into the handler's struct, whatever the Content-Type.
/// OpenBao's generic layer, which names `map[string]interface {}` for a PUT or POST body that
/// is not an object, has run before this (`handle_openbao`); its recovery mode has no such
/// layer (observed on 2.7.2).
fn decode_start(body: &[u8]) -> Result<StartRequest, Error> {
    StartRequest::from_json(body)
}

/// An update body: on OpenBao's logical endpoint its framework's fields (a missing nonce or key
/// is its 400, `nonce is required` first, then `key is required`); elsewhere as the handler
/// decodes it ([`decode_start`]'s rule: OpenBao 2.7.2 names `http.GenerateRootUpdateRequest`
/// for a GET or DELETE body that is not an object, which its generic layer does not read).
fn decode_update(
    call: &Call,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<(UpdateRequest, Vec<String>), Answer> {
    if call.endpoint.enveloped() {
        let (key, nonce, ignored) =
            UpdateRequest::fields_http(body, content_type).map_err(|e| call.error(&e))?;
        if nonce.is_empty() {
            return Err(Answer::with_errors(400, &["nonce is required"]));
        }
        if key.is_empty() {
            return Err(Answer::with_errors(400, &["key is required"]));
        }
        return Ok((UpdateRequest::new(key, nonce), ignored));
    }
    UpdateRequest::from_json(body)
        .map(|r| (r, Vec::new()))
        .map_err(|e| call.error(&e))
}

/// Drives every step of one request with a synchronous host: `authorize` decides each
/// [`Authorize`], `host` checks keys, mints and revokes tokens; PGP keys are parsed inline
/// (against the key's own timestamp: the face reads no clock). For tests, in-process hosts and
/// examples; a server with an asynchronous token store or key check takes the steps itself.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::http::{Face, Request, serve};
/// use recovery_token::{ExpectedKey, GeneratorConfig, RecoveryTokenGenerator};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut face = Face::new(RecoveryTokenGenerator::new(GeneratorConfig::new(1)?));
/// let mut host = ExpectedKey::new(&[7u8; 16]);
/// let (now, mut rng) = (Instant::now(), rand::rng());
///
/// let start = Request::new("PUT", "/v1/sys/generate-recovery-token/attempt");
/// let answer = serve(&mut face, &start, now, &mut rng, &mut host, |_| false);
/// assert_eq!(answer.status(), 200);
///
/// // The root family needs a token (Vault 2.x's default), and this host allows none.
/// let root = Request::new("GET", "/v1/sys/generate-root/attempt");
/// let refused = serve(&mut face, &root, now, &mut rng, &mut host, |_| false);
/// assert_eq!(refused.status(), 403);
/// assert_eq!(refused.body(), "{\"errors\":[\"permission denied\"]}\n");
/// # Ok(()) }
/// ```
pub fn serve<R: CryptoRng + ?Sized, H: Host + ?Sized>(
    face: &mut Face,
    request: &Request<'_>,
    now: Instant,
    rng: &mut R,
    host: &mut H,
    mut authorize: impl FnMut(&Authorize) -> bool,
) -> Answer {
    let mut step = face.handle(request, now, rng);
    loop {
        step = match step {
            Step::Answer(answer) => return answer,
            Step::Authorize(a) => {
                if authorize(&a) {
                    a.allow(face, now, rng)
                } else {
                    a.deny()
                }
            }
            Step::ParsePgp(p) => p.parse().resume(face, now, rng),
            Step::CheckKey(c) => match host.check_key(c.strategy(), c.key()) {
                Ok(()) => c.accept(face, now, rng),
                Err(reason) => c.reject(face, reason, now),
            },
            Step::MintToken(m) => match host.mint_token_for(m.strategy(), m.ttl()) {
                Ok(token) => m.issue(face, token, now, rng),
                Err(reason) => m.fail(face, reason, now),
            },
            Step::Revoke(r) => {
                host.revoke_token(r.strategy(), r.token());
                r.revoked()
            }
        };
    }
}

/// The body of a request the face copies into an [`Authorize`] step: zeroizing.
pub(crate) fn copy_body(body: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut copy = Zeroizing::new(Vec::with_capacity(body.len()));
    copy.extend_from_slice(body);
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_clean_agrees_with_clean_path() {
        for p in [
            "/",
            "/v1",
            "/v1/",
            "/v1//",
            "/v1/sys/x",
            "/v1/sys/x/",
            "/v1/sys//x",
            "/v1/./x",
            "/v1/../x",
            "/v1/x/.",
            "/v1/x/..",
            "/v1/x//",
            "//",
            "/.",
            "/..",
            "/a/b/c/../d/",
        ] {
            assert_eq!(is_clean(p), clean_path(p) == p, "{p}");
        }
        assert_eq!(clean_path("/v1/sys/x/../y//z/"), "/v1/sys/y/z/");
        assert_eq!(clean_path("/v1/x/."), "/v1/x");
    }
}

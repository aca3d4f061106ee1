//! A conformance kit: runs every rule of the protocol (PROTOCOL.md sections 1-7 and 11) against
//! a host's HTTP endpoints and reports, one line per rule, what passed and what did not.
//!
//! The kit is sans-IO like the rest of the crate: the host hands it a [`Transport`] (its HTTP
//! client, or its router called in memory) and says what it claims ([`Claims`]: dialect, token
//! profile, threshold, the endpoints to test, valid shares and a foreign key set's shares). The
//! kit sends the requests of [`crate::client`], judges each answer byte for byte (status,
//! `Content-Type`, the JSON's exact shape and key order, the error texts of the claimed dialect,
//! taken from [`Error::message`] so there is one copy of each text) and returns a [`Report`].
//!
//! ```no_run
//! use recovery_token::conformance::{Claims, Transport, run};
//! use recovery_token::http::Endpoint;
//! use recovery_token::{Dialect, SecretString};
//! use recovery_token::tokens::TokenProfile;
//! # fn host_transport() -> Box<dyn Transport> { unimplemented!() }
//! # fn my_shares() -> Vec<SecretString> { vec![] }
//! # fn foreign_shares() -> Vec<SecretString> { vec![] }
//! let claims = Claims::new(Dialect::Vault, TokenProfile::VAULT, 3)
//!     .with_endpoints(&[Endpoint::Root, Endpoint::Recovery])
//!     .with_shares(my_shares(), foreign_shares());
//! let mut transport = host_transport();
//! let report = run(&mut *transport, &claims);
//! assert!(report.is_success(), "{report}");
//! ```
//!
//! What the kit changes on the server: it cancels attempts, starts and completes ceremonies. A
//! root ceremony can be completed any number of times; a recovery token only once per run of the
//! server (PROTOCOL.md section 9), so the recovery-closing completion is the last scenario, and
//! only runs when [`Claims::with_recovery_mintable`] says the server can still mint one.
//!
//! The report never prints a share, an OTP or a token: answers shown on failure have those
//! values replaced by `<redacted>`.

mod scenarios;
mod tcp;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::client::{Request, Response};
use crate::error::Error;
use crate::http::Endpoint;
use crate::secret::SecretString;
use crate::tokens::TokenProfile;
use crate::vocabulary::Dialect;

pub use scenarios::run;
pub use tcp::TcpTransport;

/// Sends one request to the host under test and returns its answer.
///
/// Synchronous: a host wraps its HTTP client, or calls its router in memory. An `Err` is a
/// failure to get any answer (connection refused, timeout); the kit records it against the rule
/// being checked.
pub trait Transport {
    /// Sends `request` (its path starts with `/v1/`; the transport adds scheme and authority).
    ///
    /// # Errors
    /// [`TransportError`] when no answer came back.
    fn send(&mut self, request: &Request) -> Result<Response, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

/// No answer came back from the host (the reason, never a request's body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error: {}", self.0)
    }
}

impl std::error::Error for TransportError {}

/// Makes a fresh [`Transport`] per thread, for the one-completion rule under concurrency.
pub type TransportFactory = Box<dyn Fn() -> Box<dyn Transport + Send> + Send + Sync>;

/// What the host claims: the kit expects exactly what these say.
///
/// Built with [`Claims::new`] and the `with_*` methods. The options that change an expected
/// outcome are documented extensions of this crate (PROTOCOL.md section 10) or documented
/// differences of a server ([`Claims::allow_difference`]).
pub struct Claims {
    pub(crate) dialect: Dialect,
    pub(crate) profile: TokenProfile,
    pub(crate) threshold: usize,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) shares: Vec<SecretString>,
    pub(crate) foreign: Vec<SecretString>,
    pub(crate) recovery_mintable: bool,
    pub(crate) key_length: Option<usize>,
    pub(crate) disclose_nonce: bool,
    pub(crate) pgp: bool,
    pub(crate) cancel_requires_nonce: bool,
    pub(crate) concurrency: Option<(TransportFactory, usize)>,
    pub(crate) allowed: Vec<(String, String)>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("dialect", &self.dialect)
            .field("profile", &self.profile)
            .field("threshold", &self.threshold)
            .field("endpoints", &self.endpoints)
            .field("shares", &format_args!("[{} REDACTED]", self.shares.len()))
            .field(
                "foreign",
                &format_args!("[{} REDACTED]", self.foreign.len()),
            )
            .field("recovery_mintable", &self.recovery_mintable)
            .field("key_length", &self.key_length)
            .field("disclose_nonce", &self.disclose_nonce)
            .field("pgp", &self.pgp)
            .field("cancel_requires_nonce", &self.cancel_requires_nonce)
            .field("concurrency", &self.concurrency.as_ref().map(|(_, n)| *n))
            .field("allowed", &self.allowed)
            .finish()
    }
}

impl Claims {
    /// A host answering in `dialect`'s texts, minting tokens of `profile`, with `threshold`
    /// shares needed. By default: the recovery endpoint only, no shares (the scenarios that need
    /// them are skipped), the recovery token not mintable, Vault's share checks (no declared key
    /// length), the nonce disclosed in the wrong-nonce text, PGP supported, no concurrency.
    #[must_use]
    pub fn new(dialect: Dialect, profile: TokenProfile, threshold: usize) -> Self {
        Self {
            dialect,
            profile,
            threshold,
            endpoints: vec![Endpoint::Recovery],
            shares: Vec::new(),
            foreign: Vec::new(),
            recovery_mintable: false,
            key_length: None,
            disclose_nonce: true,
            pgp: true,
            cancel_requires_nonce: false,
            concurrency: None,
            allowed: Vec::new(),
        }
    }

    /// The endpoint families to test, among [`Endpoint::Recovery`] and [`Endpoint::Root`] (the
    /// unauthenticated ones; others are ignored). Both: the rules of the shared attempt slot
    /// (PROTOCOL.md sections 3.3 and 4.6) run too.
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: &[Endpoint]) -> Self {
        self.endpoints = endpoints
            .iter()
            .copied()
            .filter(|e| matches!(e, Endpoint::Recovery | Endpoint::Root))
            .collect();
        self
    }

    /// Valid shares of the host's key (hex or base64, at least the threshold; one more lets the
    /// kit vary which shares complete), and as many shares of another key of the same length
    /// (the foreign key set: they combine to a key that fails the host's check).
    #[must_use]
    pub fn with_shares(mut self, shares: Vec<SecretString>, foreign: Vec<SecretString>) -> Self {
        self.shares = shares;
        self.foreign = foreign;
        self
    }

    /// Whether the server can still mint the recovery token (it has not in this run). The
    /// recovery completion closes recovery generation (PROTOCOL.md section 9), so it runs last.
    #[must_use]
    pub fn with_recovery_mintable(mut self, mintable: bool) -> Self {
        self.recovery_mintable = mintable;
        self
    }

    /// Extension (`GeneratorConfig::with_key_length`): the host declares its key length, so a
    /// share of any other length is refused at once with Vault's length texts
    /// (`invalid key: key is shorter than minimum L+1 bytes`), progress kept, instead of failing
    /// the final combine.
    #[must_use]
    pub fn with_key_length(mut self, key_length: Option<usize>) -> Self {
        self.key_length = key_length;
        self
    }

    /// Extension (`GeneratorConfig::disclose_nonce_in_errors(false)`): the wrong-nonce text does
    /// not repeat the attempt's nonce (`incorrect nonce supplied`).
    #[must_use]
    pub fn with_disclosed_nonce(mut self, disclose: bool) -> Self {
        self.disclose_nonce = disclose;
        self
    }

    /// Whether the host supports `pgp_key` (false: a crate built without its `pgp` feature,
    /// which answers `PGP encoding is not supported by this server`).
    #[must_use]
    pub fn with_pgp(mut self, pgp: bool) -> Self {
        self.pgp = pgp;
        self
    }

    /// Extension (`GeneratorConfig::cancel_requires_nonce(true)`): a cancel must name the
    /// attempt's nonce (`DELETE .../attempt?nonce=N`, as `Client::cancel_request_for` sends it),
    /// and one without it is refused with `incorrect nonce supplied`, the attempt kept. The kit
    /// then cancels with the nonce it reads from the status, and checks the refusal.
    #[must_use]
    pub fn with_cancel_requires_nonce(mut self, required: bool) -> Self {
        self.cancel_requires_nonce = required;
        self
    }

    /// Fresh transports for the one-completion rule: `senders` threads each send the final
    /// share at once, and exactly one may complete the ceremony.
    #[must_use]
    pub fn with_concurrency(mut self, factory: TransportFactory, senders: usize) -> Self {
        self.concurrency = Some((factory, senders));
        self
    }

    /// A documented difference: a failure of the rule named `rule` is reported as allowed, with
    /// `why`, and does not count as a failure. Meant for a real server's known deviations from
    /// PROTOCOL.md, each with its reason.
    #[must_use]
    pub fn allow_difference(mut self, rule: &str, why: &str) -> Self {
        self.allowed.push((rule.to_owned(), why.to_owned()));
        self
    }

    /// The text the claimed dialect answers `error` with.
    pub(crate) fn text(&self, error: &Error) -> String {
        error.message(self.dialect)
    }
}

/// The verdict on one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The server did what the rule says.
    Pass,
    /// It did not: what was expected and what came back (secrets redacted).
    Fail {
        /// What the rule expects.
        expected: String,
        /// What the server answered (secrets redacted).
        got: String,
    },
    /// A failure the claims list as a documented difference ([`Claims::allow_difference`]).
    Allowed {
        /// The documented reason.
        why: String,
        /// What the rule expects.
        expected: String,
        /// What the server answered (secrets redacted).
        got: String,
    },
    /// Not run, and why (e.g. no shares claimed, or the recovery token is not mintable).
    Skipped(String),
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    /// The rule's name, unique in a report (the endpoint is part of it).
    pub name: String,
    /// The PROTOCOL.md section it checks, e.g. `"4"`.
    pub section: &'static str,
    /// The verdict.
    pub outcome: Outcome,
}

/// What a run found: one [`RuleResult`] per rule, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    results: Vec<RuleResult>,
}

impl Report {
    /// Every rule's result, in order.
    #[must_use]
    pub fn results(&self) -> &[RuleResult] {
        &self.results
    }

    /// The rules that failed (allowed differences and skipped rules are not failures).
    pub fn failures(&self) -> impl Iterator<Item = &RuleResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail { .. }))
    }

    /// Whether no rule failed.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The result of the rule named `name`, if it ran.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&RuleResult> {
        self.results.iter().find(|r| r.name == name)
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            let section = r.section;
            match &r.outcome {
                Outcome::Pass => writeln!(f, "pass     [§{section}] {}", r.name)?,
                Outcome::Skipped(why) => {
                    writeln!(f, "skipped  [§{section}] {} ({why})", r.name)?;
                }
                Outcome::Allowed { why, expected, got } => {
                    writeln!(f, "allowed  [§{section}] {} ({why})", r.name)?;
                    writeln!(f, "           expected: {expected}")?;
                    writeln!(f, "           got:      {got}")?;
                }
                Outcome::Fail { expected, got } => {
                    writeln!(f, "FAIL     [§{section}] {}", r.name)?;
                    writeln!(f, "           expected: {expected}")?;
                    writeln!(f, "           got:      {got}")?;
                }
            }
        }
        write!(
            f,
            "conformance: {} passed, {} failed, {} allowed, {} skipped",
            self.count(|o| *o == Outcome::Pass),
            self.count(|o| matches!(o, Outcome::Fail { .. })),
            self.count(|o| matches!(o, Outcome::Allowed { .. })),
            self.count(|o| matches!(o, Outcome::Skipped(_))),
        )
    }
}

/// Go's `encoding/json` texts the kit provokes (PROTOCOL.md section 11), as the servers put them
/// after `failed to parse JSON input: ` (Vault) or `failed to decode JSON input: ` (OpenBao).
/// Observed on OpenBao 2.7.2; kept here, in one place, until the crate's request decoder exposes
/// them itself.
pub(crate) mod go_text {
    /// `nope` as a body: the scanner reads `n` as the start of `null`.
    pub(crate) const NOPE: &str = "invalid character 'o' in literal null (expecting 'u')";
    /// `{...} trailing`: the decoder reads the text after the object as a second value.
    pub(crate) const TRAILING: &str = "invalid character 'a' in literal true (expecting 'u')";
    /// A truncated object.
    pub(crate) const UNEXPECTED_EOF: &str = "unexpected EOF";
    /// `{"otp":1}` on a start.
    pub(crate) const START_OTP_NUMBER: &str = "json: cannot unmarshal number into Go struct field GenerateRootInitRequest.otp of type string";
    /// `{"key":1}` on an update.
    pub(crate) const UPDATE_KEY_NUMBER: &str = "json: cannot unmarshal number into Go struct field GenerateRootUpdateRequest.key of type string";
}

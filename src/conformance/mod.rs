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
//! Beyond the ceremony on the plain families (recovery, root, DR operation), the claims can
//! ask for:
//! - who may call (SPEC section 13, [`Claims::with_authorization`]): each guarded family
//!   refuses a caller without a token and with a wrong one as the dialect does (Vault 2.x: 403
//!   `permission denied`; OpenBao: 405 `unsupported operation` on its disabled
//!   `sys/generate-root/*`, 403 on `sys/generate-root-token/*` and the DR paths) and accepts
//!   the claimed token; the open families and `sys/decode-token` answer without one;
//! - the server's state ([`Claims::with_server_state`]): sealed, standby, not initialized;
//! - the crate's key-holder extensions ([`Claims::with_share_registry`],
//!   [`Claims::with_holders_only_start_cancel`]);
//! - a PGP ceremony ([`Claims::with_pgp_key`]): fingerprints and the encrypted token's form
//!   (the kit holds no private key: whether the token inside is right is for the holder).
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
use crate::vocabulary::{Dialect, ServerState};

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
    pub(crate) authorization: Option<Authorization>,
    pub(crate) server_state: ServerState,
    pub(crate) registry: bool,
    pub(crate) holders_only: bool,
    pub(crate) pgp_key: Option<(String, String)>,
}

/// Who may call (SPEC section 13): the authorization model a host claims, for
/// [`Claims::with_authorization`].
///
/// The families listed [`Authorization::open`] are served without a token; those listed
/// [`Authorization::guarded`] refuse a caller without a token, or with a wrong one, as the
/// claimed dialect does:
///
/// | dialect | family | no token, a wrong token | the claimed token |
/// |---|---|---|---|
/// | Vault 2.x | `sys/generate-root/*`, the DR family | 403 `{"errors":["permission denied"]}` | served |
/// | OpenBao 2.5.3+ | `sys/generate-root/*` (disabled) | 405 `{"errors":["unsupported operation"]}` | 405 as well |
/// | OpenBao 2.6+ | `sys/generate-root-token/*` | 403 `{"errors":["permission denied"]}` | served, in OpenBao's envelope |
/// | OpenBao | the DR family (no replication) | 403 `{"errors":["permission denied"]}` | 404 `unsupported path` (multi-error text) |
///
/// (OpenBao's answers observed on the real 2.7.2 server.) The kit sends the claimed token
/// (`X-Vault-Token`) with every request to a guarded family, so the ceremony rules run behind
/// it. A refusal must come before the body is read: the kit's refused starts and updates carry
/// bodies the ceremony would refuse with another text.
#[derive(Clone, Default)]
pub struct Authorization {
    pub(crate) open: Vec<Endpoint>,
    pub(crate) guarded: Vec<Endpoint>,
    pub(crate) decode_token_open: bool,
    pub(crate) token: Option<SecretString>,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("open", &self.open)
            .field("guarded", &self.guarded)
            .field("decode_token_open", &self.decode_token_open)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl Authorization {
    /// No family claimed either way (the access rules then check nothing but what is added).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Families served to anyone, without a token (Vault 1.x's model; Vault 2.x's
    /// `enable_unauthenticated_access`; OpenBao's
    /// `disable_unauthed_generate_root_endpoints = false`; recovery mode's
    /// `sys/generate-recovery-token/*`).
    #[must_use]
    pub fn open(mut self, families: &[Endpoint]) -> Self {
        self.open.extend_from_slice(families);
        self
    }

    /// Families that refuse a caller without the right token (see the table above).
    #[must_use]
    pub fn guarded(mut self, families: &[Endpoint]) -> Self {
        self.guarded.extend_from_slice(families);
        self
    }

    /// Whether `sys/decode-token` is served without a token (Vault 1.13+ and OpenBao: it is).
    #[must_use]
    pub fn with_decode_token(mut self, open: bool) -> Self {
        self.decode_token_open = open;
        self
    }

    /// A token the host accepts on the guarded families (a `sudo` token on their paths). Without
    /// one the kit checks only the refusals.
    #[must_use]
    pub fn with_token(mut self, token: SecretString) -> Self {
        self.token = Some(token);
        self
    }
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
            .field("authorization", &self.authorization)
            .field("server_state", &self.server_state)
            .field("registry", &self.registry)
            .field("holders_only", &self.holders_only)
            .field("pgp_key", &self.pgp_key.as_ref().map(|(_, fpr)| fpr))
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
            authorization: None,
            server_state: ServerState::Unsealed,
            registry: false,
            holders_only: false,
            pgp_key: None,
        }
    }

    /// The endpoint families whose ceremony rules run, among [`Endpoint::Recovery`],
    /// [`Endpoint::Root`] and [`Endpoint::DrOperation`] (the plain families, one state machine:
    /// SPEC section 1; [`Endpoint::RootToken`]'s envelope is checked by the access rules only,
    /// see [`Claims::with_authorization`]). Root and recovery both: the rules of the shared
    /// attempt slot (sections 3.3 and 4.6) run too. An empty list runs no ceremony rules (an
    /// access-only or server-state-only run).
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: &[Endpoint]) -> Self {
        self.endpoints = endpoints
            .iter()
            .copied()
            .filter(|e| {
                matches!(
                    e,
                    Endpoint::Recovery | Endpoint::Root | Endpoint::DrOperation
                )
            })
            .collect();
        self
    }

    /// Who may call (SPEC section 13): the access rules check each claimed family without a
    /// token, with a wrong one and with the claimed one, and the kit sends the claimed token
    /// to the guarded families in every other rule. Unclaimed (the default): no access rule
    /// runs and the kit sends no token.
    #[must_use]
    pub fn with_authorization(mut self, authorization: Authorization) -> Self {
        self.authorization = Some(authorization);
        self
    }

    /// The server's state (SPEC section 3.2, 4.3): sealed, standby or not initialized. Then the
    /// ceremony rules of the root and DR families are replaced by the state rules (a start and
    /// an update refused with the state's text and status; OpenBao sealed: every operation,
    /// status and cancel too, 503 `Vault is sealed`, observed on 2.7.2); the recovery family,
    /// sealed by nature in recovery mode, is not affected. Default: unsealed and active.
    #[must_use]
    pub fn with_server_state(mut self, state: ServerState) -> Self {
        self.server_state = state;
        self
    }

    /// Extension (`GeneratorConfigBuilder::with_share_registry`): the host knows its shares, so
    /// an update with a share not among them (a foreign key set's; one with a held share's x
    /// but other bytes) is refused at once with `given key is not one of this key set's shares`,
    /// progress kept. The rules that provoke a failed combine (those shares) then check this
    /// instead. Needs [`Claims::with_shares`] with foreign shares.
    #[must_use]
    pub fn with_share_registry(mut self, registry: bool) -> Self {
        self.registry = registry;
        self
    }

    /// Extension (`GeneratorConfigBuilder::with_holders_only_start_cancel`, which needs a
    /// registry): a start and a cancel must carry a registered share in their `key` field.
    /// The kit then sends the first claimed share with each of its own starts and cancels, and
    /// checks the refusals (none, a foreign share) and that neither starts nor cancels
    /// anything. The rules on a start's body (Go's decoding texts, OTP lengths) are skipped:
    /// the holder check comes first.
    #[must_use]
    pub fn with_holders_only_start_cancel(mut self, holders_only: bool) -> Self {
        self.holders_only = holders_only;
        self
    }

    /// A public key to run a PGP ceremony with (SPEC section 8): `pgp_key` as the API takes it
    /// (standard base64 of the binary key) and the fingerprint the host must show (40 lowercase
    /// hex digits, as `gpg --with-colons --fingerprint` prints it, lowercased). The kit checks
    /// the fingerprint in the start, status and update answers, and that the final answer's
    /// `encoded_token` is padded base64 of a binary OpenPGP message that starts with a
    /// public-key encrypted session key packet. It cannot decrypt it (it holds no private
    /// key): that the token inside is right is for the key's holder (`base64 -d | gpg -dq`).
    #[must_use]
    pub fn with_pgp_key(mut self, pgp_key: &str, fingerprint: &str) -> Self {
        self.pgp_key = Some((pgp_key.to_owned(), fingerprint.to_owned()));
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

//! The steps only a host can take, in the spirit of rustls' `Acceptor`: each step's methods
//! consume it and are the only ways forward.

use std::fmt;
use std::time::{Duration, Instant};

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{Answer, Call, Endpoint, Face, Operation, Request, Verdict, copy_body};
use crate::error::Error;
use crate::generator::{Encoding, HostReason, IssueHostToken, KeyAccepted, PendingCompletion};
use crate::secret::{CombinedKey, SecretString, Token};
use crate::tokens::TokenFormat;
use crate::vocabulary::{Dialect, Strategy};

/// What [`Face::handle`] (and every step's method) gives: the answer, or the next step only the
/// host can take.
///
/// | step | the host | then |
/// |---|---|---|
/// | [`Step::Answer`] | writes it | done |
/// | [`Step::Authorize`] | decides whether [`Authorize::token`] may run the operation | [`Authorize::allow`] / [`Authorize::deny`] |
/// | [`Step::ParsePgp`] | parses the key, on a blocking thread if it likes, without the face | [`ParsePgp::parse_at`] then [`PgpParsed::resume`] |
/// | [`Step::CheckKey`] | checks [`CheckKey::key`] | [`CheckKey::accept`] / [`CheckKey::reject`] |
/// | [`Step::MintToken`] | mints a token of [`MintToken::format`], valid for [`MintToken::ttl`] if set | [`MintToken::issue`] / [`MintToken::fail`] |
/// | [`Step::Revoke`] | revokes [`Revoke::token`] (it was never handed out) | [`Revoke::revoked`] |
#[must_use]
#[derive(Debug)]
pub enum Step {
    /// The answer to write.
    Answer(Answer),
    /// Ask the host whether the caller may do this.
    Authorize(Authorize),
    /// Parse a PGP public key (costly: signature checks), outside the face's lock.
    ParsePgp(ParsePgp),
    /// Check the combined key.
    CheckKey(CheckKey),
    /// Mint the root or DR operation token.
    MintToken(MintToken),
    /// Revoke a minted token that could not be handed out.
    Revoke(Revoke),
}

/// What comes after an authorization: the call, or (for a path or method the server has no
/// handler for) the answer the server gives an authorized caller.
#[derive(Debug)]
pub(super) enum Next {
    Run(Call),
    Answer(Answer),
}

/// What a policy grants on a path: Vault's and OpenBao's ACL capabilities, by the request's
/// method (GET: read; PUT, POST: update; DELETE: delete; LIST: list; PATCH: patch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// GET (and HEAD).
    Read,
    /// PUT, POST (and any method on a plain `/update`).
    Update,
    /// DELETE.
    Delete,
    /// LIST.
    List,
    /// PATCH.
    Patch,
}

/// A caller wants to reach [`Authorize::path`]: the host decides, from its token store and
/// its policies ([`Authorize::capability`] on the path; OpenBao 2.7.2 asks for the plain
/// capability, Vault 2.x for `sudo` as well).
///
/// Taken before the body is decoded into a request, as both servers check the token before the
/// handler runs: an unauthorized caller gets the refusal whatever its body (OpenBao's generic
/// layer only checks first that a body is one JSON object). The step holds a zeroizing copy of
/// the body and of the token; the face stores no token and never logs one.
pub struct Authorize {
    next: Next,
    dialect: Dialect,
    capability: Capability,
    path: String,
    namespace: Option<String>,
    token: Option<SecretString>,
    content_type: Option<String>,
    query: Option<String>,
    body: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Authorize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorize")
            .field("next", &self.next)
            .field("capability", &self.capability)
            .field("path", &self.path)
            .field("namespace", &self.namespace)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field(
                "body",
                &format_args!("[REDACTED; {} bytes]", self.body.len()),
            )
            .finish_non_exhaustive()
    }
}

impl Authorize {
    pub(super) fn new(next: Next, request: &Request<'_>, dialect: Dialect) -> Self {
        let capability = match (&next, request.method) {
            (Next::Run(call), _) if call.operation == Operation::Update => Capability::Update,
            (_, "GET" | "HEAD") => Capability::Read,
            (_, "DELETE") => Capability::Delete,
            (_, "LIST") => Capability::List,
            (_, "PATCH") => Capability::Patch,
            _ => Capability::Update,
        };
        let path = request
            .path()
            .strip_prefix(super::routes::API_PREFIX)
            .unwrap_or_default()
            .to_owned();
        let namespace = match &next {
            Next::Run(call) => call.namespace.clone(),
            Next::Answer(_) => None,
        };
        Self {
            next,
            dialect,
            capability,
            path,
            namespace,
            token: request.token.map(|t| SecretString::new(t.to_owned())),
            content_type: request.content_type.map(str::to_owned),
            query: request.query().map(str::to_owned),
            body: copy_body(request.body),
        }
    }

    /// The request is for `namespace`; a path that names it first (`ns1/sys/...`) is given to
    /// the policy without it.
    pub(super) fn set_namespace(&mut self, namespace: Option<String>) {
        if let Some(ns) = &namespace
            && let Some(inner) = self.path.strip_prefix(ns.as_str())
        {
            self.path = inner.to_owned();
        }
        self.namespace = namespace;
    }

    /// The caller's `X-Vault-Token`, if it sent one. Secret: compare it in constant time.
    #[must_use]
    pub fn token(&self) -> Option<&SecretString> {
        self.token.as_ref()
    }

    /// The endpoint family, or `None` for a path the face has no handler for (the server
    /// checks the token there too, then answers 404 `unsupported path`).
    #[must_use]
    pub fn endpoint(&self) -> Option<Endpoint> {
        match &self.next {
            Next::Run(call) => Some(call.endpoint),
            Next::Answer(_) => None,
        }
    }

    /// What the caller asks for, or `None` where the server has no such operation.
    #[must_use]
    pub fn operation(&self) -> Option<Operation> {
        match &self.next {
            Next::Run(call) => Some(call.operation),
            Next::Answer(_) => None,
        }
    }

    /// The capability the request needs on [`Self::path`].
    #[must_use]
    pub fn capability(&self) -> Capability {
        self.capability
    }

    /// The path as a policy names it: the request's path without `/v1/` or the namespace
    /// (`sys/generate-root/attempt`, `sys/generate-root-token/update`, ...).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The namespace the request is for (`ns1/`), or `None` for the root namespace.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The host allows it: the request goes on (its body is decoded now).
    pub fn allow<R: CryptoRng + ?Sized>(self, face: &mut Face, now: Instant, rng: &mut R) -> Step {
        let Self {
            next,
            content_type,
            query,
            body,
            ..
        } = self;
        match next {
            Next::Answer(answer) => Step::Answer(answer),
            Next::Run(call) => face.run(
                call,
                &body,
                content_type.as_deref(),
                query.as_deref(),
                now,
                rng,
            ),
        }
    }

    /// The host's [`Verdict`] as the next step: [`Self::allow`], [`Self::deny`] or
    /// [`Self::forbid`].
    pub fn decide<R: CryptoRng + ?Sized>(
        self,
        verdict: Verdict,
        face: &mut Face,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        match verdict {
            Verdict::Allow => self.allow(face, now, rng),
            Verdict::UnknownToken => self.deny(),
            Verdict::NotPermitted => self.forbid(),
        }
    }

    /// The host refuses a missing, unknown or malformed token: 403
    /// `{"errors":["permission denied"]}`, what Vault 2.x and OpenBao 2.7.2 answer (OpenBao
    /// never says `invalid token`).
    pub fn deny(self) -> Step {
        Step::Answer(Answer::with_errors(403, &["permission denied"]))
    }

    /// The host refuses a valid token whose policy does not grant the capability on the path:
    /// 403, in the OpenBao dialect with the multi-error text
    /// `1 error occurred:\n\t* permission denied\n\n` (it differs from
    /// [`Self::deny`]'s), in the Vault dialect `permission denied` (SPEC section 13).
    pub fn forbid(self) -> Step {
        Step::Answer(match self.dialect {
            Dialect::OpenBao => super::answer::multierror(403, "permission denied"),
            _ => Answer::with_errors(403, &["permission denied"]),
        })
    }
}

/// A start carries a PGP key: parse it (signature checks cost milliseconds) without holding
/// the face, then resume.
#[derive(Debug)]
pub struct ParsePgp {
    call: Call,
    key: String,
    /// The start's own fields (a key holder's share under holders-only start; a ttl), for
    /// `start_with` once the key is parsed.
    holder: SecretString,
    ttl: String,
}

impl ParsePgp {
    #[cfg_attr(not(feature = "pgp"), allow(dead_code))]
    pub(super) fn new(call: Call, key: String, holder: SecretString, ttl: String) -> Self {
        Self {
            call,
            key,
            holder,
            ttl,
        }
    }

    /// Parses the key, checking expiry against the key's own newest timestamp (the face reads
    /// no clock).
    pub fn parse(self) -> PgpParsed {
        let result = parse_pgp(&self.key, None);
        PgpParsed {
            call: self.call,
            result,
            holder: self.holder,
            ttl: self.ttl,
        }
    }

    /// Parses the key, checking expiry against `now` (the host's wall clock).
    pub fn parse_at(self, now: std::time::SystemTime) -> PgpParsed {
        let result = parse_pgp(&self.key, Some(now));
        PgpParsed {
            call: self.call,
            result,
            holder: self.holder,
            ttl: self.ttl,
        }
    }
}

#[cfg(feature = "pgp")]
fn parse_pgp(key: &str, now: Option<std::time::SystemTime>) -> Result<Encoding, Error> {
    let parsed = match now {
        Some(now) => crate::pgp::PgpRecipient::parse_at(key, now),
        None => crate::pgp::PgpRecipient::parse(key),
    };
    parsed
        .map(|r| Encoding::Pgp(Box::new(r)))
        .map_err(Error::from)
}

#[cfg(not(feature = "pgp"))]
fn parse_pgp(_key: &str, _now: Option<std::time::SystemTime>) -> Result<Encoding, Error> {
    Err(Error::PgpUnsupported)
}

/// A parsed (or refused) PGP key, waiting to start its attempt.
#[must_use]
pub struct PgpParsed {
    call: Call,
    result: Result<Encoding, Error>,
    holder: SecretString,
    ttl: String,
}

impl fmt::Debug for PgpParsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgpParsed")
            .field("call", &self.call)
            .field("parsed", &self.result.is_ok())
            .finish()
    }
}

impl PgpParsed {
    /// Starts the attempt (or answers the parse error). Vault checks the inputs before the
    /// server state and the slot, so the order of refusals is Vault's.
    pub fn resume<R: CryptoRng + ?Sized>(self, face: &mut Face, now: Instant, rng: &mut R) -> Step {
        let Self {
            call,
            result,
            holder,
            ttl,
        } = self;
        let result = result.and_then(|encoding| match face.slot_generator(call.slot) {
            Some(g) => g.start_with(call.strategy(), encoding, &holder, &ttl, now, rng),
            None => Err(Error::StaleCompletion),
        });
        Step::Answer(call.result(&result, rng))
    }
}

/// The threshold was reached: check the combined key (root: it must unlock the root key;
/// recovery: it must unseal the barrier). While the step is alive the attempt is completing;
/// dropping it abandons the completion (the attempt stays, its shares wiped).
#[derive(Debug)]
pub struct CheckKey {
    call: Call,
    pending: PendingCompletion,
}

impl CheckKey {
    pub(super) fn new(call: Call, pending: PendingCompletion) -> Self {
        Self { call, pending }
    }

    /// The combined key. Secret.
    #[must_use]
    pub fn key(&self) -> &CombinedKey {
        self.pending.key()
    }

    /// The strategy of the attempt.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.pending.strategy()
    }

    /// The namespace (`ns1/`), or `None` for the root namespace.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.call.namespace.as_deref()
    }

    /// The key is right: a recovery token is minted, encoded and answered now; a root or DR
    /// operation token must come from the host ([`Step::MintToken`]).
    pub fn accept<R: CryptoRng + ?Sized>(self, face: &mut Face, now: Instant, rng: &mut R) -> Step {
        let Self { call, pending } = self;
        match pending.accept_key() {
            KeyAccepted::Recovery(issue) => {
                let result = match face.slot_generator(call.slot) {
                    Some(g) => issue.issue(g, now, rng),
                    None => Err(Error::StaleCompletion),
                };
                Step::Answer(call.result(&result, rng))
            }
            KeyAccepted::NeedsToken(issue) => {
                let format = face
                    .slot_generator(call.slot)
                    .map(|g| g.config().profile().format(issue.strategy()));
                match format {
                    Some(format) => Step::MintToken(MintToken {
                        call,
                        issue,
                        format,
                    }),
                    None => Step::Answer(call.error(&Error::StaleCompletion)),
                }
            }
        }
    }

    /// The key is wrong: `root generation aborted: <reason>`; the attempt stays, with progress
    /// 0. The reason reaches the client: no key material in it.
    pub fn reject(self, face: &mut Face, reason: impl Into<HostReason>, now: Instant) -> Step {
        let Self { call, pending } = self;
        let error = match face.slot_generator(call.slot) {
            Some(g) => pending.reject_key(g, reason, now),
            None => Error::StaleCompletion,
        };
        Step::Answer(call.error(&error))
    }
}

/// The key was accepted: the host mints the root or DR operation token.
#[derive(Debug)]
pub struct MintToken {
    call: Call,
    issue: IssueHostToken,
    format: TokenFormat,
}

impl MintToken {
    /// The strategy ([`Strategy::Root`] or [`Strategy::DrOperation`]).
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.issue.strategy()
    }

    /// The shape the token must have: the slot's configured format (its length is the OTP's;
    /// a namespace's format carries the namespace's id).
    #[must_use]
    pub fn format(&self) -> TokenFormat {
        self.format
    }

    /// The namespace (`ns1/`), or `None` for the root namespace.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.call.namespace.as_deref()
    }

    /// The lifetime the start asked the token to have (its `ttl`), or `None`: the host mints a
    /// token that stops being valid that long after it is minted, by its own clock. Only ever
    /// `Some` when the slot's configuration supports lifetimes
    /// ([`crate::GeneratorConfigBuilder::with_ttl_supported`]; otherwise a start carrying a
    /// `ttl` is refused), so a host that does not enable them never sees one.
    #[must_use]
    pub fn ttl(&self) -> Option<Duration> {
        self.issue.ttl()
    }

    /// Encodes the host's `token` and completes the attempt. If it cannot be handed out
    /// (the attempt ended meanwhile, a wrong length, a PGP failure) the next step is
    /// [`Step::Revoke`].
    pub fn issue<R: CryptoRng + ?Sized>(
        self,
        face: &mut Face,
        token: Token,
        now: Instant,
        rng: &mut R,
    ) -> Step {
        let Self { call, issue, .. } = self;
        let Some(generator) = face.slot_generator(call.slot) else {
            let answer = call.error(&Error::StaleCompletion);
            return Step::Revoke(Revoke {
                call,
                token,
                answer,
            });
        };
        match issue.issue(generator, token, now, rng) {
            Ok(status) => Step::Answer(call.status(&status, rng)),
            Err(unissued) => {
                let (error, token) = unissued.into_parts();
                let answer = call.error(&error);
                Step::Revoke(Revoke {
                    call,
                    token,
                    answer,
                })
            }
        }
    }

    /// The host could not mint: `unable to create token: <reason>`; the attempt stays with
    /// progress 0. The reason reaches the client: no secret in it.
    pub fn fail(self, face: &mut Face, reason: impl Into<HostReason>, now: Instant) -> Step {
        let Self { call, issue, .. } = self;
        let error = match face.slot_generator(call.slot) {
            Some(g) => issue.mint_failed(g, reason, now),
            None => Error::StaleCompletion,
        };
        Step::Answer(call.error(&error))
    }
}

/// A token the host minted could not be handed out: revoke it, then write the answer.
pub struct Revoke {
    call: Call,
    token: Token,
    answer: Answer,
}

impl fmt::Debug for Revoke {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revoke")
            .field("call", &self.call)
            .field("token", &self.token)
            .field("answer", &self.answer)
            .finish()
    }
}

impl Revoke {
    /// The token to revoke. Secret.
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The strategy it was minted for.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.call.strategy()
    }

    /// The namespace (`ns1/`), or `None` for the root namespace.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.call.namespace.as_deref()
    }

    /// The host revoked it: the answer (the refusal) is ready.
    pub fn revoked(self) -> Step {
        Step::Answer(self.answer)
    }
}

//! The last step, as typed steps in the spirit of rustls's `Acceptor`/`Accepted`: the host's
//! check of the combined key ([`PendingCompletion`]), the minting of the token ([`KeyAccepted`]),
//! the encoding; and their composition in [`RecoveryTokenGenerator::update`].
//!
//! Each step consumes the previous one, so a meaningless combination does not compile: a verdict
//! cannot come with a token, a root completion cannot go on without one, and a recovery
//! completion cannot be handed one. A failure after the host minted a token hands the token back
//! ([`Unissued`]) for the host to revoke.

use std::time::{Duration, Instant};

use rand_core::CryptoRng;

use std::sync::{Arc, Weak};

use super::RecoveryTokenGenerator;
use super::state::{Attempt, AttemptEncoding, Phase};
use crate::audit::AuditEventKind;
use crate::error::Error;
use crate::secret::{CombinedKey, Otp, Token};
use crate::tokens::encode_for;
use crate::vocabulary::Strategy;
use crate::wire::{AttemptStatus, UpdateRequest};

/// A host's reason for refusing a combined key or failing to mint a token. It reaches every
/// client verbatim (`root generation aborted: <reason>`, `unable to create token: <reason>`),
/// and the update endpoints are unauthenticated in Vault's model: a host fills it deliberately,
/// from its own fixed texts, never from key material or a token. Not secret, so printable.
///
/// ```
/// use recovery_token::HostReason;
///
/// let reason = HostReason::new("unable to authenticate: combined key does not match");
/// assert_eq!(reason.as_str(), "unable to authenticate: combined key does not match");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostReason(String);

impl HostReason {
    /// A reason for clients to read. It must hold no secret (key material, a token, a share).
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text clients read.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn into_string(self) -> String {
        self.0
    }
}

/// A literal written into the host's source: a fixed text, which cannot carry key material.
/// Text made at run time goes through [`HostReason::new`], deliberately.
impl From<&'static str> for HostReason {
    fn from(text: &'static str) -> Self {
        Self(text.to_owned())
    }
}

impl std::fmt::Display for HostReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the host supplies to finish a ceremony: the check of the combined key and, for root and
/// DR strategies, the minting of the token.
///
/// The generator calls these from [`RecoveryTokenGenerator::update`], which composes the typed
/// steps of [`PendingCompletion`]. Hosts whose check or token store is asynchronous call
/// [`RecoveryTokenGenerator::submit`] and take those steps themselves; they never need this trait.
///
/// # Examples
///
/// A host that checks the combined key against the one it holds and mints root tokens into its
/// token store:
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{
///     CombinedKey, Encoding, GeneratorConfig, Host, HostReason, RecoveryTokenGenerator, Strategy,
///     Token,
/// };
/// use recovery_token::tokens::decode_token;
/// use recovery_token::wire::UpdateRequest;
///
/// struct MyServer { root_key: Vec<u8>, tokens: Vec<String> }
///
/// impl Host for MyServer {
///     fn check_key(&mut self, _: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
///         key.ct_eq_bytes(&self.root_key).then_some(()).ok_or_else(|| "wrong key".into())
///     }
///     fn mint_token(&mut self, _: Strategy) -> Result<Token, HostReason> {
///         let token = format!("hvs.{:024}", self.tokens.len()); // 28 characters, as the OTP
///         self.tokens.push(token.clone());
///         Ok(Token::from(token))
///     }
/// }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut server = MyServer { root_key: vec![7; 16], tokens: Vec::new() };
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
/// let started = generator.start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng)?;
/// let update = UpdateRequest::new("07".repeat(16).into(), started.nonce.clone());
/// let done = generator.update(Strategy::Root, &update, now, &mut server, &mut rng)?;
///
/// let token = decode_token(&done.encoded_token, started.otp.expose_secret(), 28)?;
/// assert_eq!(token.expose_secret(), server.tokens[0]);
/// # Ok(()) }
/// ```
pub trait Host {
    /// Checks the combined key (root: it must unlock the root key; recovery: it must unseal the
    /// barrier). An `Err` aborts with `root generation aborted: <reason>`; the reason must not
    /// contain key material.
    ///
    /// # Errors
    /// The reason the key was refused.
    fn check_key(&mut self, strategy: Strategy, key: &CombinedKey) -> Result<(), HostReason>;

    /// Mints the root or DR operation token (never called for [`Strategy::Recovery`], which the
    /// generator mints itself). Its length must equal the OTP length of the configured profile.
    ///
    /// # Errors
    /// The reason no token could be minted. The default refuses: a recovery-only host need not
    /// implement it.
    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, HostReason> {
        let _ = strategy;
        Err(HostReason::new("this server does not mint root tokens"))
    }

    /// Mints the token with the lifetime the start asked for (`ttl`, only ever `Some` when the
    /// configuration says the host supports lifetimes:
    /// [`crate::GeneratorConfigBuilder::with_ttl_supported`]). What
    /// [`RecoveryTokenGenerator::update`] calls. The default mints with [`Host::mint_token`]
    /// when no lifetime was asked for, and refuses one (never ignores it): a host that enables
    /// lifetimes implements this.
    ///
    /// # Errors
    /// The reason no token could be minted.
    fn mint_token_for(
        &mut self,
        strategy: Strategy,
        ttl: Option<Duration>,
    ) -> Result<Token, HostReason> {
        match ttl {
            None => self.mint_token(strategy),
            Some(_) => Err(HostReason::from(
                "this server does not support a root token lifetime",
            )),
        }
    }

    /// Revokes a token minted by [`Host::mint_token`] that could not be handed out (its encoding
    /// failed, or the attempt ended meanwhile). The default does nothing.
    fn revoke_token(&mut self, strategy: Strategy, token: &Token) {
        let _ = (strategy, token);
    }
}

/// A [`Host`] that accepts exactly one key, compared in constant time, and mints nothing (so it
/// serves the recovery strategy). Handy for tests, examples and hosts that hold the key.
pub struct ExpectedKey(CombinedKey);

impl ExpectedKey {
    /// Expects this key. The copy is zeroized on drop.
    #[must_use]
    pub fn new(key: &[u8]) -> Self {
        Self(CombinedKey::new(zeroize::Zeroizing::new(key.to_vec())))
    }
}

impl std::fmt::Debug for ExpectedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ExpectedKey").field(&self.0).finish()
    }
}

impl Host for ExpectedKey {
    fn check_key(&mut self, _strategy: Strategy, key: &CombinedKey) -> Result<(), HostReason> {
        // Declassified: whether the key is the right one (the answer says so).
        if crate::ct::public_bool(key.ct_eq_bytes(self.0.expose_secret())) {
            Ok(())
        } else {
            Err(HostReason::new(
                "unable to authenticate: combined key does not match",
            ))
        }
    }
}

/// The result of submitting a share.
#[derive(Debug)]
#[must_use]
pub enum UpdateOutcome {
    /// Below the threshold: the share is held; answer this status.
    Progress(AttemptStatus),
    /// The threshold is reached and the shares combined (they are already wiped). Check
    /// [`PendingCompletion::key`], then take one of its steps.
    KeyReady(PendingCompletion),
}

/// A combined key waiting for the host's check: the first step of the completion.
///
/// Its methods are the only ways forward: [`Self::reject_key`] with the host's reason, or
/// [`Self::accept_key`], which tells whether the generator mints the token itself (recovery) or
/// the host must (root, DR operation).
///
/// While it (or the step it turns into) is alive, the attempt is *completing*: the status shows
/// `started: true` and progress 0 (the shares are already wiped, as Vault clears them before
/// looking at the result), a further share is refused with [`Error::CompletionPending`], a start
/// with [`Error::InProgress`]; a cancel (or expiry) ends the attempt and makes the completion
/// stale ([`Error::StaleCompletion`] at its next step). Dropping it abandons the completion: the
/// attempt stays started with no shares, as after a failed check, and takes shares again; the
/// generator's next call records [`crate::audit::AuditEventKind::CompletionAbandoned`]. The key
/// is zeroized on drop.
///
/// # Examples
///
/// The host refuses a key (the attempt stays, its shares wiped), then accepts the next one and
/// the generator mints the recovery token:
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{
///     Encoding, GeneratorConfig, KeyAccepted, RecoveryTokenGenerator, Strategy, UpdateOutcome,
/// };
/// use recovery_token::wire::UpdateRequest;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
/// let nonce = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?.nonce;
/// let update = UpdateRequest::new("07".repeat(16).into(), nonce);
///
/// let outcome = generator.submit(Strategy::Recovery, &update, now)?;
/// let UpdateOutcome::KeyReady(pending) = outcome else {
///     unreachable!()
/// };
/// let error = pending.reject_key(&mut generator, "the barrier did not open", now);
/// assert_eq!(error.to_string(), "root generation aborted: the barrier did not open");
/// assert!(generator.status(Strategy::Recovery, now).started);
///
/// let outcome = generator.submit(Strategy::Recovery, &update, now)?;
/// let UpdateOutcome::KeyReady(pending) = outcome else {
///     unreachable!()
/// };
/// match pending.accept_key() {
///     KeyAccepted::Recovery(issue) => {
///         assert!(issue.issue(&mut generator, now, &mut rng)?.complete)
///     }
///     KeyAccepted::NeedsToken(_) => unreachable!("root and DR operation only"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct PendingCompletion {
    pub(super) ticket: Ticket,
    pub(super) key: CombinedKey,
}

/// What the generator knows of its completion in progress: alive as long as the host holds one
/// of the step values.
#[derive(Debug)]
pub(super) struct Ticket {
    pub(super) nonce: String,
    pub(super) strategy: Strategy,
    pub(super) ttl: Option<Duration>,
    pub(super) id: Arc<()>,
}

impl Ticket {
    /// A new completion for the attempt `nonce`, and the generator's weak handle on it.
    pub(super) fn new(
        nonce: String,
        strategy: Strategy,
        ttl: Option<Duration>,
    ) -> (Self, Weak<()>) {
        let id = Arc::new(());
        let weak = Arc::downgrade(&id);
        (
            Self {
                nonce,
                strategy,
                ttl,
                id,
            },
            weak,
        )
    }
}

impl PendingCompletion {
    /// The combined key to check. Secret.
    #[must_use]
    pub fn key(&self) -> &CombinedKey {
        &self.key
    }

    /// The strategy of the attempt.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.ticket.strategy
    }

    /// The nonce of the attempt (public).
    #[must_use]
    pub fn nonce(&self) -> &str {
        &self.ticket.nonce
    }

    /// The host refused the combined key: the answer is `root generation aborted: <reason>`
    /// ([`Error::KeyCheckFailed`]); the attempt stays, with progress 0, and takes shares again.
    /// The reason must not contain key material.
    ///
    /// Returns [`Error::StaleCompletion`] instead if the attempt ended meanwhile.
    #[must_use = "the returned error is the answer to the update"]
    pub fn reject_key(
        self,
        generator: &mut RecoveryTokenGenerator,
        reason: impl Into<HostReason>,
        now: Instant,
    ) -> Error {
        let Self { ticket, key } = self;
        drop(key);
        let error = Error::KeyCheckFailed {
            reason: reason.into().into_string(),
        };
        generator.fail_step(&ticket, error, now)
    }

    /// The host accepted the combined key (which is zeroized now). What comes next depends on
    /// the strategy: the generator mints a recovery token itself; root and DR operation tokens
    /// come from the host.
    pub fn accept_key(self) -> KeyAccepted {
        let Self { ticket, key } = self;
        drop(key);
        match ticket.strategy {
            Strategy::Recovery => KeyAccepted::Recovery(IssueRecoveryToken { ticket }),
            Strategy::Root | Strategy::DrOperation => {
                KeyAccepted::NeedsToken(IssueHostToken { ticket })
            }
        }
    }
}

/// The key was accepted: the second step, by strategy.
///
/// # Examples
///
/// A root ceremony: the host mints the token (asynchronously if it likes) and hands it over.
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{
///     Encoding, GeneratorConfig, KeyAccepted, RecoveryTokenGenerator, Strategy, Token,
///     UpdateOutcome,
/// };
/// use recovery_token::tokens::decode_token;
/// use recovery_token::wire::UpdateRequest;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
/// let started = generator.start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng)?;
/// let update = UpdateRequest::new("07".repeat(16).into(), started.nonce.clone());
/// let outcome = generator.submit(Strategy::Root, &update, now)?;
/// let UpdateOutcome::KeyReady(pending) = outcome else {
///     unreachable!()
/// };
/// let KeyAccepted::NeedsToken(issue) = pending.accept_key() else { unreachable!() };
/// let minted = Token::from("hvs.ABCDEFGHIJKLMNOPQRSTUVWX"); // from the host's token store
/// let done = issue.issue(&mut generator, minted, now, &mut rng).map_err(|u| u.into_error())?;
///
/// let otp = started.otp.expose_secret();
/// let token = decode_token(&done.encoded_token, otp, started.otp_length)?;
/// assert_eq!(token.expose_secret(), "hvs.ABCDEFGHIJKLMNOPQRSTUVWX");
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub enum KeyAccepted {
    /// [`Strategy::Recovery`]: the generator mints the recovery token itself.
    Recovery(IssueRecoveryToken),
    /// [`Strategy::Root`] or [`Strategy::DrOperation`]: the host mints the token.
    NeedsToken(IssueHostToken),
}

/// The last step of a recovery completion: the generator mints, encodes and hands out the
/// recovery token and keeps it in [`RecoveryTokenGenerator::recovery_token`].
#[derive(Debug)]
#[must_use]
pub struct IssueRecoveryToken {
    ticket: Ticket,
}

impl IssueRecoveryToken {
    /// Mints the recovery token from `rng`, encodes it (OTP or PGP) and completes the attempt.
    ///
    /// # Errors
    /// [`Error::StaleCompletion`] if the attempt ended meanwhile (nothing is minted);
    /// [`Error::PgpEncrypt`] if encryption fails (the token is wiped, never issued; the attempt
    /// stays with progress 0).
    pub fn issue<R: CryptoRng + ?Sized>(
        self,
        generator: &mut RecoveryTokenGenerator,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        generator.handle_timeout(now);
        if let Err(e) = generator.check_ticket(&self.ticket) {
            return Err(generator.fail_step(&self.ticket, e, now));
        }
        let token = generator
            .config
            .profile
            .format(Strategy::Recovery)
            .mint(rng);
        generator
            .issue_token(self.ticket, token, now, rng)
            .map_err(|unissued| unissued.error)
    }
}

/// The last step of a root or DR operation completion: the host mints the token (asynchronously
/// if it likes) and hands it over, or reports why it could not.
#[derive(Debug)]
#[must_use]
pub struct IssueHostToken {
    ticket: Ticket,
}

impl IssueHostToken {
    /// The strategy of the attempt ([`Strategy::Root`] or [`Strategy::DrOperation`]).
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.ticket.strategy
    }

    /// The nonce of the attempt (public).
    #[must_use]
    pub fn nonce(&self) -> &str {
        &self.ticket.nonce
    }

    /// The root token's lifetime the start asked for (its `ttl`), for the host's mint step;
    /// `None` when none was asked for (or the host does not support lifetimes: such a start is
    /// refused).
    #[must_use]
    pub fn ttl(&self) -> Option<Duration> {
        self.ticket.ttl
    }

    /// Encodes the host's `token` (OTP or PGP) and completes the attempt.
    ///
    /// # Errors
    /// The token was not handed out: [`Unissued`] carries the error to answer and the token,
    /// for the host to revoke. [`Error::StaleCompletion`] if the attempt ended meanwhile;
    /// [`Error::XorLength`] (the token's length is not the OTP's) or [`Error::PgpEncrypt`] if
    /// encoding fails (the attempt stays with progress 0).
    pub fn issue<R: CryptoRng + ?Sized>(
        self,
        generator: &mut RecoveryTokenGenerator,
        token: Token,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Unissued> {
        generator.handle_timeout(now);
        if let Err(e) = generator.check_ticket(&self.ticket) {
            let error = generator.fail_step(&self.ticket, e, now);
            return Err(Unissued { error, token });
        }
        generator.issue_token(self.ticket, token, now, rng)
    }

    /// The host could not mint the token: the answer is `unable to create token: <reason>`
    /// ([`Error::TokenMint`], the host's reason reaches the client); the attempt stays with
    /// progress 0. The reason must not contain secrets.
    ///
    /// Returns [`Error::StaleCompletion`] instead if the attempt ended meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{
    ///     Encoding, GeneratorConfig, KeyAccepted, RecoveryTokenGenerator, Strategy,
    ///     UpdateOutcome,
    /// };
    /// use recovery_token::wire::UpdateRequest;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rng, now) = (rand::rng(), Instant::now());
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
    /// let nonce = generator.start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng)?.nonce;
    /// let update = UpdateRequest::new("07".repeat(16).into(), nonce);
    /// let outcome = generator.submit(Strategy::Root, &update, now)?;
    /// let UpdateOutcome::KeyReady(pending) = outcome else {
    ///     unreachable!()
    /// };
    /// let KeyAccepted::NeedsToken(issue) = pending.accept_key() else { unreachable!() };
    /// let error = issue.mint_failed(&mut generator, "token store unavailable", now);
    /// assert_eq!(error.to_string(), "unable to create token: token store unavailable");
    /// // The attempt stays, with progress 0, and takes shares again.
    /// assert!(generator.status(Strategy::Root, now).started);
    /// # Ok(()) }
    /// ```
    #[must_use = "the returned error is the answer to the update"]
    pub fn mint_failed(
        self,
        generator: &mut RecoveryTokenGenerator,
        reason: impl Into<HostReason>,
        now: Instant,
    ) -> Error {
        let error = Error::TokenMint {
            reason: reason.into().into_string(),
        };
        generator.fail_step(&self.ticket, error, now)
    }
}

/// A token the host minted that was not handed out, with the reason: revoke
/// [`Self::token`], then answer [`Self::into_error`]. The token is zeroized on drop.
///
/// # Examples
///
/// The host's token is not the OTP's length, so it cannot be encoded: it comes back to be revoked.
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{
///     Encoding, Error, GeneratorConfig, KeyAccepted, RecoveryTokenGenerator, Strategy, Token,
///     UpdateOutcome,
/// };
/// use recovery_token::wire::UpdateRequest;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
/// let nonce = generator.start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng)?.nonce;
/// let update = UpdateRequest::new("07".repeat(16).into(), nonce);
/// let outcome = generator.submit(Strategy::Root, &update, now)?;
/// let UpdateOutcome::KeyReady(pending) = outcome else {
///     unreachable!()
/// };
/// let KeyAccepted::NeedsToken(issue) = pending.accept_key() else { unreachable!() };
/// let short = Token::from("hvs.short");
/// let unissued = issue.issue(&mut generator, short, now, &mut rng).unwrap_err();
/// assert_eq!(unissued.token().expose_secret(), "hvs.short"); // revoke it in the token store
/// assert!(matches!(unissued.into_error(), Error::XorLength { .. }));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "the token must be revoked"]
pub struct Unissued {
    error: Error,
    token: Token,
}

impl Unissued {
    /// Why the token was not handed out (the answer to the update).
    #[must_use]
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The unissued token, to revoke. Secret.
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The error, once the token is revoked (the token is zeroized).
    #[must_use]
    pub fn into_error(self) -> Error {
        self.error
    }

    /// The error and the token.
    #[must_use]
    pub fn into_parts(self) -> (Error, Token) {
        (self.error, self.token)
    }
}

impl RecoveryTokenGenerator {
    /// Submits a share from an update request (`PUT .../update`) and, at the threshold, runs the
    /// whole last step with `host`: combine, check, mint, encode. A thin composition of
    /// [`Self::submit`] and the steps of [`PendingCompletion`].
    ///
    /// # Errors
    /// Every refusal of PROTOCOL.md section 4, with Vault's texts. Refusals leave the state as it
    /// was; the failures for which [`Error::cleared_progress`] is true cleared the shares and kept
    /// the attempt.
    ///
    /// # Examples
    ///
    /// Three of five shares, hex-encoded as the key holders submit them:
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{
    ///     Encoding, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy,
    /// };
    /// use recovery_token::shares::KeyShare;
    /// use recovery_token::wire::UpdateRequest;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rng, now, key) = (rand::rng(), Instant::now(), [7u8; 32]);
    /// let shares = KeyShare::split(&key, 3, 5, &mut rng)?;
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
    /// let mut host = ExpectedKey::new(&key);
    /// let started = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?;
    /// let nonce = started.nonce;
    ///
    /// for (i, share) in shares.iter().take(3).enumerate() {
    ///     let hex: String = share.expose_secret().iter().map(|b| format!("{b:02x}")).collect();
    ///     let update = UpdateRequest::new(hex.into(), nonce.clone());
    ///     let status = generator.update(Strategy::Recovery, &update, now, &mut host, &mut rng)?;
    ///     assert_eq!(status.complete, i == 2);
    ///     assert_eq!(status.progress, if i == 2 { 3 } else { i + 1 });
    /// }
    /// assert!(generator.recovery_token().is_active());
    /// # Ok(()) }
    /// ```
    pub fn update<H: Host + ?Sized, R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        request: &UpdateRequest,
        now: Instant,
        host: &mut H,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        let pending = match self.submit(strategy, request, now)? {
            UpdateOutcome::Progress(status) => return Ok(status),
            UpdateOutcome::KeyReady(p) => p,
        };
        if let Err(reason) = host.check_key(strategy, pending.key()) {
            return Err(pending.reject_key(self, reason, now));
        }
        match pending.accept_key() {
            KeyAccepted::Recovery(step) => step.issue(self, now, rng),
            KeyAccepted::NeedsToken(step) => match host.mint_token_for(strategy, step.ttl()) {
                Err(reason) => Err(step.mint_failed(self, reason, now)),
                Ok(token) => step.issue(self, token, now, rng).map_err(|unissued| {
                    host.revoke_token(strategy, unissued.token());
                    unissued.into_error()
                }),
            },
        }
    }

    /// Whether `ticket` is the completion the attempt is waiting for.
    fn check_ticket(&self, ticket: &Ticket) -> Result<(), Error> {
        match &self.attempt {
            Attempt::InProgress(a) if matches!(&a.phase, Phase::Completing(w) if w.ptr_eq(&Arc::downgrade(&ticket.id))) => {
                Ok(())
            }
            _ => Err(Error::StaleCompletion),
        }
    }

    /// A step failed: unless the completion is stale, the attempt stops completing (its shares
    /// are gone already) and takes shares again. Reports the failure; returns the error.
    fn fail_step(&mut self, ticket: &Ticket, error: Error, now: Instant) -> Error {
        self.handle_timeout(now);
        let error = match self.check_ticket(ticket) {
            Ok(()) => {
                if let Attempt::InProgress(a) = &mut self.attempt {
                    a.phase = Phase::Collecting;
                }
                error
            }
            Err(stale) => stale,
        };
        self.audit_failure(ticket.strategy, ticket.nonce.clone(), &error, now);
        error
    }

    /// Encodes `token` and completes the attempt the (checked) `ticket` belongs to.
    fn issue_token<R: CryptoRng + ?Sized>(
        &mut self,
        ticket: Ticket,
        token: Token,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Unissued> {
        let threshold = self.config.threshold;
        let format = self.config.profile.format(ticket.strategy);
        let encoded = match &self.attempt {
            Attempt::InProgress(a) => match &a.encoding {
                AttemptEncoding::Otp(otp) => encode_otp(format, &token, otp),
                #[cfg(feature = "pgp")]
                AttemptEncoding::Pgp(p) => p.encrypt_token(&token, rng).map_err(Error::from),
            },
            Attempt::Idle { .. } => Err(Error::StaleCompletion),
        };
        #[cfg(not(feature = "pgp"))]
        let _ = rng;
        let encoded = match encoded {
            Ok(e) => e,
            Err(e) => {
                let error = self.fail_step(&ticket, e, now);
                return Err(Unissued { error, token });
            }
        };
        let pgp_fingerprint = match &self.attempt {
            Attempt::InProgress(a) => a.pgp_fingerprint(),
            Attempt::Idle { .. } => String::new(),
        };
        let strategy = ticket.strategy;
        self.attempt = Attempt::IDLE;
        if strategy == Strategy::Recovery {
            self.recovery_token.set(token);
            self.recovery_issued = true;
        }
        self.emit(
            AuditEventKind::Completed,
            strategy,
            ticket.nonce.clone(),
            0,
            now,
        );
        Ok(AttemptStatus {
            nonce: ticket.nonce,
            started: true,
            progress: threshold,
            required: threshold,
            complete: true,
            encoded_root_token: if strategy == Strategy::Root {
                encoded.clone()
            } else {
                String::new()
            },
            encoded_token: encoded,
            pgp_fingerprint,
            otp: Otp::default(),
            otp_length: 0,
        })
    }
}

pub(super) fn encode_otp(
    format: crate::tokens::TokenFormat,
    token: &Token,
    otp: &Otp,
) -> Result<String, Error> {
    encode_for(format, token, otp).map_err(|_| Error::XorLength {
        otp: otp.len(),
        token: token.len(),
    })
}

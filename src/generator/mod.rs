//! The state machine: one attempt slot, its nonce, its shares, and the ceremony's last step.

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use rand_core::CryptoRng;

use crate::audit::{AuditEventKind, Auditor};
use crate::config::GeneratorConfig;
use crate::error::Error;
use crate::secret::CombinedKey;
use crate::secret::Otp;
use crate::secret::SecretString;
use crate::secret::ct_eq;
use crate::shares::combine;
use crate::shares::{KeyShare, ShareError};
use crate::tokens::RecoveryTokenHolder;
use crate::tokens::{generate_otp, otp_fits};
use crate::vocabulary::{ServerState, Strategy};
use crate::wire::{AttemptStatus, CancelRequest, StartRequest, UpdateRequest};

/// How the minted token is handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// The server generates an OTP and returns it once, in the start answer.
    GenerateOtp,
    /// The caller's own OTP (never echoed).
    Otp(Otp),
    /// Encrypt to this PGP public key (standard padded base64 of a binary key, as Vault's API
    /// takes it; ASCII armor is accepted too). `start` parses it with
    /// [`crate::pgp::PgpRecipient::parse`], which checks expiry only against the key's own newest
    /// timestamp (the core reads no wall clock).
    PgpKey(String),
    /// Encrypt to a key the host already parsed, typically with
    /// [`crate::pgp::PgpRecipient::parse_at`]`(key, SystemTime::now())` so that expiry is checked
    /// against the wall clock.
    #[cfg(feature = "pgp")]
    Pgp(Box<crate::pgp::PgpRecipient>),
}

impl From<StartRequest> for Encoding {
    /// Vault's rule for a start body: a non-empty OTP wins; else a non-empty PGP key; else the
    /// server generates an OTP. The body's other fields (`key`, `ttl`) are dropped.
    fn from(request: StartRequest) -> Self {
        let StartRequest { otp, pgp_key, .. } = request;
        if !otp.is_empty() {
            Self::Otp(otp)
        } else if !pgp_key.is_empty() {
            Self::PgpKey(pgp_key)
        } else {
            Self::GenerateOtp
        }
    }
}

mod audit_trail;
mod completion;

use completion::Ticket;
pub use completion::{
    ExpectedKey, Host, HostReason, IssueHostToken, IssueRecoveryToken, KeyAccepted,
    PendingCompletion, Unissued, UpdateOutcome,
};

mod state {
    use std::sync::Weak;
    use std::time::{Duration, Instant};

    use crate::secret::Otp;
    use crate::shares::KeyShare;
    use crate::vocabulary::Strategy;

    /// How the attempt hands back its token.
    pub(super) enum AttemptEncoding {
        Otp(Otp),
        #[cfg(feature = "pgp")]
        Pgp(Box<crate::pgp::PgpRecipient>),
    }

    pub(super) struct InProgress {
        pub(super) nonce: String,
        pub(super) strategy: Strategy,
        pub(super) encoding: AttemptEncoding,
        pub(super) started_at: Instant,
        /// The root token's lifetime the start asked for (`ttl`), handed to the mint step.
        pub(super) ttl: Option<Duration>,
        pub(super) shares: Vec<KeyShare>,
        /// Collecting shares, or completing (the host holds the completion).
        pub(super) phase: Phase,
        /// The attempt's own share-ID key (none under a host key or with auditing off): it is
        /// zeroized when the attempt ends, however it ends.
        pub(super) audit_key: Option<crate::audit::AuditKey>,
    }

    /// Where a started attempt stands.
    pub(super) enum Phase {
        /// Taking shares toward the threshold.
        Collecting,
        /// The threshold was reached and the host holds the completion: its steps own the
        /// `Arc` this points at. A completion the host drops leaves the count at zero; the next
        /// call notices and returns the attempt to [`Phase::Collecting`] (the generator has no
        /// hook into the host's values).
        Completing(Weak<()>),
    }

    impl InProgress {
        /// Whether a completion is outstanding (the host holds one of its steps).
        pub(super) fn completing(&self) -> bool {
            matches!(&self.phase, Phase::Completing(w) if w.strong_count() > 0)
        }

        /// Whether the host dropped the completion without taking its step.
        pub(super) fn abandoned(&self) -> bool {
            matches!(&self.phase, Phase::Completing(w) if w.strong_count() == 0)
        }

        pub(super) fn pgp_fingerprint(&self) -> String {
            match &self.encoding {
                AttemptEncoding::Otp(_) => String::new(),
                #[cfg(feature = "pgp")]
                AttemptEncoding::Pgp(p) => p.fingerprint().to_owned(),
            }
        }
    }

    /// The one attempt slot.
    pub(super) enum Attempt {
        /// No attempt. `expired_nonce`: the nonce of the attempt whose lifetime ended here, so
        /// that an update naming it hears "expired" instead of "no attempt" (until a new start).
        Idle { expired_nonce: Option<String> },
        /// An attempt, collecting or completing.
        InProgress(Box<InProgress>),
    }

    impl Attempt {
        /// The slot with no attempt and no expired one.
        pub(super) const IDLE: Self = Self::Idle {
            expired_nonce: None,
        };
    }
}

use state::{Attempt, AttemptEncoding, InProgress, Phase};

/// Vault's root / recovery token generation ceremony as a sans-IO state machine.
///
/// One attempt slot shared by all strategies, as in Vault. Every method that can change state
/// takes the host's `now`; the ones that need randomness take the host's RNG. Nothing here reads
/// a clock, the OS, or the network.
///
/// Every refused call leaves the state exactly as it was, except the failures PROTOCOL.md section 2
/// lists: a failed combine, key check, mint or encoding clears the shares but keeps the attempt
/// (and its nonce); a success clears the attempt.
///
/// # Examples
///
/// A recovery ceremony with threshold 1 (the one share is the key itself):
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{Encoding, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// use recovery_token::tokens::decode_token;
/// use recovery_token::wire::UpdateRequest;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, key) = (rand::rng(), [7u8; 16]);
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
/// let mut host = ExpectedKey::new(&key);
///
/// let started =
///     generator.start(Strategy::Recovery, Encoding::GenerateOtp, Instant::now(), &mut rng)?;
/// let update = UpdateRequest::new("07".repeat(16).into(), started.nonce.clone());
/// let done = generator.update(Strategy::Recovery, &update, Instant::now(), &mut host, &mut rng)?;
/// assert!(done.complete);
///
/// let otp = started.otp.expose_secret();
/// let token = decode_token(&done.encoded_token, otp, started.otp_length)?;
/// assert!(generator.recovery_token().verify(token.expose_secret()));
/// # Ok(()) }
/// ```
pub struct RecoveryTokenGenerator {
    config: GeneratorConfig,
    attempt: Attempt,
    recovery_token: RecoveryTokenHolder,
    recovery_issued: bool,
    server_state: ServerState,
    audit: Auditor,
}

impl std::fmt::Debug for RecoveryTokenGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RecoveryTokenGenerator");
        d.field("config", &self.config);
        match &self.attempt {
            Attempt::Idle { .. } => d.field("attempt", &"idle"),
            Attempt::InProgress(a) => d
                .field("nonce", &a.nonce)
                .field("strategy", &a.strategy)
                .field("progress", &a.shares.len())
                .field("completing", &a.completing()),
        };
        d.field("recovery_issued", &self.recovery_issued).finish()
    }
}

impl RecoveryTokenGenerator {
    /// A generator with no attempt in progress.
    #[must_use]
    pub fn new(config: GeneratorConfig) -> Self {
        Self {
            config,
            attempt: Attempt::IDLE,
            recovery_token: RecoveryTokenHolder::default(),
            recovery_issued: false,
            server_state: ServerState::Unsealed,
            audit: Auditor::new(),
        }
    }

    /// The attempt's strategy, nonce and progress, if one is held.
    pub(super) fn attempt_view(&self) -> Option<(Strategy, String, usize)> {
        match &self.attempt {
            Attempt::InProgress(a) => Some((a.strategy, a.nonce.clone(), a.shares.len())),
            Attempt::Idle { .. } => None,
        }
    }

    /// The held attempt's nonce and progress, or `("", 0)`.
    pub(super) fn nonce_progress(&self) -> (String, usize) {
        self.attempt_view()
            .map_or((String::new(), 0), |(_, nonce, progress)| (nonce, progress))
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The recovery token minted by a completed recovery ceremony, for authenticating
    /// recovery-mode requests (constant-time) and revoking it.
    #[must_use]
    pub fn recovery_token(&self) -> &RecoveryTokenHolder {
        &self.recovery_token
    }

    /// Mutable access to the recovery token holder (to revoke it).
    pub fn recovery_token_mut(&mut self) -> &mut RecoveryTokenHolder {
        &mut self.recovery_token
    }

    /// Whether a recovery token was minted in this run (recovery generation is then closed, as in
    /// Vault).
    #[must_use]
    pub fn recovery_issued(&self) -> bool {
        self.recovery_issued
    }

    /// Tells the generator the server's state, which Vault checks on start and update (and
    /// [`ServerState::Unsealed`] until the host says otherwise). The attempt is left as it is.
    pub fn set_server_state(&mut self, state: ServerState) {
        self.server_state = state;
    }

    /// The server state last set by the host.
    #[must_use]
    pub fn server_state(&self) -> ServerState {
        self.server_state
    }

    /// Vault's server-state checks, in Vault's order (`vault/generate_root.go`):
    /// `GenerateRootUpdate` checks "not initialized" (no seal configuration) for every strategy,
    /// then `c.Sealed() && !c.recoveryMode` (sealed), then `!barrierSealed && c.recoveryMode`
    /// (`attempt to generate recovery token when already unsealed`), then
    /// `c.standby && !c.recoveryMode` (standby); `GenerateRootInit` the same without "not
    /// initialized" (an uninitialized Vault is sealed, so it answers sealed). The recovery strategy
    /// runs only in recovery mode, which is sealed by nature: it never answers sealed or standby.
    fn check_server_state(&self, strategy: Strategy, operation: Operation) -> Result<(), Error> {
        let recovery_mode = strategy == Strategy::Recovery;
        let state = self.server_state;
        if operation == Operation::Update && state == ServerState::NotInitialized {
            return Err(Error::NotInitialized);
        }
        if !recovery_mode && matches!(state, ServerState::Sealed | ServerState::NotInitialized) {
            return Err(Error::Sealed);
        }
        if recovery_mode && self.recovery_issued {
            return Err(Error::AlreadyUnsealed);
        }
        if !recovery_mode && state == ServerState::Standby {
            return Err(Error::Standby);
        }
        Ok(())
    }

    fn live(&self, now: Instant) -> Option<&InProgress> {
        match &self.attempt {
            Attempt::InProgress(a) if !self.is_expired(a, now) => Some(a),
            _ => None,
        }
    }

    fn is_expired(&self, a: &InProgress, now: Instant) -> bool {
        self.config
            .attempt_lifetime
            .is_some_and(|l| now.saturating_duration_since(a.started_at) >= l)
    }

    /// Wipes an attempt that outlived the configured lifetime. Every mutating call does this
    /// first; hosts may also call it from a timer ([`Self::poll_timeout`] tells when).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.reap_abandoned(now);
        if let Attempt::InProgress(a) = &self.attempt
            && self.is_expired(a, now)
        {
            let (strategy, nonce, discarded) = (a.strategy, a.nonce.clone(), a.shares.len());
            self.attempt = Attempt::Idle {
                expired_nonce: Some(nonce.clone()),
            };
            self.emit(
                AuditEventKind::Expired { discarded },
                strategy,
                nonce,
                0,
                now,
            );
        }
    }

    /// A completion the host dropped without taking its step (a [`PendingCompletion`],
    /// [`IssueRecoveryToken`] or [`IssueHostToken`] gone): the attempt stays started with no
    /// shares, and the trail says so ([`AuditEventKind::CompletionAbandoned`], timed at the call
    /// that noticed it: the generator has no destructor hook into the host's values).
    fn reap_abandoned(&mut self, now: Instant) {
        if let Attempt::InProgress(a) = &mut self.attempt
            && a.abandoned()
        {
            a.phase = Phase::Collecting;
            let (strategy, nonce) = (a.strategy, a.nonce.clone());
            self.emit(AuditEventKind::CompletionAbandoned, strategy, nonce, 0, now);
        }
    }

    /// When the current attempt expires, if it can.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (&self.attempt, self.config.attempt_lifetime) {
            (Attempt::InProgress(a), Some(l)) => a.started_at.checked_add(l),
            _ => None,
        }
    }

    /// The status answer (`GET .../attempt`) for `strategy`'s endpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
    /// let idle = generator.status(Strategy::Recovery, Instant::now());
    /// assert!(!idle.started && idle.nonce.is_empty());
    /// // `hvr.` and 24 base62 characters: the OTP must be as long as the token.
    /// assert_eq!((idle.progress, idle.required, idle.otp_length), (0, 3, 28));
    ///
    /// let mut rng = rand::rng();
    /// let started =
    ///     generator.start(Strategy::Recovery, Encoding::GenerateOtp, Instant::now(), &mut rng)?;
    /// let status = generator.status(Strategy::Recovery, Instant::now());
    /// assert!(status.started);
    /// assert_eq!(status.nonce, started.nonce);
    /// // The generated OTP is shown once, in the start answer only.
    /// assert!(status.otp.is_empty() && !started.otp.is_empty());
    /// assert!(status.to_json().contains(r#""required":3"#));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn status(&self, strategy: Strategy, now: Instant) -> AttemptStatus {
        let mut s = AttemptStatus {
            required: self.config.threshold,
            otp_length: self.config.profile.otp_length(strategy),
            ..AttemptStatus::default()
        };
        if let Some(a) = self.live(now) {
            s.nonce.clone_from(&a.nonce);
            s.started = true;
            s.progress = a.shares.len();
            s.pgp_fingerprint = a.pgp_fingerprint();
        }
        s
    }

    /// Starts an attempt (`PUT .../attempt`) with Vault's checks in Vault's order: the inputs,
    /// the server state, then the slot.
    ///
    /// With [`Encoding::GenerateOtp`] the answer carries the generated OTP, once; it is never
    /// shown again.
    ///
    /// # Errors
    /// [`Error::OtpWrongLength`], the PGP key errors, [`Error::AlreadyUnsealed`] (recovery after a
    /// recovery token was minted), [`Error::InProgress`]. On error nothing changes.
    ///
    /// # Examples
    ///
    /// The caller brings its own OTP (base62, as long as the token); a second start is refused
    /// while the first attempt is in progress, and changes nothing:
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{
    ///     Encoding, Error, GeneratorConfig, Otp, RecoveryTokenGenerator, Strategy,
    /// };
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rng, now) = (rand::rng(), Instant::now());
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
    ///
    /// let otp = Otp::from("0123456789abcdefghijklmnopqr"); // 28 characters
    /// let started = generator.start(Strategy::Recovery, Encoding::Otp(otp), now, &mut rng)?;
    /// assert!(started.started && started.otp.is_empty()); // the caller's OTP is not echoed
    ///
    /// let again = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng);
    /// assert!(matches!(again, Err(Error::InProgress)));
    /// assert_eq!(generator.status(Strategy::Recovery, now).nonce, started.nonce);
    ///
    /// let short = Encoding::Otp(Otp::from("too short"));
    /// generator.cancel(None, now)?;
    /// let refused = generator.start(Strategy::Recovery, short, now, &mut rng);
    /// assert_eq!(refused.unwrap_err().to_string(), "OTP string is wrong length");
    /// # Ok(()) }
    /// ```
    pub fn start<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        encoding: Encoding,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        self.start_checked(strategy, encoding, None, "", now, rng)
    }

    /// Starts an attempt from a whole start request: [`Self::start`] with the request's
    /// encoding ([`Encoding::from`]), plus the crate's own fields:
    ///
    /// - `key`: with [`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`], a key
    ///   holder's share, checked like an update's (decoded, length-checked, looked up in the
    ///   registry) and then wiped; it is not counted as a share of the attempt. Ignored
    ///   otherwise.
    /// - `ttl`: the root token's lifetime (Go duration syntax, positive), stored with the
    ///   attempt and handed to the mint step ([`IssueHostToken::ttl`]). Refused unless the host
    ///   supports it ([`crate::GeneratorConfigBuilder::with_ttl_supported`]).
    ///
    /// The holder check comes first (a stranger learns nothing else), then the `ttl`, then
    /// [`Self::start`]'s checks in Vault's order.
    ///
    /// # Errors
    /// [`Error::HolderKeyRequired`], the share's parse errors, [`Error::UnknownShare`],
    /// [`Error::TtlUnsupported`], [`Error::InvalidTtl`], and [`Self::start`]'s. On error nothing
    /// changes.
    pub fn start_request<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        mut request: StartRequest,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        // Moved out, not copied: the share is wiped when `key` drops.
        let key = std::mem::take(&mut request.key);
        let ttl = std::mem::take(&mut request.ttl);
        let encoding = Encoding::from(request);
        self.start_with(strategy, encoding, &key, &ttl, now, rng)
    }

    /// [`Self::start_request`] for a host that builds the [`Encoding`] itself (typically a PGP
    /// key parsed against the wall clock, [`Encoding::Pgp`]): the request's `key` (empty if none)
    /// and `ttl` (empty if none) given apart.
    ///
    /// # Errors
    /// As [`Self::start_request`].
    pub fn start_with<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        encoding: Encoding,
        key: &SecretString,
        ttl: &str,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        self.start_checked(strategy, encoding, Some(key), ttl, now, rng)
    }

    fn start_checked<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        encoding: Encoding,
        key: Option<&SecretString>,
        ttl: &str,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        self.handle_timeout(now);
        let result = self
            .check_holder(key)
            .and_then(|()| self.parse_ttl(strategy, ttl))
            .and_then(|ttl| self.start_attempt(strategy, encoding, ttl, now, rng));
        match &result {
            Ok(status) => {
                let nonce = status.nonce.clone();
                self.emit(AuditEventKind::Started, strategy, nonce, 0, now);
            }
            Err(e) => {
                let (nonce, progress) = self.nonce_progress();
                let kind = AuditEventKind::StartRefused { error: e.kind() };
                self.emit(kind, strategy, nonce, progress, now);
            }
        }
        result
    }

    /// With holders-only start and cancel: `key` must be a registered share (it is wiped when
    /// this returns). Without the option: nothing to check.
    pub(crate) fn check_holder(&self, key: Option<&SecretString>) -> Result<(), Error> {
        if !self.config.holders_only_start_cancel {
            return Ok(());
        }
        let key = key.map(SecretString::expose_secret).unwrap_or_default();
        if key.is_empty() {
            return Err(Error::HolderKeyRequired);
        }
        let share = KeyShare::parse(key, &self.config.share_lengths)?;
        match &self.config.share_registry {
            // Declassified: whether the share is registered (the answer says so).
            Some(registry) if crate::ct::public_bool(registry.contains(&share)) => Ok(()),
            // `build` refuses holders-only without a registry; refuse here too.
            _ => Err(Error::UnknownShare),
        }
    }

    /// A start's `ttl`: empty is none; otherwise a positive Go duration, if the host supports
    /// lifetimes and the strategy's token is one the host mints (the generator makes the
    /// recovery token itself: a `ttl` there would be dropped, so it is refused).
    fn parse_ttl(&self, strategy: Strategy, ttl: &str) -> Result<Option<Duration>, Error> {
        if ttl.is_empty() {
            return Ok(None);
        }
        if !self.config.ttl_supported {
            return Err(Error::TtlUnsupported);
        }
        if strategy == Strategy::Recovery {
            return Err(Error::TtlNotForRecovery);
        }
        let nanos = crate::go::duration::parse_go_duration(ttl)
            .map_err(|reason| Error::InvalidTtl { reason })?;
        match u64::try_from(nanos) {
            Ok(n) if n > 0 => Ok(Some(Duration::from_nanos(n))),
            _ => Err(Error::InvalidTtl {
                reason: "ttl must be positive".to_owned(),
            }),
        }
    }

    fn start_attempt<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        encoding: Encoding,
        ttl: Option<Duration>,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        let otp_length = self.config.profile.otp_length(strategy);
        // OpenBao 2.7 refuses a recovery start after the recovery token was minted before it
        // looks at the OTP or PGP key (observed with the real server); Vault checks inputs first.
        if self.config.dialect == crate::vocabulary::Dialect::OpenBao
            && strategy == Strategy::Recovery
            && self.recovery_issued
        {
            return Err(Error::AlreadyUnsealed);
        }
        let parsed = match encoding {
            Encoding::Otp(otp) => {
                if !otp_fits(self.config.profile.format(strategy), &otp) {
                    return Err(Error::OtpWrongLength);
                }
                Some(AttemptEncoding::Otp(otp))
            }
            Encoding::PgpKey(key) => Some(parse_pgp(&key)?),
            #[cfg(feature = "pgp")]
            Encoding::Pgp(recipient) => Some(AttemptEncoding::Pgp(recipient)),
            Encoding::GenerateOtp => None,
        };
        self.check_server_state(strategy, Operation::Start)?;
        if matches!(self.attempt, Attempt::InProgress(_)) {
            return Err(Error::InProgress);
        }

        let mut generated = None;
        let encoding = if let Some(e) = parsed {
            e
        } else {
            let otp = generate_otp(otp_length, rng);
            generated = Some(otp.clone());
            AttemptEncoding::Otp(otp)
        };
        let mut nonce_bytes = [0u8; 16];
        rng.fill_bytes(&mut nonce_bytes);
        let nonce = uuid::Uuid::from_bytes(nonce_bytes).hyphenated().to_string();

        self.attempt = Attempt::InProgress(Box::new(InProgress {
            nonce,
            strategy,
            encoding,
            started_at: now,
            ttl,
            shares: Vec::with_capacity(self.config.threshold),
            phase: Phase::Collecting,
            audit_key: Auditor::attempt_key(&self.config.audit, rng),
        }));
        let mut status = self.status(strategy, now);
        if let Some(otp) = generated {
            status.otp = otp;
        }
        Ok(status)
    }

    /// Cancels the attempt (`DELETE .../attempt`). Succeeds when nothing is in progress.
    ///
    /// With [`GeneratorConfig::cancel_requires_nonce`], `nonce` must name the attempt's nonce.
    ///
    /// # Errors
    /// [`Error::WrongNonceUndisclosed`] when a nonce is required and `nonce` is missing or wrong
    /// (the attempt is kept).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rng, now) = (rand::rng(), Instant::now());
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
    /// let started = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?;
    ///
    /// generator.cancel(Some(&started.nonce), now)?;
    /// assert!(!generator.status(Strategy::Recovery, now).started);
    /// // Cancelling with nothing in progress succeeds, as in Vault.
    /// generator.cancel(None, now)?;
    /// # Ok(()) }
    /// ```
    pub fn cancel(&mut self, nonce: Option<&str>, now: Instant) -> Result<(), Error> {
        self.cancel_checked(nonce, None, now)
    }

    /// Cancels the attempt from a whole cancel request (`DELETE .../attempt` with its body and
    /// query): [`Self::cancel`] with the request's nonce and, with
    /// [`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`], its `key`: a key
    /// holder's share, checked like an update's and then wiped. The holder check comes first.
    ///
    /// # Errors
    /// [`Error::HolderKeyRequired`], the share's parse errors, [`Error::UnknownShare`], and
    /// [`Self::cancel`]'s. On error the attempt is kept. Under holders-only, a cancel without a
    /// share is refused even with nothing in progress.
    pub fn cancel_request(&mut self, request: &CancelRequest, now: Instant) -> Result<(), Error> {
        self.cancel_checked(request.nonce(), Some(request.key()), now)
    }

    fn cancel_checked(
        &mut self,
        nonce: Option<&str>,
        key: Option<&SecretString>,
        now: Instant,
    ) -> Result<(), Error> {
        self.handle_timeout(now);
        let before = self.attempt_view();
        let result = self
            .check_holder(key)
            .and_then(|()| self.cancel_attempt(nonce));
        if let Some((strategy, attempt_nonce, progress)) = before {
            if result.is_ok() {
                let kind = AuditEventKind::Cancelled {
                    discarded: progress,
                };
                self.emit(kind, strategy, attempt_nonce, 0, now);
            } else {
                let kind = AuditEventKind::CancelRefused;
                self.emit(kind, strategy, attempt_nonce, progress, now);
            }
        }
        result
    }

    fn cancel_attempt(&mut self, nonce: Option<&str>) -> Result<(), Error> {
        if let Attempt::InProgress(a) = &self.attempt
            && self.config.cancel_requires_nonce
            && !nonce.is_some_and(|n| ct_eq(n.as_bytes(), a.nonce.as_bytes()))
        {
            return Err(Error::WrongNonceUndisclosed);
        }
        // An idle slot stays as it is (an expired attempt's nonce is still recognised).
        if let Attempt::InProgress(_) = self.attempt {
            self.attempt = Attempt::IDLE;
        }
        Ok(())
    }
    /// [`Self::update`]'s first half: parses the share as Vault's HTTP layer does, runs every
    /// check, and holds the share; at the threshold it combines the shares (wiping them) and
    /// hands the key back for the host to check, asynchronously if it likes.
    ///
    /// # Errors
    /// As [`Self::update`]; a failed combine returns [`Error::Combine`] (shares cleared).
    ///
    /// # Examples
    ///
    /// A host whose key check is asynchronous takes the completion's steps itself (and would
    /// release its lock on the generator while it awaits the check):
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
    /// let started = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?;
    ///
    /// let update = UpdateRequest::new("07".repeat(16).into(), started.nonce);
    /// let outcome = generator.submit(Strategy::Recovery, &update, now)?;
    /// let UpdateOutcome::KeyReady(pending) = outcome else {
    ///     unreachable!("threshold 1: the first share completes");
    /// };
    /// assert!(pending.key().ct_eq_bytes(&[7u8; 16])); // the host's (possibly async) check
    /// let KeyAccepted::Recovery(issue) = pending.accept_key() else { unreachable!() };
    /// let done = issue.issue(&mut generator, now, &mut rng)?;
    /// assert!(done.complete && generator.recovery_issued());
    /// # Ok(()) }
    /// ```
    pub fn submit(
        &mut self,
        strategy: Strategy,
        request: &UpdateRequest,
        now: Instant,
    ) -> Result<UpdateOutcome, Error> {
        self.submit_parsed(strategy, request, now, KeyShare::parse)
    }

    /// [`Self::submit`] with OpenBao's logical `sys/generate-root-token/update` reading of the
    /// key ([`KeyShare::parse_logical`]).
    pub(crate) fn submit_logical(
        &mut self,
        strategy: Strategy,
        request: &UpdateRequest,
        now: Instant,
    ) -> Result<UpdateOutcome, Error> {
        self.submit_parsed(strategy, request, now, KeyShare::parse_logical)
    }

    fn submit_parsed(
        &mut self,
        strategy: Strategy,
        request: &UpdateRequest,
        now: Instant,
        parse: fn(&str, &RangeInclusive<usize>) -> Result<KeyShare, ShareError>,
    ) -> Result<UpdateOutcome, Error> {
        self.handle_timeout(now);
        let key = request.key.expose_secret();
        let parsed = if key.is_empty() {
            Err(Error::MissingKey)
        } else {
            parse(key, &self.config.share_lengths).map_err(Error::from)
        };
        match parsed {
            Ok(share) => self.submit_share(strategy, share, &request.nonce, now),
            Err(e) => {
                self.audit_refused(strategy, None, &e, now);
                Err(e)
            }
        }
    }

    /// [`Self::submit`] for a share already parsed (its length is still checked).
    ///
    /// # Errors
    /// As [`Self::submit`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{
    ///     Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy, UpdateOutcome,
    /// };
    /// use recovery_token::shares::KeyShare;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rng, now) = (rand::rng(), Instant::now());
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(2)?);
    /// let started = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?;
    ///
    /// let shares = KeyShare::split(&[7u8; 16], 2, 3, &mut rng)?;
    /// // Shares are not `Clone`: a deliberate copy of the bytes.
    /// let copy = |s: &KeyShare| KeyShare::from_bytes(s.expose_secret(), &KeyShare::DEFAULT_LENGTHS);
    /// let first = copy(&shares[0])?;
    /// let outcome = generator.submit_share(Strategy::Recovery, first, &started.nonce, now)?;
    /// assert!(matches!(outcome, UpdateOutcome::Progress(ref s) if s.progress == 1));
    ///
    /// // The same share twice is refused, and the progress stays.
    /// let second = copy(&shares[0])?;
    /// let again = generator.submit_share(Strategy::Recovery, second, &started.nonce, now);
    /// assert!(again.is_err());
    /// assert_eq!(generator.status(Strategy::Recovery, now).progress, 1);
    /// # Ok(()) }
    /// ```
    pub fn submit_share(
        &mut self,
        strategy: Strategy,
        share: KeyShare,
        nonce: &str,
        now: Instant,
    ) -> Result<UpdateOutcome, Error> {
        self.handle_timeout(now);
        let attempt_key = match &self.attempt {
            Attempt::InProgress(a) => a.audit_key.as_ref(),
            Attempt::Idle { .. } => None,
        };
        let id = Auditor::share_id(&self.config.audit, attempt_key, &share);
        let result = self.hold_share(strategy, share, nonce);
        let threshold = self.config.threshold;
        match &result {
            Ok(UpdateOutcome::Progress(status)) => {
                self.audit_accepted(strategy, id, status.progress, now);
            }
            Ok(UpdateOutcome::KeyReady(p)) => {
                self.audit_accepted(strategy, id, threshold, now);
                self.emit(
                    AuditEventKind::Combined,
                    strategy,
                    p.nonce().to_owned(),
                    0,
                    now,
                );
            }
            Err(e @ Error::Combine(_)) => {
                self.audit_accepted(strategy, id, threshold, now);
                let (attempt_nonce, progress) = self.nonce_progress();
                let kind = AuditEventKind::Failed { error: e.kind() };
                self.emit(kind, strategy, attempt_nonce, progress, now);
            }
            Err(e) => self.audit_refused(strategy, id, e, now),
        }
        result
    }

    pub(super) fn hold_share(
        &mut self,
        strategy: Strategy,
        share: KeyShare,
        nonce: &str,
    ) -> Result<UpdateOutcome, Error> {
        share.check_length(&self.config.share_lengths)?;
        self.check_server_state(strategy, Operation::Update)?;
        let threshold = self.config.threshold;
        let disclose = self.config.disclose_nonce_in_errors;
        let a = match &mut self.attempt {
            Attempt::InProgress(a) => a,
            Attempt::Idle { expired_nonce } => {
                return Err(
                    if expired_nonce
                        .as_deref()
                        .is_some_and(|n| ct_eq(n.as_bytes(), nonce.as_bytes()))
                    {
                        Error::AttemptExpired
                    } else {
                        Error::NoAttempt
                    },
                );
            }
        };
        if !ct_eq(a.nonce.as_bytes(), nonce.as_bytes()) {
            return Err(if disclose {
                Error::WrongNonce {
                    nonce: a.nonce.clone(),
                }
            } else {
                Error::WrongNonceUndisclosed
            });
        }
        if a.strategy != strategy {
            return Err(Error::WrongStrategy);
        }
        if a.completing() {
            return Err(Error::CompletionPending);
        }
        // With a registry: a share not in it is refused here, before anything is held. The
        // verdict depends only on the share and the registry (constant time in the share), not on
        // the shares held. A share whose x is already held but whose bytes differ is never in the
        // registry (one entry per x), so it is refused here too.
        // Declassified: whether the share is registered (the answer says so).
        if let Some(registry) = &self.config.share_registry
            && !crate::ct::public_bool(registry.contains(&share))
        {
            return Err(Error::UnknownShare);
        }
        // Constant time in the share bytes: every held share is compared in full.
        let duplicate = a
            .shares
            .iter()
            .fold(false, |acc, held| acc | held.ct_eq(&share));
        // Declassified: whether the share is a duplicate (the answer says so).
        if crate::ct::public_bool(duplicate) {
            return Err(Error::DuplicateShare);
        }
        // No check here may depend on the shares already held beyond byte equality (which tells
        // only a caller holding that very share): a refusal because "a held share has this x" or
        // "this length" would answer questions about other holders' shares and let whoever
        // comes first lock the honest holders out (README, "Threat model"). A share of the wrong
        // length is refused on its own merits by the host's declared key length
        // (`GeneratorConfigBuilder::with_key_length`); without a registry, a repeated x
        // coordinate fails the combine.
        a.shares.push(share);
        let progress = a.shares.len();
        if progress < threshold {
            return Ok(UpdateOutcome::Progress(AttemptStatus {
                nonce: nonce.to_owned(),
                started: true,
                progress,
                required: threshold,
                pgp_fingerprint: a.pgp_fingerprint(),
                ..AttemptStatus::default()
            }));
        }

        // At the threshold: take the shares out (they are wiped when `shares` drops) before
        // looking at the result, as Vault does.
        let shares = std::mem::take(&mut a.shares);
        let key = if threshold == 1 {
            shares
                .first()
                .map(|s| zeroize::Zeroizing::new(s.expose_secret().to_vec()))
                .unwrap_or_default()
        } else {
            combine(&shares).map_err(Error::Combine)?
        };
        drop(shares);
        let (ticket, handle) = Ticket::new(a.nonce.clone(), strategy, a.ttl);
        a.phase = Phase::Completing(handle);
        Ok(UpdateOutcome::KeyReady(PendingCompletion {
            ticket,
            key: CombinedKey::new(key),
        }))
    }
}
#[cfg(feature = "pgp")]
fn parse_pgp(key: &str) -> Result<AttemptEncoding, Error> {
    crate::pgp::PgpRecipient::parse(key)
        .map(|p| AttemptEncoding::Pgp(Box::new(p)))
        .map_err(Error::from)
}

#[cfg(not(feature = "pgp"))]
fn parse_pgp(_key: &str) -> Result<AttemptEncoding, Error> {
    Err(Error::PgpUnsupported)
}

/// Which call a server-state check is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Start,
    Update,
}

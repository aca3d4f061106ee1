//! The state machine: one attempt slot, its nonce, its shares, and the ceremony's last step.

use std::time::Instant;

use rand_core::CryptoRng;

use crate::audit::{AuditEvent, AuditEventKind, Auditor, ErrorKind};
use crate::combine::combine;
use crate::otp::{encode_token, generate_otp};
use crate::secret::ct_eq;
use crate::token::{RecoveryTokenHolder, mint_token};
use crate::{
    AttemptStatus, CombinedKey, Encoding, Error, GeneratorConfig, KeyShare, Otp, Strategy, Token,
    UpdateRequest,
};

/// What the host supplies to finish a ceremony: the check of the combined key and, for root and
/// DR strategies, the minting of the token.
///
/// The generator calls these from [`RecoveryTokenGenerator::update`]. Hosts whose check is
/// asynchronous use [`RecoveryTokenGenerator::submit`] and [`RecoveryTokenGenerator::finish`]
/// instead and never need this trait.
pub trait Host {
    /// Checks the combined key (root: it must unlock the root key; recovery: it must unseal the
    /// barrier). An `Err` aborts with `root generation aborted: <reason>`; the reason must not
    /// contain key material.
    ///
    /// # Errors
    /// The reason the key was refused.
    fn check_key(&mut self, strategy: Strategy, key: &CombinedKey) -> Result<(), String>;

    /// Mints the root or DR operation token (never called for [`Strategy::Recovery`], which the
    /// generator mints itself). Its length must equal the OTP length of the configured profile.
    ///
    /// # Errors
    /// The reason no token could be minted. The default refuses: a recovery-only host need not
    /// implement it.
    fn mint_token(&mut self, strategy: Strategy) -> Result<Token, String> {
        let _ = strategy;
        Err("this server does not mint root tokens".to_owned())
    }

    /// Revokes a token minted by [`Host::mint_token`] that could not be handed out (its encoding
    /// failed). The default does nothing.
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
    fn check_key(&mut self, _strategy: Strategy, key: &CombinedKey) -> Result<(), String> {
        if key.ct_eq_bytes(self.0.expose_secret()) {
            Ok(())
        } else {
            Err("unable to authenticate: combined key does not match".to_owned())
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
    /// [`PendingCompletion::key`], then call [`RecoveryTokenGenerator::finish`].
    KeyReady(PendingCompletion),
}

/// A combined key waiting for the host's check. Dropping it abandons the completion (the attempt
/// stays started with no shares, as after a failed check) and zeroizes the key.
#[derive(Debug)]
#[must_use]
pub struct PendingCompletion {
    nonce: String,
    strategy: Strategy,
    key: CombinedKey,
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
        self.strategy
    }
}

mod state {
    use std::time::Instant;

    use crate::{KeyShare, Otp, Strategy};

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
        pub(super) shares: Vec<KeyShare>,
    }

    impl InProgress {
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
        Idle,
        InProgress(Box<InProgress>),
    }
}

use state::{Attempt, AttemptEncoding, InProgress};

/// Vault's root / recovery token generation ceremony as a sans-IO state machine.
///
/// One attempt slot shared by all strategies, as in Vault. Every method that can change state
/// takes the host's `now`; the ones that need randomness take the host's RNG. Nothing here reads
/// a clock, the OS, or the network.
///
/// Every refused call leaves the state exactly as it was, except the failures SPEC section 2
/// lists: a failed combine, key check, mint or encoding clears the shares but keeps the attempt
/// (and its nonce); a success clears the attempt.
pub struct RecoveryTokenGenerator {
    config: GeneratorConfig,
    attempt: Attempt,
    recovery_token: RecoveryTokenHolder,
    recovery_issued: bool,
    expired_nonce: Option<String>,
    audit: Auditor,
}

impl std::fmt::Debug for RecoveryTokenGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RecoveryTokenGenerator");
        d.field("config", &self.config);
        match &self.attempt {
            Attempt::Idle => d.field("attempt", &"idle"),
            Attempt::InProgress(a) => d
                .field("nonce", &a.nonce)
                .field("strategy", &a.strategy)
                .field("progress", &a.shares.len()),
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
            attempt: Attempt::Idle,
            recovery_token: RecoveryTokenHolder::default(),
            recovery_issued: false,
            expired_nonce: None,
            audit: Auditor::new(),
        }
    }

    /// The next audit event, oldest first (see [`AuditEvent`]). Drain after every call: the
    /// queue is bounded ([`crate::AuditConfig::with_capacity`]).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AuditEvent> {
        self.audit.poll()
    }

    /// How many audit events were dropped because the queue was full.
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.audit.dropped()
    }

    fn emit(
        &mut self,
        kind: AuditEventKind,
        strategy: Strategy,
        nonce: String,
        progress: usize,
        now: Instant,
    ) {
        let event = AuditEvent {
            kind,
            strategy,
            nonce,
            progress,
            required: self.config.threshold,
            now,
        };
        self.audit.record(&self.config.audit, event);
    }

    /// The attempt's strategy, nonce and progress, if one is held.
    fn attempt_view(&self) -> Option<(Strategy, String, usize)> {
        match &self.attempt {
            Attempt::InProgress(a) => Some((a.strategy, a.nonce.clone(), a.shares.len())),
            Attempt::Idle => None,
        }
    }

    /// The held attempt's nonce and progress, or `("", 0)`.
    fn nonce_progress(&self) -> (String, usize) {
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
        if let Attempt::InProgress(a) = &self.attempt
            && self.is_expired(a, now)
        {
            let (strategy, nonce, discarded) = (a.strategy, a.nonce.clone(), a.shares.len());
            self.expired_nonce = Some(nonce.clone());
            self.attempt = Attempt::Idle;
            self.audit.end_attempt();
            self.emit(
                AuditEventKind::Expired { discarded },
                strategy,
                nonce,
                0,
                now,
            );
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
    pub fn start<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        encoding: Encoding,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        self.handle_timeout(now);
        let result = self.start_attempt(strategy, encoding, now, rng);
        match &result {
            Ok(status) => {
                self.audit.begin_attempt(&self.config.audit, rng);
                let nonce = status.nonce.clone();
                self.emit(AuditEventKind::Started, strategy, nonce, 0, now);
            }
            Err(e) => {
                let (nonce, progress) = self.nonce_progress();
                let kind = AuditEventKind::StartRefused {
                    error: ErrorKind::of(e),
                };
                self.emit(kind, strategy, nonce, progress, now);
            }
        }
        result
    }

    fn start_attempt<R: CryptoRng + ?Sized>(
        &mut self,
        strategy: Strategy,
        encoding: Encoding,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        let otp_length = self.config.profile.otp_length(strategy);
        // OpenBao 2.7 refuses a recovery start after the recovery token was minted before it
        // looks at the OTP or PGP key (observed with the real server); Vault checks inputs first.
        if self.config.dialect == crate::Dialect::OpenBao
            && strategy == Strategy::Recovery
            && self.recovery_issued
        {
            return Err(Error::AlreadyUnsealed);
        }
        let parsed = match encoding {
            Encoding::Otp(otp) => {
                if otp.len() != otp_length {
                    return Err(Error::OtpWrongLength);
                }
                Some(AttemptEncoding::Otp(otp))
            }
            Encoding::PgpKey(key) => Some(parse_pgp(&key)?),
            #[cfg(feature = "pgp")]
            Encoding::Pgp(recipient) => Some(AttemptEncoding::Pgp(recipient)),
            Encoding::GenerateOtp => None,
        };
        if strategy == Strategy::Recovery && self.recovery_issued {
            return Err(Error::AlreadyUnsealed);
        }
        if matches!(self.attempt, Attempt::InProgress(_)) {
            return Err(Error::InProgress);
        }

        let mut generated = None;
        let encoding = match parsed {
            Some(e) => e,
            None => {
                let otp = generate_otp(otp_length, rng);
                generated = Some(otp.clone());
                AttemptEncoding::Otp(otp)
            }
        };
        let mut nonce_bytes = [0u8; 16];
        rng.fill_bytes(&mut nonce_bytes);
        let nonce = uuid::Uuid::from_bytes(nonce_bytes).hyphenated().to_string();

        self.expired_nonce = None;
        self.attempt = Attempt::InProgress(Box::new(InProgress {
            nonce,
            strategy,
            encoding,
            started_at: now,
            shares: Vec::with_capacity(self.config.threshold),
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
    pub fn cancel(&mut self, nonce: Option<&str>, now: Instant) -> Result<(), Error> {
        self.handle_timeout(now);
        let before = self.attempt_view();
        let result = self.cancel_attempt(nonce);
        if let Some((strategy, attempt_nonce, progress)) = before {
            if result.is_ok() {
                self.audit.end_attempt();
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
        self.attempt = Attempt::Idle;
        Ok(())
    }

    /// Submits a share from an update request (`PUT .../update`) and, at the threshold, runs the
    /// whole last step with `host`: combine, check, mint, encode.
    ///
    /// # Errors
    /// Every refusal of SPEC section 4, with Vault's texts. Refusals leave the state as it was;
    /// the failures for which [`Error::cleared_progress`] is true cleared the shares and kept the
    /// attempt.
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
            return self.finish(pending, Err(reason), None, now, rng);
        }
        let minted = if strategy == Strategy::Recovery {
            None
        } else {
            match host.mint_token(strategy) {
                Ok(t) => Some(t),
                Err(reason) => {
                    let error = Error::TokenMint { reason };
                    self.audit_failure(strategy, pending.nonce.clone(), &error, now);
                    drop(pending);
                    return Err(error);
                }
            }
        };
        let revoke = minted.clone();
        let result = self.finish(pending, Ok(()), minted, now, rng);
        if result.is_err()
            && let Some(t) = revoke
        {
            host.revoke_token(strategy, &t);
        }
        result
    }

    /// [`Self::update`]'s first half: parses the share as Vault's HTTP layer does, runs every
    /// check, and holds the share; at the threshold it combines the shares (wiping them) and
    /// hands the key back for the host to check, asynchronously if it likes.
    ///
    /// # Errors
    /// As [`Self::update`]; a failed combine returns [`Error::Combine`] (shares cleared).
    pub fn submit(
        &mut self,
        strategy: Strategy,
        request: &UpdateRequest,
        now: Instant,
    ) -> Result<UpdateOutcome, Error> {
        self.handle_timeout(now);
        let key = request.key.expose_secret();
        let parsed = if key.is_empty() {
            Err(Error::MissingKey)
        } else {
            KeyShare::parse(key, &self.config.share_lengths)
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
    pub fn submit_share(
        &mut self,
        strategy: Strategy,
        share: KeyShare,
        nonce: &str,
        now: Instant,
    ) -> Result<UpdateOutcome, Error> {
        self.handle_timeout(now);
        let id = self.audit.share_id(&self.config.audit, &share);
        let result = self.hold_share(strategy, share, nonce);
        let threshold = self.config.threshold;
        match &result {
            Ok(UpdateOutcome::Progress(status)) => {
                self.audit_accepted(strategy, id, status.progress, now);
            }
            Ok(UpdateOutcome::KeyReady(p)) => {
                self.audit_accepted(strategy, id, threshold, now);
                self.emit(AuditEventKind::Combined, strategy, p.nonce.clone(), 0, now);
            }
            Err(e @ Error::Combine(_)) => {
                self.audit_accepted(strategy, id, threshold, now);
                let (attempt_nonce, progress) = self.nonce_progress();
                let kind = AuditEventKind::Failed {
                    error: ErrorKind::of(e),
                };
                self.emit(kind, strategy, attempt_nonce, progress, now);
            }
            Err(e) => self.audit_refused(strategy, id, e, now),
        }
        result
    }

    /// An accepted share always has an ID while auditing is on (the attempt's key exists).
    fn audit_accepted(
        &mut self,
        strategy: Strategy,
        share: Option<crate::ShareId>,
        progress: usize,
        now: Instant,
    ) {
        if let Some(share) = share {
            let (attempt_nonce, _) = self.nonce_progress();
            let kind = AuditEventKind::ShareAccepted { share };
            self.emit(kind, strategy, attempt_nonce, progress, now);
        }
    }

    fn audit_refused(
        &mut self,
        strategy: Strategy,
        share: Option<crate::ShareId>,
        error: &Error,
        now: Instant,
    ) {
        let (nonce, progress) = self.nonce_progress();
        let kind = AuditEventKind::ShareRefused {
            share,
            error: ErrorKind::of(error),
        };
        self.emit(kind, strategy, nonce, progress, now);
    }

    /// Reports a failed last step for `pending`'s attempt (progress is that attempt's, 0 if it is
    /// gone).
    fn audit_failure(&mut self, strategy: Strategy, nonce: String, error: &Error, now: Instant) {
        let progress = match &self.attempt {
            Attempt::InProgress(a) if a.nonce == nonce => a.shares.len(),
            _ => 0,
        };
        let kind = match error {
            Error::KeyCheckFailed { .. } => AuditEventKind::KeyCheckFailed,
            e => AuditEventKind::Failed {
                error: ErrorKind::of(e),
            },
        };
        self.emit(kind, strategy, nonce, progress, now);
    }

    fn hold_share(
        &mut self,
        strategy: Strategy,
        share: KeyShare,
        nonce: &str,
    ) -> Result<UpdateOutcome, Error> {
        share.check_length(&self.config.share_lengths)?;
        if strategy == Strategy::Recovery && self.recovery_issued {
            return Err(Error::AlreadyUnsealed);
        }
        let threshold = self.config.threshold;
        let strict = self.config.strict_share_sets;
        let disclose = self.config.disclose_nonce_in_errors;
        let Attempt::InProgress(a) = &mut self.attempt else {
            return Err(
                if self
                    .expired_nonce
                    .as_deref()
                    .is_some_and(|n| ct_eq(n.as_bytes(), nonce.as_bytes()))
                {
                    Error::AttemptExpired
                } else {
                    Error::NoAttempt
                },
            );
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
        // Constant time in the share bytes: every held share is compared in full.
        let duplicate = a
            .shares
            .iter()
            .fold(false, |acc, held| acc | held.ct_eq(&share));
        if duplicate {
            return Err(Error::DuplicateShare);
        }
        if strict && threshold > 1 {
            if let Some(first) = a.shares.first()
                && first.len() != share.len()
            {
                return Err(Error::ShareLengthMismatch {
                    expected: first.len(),
                    got: share.len(),
                });
            }
            if a.shares.iter().any(|held| held.x() == share.x()) {
                return Err(Error::ShareIndexConflict);
            }
        }

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
        Ok(UpdateOutcome::KeyReady(PendingCompletion {
            nonce: a.nonce.clone(),
            strategy,
            key: CombinedKey::new(key),
        }))
    }

    /// [`Self::update`]'s second half: takes the host's verdict on the combined key (and, for
    /// root and DR strategies, the token the host minted), encodes the token and completes the
    /// attempt.
    ///
    /// On error, a `minted` token was not handed out: the host must revoke it.
    ///
    /// # Errors
    /// [`Error::StaleCompletion`] if the attempt was cancelled, expired or replaced meanwhile;
    /// [`Error::KeyCheckFailed`] for a refused key (the attempt stays, progress 0);
    /// [`Error::TokenMint`] if a root/DR completion has no token; [`Error::XorLength`] /
    /// [`Error::PgpEncrypt`] if encoding fails (the attempt stays).
    pub fn finish<R: CryptoRng + ?Sized>(
        &mut self,
        pending: PendingCompletion,
        verdict: Result<(), String>,
        minted: Option<Token>,
        now: Instant,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        self.handle_timeout(now);
        let (strategy, nonce) = (pending.strategy, pending.nonce.clone());
        let result = self.complete(pending, verdict, minted, rng);
        match &result {
            Ok(_) => {
                self.audit.end_attempt();
                self.emit(AuditEventKind::Completed, strategy, nonce, 0, now);
            }
            Err(e) => self.audit_failure(strategy, nonce, e, now),
        }
        result
    }

    fn complete<R: CryptoRng + ?Sized>(
        &mut self,
        pending: PendingCompletion,
        verdict: Result<(), String>,
        minted: Option<Token>,
        rng: &mut R,
    ) -> Result<AttemptStatus, Error> {
        let threshold = self.config.threshold;
        let profile = self.config.profile;
        let Attempt::InProgress(a) = &self.attempt else {
            return Err(Error::StaleCompletion);
        };
        if a.nonce != pending.nonce || a.strategy != pending.strategy {
            return Err(Error::StaleCompletion);
        }
        verdict.map_err(|reason| Error::KeyCheckFailed { reason })?;
        drop(pending.key);

        let strategy = pending.strategy;
        let token = match (strategy, minted) {
            (Strategy::Recovery, _) => mint_token(profile, strategy, rng),
            (_, Some(t)) => t,
            (_, None) => {
                return Err(Error::TokenMint {
                    reason: "no token was minted".to_owned(),
                });
            }
        };
        let encoded = match &a.encoding {
            AttemptEncoding::Otp(otp) => encode_otp(&token, otp)?,
            #[cfg(feature = "pgp")]
            AttemptEncoding::Pgp(p) => p.encrypt_token(&token, rng)?,
        };
        let pgp_fingerprint = a.pgp_fingerprint();
        let nonce = pending.nonce;

        self.attempt = Attempt::Idle;
        if strategy == Strategy::Recovery {
            self.recovery_token.set(token);
            self.recovery_issued = true;
        }
        Ok(AttemptStatus {
            nonce,
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

fn encode_otp(token: &Token, otp: &Otp) -> Result<String, Error> {
    encode_token(token, otp).map_err(|_| Error::XorLength {
        otp: otp.len(),
        token: token.len(),
    })
}

#[cfg(feature = "pgp")]
fn parse_pgp(key: &str) -> Result<AttemptEncoding, Error> {
    crate::pgp::PgpRecipient::parse(key).map(|p| AttemptEncoding::Pgp(Box::new(p)))
}

#[cfg(not(feature = "pgp"))]
fn parse_pgp(_key: &str) -> Result<AttemptEncoding, Error> {
    Err(Error::PgpUnsupported)
}

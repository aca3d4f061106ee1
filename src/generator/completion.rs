//! The last step: the host's check of the combined key, the minting of root / DR tokens, the
//! encoding, and their composition in `update`.

use std::time::Instant;

use rand_core::CryptoRng;

use super::RecoveryTokenGenerator;
use super::state::{Attempt, AttemptEncoding};
use crate::audit::AuditEventKind;
use crate::otp::encode_token;
use crate::token::mint_token;
use crate::{AttemptStatus, CombinedKey, Error, Otp, Strategy, Token, UpdateRequest};

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
    pub(super) nonce: String,
    pub(super) strategy: Strategy,
    pub(super) key: CombinedKey,
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

impl RecoveryTokenGenerator {
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

pub(super) fn encode_otp(token: &Token, otp: &Otp) -> Result<String, Error> {
    encode_token(token, otp).map_err(|_| Error::XorLength {
        otp: otp.len(),
        token: token.len(),
    })
}

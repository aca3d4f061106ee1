//! What each transition reports to the audit queue.

use std::time::Instant;

use super::RecoveryTokenGenerator;
use super::state::Attempt;
use crate::audit::{AuditEvent, AuditEventKind};
use crate::error::Error;
use crate::vocabulary::Strategy;

impl RecoveryTokenGenerator {
    /// The next audit event, oldest first (see [`AuditEvent`]). Drain after every call: the
    /// queue is bounded ([`crate::audit::AuditConfig::with_capacity`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
    /// use recovery_token::audit::AuditEventKind;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rng, now) = (rand::rng(), Instant::now());
    /// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
    /// generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?;
    /// let _refused = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng);
    /// generator.cancel(None, now)?;
    ///
    /// let mut log = Vec::new();
    /// while let Some(event) = generator.poll_event() {
    ///     log.push(event.kind); // the host writes `event` to its audit log
    /// }
    /// assert!(matches!(
    ///     log.as_slice(),
    ///     [
    ///         AuditEventKind::Started,
    ///         AuditEventKind::StartRefused { .. },
    ///         AuditEventKind::Cancelled { discarded: 0 },
    ///     ]
    /// ));
    /// assert_eq!(generator.dropped_events(), 0);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AuditEvent> {
        self.audit.poll()
    }

    /// Every queued audit event, oldest first, taken from the queue as the iterator is advanced
    /// (events it does not reach stay queued). The usual way to empty the queue after a call:
    /// `for event in generator.drain_events() { log(event) }`.
    pub fn drain_events(&mut self) -> impl Iterator<Item = AuditEvent> + '_ {
        std::iter::from_fn(move || self.audit.poll())
    }

    /// How many audit events were dropped because the queue was full.
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.audit.dropped()
    }

    pub(super) fn emit(
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

    /// An accepted share always has an ID while auditing is on (the attempt's key exists).
    pub(super) fn audit_accepted(
        &mut self,
        strategy: Strategy,
        share: Option<crate::audit::ShareId>,
        progress: usize,
        now: Instant,
    ) {
        if let Some(share) = share {
            let (attempt_nonce, _) = self.nonce_progress();
            let kind = AuditEventKind::ShareAccepted { share };
            self.emit(kind, strategy, attempt_nonce, progress, now);
        }
    }

    pub(super) fn audit_refused(
        &mut self,
        strategy: Strategy,
        share: Option<crate::audit::ShareId>,
        error: &Error,
        now: Instant,
    ) {
        let (nonce, progress) = self.nonce_progress();
        let kind = AuditEventKind::ShareRefused {
            share,
            error: error.kind(),
        };
        self.emit(kind, strategy, nonce, progress, now);
    }

    /// Reports a failed last step for `pending`'s attempt (progress is that attempt's, 0 if it is
    /// gone).
    pub(super) fn audit_failure(
        &mut self,
        strategy: Strategy,
        nonce: String,
        error: &Error,
        now: Instant,
    ) {
        let progress = match &self.attempt {
            Attempt::InProgress(a) if a.nonce == nonce => a.shares.len(),
            _ => 0,
        };
        let kind = match error {
            Error::KeyCheckFailed { .. } => AuditEventKind::KeyCheckFailed,
            e => AuditEventKind::Failed { error: e.kind() },
        };
        self.emit(kind, strategy, nonce, progress, now);
    }
}

//! Audit events: what happened to the attempt, for the host to log, with no I/O in the crate.
//!
//! The generator queues one [`AuditEvent`] per outcome (an attempt started or refused, a share
//! accepted or refused, the shares combined, the key check failed, the ceremony completed,
//! failed or was abandoned by the host, the attempt cancelled, refused a cancel, or expired). The host drains the queue with
//! [`crate::RecoveryTokenGenerator::poll_event`] after each call, quinn-style, and writes the
//! events wherever it keeps its audit log. Vault has no such trail (PROTOCOL.md section 10:
//! users asked for "who submitted which share" and never got it).
//!
//! # A ceremony's trail, from start to end
//!
//! Every event carries the attempt's nonce, its progress after the event and the threshold, so
//! one ceremony's events read in order without gaps:
//!
//! 1. [`AuditEventKind::Started`] (or [`AuditEventKind::StartRefused`] with why: among them,
//!    under holders-only start, [`ErrorKind::HolderKeyRequired`] / [`ErrorKind::UnknownShare`],
//!    and [`ErrorKind::TtlUnsupported`] / [`ErrorKind::TtlNotForRecovery`] /
//!    [`ErrorKind::InvalidTtl`] for a refused `ttl`).
//! 2. Per share: [`AuditEventKind::ShareAccepted`] (progress + 1) or
//!    [`AuditEventKind::ShareRefused`] (progress unchanged; with a share registry a foreign or
//!    same-x share is [`ErrorKind::UnknownShare`], refused before anything is held).
//! 3. At the threshold: [`AuditEventKind::Combined`] (shares wiped, the key awaits the host's
//!    check), or [`AuditEventKind::Failed`] with [`ErrorKind::Combine`] (progress 0).
//! 4. The completion ends in exactly one of: [`AuditEventKind::Completed`] (the token handed out;
//!    the attempt is over), [`AuditEventKind::KeyCheckFailed`] or [`AuditEventKind::Failed`]
//!    (mint, encoding, stale completion; the attempt stays with progress 0, back to 2), or
//!    [`AuditEventKind::CompletionAbandoned`] (the host dropped the step; recorded at the
//!    generator's next call; back to 2).
//! 5. At any point the attempt can end by [`AuditEventKind::Cancelled`] or
//!    [`AuditEventKind::Expired`] (with how many shares were discarded); a refused cancel is
//!    [`AuditEventKind::CancelRefused`] (the attempt is kept).
//!
//! A refused start or share with no attempt held is reported with an empty nonce and progress
//! 0. A cancel with nothing in progress reports nothing, whether it succeeds or (under
//! holders-only cancel) is refused.
//!
//! A share is identified by a [`ShareId`]: a keyed hash (HMAC-SHA256) of its bytes, never the
//! bytes. The key is drawn from the host's RNG when an attempt starts (so IDs correlate within
//! one attempt only), or given by the host through [`AuditConfig::with_key`] (so the host can
//! compute each holder's [`ShareId`] in advance with [`ShareId::compute`] and name who submitted
//! what). No event carries a share, an OTP, a token or a key.

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::ErrorKind;
use crate::secret::ct_eq;
use crate::shares::KeyShare;
use crate::vocabulary::Strategy;

/// The HMAC key that turns shares into [`ShareId`]s. Secret: whoever holds it can confirm a
/// guessed share (shares are 16+ random bytes, so guessing is hopeless, but keep it anyway).
///
/// Zeroized on drop, `[REDACTED]` in `Debug`, compared in constant time. (The HMAC's own
/// transient state, the hash of the padded key, lives on the stack while one ID is computed and
/// is not zeroized: hmac 0.12 offers no way to.)
#[derive(Clone)]
pub struct AuditKey(Zeroizing<[u8; 32]>);

impl AuditKey {
    /// A key the host chose (for instance derived from its own secret store), so that share IDs
    /// are stable across attempts and computable in advance.
    #[must_use]
    pub fn new(bytes: [u8; 32]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        *key = bytes;
        Self(key)
    }

    /// A fresh random key from the host's RNG.
    #[must_use]
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *key);
        Self(key)
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey([REDACTED])")
    }
}

impl PartialEq for AuditKey {
    /// Constant time in the contents.
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&*self.0, &*other.0)
    }
}

impl Eq for AuditKey {}

/// Identifies a share in audit events without revealing it:
/// `HMAC-SHA256(key, "recovery-token/share-id/v1" || share)`, where `share` is the share's bytes
/// in Vault's layout (y bytes, then x; as decoded from the request, whatever its encoding).
///
/// The same share gives the same ID under the same key (a resubmitted share is recognisable);
/// without the key nothing about the share can be learned from it. Not secret: print it, log it.
///
/// # Examples
///
/// ```
/// use recovery_token::audit::{AuditKey, ShareId};
/// use recovery_token::shares::KeyShare;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = AuditKey::new([1; 32]);
/// let share = KeyShare::parse("000102030405060708090a0b0c0d0e0f01", &KeyShare::DEFAULT_LENGTHS)?;
/// let id = ShareId::compute(&key, &share);
/// assert_eq!(id, ShareId::of_bytes(&key, share.expose_secret())); // same share, same ID
/// assert_ne!(id, ShareId::compute(&AuditKey::new([2; 32]), &share)); // another key
/// assert_eq!(id.to_string().len(), 64); // lowercase hex of the MAC
/// assert!(!id.to_string().contains("000102030405"));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShareId([u8; 32]);

/// Domain separation, so a host key reused elsewhere never yields the same MACs.
const SHARE_ID_CONTEXT: &[u8] = b"recovery-token/share-id/v1";

impl ShareId {
    /// The ID of `share` under `key`, as the generator computes it.
    #[must_use]
    pub fn compute(key: &AuditKey, share: &KeyShare) -> Self {
        Self::of_bytes(key, share.expose_secret())
    }

    /// The ID of raw share bytes (Vault's layout) under `key`.
    ///
    /// # Panics
    /// Never: HMAC takes a key of any length.
    #[must_use]
    pub fn of_bytes(key: &AuditKey, share: &[u8]) -> Self {
        let id = Self(mac(key, share));
        // hmac 0.12 keeps its block buffer (the label and the share, padded) and the hash state
        // in its own stack frames and offers no way to wipe them, nor does sha2's compression
        // function wipe its message schedule (the block again, as big-endian words): the frames
        // `mac` used are overwritten here, before anything else can be called (measured:
        // tests/request_alloc.rs scans the stack after a ceremony).
        crate::ct::scrub_stack();
        id
    }
    /// The 32 bytes of the MAC.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// `HMAC-SHA256(key, SHARE_ID_CONTEXT || share)`, in frames of its own that the caller scrubs.
#[inline(never)]
fn mac(key: &AuditKey, share: &[u8]) -> [u8; 32] {
    #[allow(
        clippy::expect_used,
        reason = "invariant: HMAC takes keys of any length, new_from_slice never fails for it"
    )]
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&*key.0).expect("HMAC accepts a key of any length");
    mac.update(SHARE_ID_CONTEXT);
    mac.update(share);
    mac.finalize().into_bytes().into()
}

impl fmt::Display for ShareId {
    /// Lowercase hex, 64 digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareId({self})")
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditEventKind {
    /// An attempt started (its nonce is the event's).
    Started,
    /// A start was refused (the event's nonce is the attempt already in progress, if any).
    StartRefused {
        /// Why.
        error: ErrorKind,
    },
    /// A share was accepted and is held (or, at the threshold, about to be combined).
    ShareAccepted {
        /// Which share.
        share: ShareId,
    },
    /// A share was refused; nothing changed (with a share registry, a share not in it is
    /// [`ErrorKind::UnknownShare`]: refused before anything is held, progress untouched).
    ShareRefused {
        /// Which share, when it could be decoded and a key exists (the attempt's, or the host's).
        share: Option<ShareId>,
        /// Why.
        error: ErrorKind,
    },
    /// The threshold was reached and the shares combined (and wiped); the key awaits the host's
    /// check.
    Combined,
    /// The host refused the combined key; progress is cleared, the attempt kept.
    KeyCheckFailed,
    /// The last step failed (combine, mint, encoding, or a completion for an attempt that no
    /// longer exists: [`ErrorKind::StaleCompletion`]); progress is cleared, the attempt kept (if
    /// it still exists).
    Failed {
        /// Why.
        error: ErrorKind,
    },
    /// The host dropped the completion (a [`crate::PendingCompletion`], or a later step) without
    /// taking its step: the attempt stays started with no shares and takes shares again.
    /// Recorded by the generator's next call (its `now`), which is when it can see the drop.
    CompletionAbandoned,
    /// The token was minted and handed out encoded; the attempt is over.
    Completed,
    /// The attempt was cancelled; its shares were wiped. (A cancel with nothing in progress
    /// changes nothing and reports nothing.)
    Cancelled {
        /// How many shares it held.
        discarded: usize,
    },
    /// A cancel was refused (the nonce was missing or wrong); the attempt is kept.
    CancelRefused,
    /// The attempt outlived its lifetime and was wiped.
    Expired {
        /// How many shares it held.
        discarded: usize,
    },
}

/// One audit record. Carries no secret: `Debug` of any event is safe to log.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// use recovery_token::audit::AuditEventKind;
/// use recovery_token::wire::UpdateRequest;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
/// let nonce = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?.nonce;
/// let update = UpdateRequest::new("000102030405060708090a0b0c0d0e0f01".into(), nonce.clone());
/// generator.submit(Strategy::Recovery, &update, now)?;
///
/// let started = generator.poll_event().ok_or("no event")?;
/// assert_eq!((started.kind, started.nonce.as_str()), (AuditEventKind::Started, nonce.as_str()));
/// let accepted = generator.poll_event().ok_or("no event")?;
/// assert!(matches!(accepted.kind, AuditEventKind::ShareAccepted { .. }));
/// assert_eq!((accepted.progress, accepted.required), (1, 3));
/// assert!(generator.poll_event().is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEvent {
    /// What happened.
    pub kind: AuditEventKind,
    /// The strategy of the endpoint called (or of the attempt, for cancel and expiry).
    pub strategy: Strategy,
    /// The attempt's nonce (`""` when there is none). Never the nonce a caller presented.
    pub nonce: String,
    /// Shares the attempt holds after the event.
    pub progress: usize,
    /// The threshold.
    pub required: usize,
    /// The host's `now` passed to the call.
    pub now: Instant,
}

/// How the generator records audit events.
///
/// Default: enabled, a queue of at most [`AuditConfig::DEFAULT_CAPACITY`] events, and a random
/// per-attempt HMAC key for share IDs.
///
/// # Examples
///
/// With a host key, the host computes each holder's [`ShareId`] in advance and names who
/// submitted what:
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// use recovery_token::audit::{AuditConfig, AuditEventKind, AuditKey, ShareId};
/// use recovery_token::shares::KeyShare;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let audit = AuditConfig::default().with_capacity(64).with_key(AuditKey::new([9; 32]));
/// let config = GeneratorConfig::builder(3).with_audit(audit).build()?;
/// let mut generator = RecoveryTokenGenerator::new(config);
/// let share = KeyShare::parse("000102030405060708090a0b0c0d0e0f01", &KeyShare::DEFAULT_LENGTHS)?;
/// let alice = ShareId::compute(&AuditKey::new([9; 32]), &share);
///
/// let nonce = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?.nonce;
/// generator.submit_share(Strategy::Recovery, share, &nonce, now)?;
/// let kinds: Vec<_> = generator.drain_events().map(|e| e.kind).collect();
/// assert_eq!(kinds[1], AuditEventKind::ShareAccepted { share: alice });
/// assert_eq!(AuditConfig::disabled().capacity(), 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    capacity: usize,
    key: Option<AuditKey>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            capacity: Self::DEFAULT_CAPACITY,
            key: None,
        }
    }
}

impl AuditConfig {
    /// The default queue capacity.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// No events are recorded (and no key is drawn).
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            capacity: 0,
            key: None,
        }
    }

    /// At most `capacity` undrained events are kept; when full, the oldest is dropped and
    /// counted ([`crate::RecoveryTokenGenerator::dropped_events`]). The bound keeps a host that
    /// never drains (or a caller flooding refused requests) from growing memory without limit.
    /// `0` disables auditing.
    #[must_use]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Share IDs under this host key instead of a random per-attempt key: stable across
    /// attempts, and computable in advance with [`ShareId::compute`].
    #[must_use]
    pub fn with_key(mut self, key: AuditKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The queue capacity (0: disabled).
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// The generator's recorder: the bounded queue. (The per-attempt HMAC key lives in the attempt,
/// so that it ends with it.)
#[derive(Debug)]
pub(crate) struct Auditor {
    queue: VecDeque<AuditEvent>,
    dropped: u64,
}

impl Auditor {
    pub(crate) fn new() -> Self {
        Self {
            queue: VecDeque::new(),
            dropped: 0,
        }
    }

    /// A new attempt's own key, which the attempt holds (and zeroizes when it ends): `None` when
    /// the host gave a key or auditing is off.
    pub(crate) fn attempt_key<R: CryptoRng + ?Sized>(
        config: &AuditConfig,
        rng: &mut R,
    ) -> Option<AuditKey> {
        (config.capacity != 0 && config.key.is_none()).then(|| AuditKey::random(rng))
    }

    /// The share's ID under the host key or the current attempt's key.
    pub(crate) fn share_id(
        config: &AuditConfig,
        attempt_key: Option<&AuditKey>,
        share: &KeyShare,
    ) -> Option<ShareId> {
        if config.capacity == 0 {
            return None;
        }
        config
            .key
            .as_ref()
            .or(attempt_key)
            .map(|k| ShareId::compute(k, share))
    }

    pub(crate) fn record(&mut self, config: &AuditConfig, event: AuditEvent) {
        if config.capacity == 0 {
            return;
        }
        while self.queue.len() >= config.capacity {
            self.queue.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        self.queue.push_back(event);
    }

    pub(crate) fn poll(&mut self) -> Option<AuditEvent> {
        self.queue.pop_front()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn share_id_is_hmac_sha256_of_context_and_share() {
        // Known answer from Python's hmac module:
        // hmac.new(b"\x0b" * 32, b"recovery-token/share-id/v1" + b"\x07" * 17, "sha256")
        let key = AuditKey::new([0x0b; 32]);
        let share = KeyShare::from_bytes(&[7u8; 17], &KeyShare::DEFAULT_LENGTHS).unwrap();
        assert_eq!(
            ShareId::compute(&key, &share).to_string(),
            "cdf6e7acb77b0291ded61f45c4aa40953b3f61ac513df09200ae43466d924e71"
        );
        assert_ne!(
            ShareId::compute(&AuditKey::new([0x0c; 32]), &share),
            ShareId::compute(&key, &share)
        );
    }

    #[test]
    fn full_queue_drops_the_oldest_and_counts() {
        let config = AuditConfig::default().with_capacity(2);
        let mut a = Auditor::new();
        let now = Instant::now();
        for progress in 0..5 {
            a.record(
                &config,
                AuditEvent {
                    kind: AuditEventKind::Started,
                    strategy: Strategy::Recovery,
                    nonce: String::new(),
                    progress,
                    required: 3,
                    now,
                },
            );
        }
        assert_eq!(a.dropped(), 3);
        assert_eq!(a.poll().map(|e| e.progress), Some(3));
        assert_eq!(a.poll().map(|e| e.progress), Some(4));
        assert_eq!(a.poll(), None);
    }

    #[test]
    fn error_kind_names_the_variant_and_carries_no_text() {
        let nonce = "3a1c0f7e-0000-4000-8000-000000000000".to_owned();
        let e = Error::WrongNonce { nonce };
        assert_eq!(e.kind(), ErrorKind::WrongNonce);
        assert_eq!(ErrorKind::from(&e), e.kind());
        assert!(!format!("{:?}", e.kind()).contains("3a1c"));
        assert_eq!(
            Error::KeyTooShort { min: 33 }.kind(),
            ErrorKind::KeyTooShort
        );
        assert_eq!(Error::InProgress.kind(), ErrorKind::InProgress);
        assert_ne!(Error::NoAttempt.kind(), Error::InProgress.kind());
    }
}

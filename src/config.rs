//! Generator configuration: threshold, share lengths, token profile, safety options.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::KeyShare;
use crate::audit::AuditConfig;

/// Which token a ceremony mints. The state machine is one; only the last step differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// `/sys/generate-recovery-token`: the generator mints the recovery token itself.
    Recovery,
    /// `/sys/generate-root`: the host mints the root token.
    Root,
    /// `/sys/replication/dr/secondary/generate-operation-token`: the host mints the DR operation
    /// token.
    DrOperation,
}

/// The token format: prefixes and OTP length (SPEC section 6).
///
/// A token is `prefix` followed by 24 base62 characters; the OTP has the token's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenProfile {
    root_prefix: &'static str,
    recovery_prefix: &'static str,
}

impl TokenProfile {
    /// Vault 1.10 and later (the default): `hvs.` root tokens, `hvr.` recovery tokens, OTP
    /// length 28.
    pub const VAULT: Self = Self {
        root_prefix: "hvs.",
        recovery_prefix: "hvr.",
    };
    /// Vault 1.0 to 1.9, or Vault with server-side-consistent tokens disabled: `s.` / `r.`,
    /// OTP length 26.
    pub const LEGACY: Self = Self {
        root_prefix: "s.",
        recovery_prefix: "r.",
    };
    /// OpenBao 2.x: `s.` root tokens (OTP 26), `hvr.` recovery tokens (OTP 28).
    pub const OPENBAO: Self = Self {
        root_prefix: "s.",
        recovery_prefix: "hvr.",
    };

    /// Number of base62 characters after the prefix.
    pub const BODY_LEN: usize = 24;

    /// The prefix of tokens minted for `strategy` (DR operation tokens use the root prefix).
    #[must_use]
    pub fn prefix(&self, strategy: Strategy) -> &'static str {
        match strategy {
            Strategy::Recovery => self.recovery_prefix,
            Strategy::Root | Strategy::DrOperation => self.root_prefix,
        }
    }

    /// The OTP length (= token length) for `strategy`.
    #[must_use]
    pub fn otp_length(&self, strategy: Strategy) -> usize {
        self.prefix(strategy).len().saturating_add(Self::BODY_LEN)
    }
}

impl Default for TokenProfile {
    fn default() -> Self {
        Self::VAULT
    }
}

/// Whose texts the answers carry where Vault and OpenBao word an error differently (SPEC
/// section 12). The protocol, status codes and every other text are the same.
///
/// [`crate::Error`]'s `Display` is always Vault's; [`crate::Error::message`] and
/// [`crate::HttpResponse::error_in`] give a dialect's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// HashiCorp Vault's texts (the default), e.g. `OTP string is wrong length`.
    #[default]
    Vault,
    /// OpenBao 2.x's texts (observed with OpenBao 2.7.2), e.g. `OTP string has incorrect length`
    /// and `failed to decode JSON input: ...`.
    OpenBao,
}

/// A configuration the generator cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The threshold must be 1..=255.
    #[error("threshold must be between 1 and 255, got {0}")]
    Threshold(usize),
    /// The share length range is empty or allows zero-length shares.
    #[error("accepted share lengths must be a non-empty range of positive lengths")]
    ShareLengths,
    /// An attempt lifetime of zero would expire every attempt at once.
    #[error("attempt lifetime must be positive")]
    Lifetime,
}

/// How a [`crate::RecoveryTokenGenerator`] runs.
///
/// The defaults are Vault's behaviour; the safety options (SPEC section 10) are off unless noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    pub(crate) threshold: usize,
    pub(crate) share_lengths: RangeInclusive<usize>,
    pub(crate) profile: TokenProfile,
    pub(crate) attempt_lifetime: Option<Duration>,
    pub(crate) disclose_nonce_in_errors: bool,
    pub(crate) cancel_requires_nonce: bool,
    pub(crate) strict_share_sets: bool,
    pub(crate) audit: AuditConfig,
    pub(crate) dialect: Dialect,
}

impl GeneratorConfig {
    /// A configuration with the given threshold (the number of shares that recombine the key)
    /// and Vault's defaults otherwise.
    ///
    /// # Errors
    /// [`ConfigError::Threshold`] unless `1 <= threshold <= 255`.
    pub fn new(threshold: usize) -> Result<Self, ConfigError> {
        if !(1..=255).contains(&threshold) {
            return Err(ConfigError::Threshold(threshold));
        }
        Ok(Self {
            threshold,
            share_lengths: KeyShare::DEFAULT_LENGTHS,
            profile: TokenProfile::VAULT,
            attempt_lifetime: None,
            disclose_nonce_in_errors: true,
            cancel_requires_nonce: false,
            strict_share_sets: true,
            audit: AuditConfig::default(),
            dialect: Dialect::Vault,
        })
    }

    /// Accepted share lengths in bytes (default `16..=33`, Vault's).
    ///
    /// # Errors
    /// [`ConfigError::ShareLengths`] for an empty range or one that admits zero bytes.
    pub fn with_share_lengths(
        mut self,
        lengths: RangeInclusive<usize>,
    ) -> Result<Self, ConfigError> {
        if lengths.is_empty() || *lengths.start() == 0 {
            return Err(ConfigError::ShareLengths);
        }
        self.share_lengths = lengths;
        Ok(self)
    }

    /// The token profile (default [`TokenProfile::VAULT`]).
    #[must_use]
    pub fn with_profile(mut self, profile: TokenProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Beyond Vault: an attempt older than `lifetime` (by the host's clock) reports
    /// `started: false`, refuses updates with [`crate::Error::AttemptExpired`], and its shares are
    /// wiped. Default: no expiry, Vault's behaviour, where a forgotten (or deliberately squatted)
    /// attempt blocks every new one until someone cancels (SPEC section 10).
    ///
    /// Expiry is lazy and sans-IO: every mutating call runs
    /// [`crate::RecoveryTokenGenerator::handle_timeout`] with its `now` first, and hosts that want
    /// the shares wiped on time call it from a timer set to
    /// [`crate::RecoveryTokenGenerator::poll_timeout`]. An expired attempt is reported as an
    /// [`crate::AuditEventKind::Expired`] event.
    ///
    /// # Errors
    /// [`ConfigError::Lifetime`] for a zero lifetime.
    pub fn with_attempt_lifetime(mut self, lifetime: Duration) -> Result<Self, ConfigError> {
        if lifetime.is_zero() {
            return Err(ConfigError::Lifetime);
        }
        self.attempt_lifetime = Some(lifetime);
        Ok(self)
    }

    /// Whether the wrong-nonce error repeats the attempt's nonce, as Vault's does (default
    /// `true`, SPEC section 4 step 5). With `false` the error is
    /// [`crate::Error::WrongNonceUndisclosed`] (SPEC section 10: the disclosure is a weakness).
    /// The nonce is readable from the status anyway unless the host guards it.
    #[must_use]
    pub fn disclose_nonce_in_errors(mut self, disclose: bool) -> Self {
        self.disclose_nonce_in_errors = disclose;
        self
    }

    /// Beyond Vault: a cancel must name the attempt's nonce (default `false`, Vault's
    /// behaviour). Vault lets anyone cancel, so one unauthenticated caller can wipe everyone's
    /// progress (CVE-2026-5807, SPEC section 10).
    ///
    /// A missing or wrong nonce gets [`crate::Error::WrongNonceUndisclosed`] (never the
    /// disclosing text, whatever [`Self::disclose_nonce_in_errors`] says) and the attempt is kept;
    /// with nothing in progress a cancel still succeeds. Since Vault's status shows the nonce to
    /// anyone, this binds cancel to whoever may read the status: guard the status endpoint too to
    /// make the nonce a capability.
    #[must_use]
    pub fn cancel_requires_nonce(mut self, require: bool) -> Self {
        self.cancel_requires_nonce = require;
        self
    }

    /// Beyond Vault, on by default: refuse at once a share whose length differs from the shares
    /// already held ([`crate::Error::ShareLengthMismatch`]) or that repeats a held share's x
    /// coordinate with other bytes ([`crate::Error::ShareIndexConflict`]); progress is kept.
    /// Vault accepts both and later fails the combine, wiping everyone's progress. `false`
    /// restores Vault's behaviour.
    #[must_use]
    pub fn strict_share_sets(mut self, strict: bool) -> Self {
        self.strict_share_sets = strict;
        self
    }

    /// How audit events are recorded (default: on, a bounded queue, a random per-attempt key
    /// for share IDs). See [`crate::AuditEvent`].
    #[must_use]
    pub fn with_audit(mut self, audit: AuditConfig) -> Self {
        self.audit = audit;
        self
    }

    /// Whose error texts the host's answers carry (default [`Dialect::Vault`]). The generator
    /// behaves the same either way; hosts pass [`Self::dialect`] to
    /// [`crate::HttpResponse::error_in`] / [`crate::HttpResponse::from_result_in`].
    #[must_use]
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The dialect.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The audit configuration.
    #[must_use]
    pub fn audit(&self) -> &AuditConfig {
        &self.audit
    }

    /// The threshold.
    #[must_use]
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// The accepted share lengths.
    #[must_use]
    pub fn share_lengths(&self) -> &RangeInclusive<usize> {
        &self.share_lengths
    }

    /// The token profile.
    #[must_use]
    pub fn profile(&self) -> TokenProfile {
        self.profile
    }

    /// The attempt lifetime, if any.
    #[must_use]
    pub fn attempt_lifetime(&self) -> Option<Duration> {
        self.attempt_lifetime
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_defaults_to_vault_and_is_settable() {
        let config = GeneratorConfig::new(3).map(|c| c.dialect());
        assert_eq!(config, Ok(Dialect::Vault));
        assert_eq!(Dialect::default(), Dialect::Vault);
        let bao = GeneratorConfig::new(3).map(|c| c.with_dialect(Dialect::OpenBao).dialect());
        assert_eq!(bao, Ok(Dialect::OpenBao));
    }
}

//! Generator configuration: threshold, share lengths, token profile, safety options.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::audit::AuditConfig;
use crate::error::ConfigError;
use crate::shares::{KeyShare, ShareRegistry};
use crate::tokens::TokenProfile;
use crate::vocabulary::Dialect;

/// How a [`crate::RecoveryTokenGenerator`] runs. Made by [`GeneratorConfigBuilder::build`]
/// (or [`Self::new`] for Vault's defaults), so a configuration is always valid; every setting
/// reads back through the getter of its name.
///
/// The defaults are Vault's behaviour; the safety options (PROTOCOL.md section 10) are off unless
/// noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    pub(crate) threshold: usize,
    pub(crate) share_lengths: RangeInclusive<usize>,
    pub(crate) profile: TokenProfile,
    pub(crate) attempt_lifetime: Option<Duration>,
    pub(crate) disclose_nonce_in_errors: bool,
    pub(crate) cancel_requires_nonce: bool,
    pub(crate) key_length: Option<usize>,
    pub(crate) audit: AuditConfig,
    pub(crate) dialect: Dialect,
    pub(crate) share_registry: Option<ShareRegistry>,
    pub(crate) holders_only_start_cancel: bool,
    pub(crate) ttl_supported: bool,
}

impl GeneratorConfig {
    /// A configuration with the given threshold (the number of shares that recombine the key)
    /// and Vault's defaults otherwise: `GeneratorConfig::builder(threshold).build()`.
    ///
    /// # Errors
    /// [`ConfigError::Threshold`] unless `1 <= threshold <= 255`.
    pub fn new(threshold: usize) -> Result<Self, ConfigError> {
        Self::builder(threshold).build()
    }

    /// A builder with the given threshold and Vault's defaults; its `with_*` methods never fail,
    /// [`GeneratorConfigBuilder::build`] checks everything once.
    pub fn builder(threshold: usize) -> GeneratorConfigBuilder {
        GeneratorConfigBuilder {
            threshold,
            share_lengths: KeyShare::DEFAULT_LENGTHS,
            profile: TokenProfile::VAULT,
            attempt_lifetime: None,
            disclose_nonce_in_errors: true,
            cancel_requires_nonce: false,
            key_length: None,
            audit: AuditConfig::default(),
            dialect: Dialect::Vault,
            share_registry: None,
            holders_only_start_cancel: false,
            ttl_supported: false,
        }
    }

    /// The threshold: how many shares recombine the key.
    #[must_use]
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// The accepted share lengths in bytes (exactly `key_length + 1`, or `key_length` with
    /// threshold 1, when [`Self::key_length`] is set).
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

    /// Whether the wrong-nonce error repeats the attempt's nonce (Vault's behaviour, the default).
    #[must_use]
    pub fn disclose_nonce_in_errors(&self) -> bool {
        self.disclose_nonce_in_errors
    }

    /// Whether a cancel must name the attempt's nonce.
    #[must_use]
    pub fn cancel_requires_nonce(&self) -> bool {
        self.cancel_requires_nonce
    }

    /// The declared key length ([`GeneratorConfigBuilder::with_key_length`]), if any.
    #[must_use]
    pub fn key_length(&self) -> Option<usize> {
        self.key_length
    }

    /// The audit configuration.
    #[must_use]
    pub fn audit(&self) -> &AuditConfig {
        &self.audit
    }

    /// The dialect.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The share registry updates are checked against, if any
    /// ([`GeneratorConfigBuilder::with_share_registry`]).
    #[must_use]
    pub fn share_registry(&self) -> Option<&ShareRegistry> {
        self.share_registry.as_ref()
    }

    /// Whether a start and a cancel must present a registered share
    /// ([`GeneratorConfigBuilder::with_holders_only_start_cancel`]).
    #[must_use]
    pub fn holders_only_start_cancel(&self) -> bool {
        self.holders_only_start_cancel
    }

    /// Whether a start may carry a root token lifetime
    /// ([`GeneratorConfigBuilder::with_ttl_supported`]).
    #[must_use]
    pub fn ttl_supported(&self) -> bool {
        self.ttl_supported
    }
}

/// Builds a [`GeneratorConfig`]: from [`GeneratorConfig::builder`], infallible `with_*` setters
/// (a later call of the same setter wins), then one [`Self::build`] that validates everything.
///
/// # Examples
///
/// The safety options a deployment should set (PROTOCOL.md section 10), each readable back:
///
/// ```
/// use std::time::Duration;
///
/// use recovery_token::{ConfigError, Dialect, GeneratorConfig};
/// use recovery_token::tokens::TokenProfile;
///
/// let config = GeneratorConfig::builder(3)
///     .with_key_length(32) // shares of any other length are refused on their own merits
///     .with_attempt_lifetime(Duration::from_secs(3600)) // a forgotten attempt expires
///     .with_disclose_nonce_in_errors(false) // the wrong-nonce error keeps the nonce to itself
///     .with_cancel_requires_nonce(true) // a cancel must name the attempt's nonce
///     .with_profile(TokenProfile::OPENBAO)
///     .with_dialect(Dialect::OpenBao)
///     .build()?;
/// assert_eq!(config.threshold(), 3);
/// assert_eq!(config.key_length(), Some(32));
/// assert_eq!(config.share_lengths(), &(33..=33));
/// assert_eq!(config.attempt_lifetime(), Some(Duration::from_secs(3600)));
/// assert!(!config.disclose_nonce_in_errors() && config.cancel_requires_nonce());
///
/// // Validated once, in `build`: a zero lifetime or a key of 40 bytes is refused there.
/// let zero = GeneratorConfig::builder(3).with_attempt_lifetime(Duration::ZERO).build();
/// assert_eq!(zero, Err(ConfigError::Lifetime));
/// let long = GeneratorConfig::builder(3).with_key_length(40).build();
/// assert_eq!(long, Err(ConfigError::KeyLength(40)));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GeneratorConfigBuilder {
    threshold: usize,
    share_lengths: RangeInclusive<usize>,
    profile: TokenProfile,
    attempt_lifetime: Option<Duration>,
    disclose_nonce_in_errors: bool,
    cancel_requires_nonce: bool,
    key_length: Option<usize>,
    audit: AuditConfig,
    dialect: Dialect,
    share_registry: Option<ShareRegistry>,
    holders_only_start_cancel: bool,
    ttl_supported: bool,
}

impl GeneratorConfigBuilder {
    /// Only key holders may start or cancel: a start
    /// ([`crate::RecoveryTokenGenerator::start_request`]) and a cancel
    /// ([`crate::RecoveryTokenGenerator::cancel_request`]) must present one registered share in
    /// their `key` field, checked like an update's share (decoded, length-checked, looked up in
    /// the registry) and then wiped; without one they are refused
    /// ([`crate::Error::HolderKeyRequired`], [`crate::Error::UnknownShare`]) and nothing changes.
    /// [`crate::RecoveryTokenGenerator::start`] and [`crate::RecoveryTokenGenerator::cancel`],
    /// which take no share, are then always refused.
    ///
    /// Decision: the start's share is NOT counted as the first share. It proves that the caller
    /// holds a share, nothing more; the holder submits it again with the attempt's nonce.
    /// Counting it would make a start at threshold 1 a whole ceremony (the host's key check and
    /// mint inside a start), and would hold a share before its holder has seen the attempt's
    /// nonce and encoding.
    ///
    /// Needs a registry ([`Self::with_share_registry`]): [`Self::build`] refuses otherwise. Off
    /// by default: Vault's clients cannot send a share with a start or a cancel.
    pub fn with_holders_only_start_cancel(mut self, holders_only: bool) -> Self {
        self.holders_only_start_cancel = holders_only;
        self
    }

    /// Whether the host honours a root token lifetime: a start's `ttl` is stored with the attempt
    /// and handed to the mint step ([`crate::IssueHostToken::ttl`],
    /// [`crate::Host::mint_token_for`]). Default false: a start carrying `ttl` is refused with
    /// [`crate::Error::TtlUnsupported`] rather than the lifetime silently ignored.
    pub fn with_ttl_supported(mut self, supported: bool) -> Self {
        self.ttl_supported = supported;
        self
    }

    /// Recognise each submitted share on its own: with a registry (made when the key was split,
    /// [`KeyShare::split_with_registry`]), an update refuses at once, with
    /// [`crate::Error::UnknownShare`] and without touching the attempt or its progress, any share
    /// that is not one of the registered shares; in particular a share whose x coordinate is
    /// already held but whose bytes differ (it cannot be genuine: a registry has one share per
    /// x). Progress is then only cleared by a genuine, failed key check. Off by default: a key
    /// set split elsewhere (Vault's `operator init`) has no registry.
    pub fn with_share_registry(mut self, registry: ShareRegistry) -> Self {
        self.share_registry = Some(registry);
        self
    }

    /// Accepted share lengths in bytes (default `16..=33`, Vault's). Replaces an earlier
    /// [`Self::with_key_length`]. [`Self::build`] refuses an empty range or one that admits zero
    /// bytes ([`ConfigError::ShareLengths`]).
    pub fn with_share_lengths(mut self, lengths: RangeInclusive<usize>) -> Self {
        self.key_length = None;
        self.share_lengths = lengths;
        self
    }

    /// The token profile (default [`TokenProfile::VAULT`]).
    pub fn with_profile(mut self, profile: TokenProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Beyond Vault: an attempt older than `lifetime` (by the host's clock) reports
    /// `started: false`, refuses updates with [`crate::Error::AttemptExpired`], and its shares are
    /// wiped. Default: no expiry, Vault's behaviour, where a forgotten (or deliberately squatted)
    /// attempt blocks every new one until someone cancels (PROTOCOL.md section 10).
    ///
    /// Expiry is lazy and sans-IO: every mutating call runs
    /// [`crate::RecoveryTokenGenerator::handle_timeout`] with its `now` first, and hosts that want
    /// the shares wiped on time call it from a timer set to
    /// [`crate::RecoveryTokenGenerator::poll_timeout`]. An expired attempt is reported as an
    /// [`crate::audit::AuditEventKind::Expired`] event.
    ///
    /// [`Self::build`] refuses a zero lifetime ([`ConfigError::Lifetime`]).
    pub fn with_attempt_lifetime(mut self, lifetime: Duration) -> Self {
        self.attempt_lifetime = Some(lifetime);
        self
    }

    /// Whether the wrong-nonce error repeats the attempt's nonce, as Vault's does (default
    /// `true`, PROTOCOL.md section 4 step 5). With `false` the error is
    /// [`crate::Error::WrongNonceUndisclosed`] (PROTOCOL.md section 10: the disclosure is a
    /// weakness). The nonce is readable from the status anyway unless the host guards it.
    pub fn with_disclose_nonce_in_errors(mut self, disclose: bool) -> Self {
        self.disclose_nonce_in_errors = disclose;
        self
    }

    /// Beyond Vault: a cancel must name the attempt's nonce (default `false`, Vault's
    /// behaviour). Vault lets anyone cancel, so one unauthenticated caller can wipe everyone's
    /// progress (CVE-2026-5807, PROTOCOL.md section 10).
    ///
    /// A missing or wrong nonce gets [`crate::Error::WrongNonceUndisclosed`] (never the
    /// disclosing text, whatever [`Self::with_disclose_nonce_in_errors`] says) and the attempt is
    /// kept; with nothing in progress a cancel still succeeds. Since Vault's status shows the
    /// nonce to anyone, this binds cancel to whoever may read the status: guard the status
    /// endpoint too to make the nonce a capability.
    pub fn with_cancel_requires_nonce(mut self, require: bool) -> Self {
        self.cancel_requires_nonce = require;
        self
    }

    /// Beyond Vault: the length in bytes of the key the shares combine to (the host's barrier
    /// or recovery key, 16..=32), so that a share of any other length is refused on its own
    /// merits, in any order, with progress kept: the accepted share lengths become exactly
    /// `key_length + 1` (Shamir's x byte), or `key_length` with threshold 1 (the share is the
    /// key), and Vault's own texts apply (`invalid key: key is shorter than minimum 33 bytes`).
    /// Without it (the default, Vault's behaviour) any length in [`Self::with_share_lengths`] is
    /// held, and shares of mixed lengths fail the final combine, wiping everyone's progress.
    ///
    /// The accepted length is the same for every caller whatever the attempt holds, so the
    /// refusal tells nothing about other holders' shares (README, "Threat model"). A later
    /// [`Self::with_share_lengths`] replaces it. [`Self::build`] refuses a length outside
    /// `16..=32` ([`ConfigError::KeyLength`]).
    pub fn with_key_length(mut self, key_length: usize) -> Self {
        self.key_length = Some(key_length);
        self
    }

    /// How audit events are recorded (default: on, a bounded queue, a random per-attempt key
    /// for share IDs). See [`crate::audit::AuditEvent`].
    pub fn with_audit(mut self, audit: AuditConfig) -> Self {
        self.audit = audit;
        self
    }

    /// Whose error texts and router the host's answers carry (default [`Dialect::Vault`]). The
    /// generator behaves the same either way; the HTTP face ([`crate::http::Face`]) reads it
    /// from here, the one place it is kept.
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Checks every setting and makes the configuration.
    ///
    /// # Errors
    /// The first of, in this order: [`ConfigError::Threshold`] unless `1 <= threshold <= 255`;
    /// [`ConfigError::KeyLength`] for a key length outside `16..=32`;
    /// [`ConfigError::ShareLengths`] for an empty share length range or one that admits zero
    /// bytes; [`ConfigError::Lifetime`] for a zero attempt lifetime.
    pub fn build(self) -> Result<GeneratorConfig, ConfigError> {
        if !(1..=255).contains(&self.threshold) {
            return Err(ConfigError::Threshold(self.threshold));
        }
        let share_lengths = match self.key_length {
            Some(key_length) if !(16..=32).contains(&key_length) => {
                return Err(ConfigError::KeyLength(key_length));
            }
            Some(key_length) if self.threshold == 1 => key_length..=key_length,
            Some(key_length) => {
                let share = key_length.saturating_add(1);
                share..=share
            }
            None => self.share_lengths,
        };
        if share_lengths.is_empty() || *share_lengths.start() == 0 {
            return Err(ConfigError::ShareLengths);
        }
        if self.attempt_lifetime.is_some_and(|l| l.is_zero()) {
            return Err(ConfigError::Lifetime);
        }
        if self.holders_only_start_cancel && self.share_registry.is_none() {
            return Err(ConfigError::HoldersOnlyWithoutRegistry);
        }
        Ok(GeneratorConfig {
            threshold: self.threshold,
            share_lengths,
            profile: self.profile,
            attempt_lifetime: self.attempt_lifetime,
            disclose_nonce_in_errors: self.disclose_nonce_in_errors,
            cancel_requires_nonce: self.cancel_requires_nonce,
            key_length: self.key_length,
            audit: self.audit,
            dialect: self.dialect,
            share_registry: self.share_registry,
            holders_only_start_cancel: self.holders_only_start_cancel,
            ttl_supported: self.ttl_supported,
        })
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;
    use crate::shares::KeyShare;

    #[test]
    fn dialect_defaults_to_vault_and_is_settable() {
        let config = GeneratorConfig::new(3).map(|c| c.dialect());
        assert_eq!(config, Ok(Dialect::Vault));
        assert_eq!(Dialect::default(), Dialect::Vault);
        let bao = GeneratorConfig::builder(3)
            .with_dialect(Dialect::OpenBao)
            .build()
            .map(|c| c.dialect());
        assert_eq!(bao, Ok(Dialect::OpenBao));
    }

    #[test]
    fn the_nonce_registry_and_ttl_settings_read_back_with_their_defaults() {
        let d = GeneratorConfig::new(2).expect("a valid threshold");
        assert!(
            d.disclose_nonce_in_errors(),
            "Vault repeats the nonce by default"
        );
        assert!(!d.cancel_requires_nonce());
        assert!(d.share_registry().is_none());
        assert!(!d.holders_only_start_cancel());
        assert!(!d.ttl_supported());
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let (_, registry) =
            KeyShare::split_with_registry(&[7; 16], 2, 3, &mut rng).expect("a split");
        let c = GeneratorConfig::builder(2)
            .with_share_registry(registry.clone())
            .with_holders_only_start_cancel(true)
            .with_ttl_supported(true)
            .build()
            .expect("holders-only with a registry");
        assert_eq!(
            c.share_registry().map(ShareRegistry::to_text),
            Some(registry.to_text())
        );
        assert!(c.holders_only_start_cancel());
        assert!(c.ttl_supported());
    }

    #[test]
    fn every_setting_reads_back_and_build_validates_once() {
        let c = GeneratorConfig::builder(2)
            .with_profile(TokenProfile::OPENBAO)
            .with_attempt_lifetime(Duration::from_secs(5))
            .with_disclose_nonce_in_errors(false)
            .with_cancel_requires_nonce(true)
            .with_key_length(16)
            .with_audit(AuditConfig::disabled())
            .with_dialect(Dialect::OpenBao)
            .build();
        let c = c.as_ref().ok();
        assert_eq!(c.map(GeneratorConfig::threshold), Some(2));
        assert_eq!(c.map(GeneratorConfig::profile), Some(TokenProfile::OPENBAO));
        assert_eq!(
            c.and_then(GeneratorConfig::attempt_lifetime),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            c.map(GeneratorConfig::disclose_nonce_in_errors),
            Some(false)
        );
        assert_eq!(c.map(GeneratorConfig::cancel_requires_nonce), Some(true));
        assert_eq!(c.and_then(GeneratorConfig::key_length), Some(16));
        assert_eq!(c.map(GeneratorConfig::share_lengths), Some(&(17..=17)));
        assert_eq!(
            c.map(GeneratorConfig::audit),
            Some(&AuditConfig::disabled())
        );
        assert_eq!(c.map(GeneratorConfig::dialect), Some(Dialect::OpenBao));
        // The threshold is checked first, whatever else is wrong.
        let bad = GeneratorConfig::builder(0)
            .with_key_length(1)
            .with_attempt_lifetime(Duration::ZERO)
            .build();
        assert_eq!(bad, Err(ConfigError::Threshold(0)));
        let bad = GeneratorConfig::builder(3)
            .with_share_lengths(0..=33)
            .build();
        assert_eq!(bad, Err(ConfigError::ShareLengths));
    }
}

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

/// The server's state, as Vault checks it on start and update (after the inputs, before the
/// attempt slot). Set with [`crate::RecoveryTokenGenerator::set_server_state`].
///
/// # Examples
///
/// A sealed server refuses root generation (503) but serves recovery, as recovery mode does:
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{
///     Encoding, Error, GeneratorConfig, RecoveryTokenGenerator, ServerState, Strategy,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
/// generator.set_server_state(ServerState::Sealed);
///
/// let root = generator.start(Strategy::Root, Encoding::GenerateOtp, now, &mut rng);
/// let refused = root.unwrap_err();
/// assert_eq!((refused.to_string().as_str(), refused.http_status()), ("Vault is sealed", 503));
/// assert!(matches!(refused, Error::Sealed));
///
/// assert!(generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng).is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ServerState {
    /// Unsealed and active (the default): nothing is refused for the server's state.
    #[default]
    Unsealed,
    /// Sealed: root and DR operation starts and updates get `Vault is sealed` (HTTP 503). The
    /// recovery strategy is served in recovery mode, sealed by nature, and is not refused.
    Sealed,
    /// A standby node: root and DR operation starts and updates get `Vault is in standby mode`.
    Standby,
    /// No seal configuration: every update gets `Vault is not initialized`; a root or DR
    /// operation start gets `Vault is sealed` (an uninitialized Vault is sealed).
    NotInitialized,
}

/// The longest token prefix a [`TokenFormat`] holds, in bytes.
const MAX_PREFIX_LEN: usize = 16;

/// The shape of one kind of token, and so the OTP that encodes it (PROTOCOL.md section 6).
///
/// Three shapes cover the servers seen in the wild:
/// - [`TokenFormat::base62`]: a prefix and a number of base62 characters (every Vault since
///   0.11.2 and OpenBao: `hvs.` + 24, `s.` + 24, or 24 and no prefix). The OTP is base62 of the
///   token's length.
/// - [`TokenFormat::UUID`]: a 36-character lowercase UUID with the same XOR encoding and a
///   36-character base62 OTP (RustyVault's tokens).
/// - [`TokenFormat::LEGACY_UUID`]: Vault before 0.11.2: a UUID, an OTP of padded base64 of 16
///   bytes, `otp_length` 0 on the wire, and the XOR of the 16 bytes as padded base64.
///
/// The generator mints recovery tokens in this shape itself ([`Self::mint`]); root and DR
/// operation tokens come from the host, and must have [`Self::token_length`] characters.
/// A format is validated when it is made, so a [`TokenProfile`] built from formats is always
/// usable. Not secret.
///
/// # Examples
///
/// ```
/// use recovery_token::{ConfigError, TokenFormat};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let vault = TokenFormat::VAULT_ROOT;
/// assert_eq!((vault.prefix(), vault.body_len(), vault.token_length()), ("hvs.", 24, 28));
/// assert_eq!(vault.otp_length(), 28); // the OTP is as long as the token
///
/// let custom = TokenFormat::base62("b.", 30)?;
/// assert_eq!(custom.otp_length(), 32);
/// assert!(matches!(TokenFormat::base62("has space", 24), Err(ConfigError::TokenPrefix)));
/// assert!(TokenFormat::base62("hvs.", 8).is_err()); // shorter than MIN_BODY_LEN
///
/// assert_eq!(TokenFormat::UUID.otp_length(), 36);
/// assert_eq!(TokenFormat::LEGACY_UUID.otp_length(), 0); // Vault's legacy marker
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenFormat(Shape);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    /// `prefix[..prefix_len]` followed by `body_len` base62 characters.
    Base62 {
        prefix: [u8; MAX_PREFIX_LEN],
        prefix_len: u8,
        body_len: u8,
    },
    /// A lowercase hyphenated UUID, XOR-encoded with a 36-character base62 OTP.
    Uuid,
    /// A UUID with Vault's pre-0.11.2 encoding (OTP: padded base64 of 16 bytes).
    LegacyUuid,
}

impl TokenFormat {
    /// The fewest base62 characters after the prefix: 22 characters carry 130 bits, the least
    /// that keeps a minted token at 128 bits of entropy.
    pub const MIN_BODY_LEN: usize = 22;
    /// The longest token (prefix and body) a format describes, in characters.
    pub const MAX_TOKEN_LEN: usize = 255;

    /// Vault 1.10+ root and DR operation tokens: `hvs.` + 24 (OTP 28).
    pub const VAULT_ROOT: Self = Self::base62_const(b"hvs.");
    /// Vault 1.10+ (and OpenBao recovery mode) recovery tokens: `hvr.` + 24 (OTP 28).
    pub const VAULT_RECOVERY: Self = Self::base62_const(b"hvr.");
    /// Vault 1.0-1.9 and OpenBao 2.x root tokens: `s.` + 24 (OTP 26).
    pub const SERVICE_ROOT: Self = Self::base62_const(b"s.");
    /// Vault 1.0-1.9 recovery tokens: `r.` + 24 (OTP 26).
    pub const SERVICE_RECOVERY: Self = Self::base62_const(b"r.");
    /// A lowercase hyphenated UUID with the modern XOR encoding and a 36-character base62 OTP
    /// (RustyVault's tokens).
    pub const UUID: Self = Self(Shape::Uuid);
    /// Vault before 0.11.2: UUID tokens, OTPs of padded base64 of 16 random bytes, `otp_length`
    /// 0 in the status, the encoded token padded base64 ([`crate::encode_legacy_token`]).
    /// A caller's OTP must be padded base64 of 16 bytes, as Vault's legacy servers required
    /// (anything else: [`crate::Error::OtpWrongLength`]).
    pub const LEGACY_UUID: Self = Self(Shape::LegacyUuid);

    /// `prefix` + [`TokenProfile::BODY_LEN`] base62 characters, for the constants above (whose
    /// prefixes are short printable ASCII, so no check is needed). Only ever evaluated at compile
    /// time: the loop stops at `MAX_PREFIX_LEN`, so the index is in bounds.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    const fn base62_const(prefix: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_PREFIX_LEN];
        let mut rest = prefix;
        let mut i = 0;
        while let [first, tail @ ..] = rest {
            if i == MAX_PREFIX_LEN {
                break;
            }
            bytes[i] = *first;
            rest = tail;
            i += 1;
        }
        #[allow(clippy::cast_possible_truncation)] // i <= MAX_PREFIX_LEN, 24 < 256
        Self(Shape::Base62 {
            prefix: bytes,
            prefix_len: i as u8,
            body_len: TokenProfile::BODY_LEN as u8,
        })
    }

    /// Tokens of `prefix` followed by `body_len` base62 characters.
    ///
    /// # Errors
    /// [`ConfigError::TokenPrefix`] unless the prefix is at most 16 printable ASCII characters
    /// (no space or control character; punctuation is fine: `hvs.`, `s.`, `b.`);
    /// [`ConfigError::TokenLength`] unless `body_len >= MIN_BODY_LEN` and the whole token is at
    /// most [`Self::MAX_TOKEN_LEN`] characters.
    pub fn base62(prefix: &str, body_len: usize) -> Result<Self, ConfigError> {
        let p = prefix.as_bytes();
        if p.len() > MAX_PREFIX_LEN || !p.iter().all(u8::is_ascii_graphic) {
            return Err(ConfigError::TokenPrefix);
        }
        let total = p.len().saturating_add(body_len);
        if body_len < Self::MIN_BODY_LEN || total > Self::MAX_TOKEN_LEN {
            return Err(ConfigError::TokenLength(total));
        }
        let mut bytes = [0u8; MAX_PREFIX_LEN];
        if let Some(dst) = bytes.get_mut(..p.len()) {
            dst.copy_from_slice(p);
        }
        Ok(Self(Shape::Base62 {
            prefix: bytes,
            prefix_len: u8::try_from(p.len()).map_err(|_| ConfigError::TokenPrefix)?,
            body_len: u8::try_from(body_len).map_err(|_| ConfigError::TokenLength(total))?,
        }))
    }

    /// The prefix of the tokens (empty for UUID formats).
    #[must_use]
    pub fn prefix(&self) -> &str {
        match &self.0 {
            Shape::Base62 {
                prefix, prefix_len, ..
            } => prefix
                .get(..usize::from(*prefix_len))
                .and_then(|p| std::str::from_utf8(p).ok())
                .unwrap_or(""),
            Shape::Uuid | Shape::LegacyUuid => "",
        }
    }

    /// The number of base62 characters after the prefix (0 for UUID formats).
    #[must_use]
    pub fn body_len(&self) -> usize {
        match self.0 {
            Shape::Base62 { body_len, .. } => usize::from(body_len),
            Shape::Uuid | Shape::LegacyUuid => 0,
        }
    }

    /// The token's length in characters (36 for UUID formats).
    #[must_use]
    pub fn token_length(&self) -> usize {
        match self.0 {
            Shape::Base62 {
                prefix_len,
                body_len,
                ..
            } => usize::from(prefix_len).saturating_add(usize::from(body_len)),
            Shape::Uuid | Shape::LegacyUuid => uuid::fmt::Hyphenated::LENGTH,
        }
    }

    /// The `otp_length` the status reports and a caller's OTP must have: the token's length, or
    /// 0 for [`Self::LEGACY_UUID`] (Vault's legacy marker; its generated OTPs are 24 characters).
    #[must_use]
    pub fn otp_length(&self) -> usize {
        if self.is_legacy() {
            0
        } else {
            self.token_length()
        }
    }

    /// Whether this is Vault's pre-0.11.2 UUID scheme ([`Self::LEGACY_UUID`]).
    #[must_use]
    pub fn is_legacy(&self) -> bool {
        matches!(self.0, Shape::LegacyUuid)
    }

    /// Whether tokens are UUIDs ([`Self::UUID`] or [`Self::LEGACY_UUID`]).
    #[must_use]
    pub fn is_uuid(&self) -> bool {
        matches!(self.0, Shape::Uuid | Shape::LegacyUuid)
    }
}

impl std::fmt::Debug for TokenFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Shape::Base62 { .. } => f
                .debug_struct("TokenFormat::Base62")
                .field("prefix", &self.prefix())
                .field("body_len", &self.body_len())
                .finish(),
            Shape::Uuid => f.write_str("TokenFormat::UUID"),
            Shape::LegacyUuid => f.write_str("TokenFormat::LEGACY_UUID"),
        }
    }
}

/// The token formats of a server: one for root and DR operation tokens (which the host mints),
/// one for recovery tokens (which the generator mints). PROTOCOL.md section 6.
///
/// The three constants are the servers this crate is tested against; [`Self::new`] describes any
/// other (RustyVault's UUID tokens, a custom prefix). Not secret.
///
/// # Examples
///
/// ```
/// use recovery_token::{Strategy, TokenFormat, TokenProfile};
///
/// let openbao = TokenProfile::OPENBAO;
/// assert_eq!(openbao.prefix(Strategy::Root), "s.");
/// assert_eq!(openbao.otp_length(Strategy::Root), 26);
/// assert_eq!(openbao.otp_length(Strategy::Recovery), 28);
/// assert_eq!(TokenProfile::default(), TokenProfile::VAULT);
/// // DR operation tokens share the root format.
/// assert_eq!(TokenProfile::VAULT.format(Strategy::DrOperation), TokenFormat::VAULT_ROOT);
///
/// let rusty_vault = TokenProfile::new(TokenFormat::UUID, TokenFormat::UUID);
/// assert_eq!(rusty_vault.prefix(Strategy::Recovery), "");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenProfile {
    root: TokenFormat,
    recovery: TokenFormat,
}

impl TokenProfile {
    /// Vault 1.10 and later (the default): `hvs.` root tokens, `hvr.` recovery tokens, OTP
    /// length 28.
    pub const VAULT: Self = Self::new(TokenFormat::VAULT_ROOT, TokenFormat::VAULT_RECOVERY);
    /// Vault 1.0 to 1.9, or Vault with server-side-consistent tokens disabled: `s.` / `r.`,
    /// OTP length 26.
    pub const LEGACY: Self = Self::new(TokenFormat::SERVICE_ROOT, TokenFormat::SERVICE_RECOVERY);
    /// OpenBao 2.x: `s.` root tokens (OTP 26), `hvr.` recovery tokens (OTP 28).
    pub const OPENBAO: Self = Self::new(TokenFormat::SERVICE_ROOT, TokenFormat::VAULT_RECOVERY);

    /// Number of base62 characters after the prefix in the built-in profiles (Vault's).
    pub const BODY_LEN: usize = 24;

    /// A profile of two validated formats: `root` for root and DR operation tokens, `recovery`
    /// for recovery tokens. E.g. RustyVault's UUID tokens:
    /// `TokenProfile::new(TokenFormat::UUID, TokenFormat::UUID)`.
    #[must_use]
    pub const fn new(root: TokenFormat, recovery: TokenFormat) -> Self {
        Self { root, recovery }
    }

    /// The format of `strategy`'s tokens (DR operation tokens share the root format).
    #[must_use]
    pub fn format(&self, strategy: Strategy) -> TokenFormat {
        match strategy {
            Strategy::Recovery => self.recovery,
            Strategy::Root | Strategy::DrOperation => self.root,
        }
    }

    /// The prefix of tokens minted for `strategy` (empty for UUID formats).
    #[must_use]
    pub fn prefix(&self, strategy: Strategy) -> &str {
        match strategy {
            Strategy::Recovery => self.recovery.prefix(),
            Strategy::Root | Strategy::DrOperation => self.root.prefix(),
        }
    }

    /// The OTP length `strategy`'s status reports (= token length; 0 for the legacy UUID
    /// format).
    #[must_use]
    pub fn otp_length(&self, strategy: Strategy) -> usize {
        self.format(strategy).otp_length()
    }
}

impl Default for TokenProfile {
    fn default() -> Self {
        Self::VAULT
    }
}

/// Whose texts the answers carry where Vault and OpenBao word an error differently
/// (PROTOCOL.md section 12). The protocol, status codes and every other text are the same.
///
/// [`crate::Error`]'s `Display` is always Vault's; [`crate::Error::message`] and
/// [`crate::HttpResponse::error_in`] give a dialect's text.
///
/// # Examples
///
/// ```
/// use recovery_token::{Dialect, Error, HttpResponse};
///
/// let error = Error::OtpWrongLength;
/// assert_eq!(error.message(Dialect::Vault), "OTP string is wrong length");
/// assert_eq!(error.message(Dialect::OpenBao), "OTP string has incorrect length");
///
/// let answer = HttpResponse::error_in(&error, Dialect::OpenBao);
/// assert_eq!(answer.status(), 400); // the same status code in every dialect
/// assert!(answer.body().contains("has incorrect length"));
/// assert_eq!(Dialect::default(), Dialect::Vault);
/// ```
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
    /// A barrier key length outside Vault's 16..=32 bytes.
    #[error("key length must be between 16 and 32 bytes, got {0}")]
    KeyLength(usize),
    /// A token prefix must be at most 16 printable ASCII characters.
    #[error("token prefix must be at most 16 printable ASCII characters")]
    TokenPrefix,
    /// A token must have at least 22 base62 characters after its prefix (128 bits) and at most
    /// 255 characters in all; carries the asked total length.
    #[error(
        "token must have 22 or more base62 characters after its prefix and 255 at most in all, got {0}"
    )]
    TokenLength(usize),
}

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
/// use recovery_token::{ConfigError, Dialect, GeneratorConfig, TokenProfile};
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
}

impl GeneratorConfigBuilder {
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
    /// [`crate::AuditEventKind::Expired`] event.
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
    /// for share IDs). See [`crate::AuditEvent`].
    pub fn with_audit(mut self, audit: AuditConfig) -> Self {
        self.audit = audit;
        self
    }

    /// Whose error texts the host's answers carry (default [`Dialect::Vault`]). The generator
    /// behaves the same either way; hosts pass [`GeneratorConfig::dialect`] to
    /// [`crate::HttpResponse::error_in`] / [`crate::HttpResponse::from_result_in`].
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
        })
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
        let bao = GeneratorConfig::builder(3)
            .with_dialect(Dialect::OpenBao)
            .build()
            .map(|c| c.dialect());
        assert_eq!(bao, Ok(Dialect::OpenBao));
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

//! Token formats and profiles (PROTOCOL.md section 6): the shape of each strategy's token, and
//! so its OTP; minting a token of a format.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::ConfigError;
use crate::secret::Token;
use crate::tokens::codec::random_base62;
use crate::vocabulary::Strategy;

/// The longest token prefix a [`TokenFormat`] holds, in bytes.
const MAX_PREFIX_LEN: usize = 16;

/// The longest namespace id a [`TokenFormat`] carries, in bytes (OpenBao's are 6).
const MAX_NAMESPACE_ID_LEN: usize = 16;

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
/// use recovery_token::ConfigError;
/// use recovery_token::tokens::TokenFormat;
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
        /// A namespace's id after a `.` (OpenBao: `s.` + 24 + `.` + id); `namespace_len` 0:
        /// none.
        namespace: [u8; MAX_NAMESPACE_ID_LEN],
        namespace_len: u8,
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
    /// 0 in the status, the encoded token padded base64 ([`crate::tokens::encode_legacy_token`]).
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
            namespace: [0; MAX_NAMESPACE_ID_LEN],
            namespace_len: 0,
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
            namespace: [0; MAX_NAMESPACE_ID_LEN],
            namespace_len: 0,
        }))
    }

    /// The same format for tokens minted inside a namespace, as OpenBao mints them (observed
    /// on 2.7.2 with `bao namespace create`): the token ends with `.` and the namespace's id,
    /// `s.` + 24 base62 + `.` + `JouSNY`, so the OTP grows by the same length (33 for a
    /// 6-character id).
    ///
    /// # Errors
    /// [`ConfigError::TokenPrefix`] unless the id is 1 to 16 ASCII letters and digits, and
    /// the format is a base62 one; [`ConfigError::TokenLength`] if the token grows beyond
    /// [`Self::MAX_TOKEN_LEN`].
    ///
    /// # Examples
    ///
    /// ```
    /// use recovery_token::tokens::TokenFormat;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let ns1 = TokenFormat::SERVICE_ROOT.in_namespace("JouSNY")?;
    /// assert_eq!((ns1.token_length(), ns1.otp_length()), (33, 33));
    /// assert_eq!(ns1.namespace_id(), Some("JouSNY"));
    /// let token = ns1.mint(&mut rand::rng());
    /// assert!(token.expose_secret().starts_with("s.") && token.expose_secret().ends_with(".JouSNY"));
    /// assert!(TokenFormat::UUID.in_namespace("JouSNY").is_err());
    /// # Ok(()) }
    /// ```
    pub fn in_namespace(self, id: &str) -> Result<Self, ConfigError> {
        let Shape::Base62 {
            prefix,
            prefix_len,
            body_len,
            ..
        } = self.0
        else {
            return Err(ConfigError::TokenPrefix);
        };
        let b = id.as_bytes();
        if b.is_empty()
            || b.len() > MAX_NAMESPACE_ID_LEN
            || !b.iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(ConfigError::TokenPrefix);
        }
        let total = usize::from(prefix_len)
            .saturating_add(usize::from(body_len))
            .saturating_add(b.len())
            .saturating_add(1);
        if total > Self::MAX_TOKEN_LEN {
            return Err(ConfigError::TokenLength(total));
        }
        let mut namespace = [0u8; MAX_NAMESPACE_ID_LEN];
        if let Some(dst) = namespace.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        Ok(Self(Shape::Base62 {
            prefix,
            prefix_len,
            body_len,
            namespace,
            namespace_len: u8::try_from(b.len()).map_err(|_| ConfigError::TokenPrefix)?,
        }))
    }

    /// The namespace id the tokens end with ([`Self::in_namespace`]), if any.
    #[must_use]
    pub fn namespace_id(&self) -> Option<&str> {
        match &self.0 {
            Shape::Base62 {
                namespace,
                namespace_len,
                ..
            } if *namespace_len > 0 => namespace
                .get(..usize::from(*namespace_len))
                .and_then(|n| std::str::from_utf8(n).ok()),
            _ => None,
        }
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
                namespace_len,
                ..
            } => {
                let suffix = match namespace_len {
                    0 => 0,
                    n => usize::from(n).saturating_add(1),
                };
                usize::from(prefix_len)
                    .saturating_add(usize::from(body_len))
                    .saturating_add(suffix)
            }
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
                .field("namespace_id", &self.namespace_id())
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
/// use recovery_token::Strategy;
/// use recovery_token::tokens::{TokenFormat, TokenProfile};
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

impl TokenFormat {
    /// Mints a token of this format from the host's RNG: its prefix followed by its number of
    /// base62 characters (Vault's `base62.Random`), or, for the UUID formats, a random
    /// (version 4) lowercase UUID as Vault before 0.11.2 and RustyVault mint them. For a
    /// strategy's token: `profile.format(strategy).mint(rng)`.
    ///
    /// Secret: the result is a [`Token`], and every buffer it was built in is zeroized.
    ///
    /// # Examples
    ///
    /// ```
    /// use recovery_token::Strategy;
    /// use recovery_token::tokens::{BASE62_ALPHABET, TokenProfile};
    ///
    /// let format = TokenProfile::VAULT.format(Strategy::Root);
    /// let token = format.mint(&mut rand::rng());
    /// let text = token.expose_secret();
    /// assert_eq!(text.len(), TokenProfile::VAULT.otp_length(Strategy::Root));
    /// let body = text.strip_prefix("hvs.").unwrap_or_default();
    /// assert!(body.len() == 24 && body.bytes().all(|c| BASE62_ALPHABET.contains(&c)));
    /// ```
    #[must_use]
    pub fn mint<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Token {
        mint(*self, rng)
    }
}

fn mint<R: CryptoRng + ?Sized>(format: TokenFormat, rng: &mut R) -> Token {
    if format.is_uuid() {
        let mut bytes = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(&mut *bytes);
        let mut text = Zeroizing::new([0u8; uuid::fmt::Hyphenated::LENGTH]);
        let s = uuid::Builder::from_random_bytes(*bytes)
            .into_uuid()
            .hyphenated()
            .encode_lower(&mut *text);
        return Token::new((*s).to_owned());
    }
    let body = random_base62(format.body_len(), rng);
    let mut s = String::with_capacity(format.token_length());
    s.push_str(format.prefix());
    s.push_str(&body);
    if let Some(id) = format.namespace_id() {
        s.push('.');
        s.push_str(id);
    }
    Token::new(s)
}

//! Token minting and the recovery token holder (PROTOCOL.md section 9).

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::Token;
use crate::codec::random_base62;
use crate::config::TokenFormat;

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
    /// use recovery_token::{BASE62_ALPHABET, Strategy, TokenProfile};
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
    Token::new(s)
}

/// The recovery token minted by a completed recovery ceremony, held in memory only.
///
/// Hosts authenticate recovery-mode requests (Vault guards `sys/raw` with it) through
/// [`RecoveryTokenHolder::verify`], a constant-time comparison (a non-constant-time comparison
/// was a 2026 OpenBao advisory). The token is zeroized when revoked or dropped and never printed.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{
///     Encoding, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy, UpdateRequest,
///     decode_token,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut rng, now) = (rand::rng(), Instant::now());
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(1)?);
/// assert!(!generator.recovery_token().verify("")); // nothing minted yet
/// let started = generator.start(Strategy::Recovery, Encoding::GenerateOtp, now, &mut rng)?;
/// let update = UpdateRequest::new("07".repeat(16).into(), started.nonce.clone());
/// let mut host = ExpectedKey::new(&[7; 16]);
/// let done = generator.update(Strategy::Recovery, &update, now, &mut host, &mut rng)?;
/// let token = decode_token(&done.encoded_token, started.otp.expose_secret(), 28)?;
///
/// // The host guards recovery-mode requests (`sys/raw`) with it.
/// assert!(generator.recovery_token().verify(token.expose_secret()));
/// assert!(!generator.recovery_token().verify("hvr.ABCDEFGHIJKLMNOPQRSTUVWX"));
/// generator.recovery_token_mut().revoke();
/// assert!(!generator.recovery_token().verify(token.expose_secret()));
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct RecoveryTokenHolder {
    token: Option<Token>,
}

impl RecoveryTokenHolder {
    pub(crate) fn set(&mut self, token: Token) {
        self.token = Some(token);
    }

    /// Whether a presented token is the recovery token, in constant time with respect to the
    /// token's contents. Always false once revoked (or before one is minted).
    #[must_use]
    pub fn verify(&self, presented: &str) -> bool {
        self.token.as_ref().is_some_and(|t| t.ct_eq_str(presented))
    }

    /// Whether a recovery token is currently valid.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.token.is_some()
    }

    /// Revokes (and zeroizes) the recovery token. Recovery generation stays closed: Vault mints
    /// at most one recovery token per run.
    pub fn revoke(&mut self) {
        self.token = None;
    }
}

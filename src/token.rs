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

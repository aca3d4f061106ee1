//! Token minting and the recovery token holder (SPEC section 9).

use rand_core::CryptoRng;

use crate::Token;
use crate::config::{Strategy, TokenProfile};
use crate::otp::random_base62;

/// Mints a token of `profile` for `strategy`: its prefix followed by 24 base62 characters drawn
/// from the host's RNG (Vault's `base62.Random`).
pub fn mint_token<R: CryptoRng + ?Sized>(
    profile: TokenProfile,
    strategy: Strategy,
    rng: &mut R,
) -> Token {
    let body = random_base62(TokenProfile::BODY_LEN, rng);
    let mut s = String::with_capacity(profile.otp_length(strategy));
    s.push_str(profile.prefix(strategy));
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

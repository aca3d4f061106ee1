//! The recovery token holder (PROTOCOL.md section 9).

use crate::secret::Token;

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
/// use recovery_token::{Encoding, ExpectedKey, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// use recovery_token::tokens::decode_token;
/// use recovery_token::wire::UpdateRequest;
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

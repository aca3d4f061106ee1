//! Words every layer uses: which token a ceremony mints, the server's state, whose texts the
//! answers carry. At the bottom of the module graph, so that the layers above never import
//! each other for them.

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

/// Whose texts the answers carry where Vault and OpenBao word an error differently
/// (PROTOCOL.md section 12). The protocol, status codes and every other text are the same.
///
/// [`crate::Error`]'s `Display` is always Vault's; [`crate::Error::message`] and
/// [`crate::http::Answer::error`] give a dialect's text; the HTTP face ([`crate::http::Face`])
/// takes the dialect from the configuration, and with it the router (OpenBao's or Vault's).
///
/// # Examples
///
/// ```
/// use recovery_token::http::Answer;
/// use recovery_token::{Dialect, Error};
///
/// let error = Error::OtpWrongLength;
/// assert_eq!(error.message(Dialect::Vault), "OTP string is wrong length");
/// assert_eq!(error.message(Dialect::OpenBao), "OTP string has incorrect length");
///
/// let answer = Answer::error(&error, Dialect::OpenBao);
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

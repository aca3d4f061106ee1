//! The crate's error type, its Vault texts and HTTP status codes.

use std::fmt;

/// Why Shamir combination of the submitted shares failed.
///
/// The variants and their texts are Vault's `shamir.Combine` errors, in Vault's check order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CombineError {
    /// Fewer than two shares were given.
    TooFewParts,
    /// A share is shorter than two bytes (one y byte and the x byte).
    PartTooShort,
    /// The shares differ in length.
    LengthMismatch,
    /// Two shares carry the same x coordinate.
    DuplicatePart,
}

impl fmt::Display for CombineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooFewParts => "less than two parts cannot be used to reconstruct the secret",
            Self::PartTooShort => "parts must be at least two bytes",
            Self::LengthMismatch => "all parts must be the same length",
            Self::DuplicatePart => "duplicate part detected",
        })
    }
}

impl std::error::Error for CombineError {}

/// Everything that can go wrong in a generation ceremony.
///
/// `Display` gives Vault's exact text where Vault has one (clients such as hvac match on some of
/// them); [`Error::http_status`] gives the status code Vault answers with. No variant carries
/// secret bytes: shares, keys, OTPs and tokens never appear in an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- request layer -----
    /// An update request had an empty body (Vault answers Go's `EOF`).
    #[error("EOF")]
    EmptyBody,
    /// The request body is not JSON of the expected shape. The reason is Go's `encoding/json`
    /// text as the real server gives it (without the `failed to parse JSON input: ` prefix, so
    /// that either server's prefix can be applied), e.g.
    /// `invalid character 'o' in literal null (expecting 'u')`.
    #[error("failed to parse JSON input: {reason}")]
    InvalidBody {
        /// Go's text. It quotes input only where Go's text does (one character, a field name
        /// that matched, an invalid escape outside secret fields, a number beyond float64's
        /// range), never a secret beyond one character.
        reason: String,
    },
    /// An update request had no `key`, or an empty one.
    #[error("'key' must be specified in request body as JSON")]
    MissingKey,
    /// The `key` is neither hex of an accepted length nor standard padded base64.
    #[error("'key' must be a valid hex or base64 string")]
    InvalidKeyEncoding,
    /// The decoded share is shorter than the shortest accepted share.
    #[error("invalid key: key is shorter than minimum {min} bytes")]
    KeyTooShort {
        /// The minimum accepted share length in bytes.
        min: usize,
    },
    /// The decoded share is longer than the longest accepted share.
    #[error("invalid key: key is longer than maximum {max} bytes")]
    KeyTooLong {
        /// The maximum accepted share length in bytes.
        max: usize,
    },

    // ----- start inputs -----
    /// A caller-supplied OTP does not have the configured length.
    #[error("OTP string is wrong length")]
    OtpWrongLength,
    /// The `pgp_key` could not be decoded or parsed.
    #[error("error parsing PGP key: {reason}")]
    PgpKeyParse {
        /// The parser's reason.
        reason: String,
    },
    /// The `pgp_key` did not yield exactly one primary key.
    #[error("could not acquire PGP key entity")]
    PgpKeyEntity,
    /// Beyond Vault: the PGP key parsed but cannot receive an encrypted token (no
    /// encryption-capable, unexpired, unrevoked key). Vault and OpenBao accept such a key and fail
    /// (or panic) at completion; this crate refuses it at start.
    #[error("PGP key cannot be used for encryption: {reason}")]
    PgpKeyUnusable {
        /// Why no usable encryption key was found.
        reason: String,
    },
    /// A `pgp_key` was given but the crate was built without its `pgp` feature.
    #[error("PGP encoding is not supported by this server")]
    PgpUnsupported,

    // ----- server state (hosts may return these from their own checks) -----
    /// The server is sealed (HTTP 503).
    #[error("Vault is sealed")]
    Sealed,
    /// The server is a standby node.
    #[error("Vault is in standby mode")]
    Standby,
    /// The server has no seal configuration.
    #[error("Vault is not initialized")]
    NotInitialized,
    /// A recovery token was already minted in this run; recovery generation is closed.
    #[error("attempt to generate recovery token when already unsealed")]
    AlreadyUnsealed,

    // ----- attempt state -----
    /// `start` while an attempt (of any strategy) exists.
    #[error("root generation already in progress")]
    InProgress,
    /// `update` with no attempt in progress.
    #[error("no root generation in progress")]
    NoAttempt,
    /// `update` (or a nonce-bound `cancel`) named another nonce. Vault's text discloses the
    /// attempt's nonce; see [`crate::GeneratorConfig::disclose_nonce_in_errors`].
    #[error("incorrect nonce supplied; nonce for this root generation operation is \"{nonce}\"")]
    WrongNonce {
        /// The attempt's nonce (public: also shown by the status).
        nonce: String,
    },
    /// Like [`Error::WrongNonce`], without disclosing the attempt's nonce.
    #[error("incorrect nonce supplied")]
    WrongNonceUndisclosed,
    /// `update` on one strategy's endpoint while the attempt belongs to another.
    #[error(
        "incorrect strategy supplied; a generate root operation of another type is already in progress"
    )]
    WrongStrategy,
    /// The share is byte-equal to one already held.
    #[error("given key has already been provided during this generation operation")]
    DuplicateShare,
    /// Beyond Vault: the share's length differs from the shares already held, so it cannot come
    /// from the same key set. Vault accepts it and fails at the final combine, wiping all progress.
    #[error(
        "invalid key: key is {got} bytes but the keys already provided are {expected} bytes; it belongs to another key set"
    )]
    ShareLengthMismatch {
        /// The length of the shares already held.
        expected: usize,
        /// The length of the refused share.
        got: usize,
    },
    /// Beyond Vault: the share repeats the x coordinate of a share already held but differs from
    /// it, so the two cannot come from the same key set. Vault fails at the final combine with
    /// `duplicate part detected`, wiping all progress.
    #[error(
        "invalid key: a key with the same share index but different contents has already been provided; it belongs to another key set"
    )]
    ShareIndexConflict,
    /// Beyond Vault: the attempt outlived the configured lifetime; its shares were wiped.
    #[error("root generation attempt expired; start a new one")]
    AttemptExpired,
    /// The completion handed to [`crate::RecoveryTokenGenerator::finish`] belongs to an attempt
    /// that no longer exists (it was cancelled, expired or completed meanwhile).
    #[error("root generation attempt was cancelled or replaced before completion")]
    StaleCompletion,

    // ----- completion -----
    /// Shamir combination failed (progress was cleared).
    #[error("failed to compute root key: {0}")]
    Combine(CombineError),
    /// The host's check of the combined key failed (progress was cleared; the attempt stays).
    #[error("root generation aborted: {reason}")]
    KeyCheckFailed {
        /// The host's reason.
        reason: String,
    },
    /// The host could not mint the root or DR token.
    #[error("unable to create token: {reason}")]
    TokenMint {
        /// The host's reason.
        reason: String,
    },
    /// The minted token's length differs from the OTP's (the host minted a token of the wrong
    /// profile).
    #[error("xor of root token failed: length of byte slices is not equivalent: {otp} != {token}")]
    XorLength {
        /// OTP length in bytes.
        otp: usize,
        /// Token length in bytes.
        token: usize,
    },
    /// Encrypting the token to the PGP key failed.
    #[error("error encrypting new token to the PGP key: {reason}")]
    PgpEncrypt {
        /// The encryptor's reason.
        reason: String,
    },
}

impl Error {
    /// The HTTP status Vault answers this error with: 503 for anything containing
    /// `Vault is sealed`, 400 for everything else the protocol refuses.
    ///
    /// (Vault answers 500 only for failures of the server itself, which this crate cannot have:
    /// its status read, OTP generation and cancel do not fail.)
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Sealed => 503,
            _ => 400,
        }
    }

    /// Whether this failure cleared the attempt's progress (SPEC: a failed combine, a failed key
    /// check, a failed mint or encoding). The attempt itself and its nonce are kept.
    #[must_use]
    pub fn cleared_progress(&self) -> bool {
        matches!(
            self,
            Self::Combine(_)
                | Self::KeyCheckFailed { .. }
                | Self::TokenMint { .. }
                | Self::XorLength { .. }
                | Self::PgpEncrypt { .. }
        )
    }

    /// The JSON error body Vault sends: `{"errors":["<message>"]}`.
    #[must_use]
    pub fn to_body(&self) -> crate::ErrorBody {
        crate::ErrorBody {
            errors: vec![self.to_string()],
        }
    }
}

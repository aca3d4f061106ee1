//! The crate's error type, its Vault texts and HTTP status codes.

use crate::pgp::PgpKeyLimit;
use crate::shares::CombineError;
use crate::vocabulary::Dialect;

/// Everything that can go wrong in a generation ceremony.
///
/// `Display` gives Vault's exact text where Vault has one (clients such as hvac match on some of
/// them); [`Error::http_status`] gives the status code Vault answers with. No variant carries
/// secret bytes: shares, keys, OTPs and tokens never appear in an error.
///
/// # Examples
///
/// ```
/// use recovery_token::{Dialect, Error};
///
/// let error = Error::InProgress;
/// assert_eq!(error.to_string(), "root generation already in progress");
/// assert_eq!(error.http_status(), 400);
/// assert_eq!(error.to_body().to_json(), r#"{"errors":["root generation already in progress"]}"#);
/// assert_eq!(
///     error.message(Dialect::OpenBao),
///     "root generation already in progress for this namespace"
/// );
/// assert_eq!(Error::Sealed.http_status(), 503);
///
/// // The failures that wipe the shares (the attempt stays).
/// let refused = Error::KeyCheckFailed { reason: "wrong key".into() };
/// assert!(refused.cleared_progress() && !error.cleared_progress());
/// ```
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
    /// Beyond Vault: the `pgp_key` text is longer than the crate accepts (`PgpRecipient::MAX_KEY_LEN`
    /// with feature `pgp`), refused before any decoding or parsing. A real public key is a few
    /// KB; Vault parses any size.
    #[error("error parsing PGP key: the key is longer than {max} characters")]
    PgpKeyTooLarge {
        /// The longest accepted `pgp_key`, in bytes of text.
        max: usize,
    },
    /// Beyond Vault: the `pgp_key` holds more packets, signatures, user IDs or subkeys than the
    /// crate accepts, a longer user ID, or needs more signature checks and trial encryptions
    /// than it spends on one key. These bounds keep the parse of any input to a few
    /// milliseconds.
    #[error("error parsing PGP key: over this server's limit of {max} {limit}")]
    PgpKeyTooComplex {
        /// Which bound was exceeded.
        limit: PgpKeyLimit,
        /// Its value.
        max: usize,
    },
    /// The `pgp_key` yielded no key fingerprint (Vault's text; this crate's parser reports every
    /// such case as [`Error::PgpKeyParse`], so it is produced only by hosts).
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

    // ----- server state (see `RecoveryTokenGenerator::set_server_state`) -----
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
    /// The share is not in the generator's share registry
    /// ([`crate::GeneratorConfigBuilder::with_share_registry`]): refused at once, the attempt and
    /// its progress untouched. The verdict depends only on the share and the registry, never on
    /// the shares held. (Not Vault's: Vault has no registry.)
    #[error("given key is not one of this key set's shares")]
    UnknownShare,
    /// The generator requires a key holder's share to start or cancel
    /// ([`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`]) and the request
    /// carried none (its `key` field). Nothing changed.
    #[error("a key holder's share is required in the request's 'key' field")]
    HolderKeyRequired,
    /// A start asked for a root token lifetime (`ttl`) and this server does not support one
    /// ([`crate::GeneratorConfigBuilder::with_ttl_supported`]). Nothing changed.
    #[error("this server does not support a root token lifetime ('ttl')")]
    TtlUnsupported,
    /// The start's `ttl` is not a positive Go duration (`1h30m`, `90s`). Nothing changed.
    #[error("invalid ttl: {reason}")]
    InvalidTtl {
        /// Go's `time.ParseDuration` text, or why the duration is refused (not positive).
        reason: String,
    },
    /// Beyond Vault: the threshold was reached and the host is checking the combined key (a
    /// [`crate::PendingCompletion`] is outstanding); no share is taken until it answers. Vault
    /// holds its lock through the last step, so a concurrent update waits and then sees the
    /// outcome; a sans-IO generator refuses instead of waiting. Retry after the completion:
    /// progress is 0 if it failed, the attempt is gone if it succeeded.
    #[error("root generation is completing; try again when it has finished")]
    CompletionPending,
    /// Beyond Vault: the attempt outlived the configured lifetime; its shares were wiped.
    #[error("root generation attempt expired; start a new one")]
    AttemptExpired,
    /// A step of a [`crate::PendingCompletion`] belongs to an attempt that no longer exists (it
    /// was cancelled, expired or completed meanwhile).
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

    /// Whether this failure cleared the attempt's progress (PROTOCOL.md section 2: a failed
    /// combine, a failed key check, a failed mint or encoding). The attempt itself and its nonce
    /// are kept.
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
    pub fn to_body(&self) -> crate::wire::ErrorBody {
        crate::wire::ErrorBody {
            errors: vec![self.to_string()],
        }
    }

    /// The text `dialect`'s server answers with. [`Dialect::Vault`] gives `Display`'s text;
    /// [`Dialect::OpenBao`] gives OpenBao 2.7's words where they differ (PROTOCOL.md section 12):
    ///
    /// | error | OpenBao |
    /// |---|---|
    /// | [`Error::OtpWrongLength`] | `OTP string has incorrect length` |
    /// | [`Error::InProgress`] | `root generation already in progress for this namespace` |
    /// | [`Error::AlreadyUnsealed`] | `attempted to generate recovery operation token when already unsealed` |
    /// | [`Error::InvalidBody`] | `failed to decode JSON input: <reason>` |
    /// | [`Error::EmptyBody`] | `'key' must be specified in request body as JSON` |
    ///
    /// Like `Display`, the text never holds secret bytes.
    #[must_use]
    pub fn message(&self, dialect: Dialect) -> String {
        match dialect {
            Dialect::OpenBao => match self {
                Self::OtpWrongLength => "OTP string has incorrect length".to_owned(),
                Self::InProgress => {
                    "root generation already in progress for this namespace".to_owned()
                }
                Self::AlreadyUnsealed => {
                    "attempted to generate recovery operation token when already unsealed"
                        .to_owned()
                }
                Self::InvalidBody { reason } => format!("failed to decode JSON input: {reason}"),
                // OpenBao checks the decoded request's key, so an empty body reads as a missing
                // key rather than Go's `EOF`.
                Self::EmptyBody => Self::MissingKey.to_string(),
                other => other.to_string(),
            },
            Dialect::Vault => self.to_string(),
        }
    }

    /// [`Error::to_body`] with `dialect`'s text ([`Error::message`]).
    #[must_use]
    pub fn to_body_in(&self, dialect: Dialect) -> crate::wire::ErrorBody {
        crate::wire::ErrorBody {
            errors: vec![self.message(dialect)],
        }
    }
}

/// Which [`Error`] an event reports, without the error's text (which may carry a host's reason
/// or, for [`Error::WrongNonce`], the nonce). One variant per [`Error`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(
    missing_docs,
    reason = "each variant is the Error variant of the same name"
)]
pub enum ErrorKind {
    EmptyBody,
    InvalidBody,
    MissingKey,
    InvalidKeyEncoding,
    KeyTooShort,
    KeyTooLong,
    OtpWrongLength,
    PgpKeyParse,
    PgpKeyTooLarge,
    PgpKeyTooComplex,
    PgpKeyEntity,
    PgpKeyUnusable,
    PgpUnsupported,
    Sealed,
    Standby,
    NotInitialized,
    AlreadyUnsealed,
    InProgress,
    NoAttempt,
    WrongNonce,
    WrongNonceUndisclosed,
    WrongStrategy,
    DuplicateShare,
    UnknownShare,
    HolderKeyRequired,
    TtlUnsupported,
    InvalidTtl,
    CompletionPending,
    AttemptExpired,
    StaleCompletion,
    Combine,
    KeyCheckFailed,
    TokenMint,
    XorLength,
    PgpEncrypt,
}

impl Error {
    /// Which error this is, without its text (which may carry a host's reason or the nonce): what
    /// audit events report, and a `Copy` value for metrics and logs.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::EmptyBody => ErrorKind::EmptyBody,
            Self::InvalidBody { .. } => ErrorKind::InvalidBody,
            Self::MissingKey => ErrorKind::MissingKey,
            Self::InvalidKeyEncoding => ErrorKind::InvalidKeyEncoding,
            Self::KeyTooShort { .. } => ErrorKind::KeyTooShort,
            Self::KeyTooLong { .. } => ErrorKind::KeyTooLong,
            Self::OtpWrongLength => ErrorKind::OtpWrongLength,
            Self::PgpKeyParse { .. } => ErrorKind::PgpKeyParse,
            Self::PgpKeyTooLarge { .. } => ErrorKind::PgpKeyTooLarge,
            Self::PgpKeyTooComplex { .. } => ErrorKind::PgpKeyTooComplex,
            Self::PgpKeyEntity => ErrorKind::PgpKeyEntity,
            Self::PgpKeyUnusable { .. } => ErrorKind::PgpKeyUnusable,
            Self::PgpUnsupported => ErrorKind::PgpUnsupported,
            Self::Sealed => ErrorKind::Sealed,
            Self::Standby => ErrorKind::Standby,
            Self::NotInitialized => ErrorKind::NotInitialized,
            Self::AlreadyUnsealed => ErrorKind::AlreadyUnsealed,
            Self::InProgress => ErrorKind::InProgress,
            Self::NoAttempt => ErrorKind::NoAttempt,
            Self::WrongNonce { .. } => ErrorKind::WrongNonce,
            Self::WrongNonceUndisclosed => ErrorKind::WrongNonceUndisclosed,
            Self::WrongStrategy => ErrorKind::WrongStrategy,
            Self::DuplicateShare => ErrorKind::DuplicateShare,
            Self::UnknownShare => ErrorKind::UnknownShare,
            Self::HolderKeyRequired => ErrorKind::HolderKeyRequired,
            Self::TtlUnsupported => ErrorKind::TtlUnsupported,
            Self::InvalidTtl { .. } => ErrorKind::InvalidTtl,
            Self::CompletionPending => ErrorKind::CompletionPending,
            Self::AttemptExpired => ErrorKind::AttemptExpired,
            Self::StaleCompletion => ErrorKind::StaleCompletion,
            Self::Combine(_) => ErrorKind::Combine,
            Self::KeyCheckFailed { .. } => ErrorKind::KeyCheckFailed,
            Self::TokenMint { .. } => ErrorKind::TokenMint,
            Self::XorLength { .. } => ErrorKind::XorLength,
            Self::PgpEncrypt { .. } => ErrorKind::PgpEncrypt,
        }
    }
}

impl From<&Error> for ErrorKind {
    fn from(error: &Error) -> Self {
        error.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(e: &Error) -> (String, String) {
        (e.message(Dialect::Vault), e.message(Dialect::OpenBao))
    }

    #[test]
    fn otp_length_text_per_dialect() {
        let (vault, bao) = both(&Error::OtpWrongLength);
        assert_eq!(vault, "OTP string is wrong length");
        assert_eq!(bao, "OTP string has incorrect length");
    }

    #[test]
    fn in_progress_text_per_dialect() {
        let (vault, bao) = both(&Error::InProgress);
        assert_eq!(vault, "root generation already in progress");
        assert_eq!(
            bao,
            "root generation already in progress for this namespace"
        );
    }

    #[test]
    fn already_unsealed_text_per_dialect() {
        let (vault, bao) = both(&Error::AlreadyUnsealed);
        assert_eq!(
            vault,
            "attempt to generate recovery token when already unsealed"
        );
        assert_eq!(
            bao,
            "attempted to generate recovery operation token when already unsealed"
        );
    }

    #[test]
    fn json_prefix_per_dialect_and_reason_kept_bare() {
        let e = Error::InvalidBody {
            reason: "unexpected EOF".to_owned(),
        };
        let (vault, bao) = both(&e);
        assert_eq!(vault, "failed to parse JSON input: unexpected EOF");
        assert_eq!(bao, "failed to decode JSON input: unexpected EOF");
        assert!(matches!(e, Error::InvalidBody { reason } if reason == "unexpected EOF"));
    }

    #[test]
    fn empty_update_body_text_per_dialect() {
        let (vault, bao) = both(&Error::EmptyBody);
        assert_eq!(vault, "EOF");
        assert_eq!(bao, "'key' must be specified in request body as JSON");
    }

    #[test]
    fn shared_texts_are_the_same_in_both_dialects() {
        let nonce = "8e3b2d4c-0000-1111-2222-333344445555".to_owned();
        for e in [
            Error::MissingKey,
            Error::InvalidKeyEncoding,
            Error::KeyTooShort { min: 16 },
            Error::KeyTooLong { max: 33 },
            Error::NoAttempt,
            Error::WrongNonce { nonce },
            Error::DuplicateShare,
            Error::Combine(CombineError::LengthMismatch),
            Error::Sealed,
        ] {
            let (vault, bao) = both(&e);
            assert_eq!(vault, e.to_string());
            assert_eq!(bao, vault, "{e:?}");
        }
    }

    #[test]
    fn display_stays_vaults() {
        assert_eq!(
            Error::OtpWrongLength.to_string(),
            "OTP string is wrong length"
        );
        assert_eq!(
            Error::InProgress.to_body_in(Dialect::OpenBao).errors,
            vec!["root generation already in progress for this namespace".to_owned()]
        );
        assert_eq!(
            Error::InProgress.to_body_in(Dialect::Vault),
            Error::InProgress.to_body()
        );
    }
}

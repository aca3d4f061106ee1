//! The crate's error types: [`Error`] (a ceremony's failures) and [`ConfigError`] (a
//! configuration's). Each of [`Error`]'s variants is one row of the table below: its docs, its
//! HTTP status, Vault's text, OpenBao's text (`vault` where the two servers agree) and whether the
//! failure clears the attempt's progress. `Display`, [`Error::message`], [`Error::http_status`],
//! [`Error::cleared_progress`], [`ErrorKind`] and [`Error::kind`] all follow from that one
//! declaration.

use std::fmt;

use crate::pgp::{PgpError, PgpKeyLimit};
use crate::shares::{CombineError, ShareError};
use crate::vocabulary::Dialect;

/// Declares [`Error`] and [`ErrorKind`] from one table, and the methods that read it.
macro_rules! error_table {
    (
        $(#[$emeta:meta])*
        pub enum Error {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident
                $({ $( $(#[doc = $fdoc:literal])* $field:ident : $fty:ty ),* $(,)? })?
                $(( $tty:ty ))?
                => $status:literal, $vault:literal, $bao:tt $(, $clears:ident)?;
            )*
        }
    ) => {
        $(#[$emeta])*
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            $(
                $(#[doc = $doc])*
                #[error($vault)]
                $variant $({ $( $(#[doc = $fdoc])* $field : $fty ),* })? $(( $tty ))?,
            )*
        }

        /// Which [`Error`] this is, without the error's text (which may carry a host's reason
        /// or, for [`Error::WrongNonce`], the nonce): what audit events report, and a `Copy`
        /// value for metrics and logs. One variant per [`Error`] variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $(
                #[doc = concat!("[`Error::", stringify!($variant), "`].")]
                $variant,
            )*
        }

        impl Error {
            /// The HTTP status Vault answers this error with: 503 for `Vault is sealed`, 400
            /// for everything else the protocol refuses. (Vault answers 500 only for failures
            /// of the server itself, which this crate cannot have: its status read, OTP
            /// generation and cancel do not fail.)
            #[must_use]
            pub fn http_status(&self) -> u16 {
                match self {
                    $( Self::$variant { .. } => $status, )*
                }
            }

            /// Whether this failure cleared the attempt's progress (PROTOCOL.md section 2: a
            /// failed combine, a failed key check, a failed mint or encoding). The attempt
            /// itself and its nonce are kept.
            #[must_use]
            pub fn cleared_progress(&self) -> bool {
                match self {
                    $( Self::$variant { .. } => error_table!(@clears $($clears)?), )*
                }
            }

            /// Which error this is, without its text: see [`ErrorKind`].
            #[must_use]
            pub fn kind(&self) -> ErrorKind {
                match self {
                    $( Self::$variant { .. } => ErrorKind::$variant, )*
                }
            }

            /// The text `dialect`'s server answers with. [`Dialect::Vault`] gives `Display`'s
            /// text; [`Dialect::OpenBao`] gives OpenBao 2.7's words where they differ
            /// (PROTOCOL.md section 12): `OTP string has incorrect length`,
            /// `root generation already in progress for this namespace`,
            /// `attempted to generate recovery operation token when already unsealed`,
            /// `failed to decode JSON input: <reason>`, and for an empty update body the
            /// missing-key text (OpenBao checks the decoded request's key, not Go's `EOF`).
            ///
            /// Like `Display`, the text never holds secret bytes.
            #[must_use]
            pub fn message(&self, dialect: Dialect) -> String {
                let openbao = match dialect {
                    Dialect::OpenBao => self.openbao_text(),
                    Dialect::Vault => None,
                };
                openbao.unwrap_or_else(|| self.to_string())
            }

            /// OpenBao's own text, where it differs from Vault's.
            #[allow(unused_variables, reason = "a row's OpenBao text may not name its fields")]
            fn openbao_text(&self) -> Option<String> {
                match self {
                    $(
                        Self::$variant { $( $($field,)* )? .. } => error_table!(@bao $bao),
                    )*
                }
            }
        }
    };
    (@clears clears_progress) => { true };
    (@clears) => { false };
    (@bao vault) => { None };
    (@bao $text:literal) => { Some(format!($text)) };
}

error_table! {
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
    pub enum Error {

        // ----- request layer -----
        /// An update request had an empty body (Vault answers Go's `EOF`).
        EmptyBody
            => 400, "EOF", "'key' must be specified in request body as JSON";
        /// The request body is not JSON of the expected shape. The reason is Go's `encoding/json`
        /// text as the real server gives it (without the `failed to parse JSON input: ` prefix, so
        /// that either server's prefix can be applied), e.g.
        /// `invalid character 'o' in literal null (expecting 'u')`.
        InvalidBody {
            /// Go's text. It quotes input only where Go's text does (one character, a field name
            /// that matched, an invalid escape outside secret fields, a number beyond float64's
            /// range), never a secret beyond one character.
            reason: String,
        }
            => 400, "failed to parse JSON input: {reason}", "failed to decode JSON input: {reason}";
        /// An update request had no `key`, or an empty one.
        MissingKey
            => 400, "'key' must be specified in request body as JSON", vault;
        /// The `key` is neither hex of an accepted length nor standard padded base64.
        InvalidKeyEncoding
            => 400, "'key' must be a valid hex or base64 string", vault;
        /// The decoded share is shorter than the shortest accepted share.
        KeyTooShort {
            /// The minimum accepted share length in bytes.
            min: usize,
        }
            => 400, "invalid key: key is shorter than minimum {min} bytes", vault;
        /// The decoded share is longer than the longest accepted share.
        KeyTooLong {
            /// The maximum accepted share length in bytes.
            max: usize,
        }
            => 400, "invalid key: key is longer than maximum {max} bytes", vault;

        // ----- start inputs -----
        /// A caller-supplied OTP does not have the configured length.
        OtpWrongLength
            => 400, "OTP string is wrong length", "OTP string has incorrect length";
        /// The `pgp_key` could not be decoded or parsed.
        PgpKeyParse {
            /// The parser's reason.
            reason: String,
        }
            => 400, "error parsing PGP key: {reason}", vault;
        /// Beyond Vault: the `pgp_key` text is longer than the crate accepts (`PgpRecipient::MAX_KEY_LEN`
        /// with feature `pgp`), refused before any decoding or parsing. A real public key is a few
        /// KB; Vault parses any size.
        PgpKeyTooLarge {
            /// The longest accepted `pgp_key`, in bytes of text.
            max: usize,
        }
            => 400, "error parsing PGP key: the key is longer than {max} characters", vault;
        /// Beyond Vault: the `pgp_key` holds more packets, signatures, user IDs or subkeys than the
        /// crate accepts, a longer user ID, or needs more signature checks and trial encryptions
        /// than it spends on one key. These bounds keep the parse of any input to a few
        /// milliseconds.
        PgpKeyTooComplex {
            /// Which bound was exceeded.
            limit: PgpKeyLimit,
            /// Its value.
            max: usize,
        }
            => 400, "error parsing PGP key: over this server's limit of {max} {limit}", vault;
        /// Beyond Vault: the PGP key parsed but cannot receive an encrypted token (no
        /// encryption-capable, unexpired, unrevoked key). Vault and OpenBao accept such a key and fail
        /// (or panic) at completion; this crate refuses it at start.
        PgpKeyUnusable {
            /// Why no usable encryption key was found.
            reason: String,
        }
            => 400, "PGP key cannot be used for encryption: {reason}", vault;
        /// A `pgp_key` was given but the crate was built without its `pgp` feature.
        PgpUnsupported
            => 400, "PGP encoding is not supported by this server", vault;

        // ----- server state (see `RecoveryTokenGenerator::set_server_state`) -----
        /// The server is sealed (HTTP 503).
        Sealed
            => 503, "Vault is sealed", vault;
        /// The server is a standby node.
        Standby
            => 400, "Vault is in standby mode", vault;
        /// The server has no seal configuration.
        NotInitialized
            => 400, "Vault is not initialized", vault;
        /// A recovery token was already minted in this run; recovery generation is closed.
        AlreadyUnsealed
            => 400, "attempt to generate recovery token when already unsealed", "attempted to generate recovery operation token when already unsealed";

        // ----- attempt state -----
        /// `start` while an attempt (of any strategy) exists.
        InProgress
            => 400, "root generation already in progress", "root generation already in progress for this namespace";
        /// `update` with no attempt in progress.
        NoAttempt
            => 400, "no root generation in progress", vault;
        /// `update` (or a nonce-bound `cancel`) named another nonce. Vault's text discloses the
        /// attempt's nonce; see [`crate::GeneratorConfig::disclose_nonce_in_errors`].
        WrongNonce {
            /// The attempt's nonce (public: also shown by the status).
            nonce: String,
        }
            => 400, "incorrect nonce supplied; nonce for this root generation operation is \"{nonce}\"", vault;
        /// Like [`Error::WrongNonce`], without disclosing the attempt's nonce.
        WrongNonceUndisclosed
            => 400, "incorrect nonce supplied", vault;
        /// `update` on one strategy's endpoint while the attempt belongs to another.
        WrongStrategy
            => 400, "incorrect strategy supplied; a generate root operation of another type is already in progress", vault;
        /// The share is byte-equal to one already held.
        DuplicateShare
            => 400, "given key has already been provided during this generation operation", vault;
        /// Beyond Vault: the share is not in the generator's share registry
        /// ([`crate::GeneratorConfigBuilder::with_share_registry`]): refused at once, the attempt
        /// and its progress untouched. The verdict depends only on the share and the registry,
        /// never on the shares held.
        UnknownShare
            => 400, "given key is not one of this key set's shares", vault;
        /// Beyond Vault: the generator requires a key holder's share to start or cancel
        /// ([`crate::GeneratorConfigBuilder::with_holders_only_start_cancel`]) and the request
        /// carried none (its `key` field). Nothing changed.
        HolderKeyRequired
            => 400, "a key holder's share is required in the request's 'key' field", vault;
        /// Beyond Vault: a start asked for a root token lifetime (`ttl`) and this server does not
        /// support one ([`crate::GeneratorConfigBuilder::with_ttl_supported`]). Nothing changed.
        TtlUnsupported
            => 400, "this server does not support a root token lifetime ('ttl')", vault;
        /// Beyond Vault: a start on the recovery endpoints carried a `ttl`. The recovery token is
        /// the generator's own (its lifetime is the host's revocation), so the field would be
        /// dropped; it is refused instead. Nothing changed.
        TtlNotForRecovery
            => 400, "'ttl' applies only to root and DR operation tokens", vault;
        /// Beyond Vault: the start's `ttl` is not a positive Go duration (`1h30m`, `90s`).
        /// Nothing changed.
        InvalidTtl {
            /// Go's `time.ParseDuration` text, or why the duration is refused (not positive).
            reason: String,
        }
            => 400, "invalid ttl: {reason}", vault;
        /// Beyond Vault: the threshold was reached and the host is checking the combined key (a
        /// [`crate::PendingCompletion`] is outstanding); no share is taken until it answers. Vault
        /// holds its lock through the last step, so a concurrent update waits and then sees the
        /// outcome; a sans-IO generator refuses instead of waiting. Retry after the completion:
        /// progress is 0 if it failed, the attempt is gone if it succeeded.
        CompletionPending
            => 400, "root generation is completing; try again when it has finished", vault;
        /// Beyond Vault: the attempt outlived the configured lifetime; its shares were wiped.
        AttemptExpired
            => 400, "root generation attempt expired; start a new one", vault;
        /// A step of a [`crate::PendingCompletion`] belongs to an attempt that no longer exists (it
        /// was cancelled, expired or completed meanwhile).
        StaleCompletion
            => 400, "root generation attempt was cancelled or replaced before completion", vault;

        // ----- completion -----
        /// Shamir combination failed (progress was cleared).
        Combine(CombineError)
            => 400, "failed to compute root key: {0}", vault, clears_progress;
        /// The host's check of the combined key failed (progress was cleared; the attempt stays).
        KeyCheckFailed {
            /// The host's reason.
            reason: String,
        }
            => 400, "root generation aborted: {reason}", vault, clears_progress;
        /// The host could not mint the root or DR token.
        TokenMint {
            /// The host's reason.
            reason: String,
        }
            => 400, "unable to create token: {reason}", vault, clears_progress;
        /// The minted token's length differs from the OTP's (the host minted a token of the wrong
        /// profile).
        XorLength {
            /// OTP length in bytes.
            otp: usize,
            /// Token length in bytes.
            token: usize,
        }
            => 400, "xor of root token failed: length of byte slices is not equivalent: {otp} != {token}", vault, clears_progress;
        /// Encrypting the token to the PGP key failed.
        PgpEncrypt {
            /// The encryptor's reason.
            reason: String,
        }
            => 400, "error encrypting new token to the PGP key: {reason}", vault, clears_progress;
    }
}

impl From<ShareError> for Error {
    fn from(error: ShareError) -> Self {
        match error {
            ShareError::MissingKey => Self::MissingKey,
            ShareError::InvalidEncoding => Self::InvalidKeyEncoding,
            ShareError::TooShort { min } => Self::KeyTooShort { min },
            ShareError::TooLong { max } => Self::KeyTooLong { max },
        }
    }
}

/// Vault's text: the [`Error`] it converts into.
impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Error::from(*self), f)
    }
}

impl std::error::Error for ShareError {}

impl From<PgpError> for Error {
    fn from(error: PgpError) -> Self {
        match error {
            PgpError::Parse { reason } => Self::PgpKeyParse { reason },
            PgpError::TooLarge { max } => Self::PgpKeyTooLarge { max },
            PgpError::TooComplex { limit, max } => Self::PgpKeyTooComplex { limit, max },
            PgpError::Unusable { reason } => Self::PgpKeyUnusable { reason },
            PgpError::Encrypt { reason } => Self::PgpEncrypt { reason },
        }
    }
}

/// The text of the [`Error`] it converts into.
impl fmt::Display for PgpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Error::from(self.clone()), f)
    }
}

impl std::error::Error for PgpError {}

impl From<&Error> for ErrorKind {
    fn from(error: &Error) -> Self {
        error.kind()
    }
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
    /// Holders-only start and cancel need a share registry to check the shares against.
    #[error("holders-only start and cancel need a share registry")]
    HoldersOnlyWithoutRegistry,
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
        assert_eq!(Error::InProgress.kind(), ErrorKind::InProgress);
        assert_eq!(Error::Sealed.http_status(), 503);
        assert!(Error::Combine(CombineError::DuplicatePart).cleared_progress());
        assert!(!Error::DuplicateShare.cleared_progress());
    }
}

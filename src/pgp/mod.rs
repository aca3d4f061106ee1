//! PGP encoding of the minted token (PROTOCOL.md section 8): the recipient key a start names,
//! and the bounds on what parsing it may cost.
//!
//! [`PgpError`] and [`PgpKeyLimit`] exist in every build (an [`crate::Error`] names them); the
//! recipient itself, [`PgpRecipient`], needs the crate feature `pgp` (on by default).

use std::fmt;

#[cfg(feature = "pgp")]
mod recipient;
#[cfg(feature = "pgp")]
#[cfg_attr(docsrs, doc(cfg(feature = "pgp")))]
pub use recipient::PgpRecipient;

/// Why a `pgp_key` was refused, or the token could not be encrypted to it. Converts into the
/// [`crate::Error`] named on each variant, and `Display` gives that error's text (Vault's
/// where Vault has one). No variant carries key material beyond the parser's short reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PgpError {
    /// The key does not decode or parse, or a signature it rests on does not verify:
    /// [`crate::Error::PgpKeyParse`].
    Parse {
        /// The parser's reason.
        reason: String,
    },
    /// The text is longer than the parser accepts: [`crate::Error::PgpKeyTooLarge`].
    TooLarge {
        /// The longest accepted `pgp_key`, in bytes of text.
        max: usize,
    },
    /// A structure cap or the operation budget was exceeded: [`crate::Error::PgpKeyTooComplex`].
    TooComplex {
        /// Which bound was exceeded.
        limit: PgpKeyLimit,
        /// Its value.
        max: usize,
    },
    /// The key parsed but cannot receive the token: [`crate::Error::PgpKeyUnusable`].
    Unusable {
        /// Why no usable encryption key was found.
        reason: String,
    },
    /// Encrypting to the key failed: [`crate::Error::PgpEncrypt`].
    Encrypt {
        /// The encryptor's reason.
        reason: String,
    },
}

/// Which bound on a `pgp_key`'s structure or verification work was exceeded (see
/// [`crate::Error::PgpKeyTooComplex`]). The values are the associated constants of `PgpRecipient`
/// (feature `pgp`): `MAX_PACKETS`, `MAX_SIGNATURES`, `MAX_USER_IDS`, `MAX_SUBKEYS`,
/// `MAX_USER_ID_LEN` and `MAX_KEY_OPERATIONS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PgpKeyLimit {
    /// OpenPGP packets in the key.
    Packets,
    /// Signature packets in the key.
    Signatures,
    /// User ID packets in the key.
    UserIds,
    /// Subkeys in the key.
    Subkeys,
    /// Bytes in one user ID packet.
    UserIdLength,
    /// Signature verifications and trial encryptions needed to choose the recipient key.
    KeyOperations,
}

impl fmt::Display for PgpKeyLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Packets => "packets",
            Self::Signatures => "signatures",
            Self::UserIds => "user IDs",
            Self::Subkeys => "subkeys",
            Self::UserIdLength => "bytes in a user ID",
            Self::KeyOperations => "signature checks and trial encryptions",
        })
    }
}

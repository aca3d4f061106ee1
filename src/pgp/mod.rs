//! PGP encoding of the minted token (PROTOCOL.md section 8): the recipient key a start names,
//! and the bounds on what parsing it may cost.
//!
//! [`PgpKeyLimit`] exists in every build (an [`crate::Error`] names it); the recipient itself,
//! [`PgpRecipient`], needs the crate feature `pgp` (on by default).

use std::fmt;

#[cfg(feature = "pgp")]
mod recipient;
#[cfg(feature = "pgp")]
#[cfg_attr(docsrs, doc(cfg(feature = "pgp")))]
pub use recipient::PgpRecipient;

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

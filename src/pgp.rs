//! PGP encoding of the minted token (feature `pgp`).
//!
//! Interface only in this commit; the implementation lands with the PGP issue.

use rand_core::CryptoRng;

use crate::{Error, Token};

/// A PGP public key the token will be encrypted to.
#[derive(Debug, Clone)]
pub struct PgpRecipient {
    fingerprint: String,
}

impl PgpRecipient {
    /// Parses a `pgp_key` as Vault's API takes it.
    ///
    /// # Errors
    /// [`Error::PgpKeyParse`], [`Error::PgpKeyEntity`] or [`Error::PgpKeyUnusable`].
    pub fn parse(pgp_key: &str) -> Result<Self, Error> {
        let _ = pgp_key;
        Err(Error::PgpUnsupported)
    }

    /// The primary key's v4 fingerprint, 40 lowercase hex digits.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Encrypts the token; standard padded base64 of a binary OpenPGP message.
    ///
    /// # Errors
    /// [`Error::PgpEncrypt`].
    pub fn encrypt_token<R: CryptoRng + ?Sized>(
        &self,
        token: &Token,
        rng: &mut R,
    ) -> Result<String, Error> {
        let _ = (token, rng);
        Err(Error::PgpUnsupported)
    }
}

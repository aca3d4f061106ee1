//! PGP encoding of the minted token (feature `pgp`, on by default), over rPGP. The public face
//! is [`PgpRecipient`], whose documentation says what is accepted, checked and produced.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use pgp::composed::{Deserializable as _, MessageBuilder, SignedPublicKey};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{
    PublicKey, PublicKeyEncryptedSessionKey, PublicSubkey, Signature, SignatureType,
};
use pgp::types::{Fingerprint, KeyDetails, KeyId, KeyVersion, Tag};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::PgpError;
use crate::pgp::PgpKeyLimit;
use crate::secret::Token;

/// Longest parser reason put into an error message; rPGP's texts are short, this only bounds
/// the worst case.
const MAX_REASON_LEN: usize = 200;

/// The key the token is encrypted to.
#[derive(Clone)]
enum EncryptionKey {
    Primary(PublicKey),
    Subkey(PublicSubkey),
}

/// A PGP public key the token will be encrypted to: parsed within bounds, the self-signatures
/// its recipient choice rests on verified, its encryption key chosen. Public data only: nothing here is secret.
///
/// A start request may carry a `pgp_key` instead of an OTP. [`PgpRecipient::parse`] reads it as
/// Vault's API takes it and the generator encrypts the minted token to it at completion; the key
/// holder decrypts with `echo "$encoded_token" | base64 -d | gpg -dq`.
///
/// # Input
/// Standard padded base64 of a **binary** OpenPGP public key (`gpg --export KEYID | base64`),
/// `\r` and `\n` anywhere tolerated as Go's decoder does. Beyond Vault (whose API refuses them),
/// an ASCII-armored key (`gpg --export --armor`, detected by a leading `-----BEGIN PGP`) is
/// accepted too.
///
/// # What is checked at parse time, so that completion cannot fail on the key
/// Vault accepts any key that parses and fails (or panics) only when the token is encrypted,
/// after every holder has typed their share. This crate refuses at start:
/// - input that does not decode or parse, and input with no public key
///   ([`PgpError::Parse`]); of several keys only the first is read, as Vault's
///   `openpgp.ReadEntity` does;
/// - a key over the size and structure caps ([`PgpError::TooLarge`],
///   [`PgpError::TooComplex`]; see "Bounded work" below);
/// - a key whose self-signatures that the choice below rests on do not verify
///   ([`PgpError::Parse`]): the chosen user ID certification (or direct-key signature), the
///   newest direct-key signature, the newest key revocation, the revocations of user IDs
///   preferred to the chosen one, and each encryption subkey tried, newest first: its newest
///   revocation, else its newest binding (with the embedded back-signature if the binding also
///   lets it sign). Other self-signatures (older duplicates, other subkeys' bindings, user
///   attributes) are not verified: they do not change where the token goes. Third-party
///   certifications and revocations issued by other keys cannot be verified without those keys
///   and are ignored, as they say nothing about where to encrypt;
/// - a key that cannot receive the token ([`PgpError::Unusable`]): not OpenPGP v4, revoked,
///   expired, or without an encryption-capable (sub)key.
///
/// The recipient is chosen as Go's openpgp `Entity.encryptionKey()` chooses it: the newest valid
/// subkey whose binding signature carries the encrypt-communications or encrypt-storage flag and
/// whose algorithm can encrypt; else the primary key if it may encrypt (its self-signature has an
/// encryption flag, or no key-flags subpacket at all, as in keys from before flags existed) and
/// its algorithm can. rPGP itself ignores flags, expiry and revocation when encrypting, so this
/// choice is made here. A revocation applies whatever its date; a user ID counts as revoked when
/// its newest revocation is not older than its newest certification. Each candidate must also
/// pass a trial encryption of a throwaway session key through the very rPGP path the token will
/// take, so a key rPGP cannot encrypt to (ElGamal, an ECDH key with a forbidden KDF hash) is
/// refused now, not after the last share.
///
/// # Bounded work
/// The start endpoint is unauthenticated, so `pgp_key` is attacker input. Whatever it holds, a
/// parse costs a few milliseconds for Ed25519, ECDSA and RSA up to 4,096 bits, and at most the
/// operation budget spent on the dearest operation rPGP admits (four DSA-4096 verifications,
/// tens of milliseconds; BENCHMARKS.md, `benches/pgp_parse.rs`):
/// - the text is at most [`Self::MAX_KEY_LEN`] bytes, checked before any decoding;
/// - the binary key's packet headers are counted before rPGP parses a packet: at most
///   [`Self::MAX_PACKETS`] packets, [`Self::MAX_SIGNATURES`] signatures,
///   [`Self::MAX_USER_IDS`] user IDs, [`Self::MAX_SUBKEYS`] subkeys, and no user ID over
///   [`Self::MAX_USER_ID_LEN`] bytes;
/// - only the signatures listed above are verified, each at most once, and a parse spends at most
///   [`Self::MAX_KEY_OPERATIONS`] signature verifications and trial encryptions, weighted by
///   cost, the parameter checks rPGP runs while parsing DSA key packets included (counted from
///   the packet headers before rPGP parses: a DSA primary with 32 DSA subkeys is refused
///   without a single check).
///
/// A key one of them refuses gets [`PgpError::TooLarge`] or [`PgpError::TooComplex`]
/// (naming the [`crate::pgp::PgpKeyLimit`]), whose texts keep Vault's `error parsing PGP key: `
/// prefix.
///
/// # Which "now" expiry is checked against
/// The crate is sans-IO and never reads the clock. [`PgpRecipient::parse_at`] checks expiry
/// against the wall-clock time the caller passes. [`PgpRecipient::parse`] (which the generator
/// calls, since `start` receives a monotonic `Instant` that has no calendar meaning) checks it
/// against the newest moment the key itself attests to: the latest creation time among its key
/// packets and its own-issued self-signatures (verified or not: a later date only makes the
/// check stricter). That is a lower bound of the real time, so what
/// `parse` refuses is certainly expired (for example an encryption subkey that expired before
/// the owner's latest self-signature), but a key that expired later, with no newer signature,
/// passes. Such a key still receives the token: gpg decrypts with expired keys, so completion
/// does not fail. Hosts that want wall-clock expiry checks call
/// `PgpRecipient::parse_at(pgp_key, SystemTime::now())` at their edge before `start` and answer
/// its error themselves.
///
/// # Output
/// A binary OpenPGP message: one public-key encrypted session key packet to the chosen key and a
/// SEIPD v1 (MDC) packet with AES-256, holding a literal data packet with the token bytes; not
/// compressed, not signed. `encoded_token` is its standard padded base64. The copy of the token
/// handed to rPGP is zeroized when rPGP drops it; rPGP's own internal buffers are not.
///
/// # Key types
/// Verified against GnuPG 2.2 (keys made by `gpg --quick-gen-key`, token decrypted by `gpg -dq`,
/// in `tests/pgp/pgp_gpg.rs`): RSA 2048, 3072 and 4096; Curve25519 (ed25519 primary with a cv25519
/// subkey, gpg's `future-default`); NIST P-256, P-384 and P-521 (ECDSA primary with an ECDH
/// subkey); an RSA primary that may encrypt itself (no subkey). Refused at start (also checked
/// against gpg-made keys): DSA with an ElGamal subkey (rPGP 0.21 cannot encrypt to ElGamal).
/// Also refused: brainpool and secp256k1 curves (rPGP cannot verify or parse them), version 6 keys
/// (their fingerprints are not Vault's 40 hex digits) and version 3 keys.
///
/// # Examples
///
/// A start with a PGP key (only with the `pgp` feature, which gates this type): the answers carry
/// its fingerprint, and the token will come back encrypted to it.
///
/// ```
/// use std::time::Instant;
///
/// use recovery_token::{Encoding, GeneratorConfig, RecoveryTokenGenerator, Strategy};
/// use recovery_token::pgp::PgpRecipient;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let recipient = PgpRecipient::parse(include_str!("../../benches/keys/cv25519.b64"))?;
/// // As `gpg --show-keys --with-colons` prints them, lowercased: primary, then the subkey.
/// assert_eq!(recipient.fingerprint(), "da951bba56bcee76cca6e7b6ca269010eea2a87d");
/// assert_eq!(recipient.encryption_fingerprint(), "be0287c0b53d61567383183e96f04ba3cd3d949a");
///
/// let mut generator = RecoveryTokenGenerator::new(GeneratorConfig::new(3)?);
/// let encoding = Encoding::Pgp(Box::new(recipient));
/// let started = generator.start(Strategy::Recovery, encoding, Instant::now(), &mut rand::rng())?;
/// assert_eq!(started.pgp_fingerprint, "da951bba56bcee76cca6e7b6ca269010eea2a87d");
/// assert!(started.otp.is_empty()); // no OTP: the PGP key protects the token
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PgpRecipient {
    fingerprint: String,
    encryption_fingerprint: String,
    key: EncryptionKey,
}

impl fmt::Debug for PgpRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgpRecipient")
            .field("fingerprint", &self.fingerprint)
            .field("encryption_fingerprint", &self.encryption_fingerprint)
            .finish()
    }
}

impl PartialEq for PgpRecipient {
    /// Two recipients are equal when they name the same primary key and encrypt to the same
    /// (sub)key.
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
            && self.encryption_fingerprint == other.encryption_fingerprint
    }
}

impl Eq for PgpRecipient {}

impl PgpRecipient {
    /// The longest `pgp_key` accepted, in bytes of text (64 KiB), checked before any decoding or
    /// parsing ([`PgpError::TooLarge`]).
    ///
    /// A real public key is a few KB: an RSA-4096 key with three user IDs and four RSA-4096
    /// subkeys, exported by GnuPG 2.2 (`gpg --export`), is 7,433 bytes, 9,912 characters of base64
    /// (10,146 armored); an Ed25519/Cv25519 key is under 1 KB. The cap leaves about six times
    /// that. Keys that carry many third-party certifications (as fetched from keyservers) can
    /// exceed it: export them with `gpg --export --export-options export-minimal`, which keeps
    /// only the self-signatures this crate reads anyway.
    pub const MAX_KEY_LEN: usize = 64 * 1024;
    /// The most OpenPGP packets a key may hold (the RSA-4096 key above has 15).
    pub const MAX_PACKETS: usize = 512;
    /// The most signature packets a key may hold, self-signatures and third-party
    /// certifications together.
    pub const MAX_SIGNATURES: usize = 400;
    /// The most user ID packets a key may hold.
    pub const MAX_USER_IDS: usize = 32;
    /// The most subkeys a key may hold.
    pub const MAX_SUBKEYS: usize = 32;
    /// The longest user ID accepted, in bytes (a name, a comment and an e-mail address are well
    /// under 256).
    pub const MAX_USER_ID_LEN: usize = 2048;
    /// The most public-key operations one parse spends choosing the recipient: signature
    /// verifications (each one hashes the signed key material and user ID once) and trial
    /// encryptions. An ordinary key needs three or four (its primary user ID's certification,
    /// the encryption subkey's binding, one trial encryption, maybe a direct-key signature).
    ///
    /// Operations are charged by cost: a verification by a DSA key counts 2 (two modular
    /// exponentiations), an RSA operation with a modulus over 4,096 bits or an exponent over
    /// 17 bits counts 2 (both: 4), and every DSA key packet in the input counts 1 before rPGP
    /// parses anything, because rPGP checks each
    /// DSA key's parameters with a modular exponentiation while parsing, even a key that is
    /// never used (a DSA primary with an encryption subkey spends 1 + 2 + 2 + 1 of the 8).
    pub const MAX_KEY_OPERATIONS: usize = 8;

    /// Parses a `pgp_key` as Vault's API takes it (standard padded base64 of a binary public key,
    /// `\r`/`\n` tolerated) or ASCII-armored, and chooses the key to encrypt to.
    ///
    /// Expiry is checked against the newest time the key itself attests to, not the wall clock
    /// (see [`PgpRecipient`]); use [`Self::parse_at`] to check against a time you
    /// pass.
    ///
    /// The text may be at most [`Self::MAX_KEY_LEN`] bytes (64 KiB), checked before any
    /// decoding or parsing; the binary key is held to the structure caps
    /// ([`Self::MAX_PACKETS`] and the others) before rPGP parses it, and the parse to
    /// [`Self::MAX_KEY_OPERATIONS`] public-key operations (see "Bounded work" on
    /// [`PgpRecipient`]). A real public key is a few KB.
    ///
    /// # Errors
    /// [`PgpError::TooLarge`] if the text is longer than [`Self::MAX_KEY_LEN`];
    /// [`PgpError::TooComplex`] if the key exceeds a structure cap or the operation budget;
    /// [`PgpError::Parse`] if the input does not decode, does not parse, holds no public key or
    /// a self-signature the recipient choice rests on does not verify (of several keys only the
    /// first is read, as Vault's `openpgp.ReadEntity` does); [`PgpError::Unusable`] if the
    /// key cannot receive the token.
    ///
    /// # Examples
    ///
    /// ```
    /// use recovery_token::pgp::{PgpError, PgpRecipient};
    ///
    /// // `gpg --export | base64 -w0` of an Ed25519 key with a Cv25519 encryption subkey.
    /// let key = include_str!("../../benches/keys/cv25519.b64");
    /// assert!(PgpRecipient::parse(key).is_ok());
    ///
    /// assert!(matches!(PgpRecipient::parse("bm90IGEga2V5"), Err(PgpError::Parse { .. })));
    /// let huge = "A".repeat(PgpRecipient::MAX_KEY_LEN + 4);
    /// assert!(matches!(PgpRecipient::parse(&huge), Err(PgpError::TooLarge { .. })));
    /// ```
    pub fn parse(pgp_key: &str) -> Result<Self, PgpError> {
        Self::parse_inner(pgp_key, None)
    }

    /// [`Self::parse`], checking expiry (and creation times) against `now`, the caller's
    /// wall-clock time.
    ///
    /// # Errors
    /// As [`Self::parse`].
    pub fn parse_at(pgp_key: &str, now: SystemTime) -> Result<Self, PgpError> {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self::parse_inner(pgp_key, Some(secs))
    }

    /// The primary key's v4 fingerprint, 40 lowercase hex digits (what
    /// `gpg --with-colons --fingerprint` prints on the primary key's `fpr` line, lowercased).
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The fingerprint of the (sub)key the token is encrypted to, 40 lowercase hex digits. Equal
    /// to [`Self::fingerprint`] when the primary key itself receives it.
    #[must_use]
    pub fn encryption_fingerprint(&self) -> &str {
        &self.encryption_fingerprint
    }

    /// Encrypts the token: a binary OpenPGP message (SEIPD v1, AES-256, no signature, no
    /// compression) to the chosen key, returned as standard padded base64.
    ///
    /// # Errors
    /// [`PgpError::Encrypt`] if rPGP fails (it does not for the keys `parse` accepts).
    ///
    /// # Examples
    ///
    /// ```
    /// use recovery_token::Token;
    /// use recovery_token::pgp::PgpRecipient;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let recipient = PgpRecipient::parse(include_str!("../../benches/keys/cv25519.b64"))?;
    /// let token = Token::from("hvr.ABCDEFGHIJKLMNOPQRSTUVWX");
    /// let encrypted = recipient.encrypt_token(&token, &mut rand::rng())?;
    /// // Binary OpenPGP in padded base64, with no trace of the token (only `gpg -d` with the
    /// // secret key recovers it); a fresh session key each time.
    /// assert!(encrypted.len() % 4 == 0 && !encrypted.contains("ABCDEFGH"));
    /// assert_ne!(encrypted, recipient.encrypt_token(&token, &mut rand::rng())?);
    /// # Ok(()) }
    /// ```
    pub fn encrypt_token<R: CryptoRng + ?Sized>(
        &self,
        token: &Token,
        rng: &mut R,
    ) -> Result<String, PgpError> {
        let mut rng = Rng06(rng);
        let plaintext = Zeroizing::new(token.expose_secret().as_bytes().to_vec());
        // rPGP takes `Bytes`; owning the zeroizing buffer makes the copy wiped when it is dropped.
        let data = pgp::bytes::Bytes::from_owner(plaintext);
        let mut builder =
            MessageBuilder::from_bytes("", data).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
        match &self.key {
            EncryptionKey::Primary(k) => builder.encrypt_to_key(&mut rng, k),
            EncryptionKey::Subkey(k) => builder.encrypt_to_key(&mut rng, k),
        }
        .map_err(|e| PgpError::Encrypt {
            reason: short_reason(&e),
        })?;
        let message = builder.to_vec(&mut rng).map_err(|e| PgpError::Encrypt {
            reason: short_reason(&e),
        })?;
        Ok(base64::engine::general_purpose::STANDARD.encode(message))
    }

    fn parse_inner(pgp_key: &str, now: Option<u64>) -> Result<Self, PgpError> {
        // Before anything else: the cost of everything below grows with the input.
        if pgp_key.len() > Self::MAX_KEY_LEN {
            return Err(PgpError::TooLarge {
                max: Self::MAX_KEY_LEN,
            });
        }
        let (key, parse_cost) = read_first_key(pgp_key)?;
        let key = without_third_party_signatures(key);
        if key.primary_key.version() != KeyVersion::V4 {
            return Err(unusable(
                "only OpenPGP version 4 keys are supported".to_owned(),
            ));
        }
        let now = now.unwrap_or_else(|| newest_attested_time(&key));
        // What rPGP already spent checking key parameters while parsing (charged, and refused
        // over the budget, by the scan before rPGP ran).
        let mut budget = Budget(Self::MAX_KEY_OPERATIONS.saturating_sub(parse_cost));
        let chosen = choose_encryption_key(&key, now, &mut budget)?;
        let encryption_fingerprint = match &chosen {
            EncryptionKey::Primary(k) => hex_fingerprint(k),
            EncryptionKey::Subkey(k) => hex_fingerprint(k),
        };
        Ok(Self {
            fingerprint: hex_fingerprint(&key.primary_key),
            encryption_fingerprint,
            key: chosen,
        })
    }
}

/// Decodes the input (armor or Go base64), checks the packet caps on the binary data, then parses
/// the FIRST transferable public key in it, as Vault's and OpenBao's `pgpkeys.GetFingerprints`
/// (Go's `openpgp.ReadEntity`) do: whatever follows the first key is not looked at, so a
/// `pgp_key` holding two keys encrypts to the first (observed on OpenBao 2.7.2, which answers
/// with the first key's fingerprint).
fn read_first_key(pgp_key: &str) -> Result<(SignedPublicKey, usize), PgpError> {
    let bytes = if pgp_key.trim_start().starts_with("-----BEGIN PGP") {
        dearmor(pgp_key.trim_start())?
    } else {
        // Go's `base64.StdEncoding.DecodeString`, with its error offset in the text.
        crate::go::base64::go_base64_decode(pgp_key.as_bytes(), true)
            .map(|b| b.to_vec())
            .map_err(|at| {
                parse_error(&format!(
                    "error decoding given PGP key: illegal base64 data at input byte {at}"
                ))
            })?
    };
    if is_secret_key_packet(&bytes) {
        return Err(parse_error(
            "error parsing given PGP key: this is a secret key; send the public key \
             (gpg --export)",
        ));
    }
    let parse_cost = check_packet_caps(&bytes)?;
    let parse = |e: pgp::errors::Error| {
        parse_error(&format!(
            "error parsing given PGP key: {}",
            short_reason(&e)
        ))
    };
    let key = SignedPublicKey::from_bytes_many(&bytes[..])
        .map_err(parse)?
        .next()
        .ok_or_else(|| parse_error("error parsing given PGP key: no public key found"))?
        .map_err(parse)?;
    Ok((key, parse_cost))
}

/// The binary data of one ASCII-armored public key block (rPGP's dearmoring: headers, base64,
/// optional checksum), refusing blocks of any other type as rPGP's `from_armor_many` does.
fn dearmor(armored: &str) -> Result<Vec<u8>, PgpError> {
    use std::io::Read as _;

    let armor_error = |reason: &str| parse_error(&format!("error parsing given PGP key: {reason}"));
    let mut dearmor = pgp::armor::Dearmor::new(armored.as_bytes());
    dearmor
        .read_header()
        .map_err(|e| armor_error(&short_reason(&e)))?;
    match dearmor.typ {
        Some(pgp::armor::BlockType::PublicKey | pgp::armor::BlockType::File) => {}
        Some(typ) => {
            return Err(armor_error(&sanitize(&format!(
                "unexpected block type: {typ}"
            ))));
        }
        None => return Err(armor_error("dearmor failed to retrieve armor type")),
    }
    // The text is at most `MAX_KEY_LEN` bytes, so its binary content is smaller still.
    let mut bytes = Vec::with_capacity(armored.len());
    dearmor
        .read_to_end(&mut bytes)
        .map_err(|e| armor_error(&sanitize(&e.to_string())))?;
    Ok(bytes)
}

/// Refuses binary key data that holds more packets, signatures, user IDs or subkeys than the
/// caps, or a user ID longer than [`PgpRecipient::MAX_USER_ID_LEN`], judged from the packet
/// headers alone (RFC 9580 section 4.2) before rPGP parses any packet. Malformed framing ends
/// the count; rPGP then reports it.
///
/// Returns the public-key operations rPGP will spend parsing the key packets, charged against
/// [`PgpRecipient::MAX_KEY_OPERATIONS`] here, before rPGP runs: rPGP 0.21 checks every DSA key
/// packet's parameters with a modular exponentiation (`y^q mod p`, about half a DSA
/// verification) whether or not the key is ever used, so each DSA key packet costs one
/// operation, and more of them than the budget refuse the key ([`PgpKeyLimit::KeyOperations`]).
/// Every other algorithm rPGP parses costs no such check (RSA, ElGamal: size and range checks;
/// elliptic-curve points: a decompression, microseconds).
fn check_packet_caps(bytes: &[u8]) -> Result<usize, PgpError> {
    const SIGNATURE: u8 = 2;
    const USER_ID: u8 = 13;
    const PUBLIC_SUBKEY: u8 = 14;
    let too_many = |limit, max| PgpError::TooComplex { limit, max };
    let (mut packets, mut signatures, mut user_ids, mut subkeys) = (0usize, 0usize, 0usize, 0usize);
    let mut parse_cost = 0usize;
    let mut rest = bytes;
    while let Some((tag, body_len, after)) = next_packet(rest) {
        // The body ends where `after` starts (key packets are never partial: see next_packet).
        let end = rest.len().saturating_sub(after.len());
        let body = rest
            .get(end.saturating_sub(body_len)..end)
            .unwrap_or_default();
        if key_packet_algorithm(tag, body) == Some(DSA) {
            parse_cost = parse_cost.saturating_add(1);
            if parse_cost > PgpRecipient::MAX_KEY_OPERATIONS {
                return Err(too_many(
                    PgpKeyLimit::KeyOperations,
                    PgpRecipient::MAX_KEY_OPERATIONS,
                ));
            }
        }
        packets = packets.saturating_add(1);
        if packets > PgpRecipient::MAX_PACKETS {
            return Err(too_many(PgpKeyLimit::Packets, PgpRecipient::MAX_PACKETS));
        }
        match tag {
            SIGNATURE => signatures = signatures.saturating_add(1),
            USER_ID => user_ids = user_ids.saturating_add(1),
            PUBLIC_SUBKEY => subkeys = subkeys.saturating_add(1),
            _ => {}
        }
        if signatures > PgpRecipient::MAX_SIGNATURES {
            return Err(too_many(
                PgpKeyLimit::Signatures,
                PgpRecipient::MAX_SIGNATURES,
            ));
        }
        if user_ids > PgpRecipient::MAX_USER_IDS {
            return Err(too_many(PgpKeyLimit::UserIds, PgpRecipient::MAX_USER_IDS));
        }
        if subkeys > PgpRecipient::MAX_SUBKEYS {
            return Err(too_many(PgpKeyLimit::Subkeys, PgpRecipient::MAX_SUBKEYS));
        }
        if tag == USER_ID && body_len > PgpRecipient::MAX_USER_ID_LEN {
            return Err(too_many(
                PgpKeyLimit::UserIdLength,
                PgpRecipient::MAX_USER_ID_LEN,
            ));
        }
        rest = after;
    }
    Ok(parse_cost)
}

/// The tag and body length of the packet at the start of `data`, and the data after it; `None`
/// at the end of the data or where the framing is malformed or truncated. Partial body lengths
/// are followed to the packet's last part; each step consumes at least one byte.
fn next_packet(data: &[u8]) -> Option<(u8, usize, &[u8])> {
    let (&first, rest) = data.split_first()?;
    if first & 0x80 == 0 {
        return None;
    }
    if first & 0x40 == 0 {
        // Old format: 0b10ttttll.
        let tag = (first >> 2) & 0x0f;
        let (len, rest) = match first & 0x03 {
            0 => (usize::from(*rest.first()?), rest.get(1..)?),
            1 => (be_len(rest.get(..2)?)?, rest.get(2..)?),
            2 => (be_len(rest.get(..4)?)?, rest.get(4..)?),
            // Indeterminate: the packet runs to the end of the data.
            _ => return Some((tag, rest.len(), &[])),
        };
        return Some((tag, len, rest.get(len..)?));
    }
    // New format: 0b11tttttt, then one or more length parts (RFC 9580 section 4.2.1).
    let tag = first & 0x3f;
    // rPGP refuses partial lengths on other packets than data packets, and a first part under
    // 512 bytes, and then reads on right after the length octet: what it reads next is the
    // body, taken for packet headers. Count the same way.
    if let Some(&o1) = rest.first()
        && (224..=254).contains(&o1)
        && (!matches!(tag, 8 | 9 | 11 | 18 | 20) || o1 & 0x1f < 9)
    {
        return Some((tag, 0, rest.get(1..)?));
    }
    let mut total = 0usize;
    let mut rest = rest;
    loop {
        let (&o1, after) = rest.split_first()?;
        let (len, partial, after) = match o1 {
            0..=191 => (usize::from(o1), false, after),
            // ((o1 - 192) << 8) + o2 + 192, with o1 - 192 == o1 & 0x1f in this range.
            192..=223 => {
                let o2 = *after.first()?;
                let len = usize::from(u16::from_be_bytes([o1 & 0x1f, o2])).checked_add(192)?;
                (len, false, after.get(1..)?)
            }
            255 => (be_len(after.get(..4)?)?, false, after.get(4..)?),
            // A partial body length: 1 << (o1 & 0x1f), then more length parts follow.
            _ => (1usize.checked_shl(u32::from(o1 & 0x1f))?, true, after),
        };
        total = total.saturating_add(len);
        rest = after.get(len..)?;
        if !partial {
            return Some((tag, total, rest));
        }
    }
}

/// Public-key algorithm 17 (RFC 9580 section 9.1).
const DSA: u8 = 17;

/// The public-key algorithm of a key packet (Public-Key, Public-Subkey, Secret-Key,
/// Secret-Subkey: tags 6, 14, 5, 7; rPGP parses the public part of each), read from its body's
/// fixed header: version, creation time, (for versions 2 and 3, a validity period), algorithm.
fn key_packet_algorithm(tag: u8, body: &[u8]) -> Option<u8> {
    if !matches!(tag, 5 | 6 | 7 | 14) {
        return None;
    }
    match body.first()? {
        2 | 3 => body.get(7).copied(),
        _ => body.get(5).copied(),
    }
}

/// What one public-key operation with `key` (a signature verification by it, or an encryption
/// to it) is charged, in units of an ordinary operation (an RSA verification with exponent
/// 65537 and a modulus of up to 4,096 bits, an elliptic-curve one): a DSA verification is two
/// modular exponentiations with exponents of up to 256 bits, so 2; an RSA operation costs 2
/// for a modulus over 4,096 bits, times 2 for an exponent over 17 bits (rPGP admits up to
/// 33); everything else 1. (Measured in `benches/pgp_parse.rs`, group `pgp_operation`.)
fn operation_cost(key: &impl KeyDetails) -> usize {
    use pgp::ser::Serialize as _;
    use pgp::types::PublicParams;

    match key.public_params() {
        PublicParams::DSA(_) => 2,
        PublicParams::RSA(params) => {
            // The serialized parameters are two MPIs, n then e, each a two-octet bit count and
            // its bytes.
            let mut mpis = Vec::new();
            if params.to_writer(&mut mpis).is_err() {
                return 2;
            }
            let n_bytes = mpis
                .get(..2)
                .and_then(be_len)
                .map_or(0, |bits| bits.div_ceil(8));
            let e_bits = mpis
                .get(n_bytes.saturating_add(2)..n_bytes.saturating_add(4))
                .and_then(be_len)
                .unwrap_or(usize::MAX);
            // A modulus over 4,096 bits (rPGP admits 8,192) costs about four times as much per
            // operation: 2, so that an ordinary RSA-8192 key (three operations) still fits.
            let modulus: usize = if n_bytes > 512 { 2 } else { 1 };
            modulus.saturating_mul(e_bits.div_ceil(17).clamp(1, 2))
        }
        _ => 1,
    }
}

/// A big-endian length of two or four bytes.
fn be_len(bytes: &[u8]) -> Option<usize> {
    match *bytes {
        [a, b] => Some(usize::from(u16::from_be_bytes([a, b]))),
        [a, b, c, d] => usize::try_from(u32::from_be_bytes([a, b, c, d])).ok(),
        _ => None,
    }
}

/// Whether the binary data starts with a Secret-Key packet (tag 5), judged from the packet
/// header alone: the secret material is never parsed.
fn is_secret_key_packet(bytes: &[u8]) -> bool {
    const SECRET_KEY: u8 = 5;
    match bytes.first() {
        // New format: 0b11tttttt.
        Some(&b) if b & 0xc0 == 0xc0 => b & 0x3f == SECRET_KEY,
        // Old format: 0b10ttttll.
        Some(&b) if b & 0x80 == 0x80 => (b >> 2) & 0x0f == SECRET_KEY,
        _ => false,
    }
}

/// Whether `sig` names the primary key (its key ID `id`, fingerprint `fp`) as its issuer (or
/// names no issuer, and so must verify against it).
// `id` by reference, like `fp`: both are compared with rPGP's borrowed issuer lists.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn issued_by(sig: &Signature, id: &KeyId, fp: &Fingerprint) -> bool {
    let ids = sig.issuer_key_id();
    let fps = sig.issuer_fingerprint();
    (ids.is_empty() && fps.is_empty()) || ids.contains(&id) || fps.contains(&fp)
}

/// Drops signatures issued by other keys (certifications by third parties, revocations by
/// designated revokers): they cannot be verified without those keys, and would otherwise be
/// taken for the owner's own.
fn without_third_party_signatures(mut key: SignedPublicKey) -> SignedPublicKey {
    // Computed once: a fingerprint is a hash of the key packet, and a key may carry hundreds of
    // signatures.
    let (id, fp) = (
        key.primary_key.legacy_key_id(),
        key.primary_key.fingerprint(),
    );
    let own = |sigs: &mut Vec<Signature>| sigs.retain(|s| issued_by(s, &id, &fp));
    own(&mut key.details.revocation_signatures);
    own(&mut key.details.direct_signatures);
    for user in &mut key.details.users {
        own(&mut user.signatures);
    }
    key.details.users.retain(|u| !u.signatures.is_empty());
    for attr in &mut key.details.user_attributes {
        own(&mut attr.signatures);
    }
    key.details
        .user_attributes
        .retain(|a| !a.signatures.is_empty());
    for sub in &mut key.public_subkeys {
        own(&mut sub.signatures);
    }
    key.public_subkeys.retain(|s| !s.signatures.is_empty());
    key
}

/// The newest moment the key attests to: the latest creation time of its key packets and of
/// its own-issued self-signatures, verified or not (a later "now" only makes expiry stricter).
fn newest_attested_time(key: &SignedPublicKey) -> u64 {
    let details = &key.details;
    let sigs = details
        .revocation_signatures
        .iter()
        .chain(&details.direct_signatures)
        .chain(details.users.iter().flat_map(|u| &u.signatures))
        .chain(details.user_attributes.iter().flat_map(|a| &a.signatures))
        .chain(key.public_subkeys.iter().flat_map(|s| &s.signatures));
    let sig_times = sigs.filter_map(created);
    let key_times = std::iter::once(secs(key.primary_key.created_at()))
        .chain(key.public_subkeys.iter().map(|s| secs(s.key.created_at())));
    sig_times.chain(key_times).max().unwrap_or(0)
}

fn secs(t: pgp::types::Timestamp) -> u64 {
    u64::from(t.as_secs())
}

fn created(sig: &Signature) -> Option<u64> {
    sig.created().map(secs)
}

/// The newest of `sigs` by creation time (the later one in packet order on a tie).
fn newest<'a>(sigs: impl Iterator<Item = &'a Signature>) -> Option<&'a Signature> {
    sigs.filter(|s| created(s).is_some())
        .max_by_key(|s| created(s).unwrap_or(0))
}

/// Why a signature is not valid at `now`, if it is not.
fn signature_invalid_at(sig: &Signature, now: u64) -> Option<String> {
    let created = created(sig)?;
    if created > now {
        return Some(format!("its self-signature is dated {}", date(created)));
    }
    let expiry = sig
        .signature_expiration_time()
        .map_or(0, |d| u64::from(d.as_secs()));
    if expiry != 0 && created.saturating_add(expiry) <= now {
        return Some(format!(
            "its self-signature expired on {}",
            date(created.saturating_add(expiry))
        ));
    }
    None
}

/// Why a key is not valid at `now` according to its binding signature, if it is not.
fn key_invalid_at(key_created: u64, binding: &Signature, now: u64) -> Option<String> {
    if key_created > now {
        return Some(format!("it was created on {}", date(key_created)));
    }
    let expiry = binding
        .key_expiration_time()
        .map_or(0, |d| u64::from(d.as_secs()));
    if expiry != 0 && key_created.saturating_add(expiry) <= now {
        return Some(format!(
            "it expired on {}",
            date(key_created.saturating_add(expiry))
        ));
    }
    signature_invalid_at(binding, now)
}

fn has_key_flags(sig: &Signature) -> bool {
    sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, pgp::packet::SubpacketData::KeyFlags(_)))
    })
}

fn flags_encrypt(sig: &Signature) -> bool {
    let flags = sig.key_flags();
    flags.encrypt_comms() || flags.encrypt_storage()
}

fn is_certification(sig: &Signature) -> bool {
    matches!(
        sig.typ(),
        Some(
            SignatureType::CertGeneric
                | SignatureType::CertPersona
                | SignatureType::CertCasual
                | SignatureType::CertPositive
        )
    )
}

/// Caps the public-key operations one parse spends (signature verifications and trial
/// encryptions) at [`PgpRecipient::MAX_KEY_OPERATIONS`].
struct Budget(usize);

impl Budget {
    /// Takes one operation, or refuses the key once the budget is spent.
    fn spend(&mut self, cost: usize) -> Result<(), PgpError> {
        self.0 = self.0.checked_sub(cost).ok_or(PgpError::TooComplex {
            limit: PgpKeyLimit::KeyOperations,
            max: PgpRecipient::MAX_KEY_OPERATIONS,
        })?;
        Ok(())
    }

    /// Verifies one self-signature (`check` is rPGP's verification of it) for one operation; a
    /// signature the choice relies on that does not verify refuses the key.
    fn verify(
        &mut self,
        signer: &impl KeyDetails,
        check: impl FnOnce() -> pgp::errors::Result<()>,
    ) -> Result<(), PgpError> {
        self.spend(operation_cost(signer))?;
        check().map_err(|e| {
            parse_error(&format!(
                "error verifying the key's self-signatures: {}",
                short_reason(&e)
            ))
        })
    }
}

/// The newest of `sigs` of type `typ`, else (none of them dated) the first of that type.
fn newest_of_type(sigs: &[Signature], typ: SignatureType) -> Option<&Signature> {
    let of_type = || sigs.iter().filter(move |s| s.typ() == Some(typ));
    newest(of_type()).or_else(|| of_type().next())
}

/// The primary key's self-signature that carries its flags and expiry: the newest valid
/// certification of the primary user ID (the newest one flagged primary, else the newest of
/// any unrevoked user ID), else the newest direct-key signature. Only the signatures this
/// choice rests on are verified: the chosen one, and the revocations of the user IDs preferred
/// to it.
fn primary_self_signature<'k>(
    key: &'k SignedPublicKey,
    now: u64,
    budget: &mut Budget,
) -> Result<&'k Signature, PgpError> {
    let primary = &key.primary_key;
    // Each user ID's newest certification, if valid at `now`, and its newest revocation if
    // that is not older.
    let mut candidates = Vec::new();
    for (index, user) in key.details.users.iter().enumerate() {
        let Some(cert) = newest(user.signatures.iter().filter(|s| is_certification(s))) else {
            continue;
        };
        if signature_invalid_at(cert, now).is_some() {
            continue;
        }
        let revocation = newest_of_type(&user.signatures, SignatureType::CertRevocation)
            .filter(|r| created(r) >= created(cert));
        candidates.push((index, user, cert, revocation));
    }
    // Preferred first: flagged primary, then newer, then later in packet order (the order in
    // which the choice was made before it was lazy).
    candidates.sort_by_key(|&(index, _, cert, _)| {
        std::cmp::Reverse((cert.is_primary(), created(cert), index))
    });
    for (_, user, cert, revocation) in candidates {
        if let Some(revocation) = revocation {
            budget.verify(primary, || {
                revocation.verify_certification(primary, Tag::UserId, &user.id)
            })?;
            continue;
        }
        budget.verify(primary, || {
            cert.verify_certification(primary, Tag::UserId, &user.id)
        })?;
        return Ok(cert);
    }
    if !key.details.users.is_empty() {
        return Err(unusable(
            "every user ID of the key is revoked or expired".to_owned(),
        ));
    }
    let direct = newest(
        key.details
            .direct_signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::Key)),
    )
    .ok_or_else(|| unusable("the primary key has no self-signature".to_owned()))?;
    budget.verify(primary, || direct.verify_key(primary))?;
    Ok(direct)
}

/// Chooses the key to encrypt to at `now`, as Go's openpgp `Entity.encryptionKey()` does,
/// verifying only the self-signatures the choice rests on, newest first, within `budget`.
fn choose_encryption_key(
    key: &SignedPublicKey,
    now: u64,
    budget: &mut Budget,
) -> Result<EncryptionKey, PgpError> {
    let primary = &key.primary_key;
    if let Some(revocation) = newest_of_type(
        &key.details.revocation_signatures,
        SignatureType::KeyRevocation,
    )
    .or_else(|| key.details.revocation_signatures.first())
    {
        budget.verify(primary, || revocation.verify_key(primary))?;
        return Err(unusable("the key is revoked".to_owned()));
    }
    let primary_sig = primary_self_signature(key, now, budget)?;
    if let Some(why) = key_invalid_at(secs(primary.created_at()), primary_sig, now) {
        return Err(unusable(format!("the primary key is not valid: {why}")));
    }
    // A direct-key signature may set an expiry too.
    if let Some(direct) = newest(
        key.details
            .direct_signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::Key)),
    ) {
        if !std::ptr::eq(direct, primary_sig) {
            budget.verify(primary, || direct.verify_key(primary))?;
        }
        if let Some(why) = key_invalid_at(secs(primary.created_at()), direct, now) {
            return Err(unusable(format!("the primary key is not valid: {why}")));
        }
    }

    // Free checks first, on each subkey's newest binding, in packet order (the first refusal is
    // the one reported when no key qualifies).
    let mut first_refusal: Option<String> = None;
    let mut candidates = Vec::new();
    for (index, sub) in key.public_subkeys.iter().enumerate() {
        let Some(binding) = newest(
            sub.signatures
                .iter()
                .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding)),
        ) else {
            continue;
        };
        if !has_key_flags(binding) || !flags_encrypt(binding) {
            continue;
        }
        let refusal = if !sub.key.algorithm().can_encrypt() {
            Some(format!(
                "its algorithm {:?} cannot encrypt",
                sub.key.algorithm()
            ))
        } else if sub.key.version() != KeyVersion::V4 {
            Some("it is not an OpenPGP version 4 key".to_owned())
        } else {
            key_invalid_at(secs(sub.key.created_at()), binding, now)
        };
        if let Some(why) = refusal {
            first_refusal.get_or_insert(format!(
                "encryption subkey {}: {why}",
                hex_fingerprint(&sub.key)
            ));
            continue;
        }
        candidates.push((index, sub, binding));
    }
    // Then the costly ones, newest binding first (the earlier in packet order on a tie), until
    // one subkey passes: its revocation, its binding (and, for a subkey that may also sign, the
    // embedded back-signature), a trial encryption.
    candidates.sort_by_key(|&(index, _, binding)| (std::cmp::Reverse(created(binding)), index));
    for (_, sub, binding) in candidates {
        let id = hex_fingerprint(&sub.key);
        if let Some(revocation) = newest_of_type(&sub.signatures, SignatureType::SubkeyRevocation) {
            budget.verify(primary, || {
                revocation.verify_subkey_binding(primary, &sub.key)
            })?;
            first_refusal.get_or_insert(format!("encryption subkey {id}: it is revoked"));
            continue;
        }
        budget.verify(primary, || binding.verify_subkey_binding(primary, &sub.key))?;
        if binding.key_flags().sign() {
            let backsig = binding.embedded_signature().ok_or_else(|| {
                parse_error(
                    "error verifying the key's self-signatures: missing embedded signature for \
                     signing capable subkey",
                )
            })?;
            budget.verify(&sub.key, || {
                backsig.verify_primary_key_binding(&sub.key, primary)
            })?;
        }
        budget.spend(operation_cost(&sub.key))?;
        match trial_encrypt(&sub.key) {
            Ok(()) => return Ok(EncryptionKey::Subkey(sub.key.clone())),
            Err(why) => {
                first_refusal.get_or_insert(format!("encryption subkey {id}: {why}"));
            }
        }
    }

    let primary_may_encrypt = !has_key_flags(primary_sig) || flags_encrypt(primary_sig);
    if primary_may_encrypt && primary.algorithm().can_encrypt() {
        budget.spend(operation_cost(primary))?;
        match trial_encrypt(primary) {
            Ok(()) => return Ok(EncryptionKey::Primary(primary.clone())),
            Err(why) => {
                first_refusal.get_or_insert(format!("primary key: {why}"));
            }
        }
    }
    Err(unusable(first_refusal.unwrap_or_else(|| {
        "the key has no encryption-capable key (no subkey flagged for encryption, and the \
         primary key may not encrypt)"
            .to_owned()
    })))
}

/// Encrypts a throwaway session key to `key` exactly as [`PgpRecipient::encrypt_token`] will,
/// so that a key rPGP cannot encrypt to (ElGamal, brainpool curves, an ECDH key with a forbidden
/// KDF hash...) is refused at start rather than at completion.
fn trial_encrypt<K: pgp::types::EncryptionKey + KeyDetails>(key: &K) -> Result<(), String> {
    let mut rng = TrialRng(0x9e37_79b9_7f4a_7c15);
    let session_key = SymmetricKeyAlgorithm::AES256.new_session_key(&mut rng);
    PublicKeyEncryptedSessionKey::from_session_key_v3(
        &mut rng,
        &session_key,
        SymmetricKeyAlgorithm::AES256,
        key,
    )
    .map(drop)
    .map_err(|e| {
        format!(
            "cannot encrypt to its {:?} key: {}",
            key.algorithm(),
            short_reason(&e)
        )
    })
}

/// A deterministic filler (xorshift64*) for [`trial_encrypt`], whose output is discarded: it
/// protects nothing, it only lets rPGP run its encryption path. Never used for the real message.
struct TrialRng(u64);

impl rand_core_06::RngCore for TrialRng {
    fn next_u32(&mut self) -> u32 {
        // The high half of the 64-bit output.
        u32::try_from(self.next_u64() >> 32).unwrap_or_default()
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(word.get(..chunk.len()).unwrap_or_default());
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// rPGP's encryption requires the marker; see `TrialRng`'s documentation for why a throwaway
// filler is acceptable here.
impl rand_core_06::CryptoRng for TrialRng {}

fn hex_fingerprint(key: &impl KeyDetails) -> String {
    format!("{:x}", key.fingerprint())
}

fn parse_error(reason: &str) -> PgpError {
    PgpError::Parse {
        reason: reason.to_owned(),
    }
}

fn unusable(reason: String) -> PgpError {
    PgpError::Unusable { reason }
}

/// An rPGP error's `Display` text, short. Never its `Debug`, which can carry a backtrace.
fn short_reason(e: &pgp::errors::Error) -> String {
    sanitize(&e.to_string())
}

/// Cuts a parser message at its first line break or bracket (some rPGP texts embed a nom error's
/// `Debug`, input bytes included) and bounds its length.
fn sanitize(text: &str) -> String {
    let cut = text.find(['\n', '\r', '(', '{', '[']).unwrap_or(text.len());
    let mut head = text.get(..cut).unwrap_or(text);
    // A bracket glued to a word (`Error(...)`) starts a `Debug` dump: drop that word too.
    let bracket = text
        .get(cut..)
        .is_some_and(|rest| rest.starts_with(['(', '{', '[']));
    if bracket && !head.ends_with(char::is_whitespace) {
        head = head.rsplit_once(' ').map_or("", |(before, _)| before);
    }
    let mut s = head.trim_end().to_owned();
    if s.len() > MAX_REASON_LEN {
        let mut end = MAX_REASON_LEN;
        while !s.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

/// `YYYY-MM-DD HH:MM:SS UTC` for Unix seconds (proleptic Gregorian calendar).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "invariant: for any u64 seconds, days < 2^48 and every intermediate stays far below \
              u64::MAX; every subtraction is of a smaller part of the same quantity"
)]
fn date(unix: u64) -> String {
    let days = unix / 86_400;
    let rem = unix % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (non-negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Feeds rPGP, which takes rand_core 0.6 RNGs, from the caller's rand_core 0.10 `CryptoRng`.
struct Rng06<'a, R: CryptoRng + ?Sized>(&'a mut R);

impl<R: CryptoRng + ?Sized> rand_core_06::RngCore for Rng06<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl<R: CryptoRng + ?Sized> rand_core_06::CryptoRng for Rng06<'_, R> {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(date(0), "1970-01-01 00:00:00 UTC");
        // Values checked with `date -u -d @N`.
        assert_eq!(date(1_577_923_200), "2020-01-02 00:00:00 UTC");
        assert_eq!(date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(date(4_102_444_799), "2099-12-31 23:59:59 UTC");
        assert_eq!(date(u64::from(u32::MAX)), "2106-02-07 06:28:15 UTC");
    }

    #[test]
    fn reasons_are_cut_before_debug_dumps_and_bounded() {
        assert_eq!(
            sanitize("IO error: failed reading: armor footer Error(Error { input: [110, 111] })"),
            "IO error: failed reading: armor footer"
        );
        assert_eq!(sanitize("first line\nstack backtrace:"), "first line");
        let long = "x".repeat(1000);
        assert_eq!(sanitize(&long).len(), MAX_REASON_LEN + 3);
        let multibyte = "é".repeat(300);
        assert!(sanitize(&multibyte).ends_with("..."));
    }

    #[test]
    fn secret_key_packets_are_recognised_by_their_header() {
        assert!(is_secret_key_packet(&[0xc5, 0x58])); // new format, tag 5
        assert!(is_secret_key_packet(&[0x95, 0x01])); // old format, tag 5
        assert!(!is_secret_key_packet(&[0xc6, 0x33])); // new format, tag 6 (public key)
        assert!(!is_secret_key_packet(&[0x99, 0x01])); // old format, tag 6
        assert!(!is_secret_key_packet(&[0x05]));
        assert!(!is_secret_key_packet(&[]));
    }

    #[test]
    fn the_rng_adapter_passes_the_callers_bytes_through() {
        use rand::SeedableRng as _;
        use rand_core_06::RngCore as _;

        let mut a = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = rand::rngs::StdRng::seed_from_u64(7);
        let mut adapter = Rng06(&mut a);
        let mut got = [0u8; 40];
        adapter.fill_bytes(&mut got);
        let mut more = [0u8; 8];
        adapter.try_fill_bytes(&mut more).unwrap();
        let x = adapter.next_u32();
        let y = adapter.next_u64();

        let mut want = [0u8; 40];
        rand_core::Rng::fill_bytes(&mut b, &mut want);
        let mut want_more = [0u8; 8];
        rand_core::Rng::fill_bytes(&mut b, &mut want_more);
        assert_eq!(got, want);
        assert_eq!(more, want_more);
        assert_eq!(x, rand_core::Rng::next_u32(&mut b));
        assert_eq!(y, rand_core::Rng::next_u64(&mut b));
    }

    #[test]
    fn packet_headers_are_framed_as_rfc_9580_says() {
        // New format: one-, two- and five-octet lengths.
        assert_eq!(next_packet(&[0xc2, 2, 7, 8, 9]), Some((2, 2, &[9u8][..])));
        let mut two = vec![0xcd, 0xc0, 0x00];
        two.extend([0u8; 192]);
        assert_eq!(next_packet(&two), Some((13, 192, &[][..])));
        let mut two_max = vec![0xcd, 0xdf, 0xff];
        two_max.extend(vec![0u8; 8383]);
        assert_eq!(next_packet(&two_max), Some((13, 8383, &[][..])));
        let mut five = vec![0xcd, 0xff, 0, 0, 1, 0];
        five.extend([0u8; 256]);
        assert_eq!(next_packet(&five), Some((13, 256, &[][..])));
        // Partial lengths on a data packet: 512 bytes, then 2, then a final part of 1.
        let mut partial = vec![0xcb, 0xe9];
        partial.extend([0u8; 512]);
        partial.extend([0xe1, 1, 2, 0x01, 3, 0xc2]);
        assert_eq!(next_packet(&partial), Some((11, 515, &[0xc2u8][..])));
        // rPGP refuses a partial length on a user ID, or a first part under 512 bytes, and reads
        // the body as packets: so does the count.
        assert_eq!(
            next_packet(&[0xcd, 0xe9, 0xc2, 0]),
            Some((13, 0, &[0xc2u8, 0][..]))
        );
        assert_eq!(
            next_packet(&[0xcb, 0xe1, 0xc2, 0]),
            Some((11, 0, &[0xc2u8, 0][..]))
        );
        // Old format: one-, two-, four-octet and indeterminate lengths.
        assert_eq!(next_packet(&[0x88, 1, 5]), Some((2, 1, &[][..])));
        assert_eq!(next_packet(&[0xb5, 0, 1, 5, 6]), Some((13, 1, &[6u8][..])));
        assert_eq!(
            next_packet(&[0xb6, 0, 0, 0, 2, 5, 6]),
            Some((13, 2, &[][..]))
        );
        assert_eq!(next_packet(&[0xb7, 1, 2, 3]), Some((13, 3, &[][..])));
        // Truncated, or not a packet: the count stops.
        for bad in [
            &[][..],
            &[0x05, 1, 2],
            &[0xc2],
            &[0xc2, 5, 1],
            &[0xcd, 0xc0],
            &[0xcd, 0xff, 0, 0],
            &[0xcb, 0xe9, 1],
            &[0x89, 0],
        ] {
            assert_eq!(next_packet(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn packet_caps_count_headers_before_any_parse() {
        let uid = |len: usize| {
            let mut p = vec![0xcd, 0xff];
            p.extend(u32::try_from(len).unwrap().to_be_bytes());
            p.extend(vec![b'a'; len]);
            p
        };
        assert_eq!(
            check_packet_caps(&uid(PgpRecipient::MAX_USER_ID_LEN)),
            Ok(0)
        );
        assert_eq!(
            check_packet_caps(&uid(PgpRecipient::MAX_USER_ID_LEN + 1)),
            Err(PgpError::TooComplex {
                limit: PgpKeyLimit::UserIdLength,
                max: PgpRecipient::MAX_USER_ID_LEN
            })
        );
        // Old-format user IDs count too.
        let mut old = vec![0xb5];
        old.extend(
            u16::try_from(PgpRecipient::MAX_USER_ID_LEN + 1)
                .unwrap()
                .to_be_bytes(),
        );
        old.extend(vec![b'a'; PgpRecipient::MAX_USER_ID_LEN + 1]);
        assert!(check_packet_caps(&old).is_err());
        let sigs = |n: usize| [0xc2u8, 0].repeat(n);
        assert_eq!(
            check_packet_caps(&sigs(PgpRecipient::MAX_SIGNATURES)),
            Ok(0)
        );
        assert_eq!(
            check_packet_caps(&sigs(PgpRecipient::MAX_SIGNATURES + 1)),
            Err(PgpError::TooComplex {
                limit: PgpKeyLimit::Signatures,
                max: PgpRecipient::MAX_SIGNATURES
            })
        );
        let subkeys = |n: usize| [0xceu8, 0].repeat(n);
        assert!(check_packet_caps(&subkeys(PgpRecipient::MAX_SUBKEYS + 1)).is_err());
        let uids = |n: usize| [0xcdu8, 0].repeat(n);
        assert!(check_packet_caps(&uids(PgpRecipient::MAX_USER_IDS + 1)).is_err());
        let markers = |n: usize| [0xcau8, 0].repeat(n);
        assert_eq!(
            check_packet_caps(&markers(PgpRecipient::MAX_PACKETS)),
            Ok(0)
        );
        assert_eq!(
            check_packet_caps(&markers(PgpRecipient::MAX_PACKETS + 1)),
            Err(PgpError::TooComplex {
                limit: PgpKeyLimit::Packets,
                max: PgpRecipient::MAX_PACKETS
            })
        );
    }

    #[test]
    fn empty_and_non_key_input_is_a_parse_error() {
        for input in [
            "\r\n",
            "AAAA",
            "-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n",
        ] {
            let err = PgpRecipient::parse(input).unwrap_err();
            assert!(matches!(err, PgpError::Parse { .. }), "{input:?}: {err:?}");
        }
    }
}

//! A share registry: public data, made when a key is split, from which one submitted share can
//! be recognised as one of that key set's shares, without the key and without the other shares.
//!
//! # Construction
//!
//! A registry holds a random 32-byte salt and, per share, its x coordinate and a tag:
//!
//! ```text
//! tag = HMAC-SHA256(key = salt, "recovery-token/share-registry/v1" || share)
//! ```
//!
//! where `share` is the whole share in Vault's layout (the y bytes, then the x byte), so the
//! tag binds the x coordinate and the length too.
//!
//! # Why it leaks nothing usable
//!
//! The salt is public, so a tag is in effect a (domain-separated) SHA-256 hash of the share:
//! whoever holds the registry can *confirm a guessed share*, and nothing more. That is safe
//! because a share carries the key's full entropy:
//!
//! - With threshold `t >= 2`, the y bytes of any one share (indeed of any `t - 1` shares) are
//!   uniformly random and independent of the key: Shamir's scheme is perfectly hiding below the
//!   threshold. A 16-byte key gives 16 random y bytes per share, so confirming a guess takes on
//!   the order of 2^128 HMAC evaluations per share (2^256 for 32-byte keys). Someone who holds
//!   `t - 1` shares and the registry can test guesses of the *key* (each guess fixes the
//!   remaining shares), which again is a search over the key's 2^128 or more values.
//! - With threshold 1 the one share is the key itself, and its tag is a salted hash of a 16 to
//!   32-byte random key: the same 2^128 or more work.
//! - The tag covers the whole share at once, so Shamir's byte-by-byte independence gives no
//!   byte-at-a-time search.
//! - The salt makes tags of one key set unlinkable to another's (re-splitting the same key
//!   gives unrelated tags) and rules out precomputation; the domain-separation string keeps a
//!   registry tag from ever equalling an audit [`crate::audit::ShareId`] or any other MAC
//!   computed with the same bytes.
//!
//! x coordinates are public in Shamir's scheme (they identify a share, not the secret), so the
//! registry lists them in the clear.
//!
//! What a registry is NOT: a secret. Store it beside the host's configuration, print it, check
//! it into configuration management. It *is* integrity-sensitive: whoever can replace it can
//! make the generator accept their own shares (which still fail the final key check) or refuse
//! the real ones.
//!
//! # Look-up
//!
//! [`ShareRegistry::contains`] computes the submitted share's tag once and compares it with
//! every entry's tag in constant time (subtle), with no early exit: its timing depends on the
//! share's length (public: length checks precede it) and on the registry's size, never on the
//! share's bytes or on which entry matched.
//!
//! # Text form
//!
//! One line, ASCII, versioned:
//!
//! ```text
//! rtreg1:<salt: 64 lowercase hex digits>:<x: 2 hex digits><tag: 64 hex digits>,<x><tag>,...
//! ```
//!
//! Entries are written in the order of the shares given; x coordinates are unique. At most 255
//! entries, so a registry's text is at most [`ShareRegistry::MAX_TEXT_LEN`] bytes;
//! [`ShareRegistry::parse`] refuses anything longer before reading it, accepts one trailing
//! newline (`\n` or `\r\n`, as a file holds it), either hex case, and nothing else.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::share::{KeyShare, SplitError};

/// Domain separation for registry tags.
const REGISTRY_CONTEXT: &[u8] = b"recovery-token/share-registry/v1";

/// The text form's version prefix.
const PREFIX: &str = "rtreg1:";

/// The prefix, the salt's hex and its `:`.
const HEAD_LEN: usize = PREFIX.len() + 65;

/// Hex digits of one entry: x (2) and the tag (64).
const ENTRY_HEX: usize = 66;

/// The most entries: x is one byte (non-zero for a split; at threshold 1 the one share is the
/// key and its "x" is the key's last byte).
const MAX_ENTRIES: usize = 255;

/// One registered share: its x coordinate and its tag. Public.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    x: u8,
    tag: [u8; 32],
}

/// Public data recognising one key set's shares (see the module docs for the construction and
/// why it is safe to publish).
///
/// # Examples
///
/// ```
/// use recovery_token::shares::{KeyShare, ShareRegistry};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut rng = rand::rng();
/// let (shares, registry) = KeyShare::split_with_registry(&[9u8; 32], 3, 5, &mut rng)?;
/// assert!(shares.iter().all(|s| registry.contains(s)));
///
/// let foreign = KeyShare::split(&[9u8; 32], 3, 5, &mut rng)?; // the same key, split again
/// assert!(foreign.iter().all(|s| !registry.contains(s)));
///
/// let text = registry.to_text(); // safe to store and print
/// assert!(text.starts_with("rtreg1:"));
/// assert_eq!(ShareRegistry::parse(&text)?, registry);
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ShareRegistry {
    salt: [u8; 32],
    entries: Vec<Entry>,
}

/// Why a registry could not be made from shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No shares were given.
    #[error("a share registry needs at least one share")]
    NoShares,
    /// More than 255 shares.
    #[error("a share registry holds at most 255 shares")]
    TooManyShares,
    /// Two shares have the same x coordinate (they cannot belong to one split).
    #[error("two shares have the same x coordinate {x}")]
    DuplicateX {
        /// The repeated x coordinate (public).
        x: u8,
    },
}

/// Why a registry's text was refused. No variant carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryParseError {
    /// Longer than [`ShareRegistry::MAX_TEXT_LEN`] bytes.
    #[error("share registry text is longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Not `rtreg1:` (another version, or not a registry).
    #[error("not a share registry of version 1 (expected the prefix `rtreg1:`)")]
    Version,
    /// The salt is not 64 hex digits followed by `:`.
    #[error("share registry salt must be 64 hex digits followed by ':'")]
    Salt,
    /// No entries.
    #[error("share registry has no shares")]
    Empty,
    /// An entry is not 2 + 64 hex digits.
    #[error("share registry entry {index} must be 66 hex digits (x, then the tag)")]
    Entry {
        /// The entry's position, from 0.
        index: usize,
    },
    /// Two entries with the same x coordinate.
    #[error("share registry lists x coordinate {x} twice")]
    DuplicateX {
        /// The repeated x coordinate.
        x: u8,
    },
    /// More than 255 entries.
    #[error("share registry holds at most 255 shares")]
    TooManyEntries,
}

impl ShareRegistry {
    /// The longest text [`Self::parse`] reads: a full registry of 255 entries plus `\r\n`.
    pub const MAX_TEXT_LEN: usize = PREFIX.len() + 64 + 1 + MAX_ENTRIES * (ENTRY_HEX + 1) + 1;

    /// A registry of `shares` (all of one key set, as [`KeyShare::split`] made them), with a
    /// fresh salt from `rng`.
    ///
    /// # Errors
    /// [`RegistryError`]: no shares, more than 255, or a repeated x coordinate.
    pub fn from_shares<R: CryptoRng + ?Sized>(
        shares: &[KeyShare],
        rng: &mut R,
    ) -> Result<Self, RegistryError> {
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        Self::with_salt(salt, shares)
    }

    /// [`Self::from_shares`] with a given salt.
    fn with_salt(salt: [u8; 32], shares: &[KeyShare]) -> Result<Self, RegistryError> {
        if shares.is_empty() {
            return Err(RegistryError::NoShares);
        }
        if shares.len() > MAX_ENTRIES {
            return Err(RegistryError::TooManyShares);
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(shares.len());
        for share in shares {
            let x = share.x();
            if entries.iter().any(|e| e.x == x) {
                return Err(RegistryError::DuplicateX { x });
            }
            entries.push(Entry {
                x,
                tag: tag(&salt, share.expose_secret()),
            });
        }
        Ok(Self { salt, entries })
    }

    /// Whether `share` is one of the registered shares. Constant time in the share's bytes: one
    /// HMAC of the share, then a comparison with every entry, with no early exit.
    #[must_use]
    pub fn contains(&self, share: &KeyShare) -> bool {
        let t = tag(&self.salt, share.expose_secret());
        let found = self
            .entries
            .iter()
            .fold(Choice::from(0), |acc, e| acc | e.tag.ct_eq(&t));
        bool::from(found)
    }

    /// How many shares are registered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false for a registry made by [`Self::from_shares`] or [`Self::parse`].
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The registered x coordinates (public), in the registry's order.
    pub fn xs(&self) -> impl Iterator<Item = u8> + '_ {
        self.entries.iter().map(|e| e.x)
    }

    /// The stable text form (module docs): `rtreg1:<salt>:<x><tag>,...`, lowercase hex.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(
            HEAD_LEN.saturating_add(self.entries.len().saturating_mul(ENTRY_HEX + 1)),
        );
        out.push_str(PREFIX);
        push_hex(&mut out, &self.salt);
        out.push(':');
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_hex(&mut out, &[e.x]);
            push_hex(&mut out, &e.tag);
        }
        out
    }

    /// Reads the text form from `reader` (a file written from [`Self::to_text`]): at most
    /// [`Self::MAX_TEXT_LEN`] + 1 bytes are read, so a larger input is refused
    /// ([`RegistryParseError::TooLong`]) without being read whole.
    ///
    /// # Errors
    /// The reader's errors; text that is not UTF-8, or that [`Self::parse`] refuses, as
    /// [`std::io::ErrorKind::InvalidData`] (the [`RegistryParseError`] is its source).
    pub fn read_from(reader: impl std::io::Read) -> std::io::Result<Self> {
        use std::io::Read as _;
        let limit = u64::try_from(Self::MAX_TEXT_LEN).map_or(u64::MAX, |n| n.saturating_add(1));
        let mut text = String::new();
        reader.take(limit).read_to_string(&mut text)?;
        Self::parse(&text).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Reads the text form (module docs). Refuses, with a typed error and without panicking,
    /// any other input; reads at most [`Self::MAX_TEXT_LEN`] bytes.
    ///
    /// # Errors
    /// [`RegistryParseError`].
    pub fn parse(text: &str) -> Result<Self, RegistryParseError> {
        if text.len() > Self::MAX_TEXT_LEN {
            return Err(RegistryParseError::TooLong {
                max: Self::MAX_TEXT_LEN,
            });
        }
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        let rest = text
            .strip_prefix(PREFIX)
            .ok_or(RegistryParseError::Version)?;
        let (salt_hex, list) = rest.split_once(':').ok_or(RegistryParseError::Salt)?;
        let salt: [u8; 32] = decode_hex_array(salt_hex).ok_or(RegistryParseError::Salt)?;
        if list.is_empty() {
            return Err(RegistryParseError::Empty);
        }
        let mut entries: Vec<Entry> = Vec::new();
        for (index, item) in list.split(',').enumerate() {
            if index >= MAX_ENTRIES {
                return Err(RegistryParseError::TooManyEntries);
            }
            let bad = RegistryParseError::Entry { index };
            if item.len() != ENTRY_HEX || !item.is_ascii() {
                return Err(bad);
            }
            let (x_hex, tag_hex) = item.split_at(2);
            let [x]: [u8; 1] = decode_hex_array(x_hex).ok_or(bad)?;
            let tag: [u8; 32] = decode_hex_array(tag_hex).ok_or(bad)?;
            if entries.iter().any(|e| e.x == x) {
                return Err(RegistryParseError::DuplicateX { x });
            }
            entries.push(Entry { x, tag });
        }
        Ok(Self { salt, entries })
    }
}

impl KeyShare {
    /// [`KeyShare::split`], and the [`ShareRegistry`] of the shares it made (with a fresh salt
    /// from the same `rng`): the host stores the registry (public) and hands out the shares.
    ///
    /// # Errors
    /// As [`KeyShare::split`].
    pub fn split_with_registry<R: CryptoRng + ?Sized>(
        key: &[u8],
        threshold: usize,
        shares: usize,
        rng: &mut R,
    ) -> Result<(Vec<Self>, ShareRegistry), SplitError> {
        let split = Self::split(key, threshold, shares, rng)?;
        // The split made 1..=255 shares with distinct x: the registry cannot refuse them.
        let registry = ShareRegistry::from_shares(&split, rng).map_err(|_| SplitError::Split)?;
        Ok((split, registry))
    }
}

impl fmt::Display for ShareRegistry {
    /// The text form ([`ShareRegistry::to_text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for ShareRegistry {
    /// Public data, but long: the size and the x coordinates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareRegistry")
            .field("shares", &self.entries.len())
            .field("xs", &self.xs().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl FromStr for ShareRegistry {
    type Err = RegistryParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `HMAC-SHA256(salt, context || share)`.
fn tag(salt: &[u8; 32], share: &[u8]) -> [u8; 32] {
    #[allow(
        clippy::expect_used,
        reason = "invariant: HMAC takes keys of any length, new_from_slice never fails for it"
    )]
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(salt).expect("HMAC accepts a key of any length");
    mac.update(REGISTRY_CONTEXT);
    mac.update(share);
    mac.finalize().into_bytes().into()
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        for nibble in [b >> 4, b & 0xF] {
            out.push(char::from(*HEX.get(usize::from(nibble)).unwrap_or(&b'0')));
        }
    }
}

/// Exactly `2 * N` hex digits (either case) to `N` bytes.
fn decode_hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c.wrapping_sub(b'0')),
            b'a'..=b'f' => Some(c.wrapping_sub(b'a').wrapping_add(10)),
            b'A'..=b'F' => Some(c.wrapping_sub(b'A').wrapping_add(10)),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if s.len() != N.checked_mul(2)? {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *slot = (nibble(*hi)? << 4) | nibble(*lo)?;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salted(shares: &[KeyShare], first: u8) -> ShareRegistry {
        let mut salt = [0u8; 32];
        for (b, v) in salt.iter_mut().zip(first..) {
            *b = v;
        }
        ShareRegistry::with_salt(salt, shares).expect("test shares")
    }

    fn share(hex: &str) -> KeyShare {
        KeyShare::parse(hex, &(4..=33)).expect("test share")
    }

    #[test]
    fn tag_is_hmac_sha256_of_context_and_share() {
        // Known answer from Python: hmac.new(bytes(range(1, 33)),
        //   b"recovery-token/share-registry/v1" + bytes.fromhex("7061777801"), "sha256")
        let r = salted(&[share("7061777801")], 1);
        assert_eq!(
            r.to_text(),
            "rtreg1:0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20:01\
             fcb14eea0d6eb1b837d8ea2422dec08f6d721e32423455c8152b8a3b1be1cd79"
        );
    }

    #[test]
    fn contains_only_the_registered_shares() {
        let shares = [
            share("7061777801"),
            share("6279695c02"),
            share("667d6d5003"),
        ];
        let r = salted(&shares[..2], 7);
        assert!(r.contains(&shares[0]) && r.contains(&shares[1]));
        assert!(!r.contains(&shares[2]));
        // Same x as a registered share, other bytes.
        assert!(!r.contains(&share("7061777701")));
        assert_eq!(r.xs().collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn from_shares_refuses_what_no_split_makes() {
        let mut rng = rand::rng();
        assert_eq!(
            ShareRegistry::from_shares(&[], &mut rng),
            Err(RegistryError::NoShares)
        );
        let twice = [share("7061777801"), share("6279695c01")];
        assert_eq!(
            ShareRegistry::from_shares(&twice, &mut rng),
            Err(RegistryError::DuplicateX { x: 1 })
        );
    }

    #[test]
    fn parse_refuses_every_malformed_text() {
        let r = salted(&[share("7061777801"), share("6279695c02")], 3);
        let good = r.to_text();
        assert_eq!(ShareRegistry::parse(&good), Ok(r.clone()));
        assert_eq!(ShareRegistry::parse(&format!("{good}\n")), Ok(r.clone()));
        assert_eq!(ShareRegistry::parse(&format!("{good}\r\n")), Ok(r.clone()));
        assert_eq!(
            ShareRegistry::parse(&good.to_uppercase().replace("RTREG1", "rtreg1")),
            Ok(r)
        );
        use RegistryParseError as E;
        let cases: Vec<(String, E)> = vec![
            (String::new(), E::Version),
            ("rtreg2:".into(), E::Version),
            (good.replacen("rtreg1:", "", 1), E::Version),
            ("rtreg1:00".into(), E::Salt),
            (format!("rtreg1:{}:", "0".repeat(63)), E::Salt),
            (format!("rtreg1:{}:", "0".repeat(64)), E::Empty),
            (format!("{good},"), E::Entry { index: 2 }),
            (format!("{good}\n\n"), E::Entry { index: 1 }),
            (format!("{good} "), E::Entry { index: 1 }),
            (good.replacen(":01", ":0g", 1), E::Entry { index: 0 }),
            (format!("{good},{}", &good[72..138]), E::DuplicateX { x: 1 }),
            (
                "x".repeat(ShareRegistry::MAX_TEXT_LEN + 1),
                E::TooLong {
                    max: ShareRegistry::MAX_TEXT_LEN,
                },
            ),
            (
                format!("rtreg1:{}:{}", "0".repeat(64), "é".repeat(33)),
                E::Entry { index: 0 },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ShareRegistry::parse(&text), Err(want), "{text:?}");
        }
    }

    #[test]
    fn a_full_registry_round_trips_and_one_more_entry_is_refused() {
        let mut text = format!("rtreg1:{}:", "ab".repeat(32));
        for x in 1..=255u8 {
            if x > 1 {
                text.push(',');
            }
            text.push_str(&format!("{x:02x}{}", "cd".repeat(32)));
        }
        let r = ShareRegistry::parse(&text).expect("255 entries");
        assert_eq!(r.len(), 255);
        assert_eq!(r.to_text(), text);
        assert!(text.len() + 2 <= ShareRegistry::MAX_TEXT_LEN);
        let more = format!("{text},00{}", "cd".repeat(32));
        // The size bound refuses a 256th entry before it is read.
        assert_eq!(
            ShareRegistry::parse(&more),
            Err(RegistryParseError::TooLong {
                max: ShareRegistry::MAX_TEXT_LEN
            })
        );
    }
}

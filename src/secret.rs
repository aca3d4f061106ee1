//! Secret containers: zeroized on drop, redacted in `Debug`, compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Constant-time equality of two byte strings. Their lengths are not secret and are compared
/// first.
///
/// The differences are OR-accumulated eight bytes at a time with no branch on the contents, and
/// only the accumulated word goes through `subtle`'s optimization barrier: one barrier per
/// comparison instead of one per byte (the duplicate-share check compares every held share).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut acc = 0u64;
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut wa).zip(&mut wb) {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(x).unwrap_or_default());
        let y = u64::from_le_bytes(<[u8; 8]>::try_from(y).unwrap_or_default());
        acc |= x ^ y;
    }
    for (x, y) in wa.remainder().iter().zip(wb.remainder()) {
        acc |= u64::from(x ^ y);
    }
    bool::from(acc.ct_eq(&0))
}

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string; the value is zeroized when this is dropped.
            #[must_use]
            pub fn new(value: String) -> Self {
                Self(value)
            }

            /// The secret text. Handle the result as a secret.
            #[must_use]
            pub fn expose_secret(&self) -> &str {
                &self.0
            }

            /// Length in bytes (not secret).
            #[must_use]
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether it is empty.
            #[must_use]
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Constant-time comparison with a presented value.
            #[must_use]
            pub fn ct_eq_str(&self, other: &str) -> bool {
                ct_eq(self.0.as_bytes(), other.as_bytes())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl PartialEq for $name {
            /// Constant time in the contents.
            fn eq(&self, other: &Self) -> bool {
                ct_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        impl Eq for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([REDACTED; {} bytes])"), self.0.len())
            }
        }
    };
}

secret_string!(
    /// A one-time password: the pad the token is XORed with.
    ///
    /// Secret: zeroized on drop, `[REDACTED]` in `Debug`, constant-time `==`. It does not
    /// implement `Serialize`: it travels once, in the start answer that generated it, which
    /// writes it explicitly.
    Otp
);

secret_string!(
    /// A minted token (recovery, root or DR operation token).
    ///
    /// Secret: zeroized on drop, `[REDACTED]` in `Debug`, constant-time `==`. It does not
    /// implement `Serialize`: it leaves the crate only encoded (OTP or PGP).
    Token
);

secret_string!(
    /// A secret as it arrives in a request, such as the `key` of an update body.
    ///
    /// Secret: zeroized on drop, `[REDACTED]` in `Debug`, constant-time `==`. It implements
    /// neither `Serialize` nor `Deserialize`: request bodies are decoded by the crate's own
    /// decoder straight into zeroizing buffers, and serialized by `UpdateRequest::to_json`.
    SecretString
);

// No secret type implements `Serialize`: `serde_json::to_string` of a request or a secret
// cannot print it by accident. The status answer writes its generated OTP explicitly
// (`wire.rs`), requests serialize through `to_json`, which returns a zeroizing buffer.
//
// `Otp` keeps `Deserialize`, for clients reading the start answer's `otp` (serde_json copies an
// escaped string through a scratch buffer; a server-generated OTP is base62 and has no escape).
// Request bodies are decoded by `wire/go_decode.rs`, which unescapes secrets only into
// zeroizing buffers.
impl<'de> serde::Deserialize<'de> for Otp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(d).map(Self)
    }
}

/// The key recombined from the shares (the unseal / recovery key).
///
/// Secret: zeroized on drop, `[REDACTED]` in `Debug`. Hand it to the check of the combined key and
/// drop it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct CombinedKey(Vec<u8>);

impl CombinedKey {
    pub(crate) fn new(mut bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(std::mem::take(&mut *bytes))
    }

    /// The key bytes. Handle the result as a secret.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Constant-time comparison with an expected key.
    #[must_use]
    pub fn ct_eq_bytes(&self, expected: &[u8]) -> bool {
        ct_eq(&self.0, expected)
    }
}

impl fmt::Debug for CombinedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CombinedKey([REDACTED; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::ct_eq;

    #[test]
    fn ct_eq_sees_a_difference_in_any_byte_of_any_length() {
        for len in 0..40usize {
            let a: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i % 251).unwrap_or(0))
                .collect();
            assert!(ct_eq(&a, &a.clone()));
            for i in 0..len {
                for bit in [0x01u8, 0x80] {
                    let mut b = a.clone();
                    b[i] ^= bit;
                    assert!(!ct_eq(&a, &b), "len {len} byte {i}");
                }
            }
            assert!(!ct_eq(&a, &[a.as_slice(), &[0]].concat()));
        }
    }
}

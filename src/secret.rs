//! Secret containers: zeroized on drop, redacted in `Debug`, compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Constant-time equality of two byte strings. Their lengths are not secret and are compared
/// first.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
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
    /// Secret: zeroized on drop, `[REDACTED]` in `Debug`, constant-time `==`. It serializes (it
    /// travels once, in the start answer that generated it) but never prints.
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
    /// Secret: zeroized on drop, `[REDACTED]` in `Debug`, constant-time `==`.
    SecretString
);

macro_rules! serde_string {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }
    };
}

serde_string!(Otp);
serde_string!(SecretString);

/// The key recombined from the shares (the unseal / recovery key).
///
/// Secret: zeroized on drop, `[REDACTED]` in `Debug`. Hand it to the check of the combined key and
/// drop it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
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

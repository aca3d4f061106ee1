//! Vault's JSON: the status answer, the request bodies, the error body.

use serde::{Deserialize, Serialize};

use crate::{Error, Otp, SecretString};

/// The answer of every status, start and update call: Vault's `GenerateRootStatusResponse`.
///
/// Serializes to Vault's ten keys in Vault's order, none omitted:
/// `nonce, started, progress, required, complete, encoded_token, encoded_root_token,
/// pgp_fingerprint, otp, otp_length`. Which values each operation sets is Vault's (SPEC
/// section 5); the generator fills them, hosts only serialize.
///
/// `otp` holds the server-generated OTP only in the start answer that generated it; it is an
/// [`Otp`] (zeroized, redacted in `Debug`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttemptStatus {
    /// The attempt's nonce (`""` when none); in update answers, the nonce from the request.
    pub nonce: String,
    /// Whether an attempt exists (update answers: always true).
    pub started: bool,
    /// Shares held; the final update answer shows `progress == required`.
    pub progress: usize,
    /// The threshold.
    pub required: usize,
    /// Status and start: false; update: `progress == required`.
    pub complete: bool,
    /// The encoded token, set only in the final update answer.
    pub encoded_token: String,
    /// The same value on the root-token strategy only; `""` otherwise.
    pub encoded_root_token: String,
    /// The PGP key's fingerprint (40 lowercase hex digits), or `""`.
    pub pgp_fingerprint: String,
    /// The server-generated OTP, only in the start answer that generated it.
    pub otp: Otp,
    /// The OTP length clients must use (status and start answers); 0 in update answers.
    pub otp_length: usize,
}

impl AttemptStatus {
    /// The JSON text Vault would send, byte for byte.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing plain strings, integers and booleans cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The body of a start request (`PUT /sys/generate-recovery-token/attempt`). Both fields are
/// optional and an empty body is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StartRequest {
    /// A caller-chosen OTP (must have the configured length; its characters are not checked).
    #[serde(deserialize_with = "null_as_empty")]
    pub otp: Otp,
    /// Standard padded base64 of a binary OpenPGP public key.
    #[serde(deserialize_with = "null_as_empty")]
    pub pgp_key: String,
}

/// How the minted token is handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// The server generates an OTP and returns it once, in the start answer.
    GenerateOtp,
    /// The caller's own OTP (never echoed).
    Otp(Otp),
    /// Encrypt to this PGP public key (standard padded base64 of a binary key, as Vault's API
    /// takes it; ASCII armor is accepted too). `start` parses it with
    /// [`crate::PgpRecipient::parse`], which checks expiry only against the key's own newest
    /// timestamp (the core reads no wall clock).
    PgpKey(String),
    /// Encrypt to a key the host already parsed, typically with
    /// [`crate::PgpRecipient::parse_at`]`(key, SystemTime::now())` so that expiry is checked
    /// against the wall clock.
    #[cfg(feature = "pgp")]
    Pgp(Box<crate::PgpRecipient>),
}

impl StartRequest {
    /// Parses a start body as Vault does: any `Content-Type`, unknown fields ignored, an empty
    /// (or all-whitespace) body valid.
    ///
    /// # Errors
    /// [`Error::InvalidBody`] when the body is not a JSON object of strings where Vault expects
    /// them.
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        if is_blank(body) {
            return Ok(Self::default());
        }
        serde_json::from_slice(body).map_err(json_error)
    }

    /// Vault's rule: a non-empty OTP wins; else a non-empty PGP key; else the server generates an
    /// OTP.
    #[must_use]
    pub fn into_encoding(self) -> Encoding {
        let Self { otp, pgp_key } = self;
        if !otp.is_empty() {
            Encoding::Otp(otp)
        } else if !pgp_key.is_empty() {
            Encoding::PgpKey(pgp_key)
        } else {
            Encoding::GenerateOtp
        }
    }
}

/// The body of an update request (`PUT /sys/generate-recovery-token/update`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateRequest {
    /// The key share, hex or standard padded base64. Secret: zeroized on drop, not printed.
    #[serde(deserialize_with = "null_as_empty")]
    pub key: SecretString,
    /// The attempt's nonce.
    #[serde(deserialize_with = "null_as_empty")]
    pub nonce: String,
}

impl std::fmt::Debug for UpdateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateRequest")
            .field("key", &"[REDACTED]")
            .field("nonce", &self.nonce)
            .finish()
    }
}

impl UpdateRequest {
    /// Parses an update body as Vault does: any `Content-Type`, unknown fields ignored; an empty
    /// body is an error (`EOF`), as is a missing or empty `key`.
    ///
    /// # Errors
    /// [`Error::EmptyBody`], [`Error::InvalidBody`] or [`Error::MissingKey`].
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        if is_blank(body) {
            return Err(Error::EmptyBody);
        }
        let req: Self = serde_json::from_slice(body).map_err(json_error)?;
        if req.key.is_empty() {
            return Err(Error::MissingKey);
        }
        Ok(req)
    }
}

/// Vault's error body: `{"errors":["<message>"]}` (empty list for 405s and 404s).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The messages.
    pub errors: Vec<String>,
}

impl ErrorBody {
    /// The JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The `Content-Type` of every JSON answer, exactly (hvac parses error bodies only with it).
pub const CONTENT_TYPE_JSON: &str = "application/json";

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

fn null_as_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Describes a JSON fault by kind and position only: serde_json's own messages can quote input.
fn json_error(e: serde_json::Error) -> Error {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "a field has the wrong type",
        Category::Eof => "unexpected end of input",
    };
    Error::InvalidBody {
        reason: format!("{kind} at line {} column {}", e.line(), e.column()),
    }
}

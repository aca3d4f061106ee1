//! Every error text and HTTP status code (docs/PROTOCOL.md sections 3, 4, 6 and 7).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use recovery_token::shares::CombineError;
use recovery_token::wire::ErrorBody;
use recovery_token::{Dialect, Error};

#[test]
fn every_error_has_vaults_text_and_status_code() {
    let cases: Vec<(Error, &str, u16)> = vec![
        (Error::EmptyBody, "EOF", 400),
        (
            Error::MissingKey,
            "'key' must be specified in request body as JSON",
            400,
        ),
        (
            Error::InvalidKeyEncoding,
            "'key' must be a valid hex or base64 string",
            400,
        ),
        (
            Error::KeyTooShort { min: 16 },
            "invalid key: key is shorter than minimum 16 bytes",
            400,
        ),
        (
            Error::KeyTooLong { max: 33 },
            "invalid key: key is longer than maximum 33 bytes",
            400,
        ),
        (Error::OtpWrongLength, "OTP string is wrong length", 400),
        (
            Error::PgpKeyParse {
                reason: "bad".into(),
            },
            "error parsing PGP key: bad",
            400,
        ),
        (Error::Sealed, "Vault is sealed", 503),
        (Error::Standby, "Vault is in standby mode", 400),
        (Error::NotInitialized, "Vault is not initialized", 400),
        (
            Error::AlreadyUnsealed,
            "attempt to generate recovery token when already unsealed",
            400,
        ),
        (
            Error::InProgress,
            "root generation already in progress",
            400,
        ),
        (Error::NoAttempt, "no root generation in progress", 400),
        (
            Error::WrongNonce {
                nonce: "abc".into(),
            },
            "incorrect nonce supplied; nonce for this root generation operation is \"abc\"",
            400,
        ),
        (
            Error::WrongStrategy,
            "incorrect strategy supplied; a generate root operation of another type is already in progress",
            400,
        ),
        (
            Error::DuplicateShare,
            "given key has already been provided during this generation operation",
            400,
        ),
        (
            Error::Combine(CombineError::TooFewParts),
            "failed to compute root key: less than two parts cannot be used to reconstruct the secret",
            400,
        ),
        (
            Error::Combine(CombineError::PartTooShort),
            "failed to compute root key: parts must be at least two bytes",
            400,
        ),
        (
            Error::Combine(CombineError::LengthMismatch),
            "failed to compute root key: all parts must be the same length",
            400,
        ),
        (
            Error::Combine(CombineError::DuplicatePart),
            "failed to compute root key: duplicate part detected",
            400,
        ),
        (
            Error::KeyCheckFailed {
                reason: "unable to authenticate: x".into(),
            },
            "root generation aborted: unable to authenticate: x",
            400,
        ),
        (
            Error::XorLength { otp: 28, token: 26 },
            "xor of root token failed: length of byte slices is not equivalent: 28 != 26",
            400,
        ),
    ];
    for (err, text, status) in cases {
        assert_eq!(err.to_string(), text);
        assert_eq!(err.http_status(), status, "{text}");
        assert_eq!(
            ErrorBody::of(&err, Dialect::Vault).errors,
            vec![text.to_owned()]
        );
    }
}

#[test]
fn only_completion_failures_clear_progress() {
    assert!(Error::Combine(CombineError::DuplicatePart).cleared_progress());
    assert!(
        Error::KeyCheckFailed {
            reason: String::new()
        }
        .cleared_progress()
    );
    assert!(Error::XorLength { otp: 1, token: 2 }.cleared_progress());
    for e in [
        Error::DuplicateShare,
        Error::WrongNonceUndisclosed,
        Error::WrongStrategy,
        Error::NoAttempt,
        Error::CompletionPending,
        Error::StaleCompletion,
    ] {
        assert!(!e.cleared_progress(), "{e}");
    }
}

//! Differential: our Go-compatible request decoder against serde_json on whether a body is
//! syntactically valid JSON, and no panic on any input.
//!
//! Our verdict: `StartRequest::from_json` accepts the body or refuses it with a *type* error
//! (`json: cannot unmarshal ...`): the syntax is fine. serde_json's: every value of
//! `StreamDeserializer` (Go reads the body as a stream of values too) parses as `IgnoredAny`.
//!
//! Allowed differences (where Go, and so OpenBao and we, differ from serde_json on purpose):
//! - invalid UTF-8 inside strings: Go replaces it with U+FFFD, serde_json refuses it;
//! - lone UTF-16 surrogate escapes (`\ud800`): Go decodes U+FFFD, serde_json refuses;
//! - nesting deeper than serde_json's recursion limit (128): Go allows 10000;
//! - a later value cut off (serde_json: EOF) after a complete first value: Go's `Token()` loop
//!   ends at `EOF` between tokens, so OpenBao accepts `{...} [`;
//! - top-level values glued without whitespace after a number or a literal (`01`, `null0`,
//!   `1"a"`): Go ends a number or literal at the first byte that cannot continue it and starts
//!   the next value there; serde_json's stream wants a delimiter.
//! - a number beyond float64's range (`1e400`): Go's `Token()` refuses it (not a syntax error,
//!   and it ends the scan), serde_json's `IgnoredAny` skips it; such bodies are not compared.
//! Duplicate names are not a difference here (`IgnoredAny` accepts them, as Go does).
#![no_main]

use libfuzzer_sys::fuzz_target;
use recovery_token::Error;
use recovery_token::wire::StartRequest;
use serde::de::IgnoredAny;

/// `Some(valid)`, or `None` when Go's float64 range check stopped the scan before the end (it
/// is not a syntax verdict, and a later syntax error is then not looked for, as in Go).
fn ours_valid(body: &[u8]) -> Option<bool> {
    match StartRequest::from_json(body) {
        Ok(_) => Some(true),
        Err(Error::InvalidBody { reason }) if reason.ends_with("of type float64") => None,
        Err(Error::InvalidBody { reason }) => Some(reason.starts_with("json: cannot unmarshal ")),
        Err(e) => panic!("start refused a body with {e:?}"),
    }
}

enum Serde {
    Valid,
    /// Invalid; `true` when the error is an EOF after at least one complete value.
    Invalid {
        later_eof: bool,
    },
}

fn serde_verdict(body: &[u8]) -> Serde {
    let mut values = 0usize;
    for v in serde_json::Deserializer::from_slice(body).into_iter::<IgnoredAny>() {
        match v {
            Ok(_) => values += 1,
            Err(e) => {
                return Serde::Invalid {
                    later_eof: values > 0 && e.is_eof(),
                };
            }
        }
    }
    Serde::Valid
}

fn has_lone_surrogate_escape(body: &[u8]) -> bool {
    body.windows(3)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D'))
}

fn max_depth(body: &[u8]) -> usize {
    let (mut d, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &c in body {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                d += 1;
                max = max.max(d);
            }
            b'}' | b']' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Two top-level values glued without whitespace where the first is a number or a literal
/// (`01`, `null0`, `1"a"`, `true[]`): Go ends the first at the first byte that cannot continue it
/// and starts the next value there; serde_json's stream wants a delimiter after them.
fn glued_top_level(body: &[u8]) -> bool {
    let (mut d, mut in_str, mut esc) = (0usize, false, false);
    let mut prev = b' ';
    for &c in body {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            prev = c;
            continue;
        }
        let ends_scalar = prev.is_ascii_digit() || matches!(prev, b'e' | b'l');
        let starts_value = matches!(
            c,
            b'0'..=b'9' | b'-' | b'"' | b'{' | b'[' | b't' | b'f' | b'n'
        );
        if d == 0 && ends_scalar && starts_value {
            return true;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => d += 1,
            b'}' | b']' => d = d.saturating_sub(1),
            _ => {}
        }
        prev = c;
    }
    false
}

fuzz_target!(|body: &[u8]| {
    let Some(ours) = ours_valid(body) else {
        return;
    };
    match serde_verdict(body) {
        Serde::Valid => assert!(
            ours,
            "serde_json accepts, we refuse: {:?} -> {:?}",
            String::from_utf8_lossy(body),
            StartRequest::from_json(body)
        ),
        Serde::Invalid { later_eof } => {
            if ours {
                let allowed = std::str::from_utf8(body).is_err()
                    || has_lone_surrogate_escape(body)
                    || max_depth(body) > 127
                    || later_eof
                    || glued_top_level(body);
                assert!(
                    allowed,
                    "we accept, serde_json refuses: {:?}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }
});

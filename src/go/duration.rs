//! Go's `time.ParseDuration`, strictly: what Vault's API takes for durations (`1h30m`, `90s`,
//! `1.5h`, `300ms`), for the start request's `ttl`.
//!
//! Go's rules: an optional sign, then one or more `<number><unit>` parts, where a number is
//! decimal digits with an optional fraction (`1`, `1.`, `.5`, `1.5`; not `.` alone) and a unit is
//! one of `ns`, `us` (also `µs` U+00B5 and `μs` U+03BC), `ms`, `s`, `m`, `h`. The bare `0` needs
//! no unit. No spaces, no exponent, no `d`. The total must fit Go's `int64` nanoseconds. Go's
//! texts: `time: invalid duration "<input>"`, `time: missing unit in duration "<input>"`,
//! `time: unknown unit "<unit>" in duration "<input>"` (the input quoted, escaped as Rust's
//! `escape_debug` does, close to Go's `strconv.Quote`).

/// A parsed duration: Go's signed nanoseconds.
pub(crate) type Nanos = i64;

/// Parses `s` as Go's `time.ParseDuration` does.
///
/// # Errors
/// Go's text for the first fault.
pub(crate) fn parse_go_duration(s: &str) -> Result<Nanos, String> {
    let invalid = || format!("time: invalid duration \"{}\"", s.escape_debug());
    let mut rest = s.as_bytes();
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = rest.get(1..).unwrap_or_default();
    }
    if rest == b"0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    // Go sums in uint64 and checks against 1<<63 at the end.
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !matches!(rest.first(), Some(b'.' | b'0'..=b'9')) {
            return Err(invalid());
        }
        let int_len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (int_digits, after) = rest.split_at(int_len);
        let whole = digits_value(int_digits).ok_or_else(invalid)?;
        rest = after;
        let (mut frac, mut scale, mut frac_len) = (0u64, 1f64, 0usize);
        if rest.first() == Some(&b'.') {
            rest = rest.get(1..).unwrap_or_default();
            frac_len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            let (frac_digits, after) = rest.split_at(frac_len);
            // Go's leadingFraction: digits are kept while the value stays within 1<<63; the
            // rest are skipped.
            let mut overflow = false;
            for d in frac_digits {
                if overflow {
                    continue;
                }
                if frac > (MAX_TOTAL - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = frac
                    .saturating_mul(10)
                    .saturating_add(u64::from(d.wrapping_sub(b'0')));
                if next > MAX_TOTAL {
                    overflow = true;
                    continue;
                }
                frac = next;
                scale *= 10.0;
            }
            rest = after;
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = rest
            .iter()
            .take_while(|c| **c != b'.' && !c.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration \"{}\"",
                s.escape_debug()
            ));
        }
        let (unit_bytes, after) = rest.split_at(unit_len);
        rest = after;
        let unit_text = String::from_utf8_lossy(unit_bytes);
        let unit: u64 = match &*unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => {
                return Err(format!(
                    "time: unknown unit \"{}\" in duration \"{}\"",
                    other.escape_debug(),
                    s.escape_debug()
                ));
            }
        };
        if whole > MAX_TOTAL.checked_div(unit).unwrap_or(0) {
            return Err(invalid());
        }
        let mut v = whole.saturating_mul(unit);
        if frac > 0 {
            // As Go: float64(frac) * (float64(unit) / scale), truncated.
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "Go's own arithmetic for the fraction: a non-negative value below unit"
            )]
            let part = (frac as f64 * (unit as f64 / scale)) as u64;
            v = v.saturating_add(part);
            if v > MAX_TOTAL {
                return Err(invalid());
            }
        }
        total = total.saturating_add(v);
        if total > MAX_TOTAL {
            return Err(invalid());
        }
    }
    if negative {
        // -(1<<63) fits; the wrapping negation of 1<<63 is itself, i64::MIN.
        #[allow(
            clippy::cast_possible_wrap,
            reason = "total <= 1<<63: its two's-complement negation is in i64's range"
        )]
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Go's limit on every partial sum: 1<<63 (the magnitude of `i64::MIN`).
const MAX_TOTAL: u64 = 1 << 63;

/// Go's leadingInt: decimal digits to a value of at most 1<<63 (`None` beyond; empty is 0).
fn digits_value(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, d| {
        if acc > MAX_TOTAL / 10 {
            return None;
        }
        let next = acc
            .saturating_mul(10)
            .saturating_add(u64::from(d.wrapping_sub(b'0')));
        (next <= MAX_TOTAL).then_some(next)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn go_accepts() {
        // Cases from Go's time/time_test.go parseDurationTests.
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600_000_000),
            ("5.s", 5 * S),
            (".5s", S / 2),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4_000_000),
            ("1.0040s", S + 4_000_000),
            ("100.00100s", 100 * S + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * S),
            ("15m", 15 * 60 * S),
            ("16h", 16 * 3600 * S),
            ("3h30m", (3 * 3600 + 30 * 60) * S),
            ("10.5s4m", 4 * 60 * S + 10 * S + S / 2),
            ("-2m3.4s", -(2 * 60 * S + 3 * S + 400_000_000)),
            (
                "1h2m3s4ms5us6ns",
                3600 * S + 2 * 60 * S + 3 * S + 4_000_000 + 5_000 + 6,
            ),
            ("39h9m14.425s", (39 * 3600 + 9 * 60 + 14) * S + 425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * 60 * S),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("0.100000000000000000000h", 6 * 60 * S),
            (
                "0.830103483285477580700h",
                49 * 60 * S + 48 * S + 372_539_827,
            ),
            ("1h30m", 5400 * S),
            ("90s", 90 * S),
        ];
        for (text, want) in cases {
            assert_eq!(parse_go_duration(text), Ok(*want), "{text}");
        }
    }

    #[test]
    fn go_refuses() {
        for (text, want) in [
            ("", r#"time: invalid duration """#),
            ("3", r#"time: missing unit in duration "3""#),
            ("-", r#"time: invalid duration "-""#),
            ("s", r#"time: invalid duration "s""#),
            (".", r#"time: invalid duration ".""#),
            ("-.", r#"time: invalid duration "-.""#),
            (".s", r#"time: invalid duration ".s""#),
            ("+.s", r#"time: invalid duration "+.s""#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            ("1 s", r#"time: unknown unit " s" in duration "1 s""#),
            ("1s ", r#"time: unknown unit "s " in duration "1s ""#),
            ("1e3s", r#"time: unknown unit "e" in duration "1e3s""#),
            (
                "9223372036854775810ns",
                r#"time: invalid duration "9223372036854775810ns""#,
            ),
            (
                "9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            (
                "-9223372036854775809ns",
                r#"time: invalid duration "-9223372036854775809ns""#,
            ),
            ("3000000h", r#"time: invalid duration "3000000h""#),
            ("1h\n", "time: unknown unit \"h\\n\" in duration \"1h\\n\""),
        ] {
            assert_eq!(parse_go_duration(text), Err(want.to_owned()), "{text:?}");
        }
    }
}
